"""The request being served, for audit events recorded deep in a service that was given no request.

`AuditMiddleware` sets it for the length of each request; `audit_record` reads the client address (and, when the
caller gave neither a context nor a user, the actor and organization) from it. Outside a request (Celery, commands)
there is none and events are recorded as "system".
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.scoping import OrgContext

_current: ContextVar[HttpRequest | None] = ContextVar("audit_current_request", default=None)


def current_request() -> HttpRequest | None:
    return _current.get()


def request_context(request: HttpRequest) -> OrgContext | None:
    """The organization context of a request: its API key's (DRF sets `auth` on the request), else the session's."""
    from accounts.models import ApiKey
    from accounts.scoping import context_for_api_key

    api_key = getattr(request, "auth", None)
    if isinstance(api_key, ApiKey):
        return context_for_api_key(api_key)
    return getattr(request, "org", None)
