"""A fixed-window counter per key, shared by all web processes when the cache is Redis.

One round trip per hit whatever the rate: DRF's SimpleRateThrottle instead reads and rewrites the whole list of
the window's request times on every request, which at thousands a minute costs more than the request itself.
With Redis: one INCR (and an EXPIRE on a window's first hit) on a client kept per process (Django's Redis cache
builds a new client object, with its callback tables, for every call). Other cache backends: add + incr.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)
_client = None
_warned_at = 0.0
WARN_EVERY_SECONDS = 10


def _redis_client(backend: RedisCache):
    global _client
    if _client is None:
        _client = backend._cache.get_client(write=True)  # thread-safe: it draws from the backend's pool
    return _client


def hit(key: str, *, limit: int, period: int) -> tuple[bool, float]:
    """Count one request for `key`; return (allowed, seconds until the window ends).

    Fails open: when the cache cannot be reached (a Redis outage), the request is allowed and the outage logged
    (at most every WARN_EVERY_SECONDS per process). PostgreSQL is the source of truth; a limit is a protection,
    and intake must go on without it rather than answer 500.
    """
    try:
        return _hit(key, limit=limit, period=period)
    except Exception:  # the cache client's own errors differ per backend (redis.ConnectionError, TimeoutError...)
        global _warned_at
        now = time.monotonic()
        if now - _warned_at >= WARN_EVERY_SECONDS:
            _warned_at = now
            logger.warning("rate limit not applied: the cache cannot be reached", exc_info=True)
        return True, 0.0


def _hit(key: str, *, limit: int, period: int) -> tuple[bool, float]:
    now = time.time()
    name = f"rl:{key}:{int(now // period)}"
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client, full_name = _redis_client(backend), backend.make_key(name)
        count = client.incr(full_name)
        if count == 1:  # the window's first hit starts its expiry (a window's key is never written again after it)
            client.expire(full_name, period * 2)
    else:
        backend.add(name, 0, timeout=period * 2)
        try:
            count = backend.incr(name)
        except ValueError:  # evicted between add and incr
            backend.set(name, 1, timeout=period * 2)
            count = 1
    return count <= limit, period - now % period


def peek(key: str, *, period: int) -> int:
    """How many times `key` was counted in the current window (0 when the cache cannot be reached: fail open)."""
    name = f"rl:{key}:{int(time.time() // period)}"
    try:
        return int(caches["default"].get(name) or 0)
    except Exception:
        return 0


def client_ip(request) -> str:
    """The client's address; behind N trusted proxies (SURVEYS_NUM_PROXIES), the N-th address from the right of
    X-Forwarded-For, which the nearest trusted proxy appended."""
    proxies = settings.SURVEYS_NUM_PROXIES
    if proxies > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies][:64]
    return request.META.get("REMOTE_ADDR", "")[:64] or "unknown"
