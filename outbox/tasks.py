"""Celery tasks of the outbox: thin, named, ids only."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="outbox.send")
def send_messages(message_ids: list[int]) -> int:
    """Send these outbox messages if still due (queued after the commit that wrote them); the number sent."""
    from outbox.services import outbox_send

    return outbox_send(message_ids=message_ids)


@shared_task(name="outbox.sweep")
def sweep_outbox() -> dict[str, int]:
    """Send every due message (missed by its task, or due for a retry) and those stuck in "sending"."""
    from outbox.services import outbox_sweep

    return outbox_sweep()
