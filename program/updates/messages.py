"""The texts of a "you said, we did" message: the default the CX manager starts from, and the e-mail itself.

Both are rendered in the recipient's language (translation.override / outbox.rendering.recipient_locale), never in
whatever language the request or worker happens to have active. The message is the CX manager's own text for that
language; the greeting and sign-off around it come from the translation catalogues.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from actions.models import ImprovementAction
from outbox.rendering import recipient_locale

MESSAGE_MAX_LENGTH = 2000


def default_message(*, action: ImprovementAction, language: str) -> str:
    """A short message in `language` naming what customers told us about and what changed."""
    touchpoints = ", ".join(tp.name for tp in action.touchpoints.all())
    with translation.override(language):
        if touchpoints:
            return _(
                "You told us about %(touchpoint)s. We listened and changed it: %(action)s. Thank you for telling us."
            ) % {"touchpoint": touchpoints, "action": action.title}
        return _("You told us what you thought. We listened and changed it: %(action)s. Thank you for telling us.") % {
            "action": action.title
        }


def update_email(*, language: str, organization, customer, message: str) -> tuple[str, str]:
    """(subject, body) of the e-mail to one customer, in `language`, times in the organization's zone."""
    with recipient_locale(language=language, time_zone=organization.timezone):
        subject = _("%(organization)s: you told us, and we changed it") % {"organization": organization.name}
        body = render_to_string(
            "program/email/customer_update.txt",
            {"customer_name": customer.name, "message": message, "organization": organization},
        )
    return subject, body
