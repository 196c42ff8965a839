"""A fixed-window submission counter per client IP in Django's cache (Redis when CACHE_URL points at it)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from core import ratelimit


def client_ip(request: HttpRequest) -> str:
    """The client's address (see core.ratelimit.client_ip: SURVEYS_NUM_PROXIES trusted proxies)."""
    return ratelimit.client_ip(request)


def allow(request: HttpRequest, *, scope: str = "submit") -> bool:
    """Count one submission; False once the client has used up this minute's allowance."""
    limit = settings.SURVEYS_PUBLIC_RATE_LIMIT
    if limit <= 0:
        return True
    allowed, _wait = ratelimit.hit(f"surveys:{scope}:{client_ip(request)}", limit=limit, period=60)
    return allowed
