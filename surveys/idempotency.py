"""Idempotency keys with a payload fingerprint: a retry is the same key with the same payload.

A client that reuses a key for a different request (a bug, or two integrations sharing a key scheme) must not be told
"done" with the first request's result while its own data is dropped: the key is stored with a SHA-256 of the
payload, and the same key with another fingerprint is refused (409). Rows stored before fingerprints existed have
none and are replayed as before.
"""

from __future__ import annotations

import hashlib
import json


def payload_fingerprint(payload: object, *, ignore: tuple[str, ...] = ("idempotency_key",)) -> str:
    """SHA-256 of the JSON payload in a canonical form (keys sorted, no spaces), without the `ignore` keys."""
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k not in ignore}
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def fingerprints_conflict(stored: str | None, given: str | None) -> bool:
    """True when both are known and differ (an old row without a fingerprint never conflicts)."""
    return bool(stored) and bool(given) and stored != given
