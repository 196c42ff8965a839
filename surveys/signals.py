"""Hooks other apps connect to (in their AppConfig.ready), so surveys need not know about them.

`response_processed` is sent once per response by the follow-up task (surveys.ingestion), inside the transaction
that sets `processed_at`, with `response=<Response>`. The sweep may re-send it after a crash, so receivers must be
idempotent (upsert on a unique key; never open a second case for the same response).
"""

from django.dispatch import Signal

response_processed = Signal()
