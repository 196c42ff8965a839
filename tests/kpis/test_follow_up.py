"""The rollup side of the follow-up: a processed batch is marked with one statement, a backlog aggregated in a few
big transactions, and the result equals a recompute from the answers."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
import redis
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kpis import rollups
from kpis.models import DirtyRollup
from kpis.rollups.aggregation import CLAIM_BATCH
from surveys.models import Answer
from surveys.signals import responses_processed
from tests.kpis.conftest import expected_rollups, make_world, stored_rollups

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def world(cast_a):
    return make_world(cast_a.org, touchpoints_per_stage=(3, 2))


def touched_keys(response_ids) -> set[tuple[str, int, dt.date]]:
    """The (kind, key, day) keys the answers of these responses belong to, read from the answer rows."""
    keys = set()
    answers = Answer.objects.filter(response_id__in=list(response_ids)).select_related("response")
    for a in answers:
        if a.touchpoint_id is not None:
            keys.add(("t", a.touchpoint_id, a.submitted_on))
        elif a.response.journey_id is not None:
            keys.add(("j", a.response.journey_id, a.submitted_on))
    return keys


def dirty() -> set[tuple[str, int, dt.date]]:
    return set(DirtyRollup.objects.values_list("kind", "key_id", "day"))


def respond_many(world, count: int, *, days: int = 20):
    made = []
    for i in range(count):
        day = DAY - dt.timedelta(days=i % days)
        if i % 7 == 0:
            made.append(world.respond(None, day, nps=i % 11, journey=world.journey, process=False))
        else:
            tp = world.touchpoints[(i // days) % len(world.touchpoints)]
            made.append(world.respond(tp, day, nps=i % 11, csat=1 + i % 5, process=False))
    return made


def test_a_processed_batch_is_marked_with_one_statement(world):
    made = respond_many(world, 300)
    ids = [r.pk for r in made]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        responses_processed.send(sender=None, organization_ids=[world.org.pk], response_ids=ids)
    marks = [q for q in queries if q["sql"].startswith("WITH ra AS")]
    expected_statements = 1 if connection.vendor == "postgresql" else -(-len(ids) // 400)
    assert len(marks) == expected_statements
    assert dirty() == touched_keys(ids)


def test_scattered_ids_mark_exactly_their_keys(world):
    made = respond_many(world, 120, days=40)
    picked = [r.pk for r in made[::9]]  # ids far apart: no id range, each id looked up
    with transaction.atomic():
        rollups.mark_dirty_for_responses(picked)
    assert dirty() == touched_keys(picked)


def test_a_backlog_is_aggregated_in_a_few_big_batches_and_equals_a_recompute(world):
    made = respond_many(world, 700, days=100)
    with transaction.atomic():
        rollups.mark_dirty_for_responses([r.pk for r in made])
    keys = DirtyRollup.objects.count()
    assert keys > 450  # 5 touchpoints and a journey over 100 days
    result = rollups.aggregate_dirty()
    assert result.keys == keys
    assert result.batches == -(-keys // CLAIM_BATCH)  # one transaction per claim of CLAIM_BATCH keys
    assert not DirtyRollup.objects.exists()
    assert stored_rollups() == expected_rollups()


def test_marking_the_same_batch_twice_changes_nothing_after_aggregation(world):
    made = respond_many(world, 60)
    ids = [r.pk for r in made]
    for _ in range(2):
        with transaction.atomic():
            responses_processed.send(sender=None, organization_ids=[world.org.pk], response_ids=ids)
        rollups.aggregate_dirty()
        assert stored_rollups() == expected_rollups()


@pytest.mark.redis
def test_a_backlog_queues_helper_aggregations_that_share_it(world, monkeypatch):
    # A real broker: the run publishes its helpers (a worker would run them); this test's run does all the work.
    from cxplatform.celery import app
    from kpis import tasks

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
    client = redis.Redis.from_url(url)
    client.delete("celery")
    monkeypatch.setattr(tasks, "CLAIM_BATCH", 10)
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = url, False
    app._pool, app.amqp._producer_pool = None, None
    try:
        respond_many(world, 60, days=30)
        rollups.mark_dirty_for_range(
            [tp.pk for tp in world.touchpoints], DAY - dt.timedelta(days=29), DAY, journey_ids=[world.journey.pk]
        )
        keys = DirtyRollup.objects.count()
        result = tasks.aggregate_dirty_task()
        queued = [json.loads(m) for m in client.lrange("celery", 0, -1)]
    finally:
        client.delete("celery", *client.scan_iter("_kombu.*"))
        app.conf.broker_url, app.conf.task_always_eager = saved
        app._pool, app.amqp._producer_pool = None, None
    assert [(m["headers"]["task"], m["headers"]["kwargsrepr"]) for m in queued] == [
        ("kpis.aggregate_dirty", "{'helper': True}")
    ] * tasks.AGGREGATION_HELPERS
    assert result["keys"] == keys == 180  # 5 touchpoints and a journey over 30 days
    assert not DirtyRollup.objects.exists()
    assert stored_rollups() == expected_rollups()


def test_in_eager_mode_one_run_recomputes_the_whole_backlog(world, monkeypatch):
    # The demo runs tasks in-process: a helper would only run inside this run, so none is queued.
    from kpis import tasks

    monkeypatch.setattr(tasks, "CLAIM_BATCH", 10)
    respond_many(world, 40, days=10)
    rollups.mark_dirty_for_range([tp.pk for tp in world.touchpoints], DAY - dt.timedelta(days=9), DAY)
    result = tasks.aggregate_dirty_task.apply().get()
    assert (result["keys"], result["batches"]) == (50, 5)
    assert not DirtyRollup.objects.exists()
    assert stored_rollups()["touchpoint"] == expected_rollups()["touchpoint"]
