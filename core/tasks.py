"""Queue Celery work from a request or a task without ever failing it: the one way to enqueue, coalesce, back off.

Every caller's work is also found by a periodic sweep (rows with a state: unprocessed responses, dirty rollup keys,
pending e-mails), so a publish that does not happen delays work and loses nothing. What `enqueue_coalesced` does:

- after commit: inside a transaction the publish waits for the commit (a rollback queues nothing);
- broker back-off: one attempt, no kombu retries; after a failure this process leaves the broker alone for
  `backoff_seconds`, so during an outage no request pays the connect timeout again (the sweeps catch up);
- coalescing under a key: a publish covers later calls with the same key for `window` seconds. `shared=True` takes
  the window in the cache (every process; the task calls `coalesced_release(key)` when it starts, so work marked
  after that queues a new run); `shared=False` keeps it in this process's memory, with no I/O at all (the
  submission's hot path, where a cache round trip per response would cost more than the publish it saves);
- eager mode (the SQLite demo, tests): the task runs in-process at once; its errors are logged, never raised.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from celery import Task
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

# One attempt to reach the broker, no waiting between retries (kombu's default retries for about a second).
FAIL_FAST = {"max_retries": 0, "interval_start": 0, "interval_step": 0, "interval_max": 0}
# A few seconds: long enough that an outage costs few requests the connect timeout, short enough that work flows
# again soon after the broker is back (the sweeps take what was left meanwhile).
BROKER_BACKOFF_SECONDS = 5.0

# Process-local state: the broker is one, so a failure seen by any caller holds every caller back.
_broker_down_until = 0.0
_local_windows: dict[str, float] = {}


def enqueue_coalesced(
    task: Task,
    key: str | None = None,
    *,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    countdown: float | None = None,
    window: float = 0.0,
    shared: bool = True,
    after_commit: bool = True,
    backoff_seconds: float = BROKER_BACKOFF_SECONDS,
) -> bool:
    """Queue `task(*args, **kwargs)` (eager: run it), at most once per `window` seconds per `key`; never raise.

    Without a key every call publishes. A shared window is taken in the cache, so give it whole seconds.
    Returns False when the work was left for its sweep (broker marked down, publish or cache failed); True when it
    was queued or ran, an earlier call's window covers it, or (after commit, inside a transaction) it will be tried
    once the transaction commits.
    """
    enqueue = partial(
        _enqueue_now,
        task,
        key,
        args=tuple(args),
        kwargs=dict(kwargs or {}),
        countdown=countdown,
        window=window,
        shared=shared,
        backoff_seconds=backoff_seconds,
    )
    if after_commit and transaction.get_connection().in_atomic_block:
        transaction.on_commit(enqueue, robust=True)
        return True
    return enqueue()


def coalesced_release(key: str) -> None:
    """Close a shared window early: call it when the coalesced task starts, so later work queues a new run."""
    try:
        cache.delete(key)
    except Exception:
        # The window then simply runs out; later work waits for it or for the sweep.
        logger.warning("could not release %s; it expires on its own", key, exc_info=True)


def enqueue_reset() -> None:
    """Forget the broker back-off and this process's windows (for tests that switch brokers)."""
    global _broker_down_until
    _broker_down_until = 0.0
    _local_windows.clear()


def _enqueue_now(
    task: Task,
    key: str | None,
    *,
    args: tuple,
    kwargs: dict,
    countdown: float | None,
    window: float,
    shared: bool,
    backoff_seconds: float,
) -> bool:
    global _broker_down_until
    eager = bool(task.app.conf.task_always_eager)
    if not eager and time.monotonic() < _broker_down_until:
        logger.info("broker marked down: %s left for its sweep", task.name)
        return False
    try:
        if key is not None and not _window_open(key, window=window, shared=shared):
            return True  # the run queued earlier has not started yet: it takes this work too
    except Exception:
        logger.exception("could not coalesce %s under %s (cache down?); its sweep will run it", task.name, key)
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs, countdown=countdown, retry=True, retry_policy=FAIL_FAST)
    except Exception:
        if key is not None:
            _window_close(key, shared=shared)
        if not eager:
            _broker_down_until = max(_broker_down_until, time.monotonic() + backoff_seconds)
        logger.exception("%s%r%r could not be queued or run; its sweep will retry", task.name, args, kwargs)
        return False
    return True


def _window_open(key: str, *, window: float, shared: bool) -> bool:
    """Open the key's window; False if one is open already."""
    if shared:
        return bool(cache.add(key, 1, timeout=window))
    now = time.monotonic()
    if now < _local_windows.get(key, 0.0):
        return False
    _local_windows[key] = now + window
    return True


def _window_close(key: str, *, shared: bool) -> None:
    if shared:
        coalesced_release(key)
    else:
        _local_windows.pop(key, None)
