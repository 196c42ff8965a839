"""Which webhook targets are allowed: public addresses only, checked after DNS resolution (core.netguard).

A URL is checked when an endpoint is saved and again before every send. Every address the host resolves to (A and
AAAA) must be public: one private answer refuses the whole host, so a name that mixes a public and an internal
address cannot be used to reach the internal one. The sender then connects to an address from this same check
(webhooks.transport), never resolving the name again, so the answer cannot change between check and connect (DNS
rebinding). Redirects are never followed.

`WEBHOOKS_ALLOW_PRIVATE_TARGETS` (tests, on-premise installs posting to their own network) skips the address
check but not the resolution, the pinning or the rest.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from core import netguard
from core.netguard import Target, UnsafeTarget, address_is_public

__all__ = ["Target", "UnsafeTarget", "address_is_public", "check_scheme", "check_url"]


def check_scheme(url: str) -> None:
    scheme = urlsplit(url).scheme.lower()
    allowed = {"https", "http"} if settings.WEBHOOKS_ALLOW_HTTP else {"https"}
    if scheme not in allowed:
        raise UnsafeTarget(_("The URL must start with https://."))


def check_url(url: str) -> Target:
    """Parse, resolve and check a webhook URL; the Target carries the checked addresses to connect to."""
    check_scheme(url)
    return netguard.check_url(url, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS)
