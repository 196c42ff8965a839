"""Celery tasks of the program app: thin wrappers around the services (ids in; safe to run twice, on any worker)."""

from __future__ import annotations

from celery import shared_task

from accounts.models import Organization
from core.tasks import enqueue_coalesced


@shared_task(name="program.health_snapshots", ignore_result=True)
def health_snapshots_task(organization_id: int | None = None) -> None:
    """Store this month's health (and the missing history) of one organization; without an id (the daily
    schedule), queue one run per organization, so a slow or failing one holds no other back."""
    from program.health.services import health_snapshots_refresh

    if organization_id is None:
        for pk in Organization.objects.order_by("pk").values_list("pk", flat=True):
            # An eager run's own error is logged, not raised: the next organization goes on.
            enqueue_coalesced(health_snapshots_task, args=(pk,), after_commit=False)
        return
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is not None:
        health_snapshots_refresh(organization=organization)


@shared_task(name="program.resurveys_due", ignore_result=True)
def resurveys_due_task() -> int:
    """Decide the re-surveys of "you said, we did" that are due (every 15 minutes): each recipient once, under the
    contact rules as they stand on its day."""
    from program.updates.resurvey import resurveys_decide_due

    return resurveys_decide_due()
