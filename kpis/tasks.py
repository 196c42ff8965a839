"""Celery tasks of the KPI engine: thin wrappers around `kpis.rollups` (safe to run on any worker, any time)."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from kpis import rollups
from kpis.rollups.aggregation import DEBOUNCE_KEY


@shared_task(name="kpis.aggregate_dirty")
def aggregate_dirty_task() -> dict:
    """Recompute dirty rollup keys. Queued (debounced) after responses are processed, and run every minute."""
    # Cleared before claiming: keys marked from now on queue a new run instead of waiting for the periodic one.
    cache.delete(DEBOUNCE_KEY)
    result = rollups.aggregate_dirty()
    return {"keys": result.keys, "batches": result.batches, "seconds": round(result.seconds, 3)}


@shared_task(name="kpis.reconcile_rollups")
def reconcile_rollups_task(fix: bool = True) -> dict:
    """Nightly: compare rollups with a fresh recompute, fix and record the differences."""
    records = rollups.reconcile_rollups(fix=fix)
    return {"organizations": len(records), "differences": sum(r.differences for r in records)}


@shared_task(name="kpis.rebuild_rollups")
def rebuild_rollups_task(organization_id: int | None = None) -> dict:
    result = rollups.rebuild_rollups(organization_id=organization_id)
    return {"rows": result.rows, "seconds": {k: round(v, 3) for k, v in result.seconds.items()}}
