"""Celery tasks of the KPI engine: thin wrappers around `kpis.rollups` (safe to run on any worker, any time)."""

from __future__ import annotations

from celery import shared_task

from core.tasks import coalesced_release, enqueue_coalesced
from kpis import rollups
from kpis.models import DirtyRollup
from kpis.rollups.aggregation import CLAIM_BATCH, DEBOUNCE_KEY

# A backlog (an import, a late batch of history) is recomputed by several workers at once: runs claim disjoint keys
# (SKIP LOCKED), and two of them recomputed 15,000 keys of a 1 M-response database in 7.8 s instead of 14 s.
AGGREGATION_HELPERS = 3


@shared_task(bind=True, name="kpis.aggregate_dirty")
def aggregate_dirty_task(self, helper: bool = False) -> dict:
    """Recompute dirty rollup keys. Queued (debounced) after responses are processed, and run every minute.

    When more keys are dirty than one claim takes, up to AGGREGATION_HELPERS helper runs are queued to share them
    (not in eager mode: the demo has one process).
    """
    if not helper:
        # Cleared before claiming: keys marked from now on queue a new run instead of waiting for the periodic one.
        coalesced_release(DEBOUNCE_KEY)
    result = rollups.aggregate_dirty(batch_size=CLAIM_BATCH, max_batches=1)
    if result.keys >= CLAIM_BATCH:
        if not helper and not self.request.is_eager:
            _queue_helpers(DirtyRollup.objects.count() // CLAIM_BATCH)
        rest = rollups.aggregate_dirty(batch_size=CLAIM_BATCH)
        result.keys, result.batches, result.seconds = (
            result.keys + rest.keys,
            result.batches + rest.batches,
            result.seconds + rest.seconds,
        )
    return {"keys": result.keys, "batches": result.batches, "seconds": round(result.seconds, 3)}


def _queue_helpers(full_claims_left: int) -> None:
    for _ in range(min(AGGREGATION_HELPERS, full_claims_left)):
        if not enqueue_coalesced(aggregate_dirty_task, kwargs={"helper": True}, after_commit=False):
            return  # this run goes on alone


@shared_task(name="kpis.reconcile_rollups")
def reconcile_rollups_task(fix: bool = True) -> dict:
    """Nightly: compare rollups with a fresh recompute, fix and record the differences."""
    records = rollups.reconcile_rollups(fix=fix)
    return {"organizations": len(records), "differences": sum(r.differences for r in records)}


@shared_task(name="kpis.rebuild_rollups")
def rebuild_rollups_task(organization_id: int | None = None) -> dict:
    result = rollups.rebuild_rollups(organization_id=organization_id)
    return {"rows": result.rows, "seconds": {k: round(v, 3) for k, v in result.seconds.items()}}
