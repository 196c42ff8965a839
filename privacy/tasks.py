"""Celery tasks of the privacy app: thin, named, ids only."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="privacy.run_retention")
def run_retention() -> list[int]:
    """Nightly (beat): apply every organization's retention policy; returns the ids of the runs stored."""
    from privacy.services import retention_run_all

    return retention_run_all()
