"""Celery tasks of the webhooks app: thin, named, ids only."""

from __future__ import annotations

from celery import shared_task

from core.tasks import enqueue_coalesced


@shared_task(name="webhooks.send_delivery")
def send_delivery(delivery_id: int) -> bool:
    """Send one delivery now (test events, manual retries); a repeat of this task sends nothing more."""
    from webhooks.sender import delivery_send

    return delivery_send(delivery_id=delivery_id)


@shared_task(name="webhooks.send_due")
def send_due_deliveries() -> int:
    """Send every due delivery (queued after a commit that recorded events, and by the sweep)."""
    from webhooks.sender import deliveries_send_due

    return deliveries_send_due()


@shared_task(name="webhooks.sweep")
def sweep_deliveries() -> dict[str, int]:
    """Re-open sends whose worker died, purge the old delivery log, send what is due (retries).

    The drain is queued without ever failing the sweep: if the broker refuses it, the due rows wait for the next
    sweep (every state is in the delivery rows)."""
    from webhooks.sender import deliveries_sweep

    result = deliveries_sweep()
    if result["due"] or result["reopened"]:
        enqueue_coalesced(send_due_deliveries, after_commit=False)
    return result
