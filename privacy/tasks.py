"""Celery tasks of the privacy app: thin, named, ids only."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="privacy.run_retention")
def run_retention() -> list[int]:
    """Nightly (beat): apply every organization's retention policy; returns the ids of the runs stored."""
    from privacy.services import retention_run_all

    return retention_run_all()


@shared_task(name="privacy.run_retention_one")
def run_retention_one(run_id: int) -> None:
    """One run asked for on the page ("apply now"): claimed, so a second delivery of the task does nothing."""
    from privacy.services import retention_run_process

    retention_run_process(run_id=run_id)


@shared_task(name="privacy.sweep_retention_runs")
def sweep_retention_runs() -> dict[str, int]:
    """Every few minutes (beat): queue again runs whose task was lost; fail runs whose worker died."""
    from privacy.services import retention_runs_sweep

    return retention_runs_sweep()
