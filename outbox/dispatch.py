"""Queue a task after commit, fire-and-forget: for work whose rows are already committed with a state a sweep retries.

A broker outage must cost the request nothing: one publish attempt without retries, the error logged, and for
BROKER_BACKOFF_SECONDS after a failure this process does not try again (a dead broker that drops packets would
otherwise cost each commit the connect timeout). Nothing is lost: the rows wait for their periodic sweep.
Eager mode (the demo, tests) runs the task in-process; its errors are logged too, never raised into the caller.
"""

from __future__ import annotations

import logging
import time
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)

# One attempt to reach the broker, no waiting between retries (kombu's default retries for about a second).
FAIL_FAST = {"max_retries": 0, "interval_start": 0, "interval_step": 0, "interval_max": 0}
BROKER_BACKOFF_SECONDS = 30.0
_broker_down_until = 0.0


def broker_backoff_reset() -> None:
    global _broker_down_until
    _broker_down_until = 0.0


def task_delay(task, *args) -> bool:
    """Queue `task(*args)` now (eager: run it); False, never an exception, if that did not happen."""
    global _broker_down_until
    eager = bool(task.app.conf.task_always_eager)
    if not eager and time.monotonic() < _broker_down_until:
        logger.info("broker marked down: %s left for its sweep", task.name)
        return False
    try:
        task.apply_async(args=args, retry=True, retry_policy=FAIL_FAST)
    except Exception:
        if not eager:
            _broker_down_until = time.monotonic() + BROKER_BACKOFF_SECONDS
        logger.warning("%s%r could not be queued or run; its sweep will retry", task.name, args, exc_info=True)
        return False
    return True


def task_delay_on_commit(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits (at once outside one); never raise."""
    transaction.on_commit(partial(task_delay, task, *args), robust=True)
