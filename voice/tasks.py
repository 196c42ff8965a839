"""Celery tasks of the voice app: thin wrappers around voice.services (ids in; safe on any worker, any time).

Eager mode (the SQLite demo, tests) runs each of them in-process, to the end.
"""

from __future__ import annotations

import datetime as dt
import time

from celery import shared_task
from django.utils import timezone

from core.tasks import coalesced_release, enqueue_coalesced
from voice import services
from voice.models import CommentAnalysis
from voice.receivers import DEBOUNCE_KEY, STATS_DEBOUNCE_KEY

# A run on a worker stops after this long and queues its successor, so a backlog (an import) never holds one task
# past the broker's visibility timeout and other tasks get their turn in between.
ANALYSIS_BUDGET_SECONDS = 20
# A backlog is shared by up to this many helper runs on other worker processes (they claim disjoint rows).
ANALYSIS_HELPERS = 3
SWEEP_MIN_AGE = dt.timedelta(minutes=1)
SWEEP_BUDGET_SECONDS = 45
# A statistics run that left months of a backlogged organization for later comes back once for them.
STATS_RETRY_KEY = "voice:recompute-stats:retry"


@shared_task(bind=True, name="voice.analyse_pending", ignore_result=True)
def analyse_pending_task(self, helper: bool = False) -> int:
    """Analyse pending comments: queued (debounced) after a drain batch commits; the sweep catches what it misses."""
    eager = bool(self.request.is_eager)
    if not helper:
        # Cleared before claiming: comments marked from now on queue a new run instead of waiting for the sweep.
        coalesced_release(DEBOUNCE_KEY)
    budget = None if eager else ANALYSIS_BUDGET_SECONDS
    started = time.monotonic()
    done = services.analyse_pending()
    if done < services.CHUNK:
        return done  # the usual case: the comments of a drain batch or two
    if not helper and not eager:
        _queue_helpers(CommentAnalysis.objects.filter(status=CommentAnalysis.Status.PENDING).count() // services.CHUNK)
    left = None if budget is None else max(budget - (time.monotonic() - started), 0)
    done += services.analyse_backlog(time_budget_seconds=left)
    if budget is not None and time.monotonic() - started >= budget and services.pending_exists():
        _requeue(helper)
    return done


def _queue_helpers(full_chunks_left: int) -> None:
    for _ in range(min(ANALYSIS_HELPERS, full_chunks_left)):
        if not enqueue_coalesced(analyse_pending_task, kwargs={"helper": True}, after_commit=False):
            return  # this run goes on alone


def _requeue(helper: bool) -> None:
    enqueue_coalesced(analyse_pending_task, kwargs={"helper": helper}, after_commit=False)  # else the sweep will


@shared_task(bind=True, name="voice.recompute_stats", ignore_result=True)
def recompute_stats_task(self) -> int:
    """Recompute the monthly theme statistics of the (organization, month) keys marked dirty."""
    coalesced_release(STATS_DEBOUNCE_KEY)
    done = services.recompute_dirty_stats()
    if not self.request.is_eager and services.stats_waiting():
        # Months of an organization with a backlog wait (services.STATS_BACKLOG_SECONDS): come back for them once.
        wait = services.STATS_BACKLOG_SECONDS
        enqueue_coalesced(recompute_stats_task, STATS_RETRY_KEY, countdown=wait, window=wait, after_commit=False)
    return done


@shared_task(name="voice.retag", ignore_result=True)
def retag_task(run_id: int) -> None:
    services.retag_run(run_id)


@shared_task(name="voice.discover", ignore_result=True)
def discover_task(run_id: int) -> None:
    services.discover_run(run_id)


@shared_task(name="voice.sweep", ignore_result=True)
def sweep_task() -> dict:
    """Every minute: comments whose analysis task was lost, statistics left dirty, runs whose task was lost."""
    now = timezone.now()
    analysed = 0
    if services.pending_exists(older_than=now - SWEEP_MIN_AGE):
        analysed = services.analyse_backlog(time_budget_seconds=SWEEP_BUDGET_SECONDS)
    stats = services.recompute_dirty_stats()
    runs = services.runs_requeue_stale(now=now)
    return {"analysed": analysed, "stats": stats, "runs": runs}
