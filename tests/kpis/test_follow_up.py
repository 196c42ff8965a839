"""The rollup side of the follow-up: a processed batch is marked with one statement, a backlog aggregated in a few
big transactions, and the result equals a recompute from the answers."""

from __future__ import annotations

import datetime as dt

import pytest
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
