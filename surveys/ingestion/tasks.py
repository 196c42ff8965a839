"""Celery tasks of surveys.ingestion (imported by surveys/tasks.py for autodiscovery). Thin: ids in, service call."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings

from surveys.ingestion import services

# A drain on a worker stops after this long and queues its successor, so that a large backlog (an import) never
# holds one task for longer than the broker's visibility timeout and other tasks get their turn in between.
DRAIN_BUDGET_SECONDS = 20


@shared_task(name="surveys.process_response", ignore_result=True)
def process_response(response_id: int) -> bool:
    return services.response_process(response_id=response_id)


@shared_task(bind=True, name="surveys.process_pending", ignore_result=True)
def process_pending(self) -> int:
    """The drain scheduled after submissions and import chunks: every unprocessed response, however new.

    Eager (the demo, tests: no beat, no sweep) it runs until nothing committed before it is left, however long.
    """
    budget = None if self.request.is_eager else DRAIN_BUDGET_SECONDS
    started = time.monotonic()
    done = services.responses_sweep_unprocessed(
        min_age_seconds=0, batch_size=settings.SURVEYS_SWEEP_BATCH_SIZE, time_budget_seconds=budget
    )
    if budget is not None and time.monotonic() - started >= budget:
        services.responses_follow_up_kick()  # more is left: go on in a fresh task
    return done


@shared_task(name="surveys.sweep_unprocessed", ignore_result=True)
def sweep_unprocessed() -> int:
    return services.responses_sweep_unprocessed(
        min_age_seconds=settings.SURVEYS_SWEEP_MIN_AGE_SECONDS, batch_size=settings.SURVEYS_SWEEP_BATCH_SIZE
    )


@shared_task(name="surveys.import_responses", ignore_result=True)
def import_responses(job_id: int) -> None:
    from surveys.ingestion.importers import response_import_run

    response_import_run(job_id=job_id)
