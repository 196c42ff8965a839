"""Celery tasks of surveys.ingestion (imported by surveys/tasks.py for autodiscovery). Thin: ids in, service call."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from surveys.ingestion import services


@shared_task(name="surveys.process_response", ignore_result=True)
def process_response(response_id: int) -> bool:
    return services.response_process(response_id=response_id)


@shared_task(name="surveys.process_pending", ignore_result=True)
def process_pending() -> int:
    """The drain scheduled after submissions: every unprocessed response, however new."""
    return services.responses_sweep_unprocessed(
        min_age_seconds=0, batch_size=settings.SURVEYS_SWEEP_BATCH_SIZE, time_budget_seconds=20
    )


@shared_task(name="surveys.sweep_unprocessed", ignore_result=True)
def sweep_unprocessed() -> int:
    return services.responses_sweep_unprocessed(
        min_age_seconds=settings.SURVEYS_SWEEP_MIN_AGE_SECONDS, batch_size=settings.SURVEYS_SWEEP_BATCH_SIZE
    )


@shared_task(name="surveys.import_responses", ignore_result=True)
def import_responses(job_id: int) -> None:
    from surveys.ingestion.importer import response_import_run

    response_import_run(job_id=job_id)
