"""How an app renders an e-mail for the outbox: in the recipient's language and the organization's time zone.

The outbox sends what the app wrote (outbox.services), so the locale must be right when the text is rendered, which
happens in a request, a Celery task or a command: never in whatever language and time zone the process happens to
have active. Wrap the rendering of subject and body in `recipient_locale`:

    with recipient_locale(language=recipient_language, time_zone=organization.timezone):
        subject = _("New feedback case #%(id)s") % {...}
        body = render_to_string("actions/email/case_opened.txt", context)

Dates then come out in the recipient's formats (cxplatform.formats) and times in the organization's zone.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.conf import settings
from django.utils import timezone, translation


def email_language(*candidates: str | None) -> str:
    """The first of `candidates` the platform speaks (e.g. the user's saved language, then the organization's)."""
    offered = dict(settings.LANGUAGES)
    for code in candidates:
        if code and code in offered:
            return code
    return settings.LANGUAGE_CODE


def _zone(time_zone) -> zoneinfo.ZoneInfo | None:
    if time_zone is None or isinstance(time_zone, zoneinfo.ZoneInfo):
        return time_zone
    try:
        return zoneinfo.ZoneInfo(str(time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


@contextmanager
def recipient_locale(*, language: str | None, time_zone=None) -> Iterator[None]:
    """Render inside: `language` active (the site's default if not offered), times in `time_zone` (a name or a
    ZoneInfo; None keeps the active zone)."""
    zone = _zone(time_zone)
    with translation.override(email_language(language)), nullcontext() if zone is None else timezone.override(zone):
        yield
