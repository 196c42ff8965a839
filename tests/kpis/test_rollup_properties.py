"""Rollups equal a fresh recompute after any sequence of inserts, updates, deletes and incremental aggregations;
two aggregations running at once on PostgreSQL give the same, correct result."""

import datetime as dt
import threading

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpis import rollups
from kpis.models import DirtyRollup, JourneyRollup, Rollup, SegmentRollup
from surveys.models import Answer, Response
from tests.factories import CustomerFactory, PersonaFactory
from tests.kpis.conftest import expected_rollups, make_world, stored_rollups

DAY = dt.date(2026, 1, 31)

scores = st.one_of(st.none(), st.integers(min_value=0, max_value=10))
insert = st.tuples(
    st.just("insert"),
    st.integers(0, 3),  # touchpoint index; 3 = a journey-survey response
    st.integers(0, 3),  # day offset
    scores,
    st.one_of(st.none(), st.integers(1, 5)),
    st.integers(0, 2),  # customer index; 2 = anonymous
)
update = st.tuples(st.just("update"), st.integers(0, 50), st.integers(0, 10), st.integers(0, 3), st.integers(0, 2))
delete = st.tuples(st.just("delete"), st.integers(0, 50))
aggregate = st.tuples(st.just("aggregate"))
customer_move = st.tuples(st.just("move"), st.integers(0, 1))
operations = st.lists(st.one_of(insert, insert, update, delete, aggregate, customer_move), min_size=1, max_size=25)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_rollups_equal_a_fresh_recompute_after_any_changes(cast_a, world_a, ops):
    Response.objects.all().delete()
    for model in (Rollup, SegmentRollup, JourneyRollup, DirtyRollup):
        model.objects.all().delete()
    persona = PersonaFactory(organization=cast_a.org)
    customers = [
        CustomerFactory(organization=cast_a.org, segment="Business", persona=persona),
        CustomerFactory(organization=cast_a.org, segment="Consumer"),
        None,
    ]
    tps = world_a.touchpoints
    for op in ops:
        if op[0] == "insert":
            _, tp_i, offset, nps, csat, cust_i = op
            day = DAY + dt.timedelta(days=offset)
            if tp_i == 3:
                world_a.respond(None, day, nps=nps, csat=csat, journey=world_a.journey, customer=customers[cust_i])
            else:
                world_a.respond(tps[tp_i], day, nps=nps, csat=csat, customer=customers[cust_i])
        elif op[0] == "update":
            _, pick, value, offset, tp_i = op
            answers = list(Answer.objects.exclude(value=None).order_by("pk"))
            if answers:
                answer = answers[pick % len(answers)]
                answer.value = value
                answer.submitted_on = DAY + dt.timedelta(days=offset)
                if answer.touchpoint_id is not None:
                    answer.touchpoint = tps[tp_i]
                answer.save()
        elif op[0] == "delete":
            responses = list(Response.objects.order_by("pk"))
            if responses:
                responses[op[1] % len(responses)].delete()
        elif op[0] == "move":
            customer = customers[op[1]]
            customer.segment = "Premium" if customer.segment != "Premium" else "Consumer"
            customer.save()
        else:
            rollups.aggregate_dirty(batch_size=3)
    rollups.aggregate_dirty(batch_size=3)
    assert stored_rollups() == expected_rollups()


def _run_in_threads(*targets):
    errors = []
    barrier = threading.Barrier(len(targets))

    def wrap(fn):
        def run():
            try:
                barrier.wait()
                fn()
            except Exception as exc:  # surfaced in the assertion below
                errors.append(exc)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_workers_aggregating_at_once_claim_disjoint_keys_and_agree(cast_a):
    assert connection.vendor == "postgresql"
    world = make_world(cast_a.org, touchpoints_per_stage=(4, 4))
    # Not processed one by one: in autocommit mode each would queue (and eagerly run) its own aggregation.
    responses = [
        world.respond(
            world.touchpoints[i % 8], DAY - dt.timedelta(days=i // 8), nps=i % 11, csat=1 + i % 5, process=False
        )
        for i in range(160)
    ]
    rollups.mark_dirty_for_responses(r.pk for r in responses)
    marked = DirtyRollup.objects.count()
    assert marked == 160  # 8 touchpoints x 20 days
    results = []

    def worker():
        results.append(rollups.aggregate_dirty(batch_size=7))

    errors = _run_in_threads(worker, worker)
    assert errors == []
    assert sum(r.keys for r in results) == marked  # every key claimed exactly once
    assert all(r.keys > 0 for r in results)  # and both workers did some of the work
    assert not DirtyRollup.objects.exists()
    assert stored_rollups() == expected_rollups()


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_and_an_incremental_run_at_once_end_correct(cast_a):
    world = make_world(cast_a.org, touchpoints_per_stage=(3,))
    for i in range(90):
        world.respond(world.touchpoints[i % 3], DAY - dt.timedelta(days=i % 15), nps=(i * 7) % 11, process=False)

    def mark_and_aggregate():
        rollups.mark_dirty_for_range([tp.pk for tp in world.touchpoints], DAY - dt.timedelta(days=20), DAY)
        rollups.aggregate_dirty(batch_size=5)

    errors = _run_in_threads(rollups.rebuild_rollups, mark_and_aggregate)
    assert errors == []
    rollups.aggregate_dirty()
    assert stored_rollups() == expected_rollups()
