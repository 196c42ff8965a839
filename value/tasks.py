"""Celery tasks of the value app: thin, by id.

Every run is a ValueSnapshot row first (PENDING), then a task claims it (`value.services._claim`: a conditional
UPDATE), so a task queued twice computes once, and the `value.requeue` sweep queues again whatever is still waiting.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from core.tasks import enqueue_coalesced
from value.models import ValueSnapshot
from value.selectors import STALE_AFTER

# A scheduled snapshot requested this recently covers tonight: the nightly task run again (beat firing twice, a
# redelivery after its worker died) requests nothing more for that organization.
NIGHTLY_COVERS = dt.timedelta(hours=12)


@shared_task(name="value.run_model")
def run_model(organization_id: int | None = None, snapshot_id: int | None = None) -> None:
    """Run the value model for one organization; without an id (nightly schedule), request one run per organization
    and queue every waiting run."""
    from value.services import value_model_run

    if organization_id is None:
        _request_nightly_runs()
        _queue_waiting_runs(older_than=dt.timedelta(0))
        return
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is not None:
        value_model_run(organization=organization, snapshot_id=snapshot_id)


@shared_task(name="value.requeue", ignore_result=True)
def requeue_runs() -> list[int]:
    """Queue again the runs still waiting VALUE_REQUEUE_AFTER_SECONDS after they were requested (task lost)."""
    return _queue_waiting_runs(older_than=dt.timedelta(seconds=settings.VALUE_REQUEUE_AFTER_SECONDS))


def _request_nightly_runs() -> int:
    """A PENDING snapshot for every organization without a run waiting, running or requested by the schedule tonight;
    all in one transaction, so that a fan-out stopped midway has left rows for the sweep, never half of them."""
    now = timezone.now()
    with transaction.atomic():
        # The organization rows are what value_recompute_request locks: no second waiting run is added meanwhile.
        org_ids = list(Organization.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        covered = set(
            ValueSnapshot.objects.filter(
                Q(
                    status__in=[ValueSnapshot.Status.PENDING, ValueSnapshot.Status.RUNNING],
                    requested_at__gte=now - STALE_AFTER,
                )
                | Q(requested_by__isnull=True, requested_at__gte=now - NIGHTLY_COVERS)
            ).values_list("organization_id", flat=True)
        )
        made = ValueSnapshot.objects.bulk_create(
            [ValueSnapshot(organization_id=pk) for pk in org_ids if pk not in covered]
        )
    return len(made)


def _queue_waiting_runs(*, older_than: dt.timedelta) -> list[int]:
    """Queue the PENDING snapshots requested before `older_than` ago; ids queued (or covered by an earlier queueing
    within VALUE_REQUEUE_AFTER_SECONDS). A snapshot already claimed is no longer PENDING; one queued twice runs once."""
    waiting = (
        ValueSnapshot.objects.filter(status=ValueSnapshot.Status.PENDING, requested_at__lte=timezone.now() - older_than)
        .order_by("requested_at")
        .values_list("pk", "organization_id")
    )
    window = max(settings.VALUE_REQUEUE_AFTER_SECONDS, 1)
    queued = []
    for pk, organization_id in waiting:
        if not enqueue_coalesced(
            run_model,
            f"value.run:{pk}",
            kwargs={"organization_id": organization_id, "snapshot_id": pk},
            window=window,
            after_commit=False,
        ):
            break  # the broker is down: the rest waits for the next sweep
        queued.append(pk)
    return queued
