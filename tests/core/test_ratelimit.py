"""core.ratelimit: the fixed-window rate counter counts per window, in local memory and in Redis."""

from __future__ import annotations

import os
import uuid

import pytest
from django.test import override_settings

from core import ratelimit

# The Redis case uses the run's own REDIS_URL database and a key prefix of its own, and deletes only its own keys:
# never a FLUSHDB on a database another run (or a developer's worker) may be using.
REDIS_PREFIX = f"test-ratelimit-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize(
    "cache",
    [
        {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                "KEY_PREFIX": REDIS_PREFIX,
            }
        },
    ],
    ids=["locmem", "redis"],
)
def test_the_rate_counter_allows_the_limit_per_window(cache):
    from django.core.cache import caches

    def delete_own_keys():
        backend = caches["default"]
        if cache["default"].get("KEY_PREFIX"):
            client = backend._cache.get_client(write=True)
            for key in client.scan_iter(match=f"{REDIS_PREFIX}:*"):
                client.delete(key)
        else:
            backend.clear()  # a LocMemCache of this test alone

    with override_settings(CACHES=cache):
        delete_own_keys()
        ratelimit._client = None
        try:
            allowed = [ratelimit.hit("test:client", limit=3, period=3600)[0] for _ in range(5)]
            other = ratelimit.hit("test:other", limit=3, period=3600)
        finally:
            delete_own_keys()
            ratelimit._client = None
    assert allowed == [True, True, True, False, False]
    assert other[0] is True and 0 < other[1] <= 3600
