"""Queue a task after commit, fire-and-forget: for work whose rows are already committed with a state a sweep retries.

A broker outage must cost the request nothing (core.tasks.enqueue_coalesced: one attempt, errors logged, eager runs
in-process). After a failure the broker is left alone for BROKER_BACKOFF_SECONDS: a dead broker that drops packets
would otherwise cost each commit the connect timeout. Nothing is lost: the rows wait for their periodic sweep.
"""

from __future__ import annotations

from celery import Task

from core.tasks import enqueue_coalesced

BROKER_BACKOFF_SECONDS = 30.0


def task_delay_on_commit(task: Task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits (at once outside one); never raise."""
    enqueue_coalesced(task, args=args, backoff_seconds=BROKER_BACKOFF_SECONDS)
