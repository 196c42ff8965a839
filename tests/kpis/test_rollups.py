"""Incremental aggregation, rebuild and reconciliation of the rollup tables against a recompute from the answers."""

import datetime as dt

import pytest
from django.core.management import call_command

from kpis import rollups
from kpis.models import DirtyRollup, JourneyRollup, Reconciliation, Rollup, SegmentRollup
from kpis.selectors import touchpoint_metric, touchpoint_nps
from surveys.models import Answer
from tests.factories import CustomerFactory, PersonaFactory
from tests.kpis.conftest import expected_rollups, stored_rollups

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

DAY = dt.date(2026, 3, 10)


def test_processed_response_marks_its_touchpoint_day_dirty(world_a):
    tp = world_a.touchpoints[0]
    world_a.respond(tp, DAY, nps=10, csat=5, comment="Great")
    assert list(DirtyRollup.objects.values_list("kind", "key_id", "day")) == [("t", tp.pk, DAY)]
    # A re-sent signal marks nothing new.
    world_a.respond(tp, DAY, nps=3)
    assert DirtyRollup.objects.count() == 1


def test_aggregation_computes_nps_and_means_from_the_answers(world_a, cast_a):
    tp = world_a.touchpoints[0]
    for score in (10, 9, 8, 6, 0):
        world_a.respond(tp, DAY, nps=score, csat=4)
    result = rollups.aggregate_dirty()
    assert result.keys == 1
    assert not DirtyRollup.objects.exists()
    row = Rollup.objects.get(touchpoint=tp, day=DAY, metric="nps")
    assert (row.n, row.promoters, row.passives, row.detractors) == (5, 2, 1, 2)
    assert row.total == 33 and row.total_sq == 100 + 81 + 64 + 36 + 0
    assert (row.c0, row.c6, row.c8, row.c9, row.c10) == (1, 1, 1, 1, 1)
    csat = Rollup.objects.get(touchpoint=tp, day=DAY, metric="csat")
    assert (csat.n, csat.promoters, csat.c4) == (5, 0, 5)
    from accounts.scoping import OrgContext

    ctx = OrgContext(organization=cast_a.org, role="cx_manager")
    assert touchpoint_nps(ctx=ctx, touchpoint_id=tp.pk, start=DAY, end=DAY).score == pytest.approx(0.0)
    assert touchpoint_metric(ctx=ctx, touchpoint_id=tp.pk, metric="csat", start=DAY, end=DAY).mean == 4.0


def test_aggregating_twice_gives_the_same_rows(world_a):
    for i, tp in enumerate(world_a.touchpoints):
        world_a.respond(tp, DAY - dt.timedelta(days=i), nps=i * 3, csat=i + 1)
    rollups.aggregate_dirty()
    first = stored_rollups()
    rollups.mark_dirty_for_range([tp.pk for tp in world_a.touchpoints], DAY - dt.timedelta(days=5), DAY)
    rollups.aggregate_dirty()
    assert stored_rollups() == first == expected_rollups()


def test_deleting_a_response_removes_it_from_the_rollups(world_a):
    tp = world_a.touchpoints[0]
    keep = world_a.respond(tp, DAY, nps=10)
    gone = world_a.respond(tp, DAY + dt.timedelta(days=1), nps=0)
    rollups.aggregate_dirty()
    gone.delete()
    rollups.aggregate_dirty()
    assert list(Rollup.objects.values_list("day", "n")) == [(DAY, 1)]
    keep.delete()
    rollups.aggregate_dirty()
    assert not Rollup.objects.exists()


def test_editing_an_answer_moves_it_between_days(world_a):
    tp = world_a.touchpoints[0]
    world_a.respond(tp, DAY, nps=10)
    rollups.aggregate_dirty()
    answer = Answer.objects.get(metric="nps")
    answer.submitted_on = DAY + dt.timedelta(days=2)
    answer.value = 5
    answer.save()
    rollups.aggregate_dirty()
    assert list(Rollup.objects.values_list("day", "detractors")) == [(DAY + dt.timedelta(days=2), 1)]


def test_journey_survey_answers_go_to_the_journey_rollup(world_a):
    world_a.respond(None, DAY, nps=9, journey=world_a.journey)
    rollups.aggregate_dirty()
    assert not Rollup.objects.exists()
    row = JourneyRollup.objects.get(metric="nps")
    assert (row.journey_id, row.n, row.promoters) == (world_a.journey.pk, 1, 1)


def test_segment_rollups_slice_by_the_customers_segment_and_persona(world_a, cast_a):
    persona = PersonaFactory(organization=cast_a.org)
    business = CustomerFactory(organization=cast_a.org, segment="Business", persona=persona)
    consumer = CustomerFactory(organization=cast_a.org, segment="Consumer")
    tp = world_a.touchpoints[0]
    world_a.respond(tp, DAY, nps=10, customer=business)
    world_a.respond(tp, DAY, nps=2, customer=consumer)
    world_a.respond(tp, DAY, nps=7)
    rollups.aggregate_dirty()
    slices = {(r.segment, r.persona_key): r.n for r in SegmentRollup.objects.filter(metric="nps")}
    assert slices == {("Business", persona.pk): 1, ("Consumer", 0): 1, ("", 0): 1}
    # The customer moves segment: saving the customer marks their answers' keys.
    consumer.segment = "Premium"
    consumer.save()
    rollups.aggregate_dirty()
    assert SegmentRollup.objects.filter(segment="Premium").exists()
    assert not SegmentRollup.objects.filter(segment="Consumer").exists()
    # An erased customer's answers stay, in the anonymous slice.
    business.delete()
    rollups.aggregate_dirty()
    slices = {(r.segment, r.persona_key): r.n for r in SegmentRollup.objects.filter(metric="nps")}
    assert slices == {("Premium", 0): 1, ("", 0): 2}


def test_full_rebuild_equals_the_incremental_result(world_a):
    for i in range(12):
        world_a.respond(world_a.touchpoints[i % 3], DAY - dt.timedelta(days=i % 4), nps=i % 11, csat=1 + i % 5)
    world_a.respond(None, DAY, nps=8, journey=world_a.journey)
    rollups.aggregate_dirty()
    incremental = stored_rollups()
    Rollup.objects.all().delete()
    call_command("rebuild_rollups", verbosity=0)
    assert stored_rollups() == incremental == expected_rollups()


def test_reconciliation_finds_and_fixes_a_tampered_rollup(world_a, cast_a, cast_b):
    for i in range(6):
        world_a.respond(world_a.touchpoints[i % 2], DAY, nps=i)
    rollups.aggregate_dirty()
    Rollup.objects.filter(metric="nps", touchpoint=world_a.touchpoints[0]).update(n=99)
    Rollup.objects.filter(metric="nps", touchpoint=world_a.touchpoints[1]).delete()
    records = {r.organization_id: r for r in rollups.reconcile_rollups()}
    assert records[cast_a.org.pk].differences == 2 and records[cast_a.org.pk].fixed == 2
    assert records[cast_b.org.pk].differences == 0
    assert {d["stored_n"] for d in records[cast_a.org.pk].details} == {99, None}
    assert stored_rollups() == expected_rollups()
    again = {r.organization_id: r for r in rollups.reconcile_rollups()}
    assert again[cast_a.org.pk].ok and again[cast_a.org.pk].rows_checked > 0
    assert Reconciliation.objects.count() == 4


def test_reconciliation_ignores_responses_not_yet_processed(world_a, cast_a):
    world_a.respond(world_a.touchpoints[0], DAY, nps=10, process=False)
    records = {r.organization_id: r for r in rollups.reconcile_rollups(fix=False)}
    assert records[cast_a.org.pk].differences == 0


def test_processing_queues_the_aggregation_after_commit(world_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        world_a.respond(world_a.touchpoints[0], DAY, nps=10)
    assert Rollup.objects.get(metric="nps").n == 1
    assert not DirtyRollup.objects.exists()


def test_periodic_tasks_are_registered_for_beat():
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    migration = importlib.import_module("kpis.migrations.0002_periodic_tasks")
    migration.register(apps, None)
    migration.register(apps, None)  # idempotent
    tasks = dict(PeriodicTask.objects.filter(task__startswith="kpis.").values_list("task", "enabled"))
    assert tasks == {"kpis.aggregate_dirty": True, "kpis.reconcile_rollups": True}
    assert PeriodicTask.objects.get(task="kpis.reconcile_rollups").crontab.hour == "3"


def test_deleting_an_organization_marks_nothing(world_a, cast_a, cast_b):
    world_a.respond(world_a.touchpoints[0], DAY, nps=10, customer=CustomerFactory(organization=cast_a.org))
    rollups.aggregate_dirty()
    assert Rollup.objects.exists() and SegmentRollup.objects.exists()
    cast_a.org.delete()
    # The rollups' references have no database constraint: Django's cascade removes them.
    assert not DirtyRollup.objects.exists() and not Rollup.objects.exists() and not SegmentRollup.objects.exists()


def test_rebuild_fixes_changed_missing_and_stale_rows(world_a):
    for i in range(8):
        world_a.respond(world_a.touchpoints[i % 3], DAY - dt.timedelta(days=i % 2), nps=i, csat=1 + i % 5)
    rollups.aggregate_dirty()
    Rollup.objects.filter(metric="nps").update(n=1000)
    Rollup.objects.filter(metric="csat").first().delete()
    stale = Rollup.objects.first()
    Rollup.objects.create(
        organization=stale.organization, touchpoint=stale.touchpoint, day=DAY - dt.timedelta(days=9), metric="nps", n=3
    )
    SegmentRollup.objects.all().delete()
    rollups.rebuild_rollups(organization_id=world_a.org.pk)
    assert stored_rollups() == expected_rollups()


def test_survey_factories_make_answers_the_rollups_count(cast_a):
    from tests.factories import AnswerFactory, ResponseFactory, TouchpointFactory

    tp = TouchpointFactory(stage__journey__organization=cast_a.org, organization=cast_a.org)
    response = ResponseFactory(version__survey__organization=cast_a.org, touchpoint=tp, journey=tp.journey)
    answer = AnswerFactory(response=response, value=10)
    assert (answer.organization, answer.touchpoint, answer.metric) == (cast_a.org, tp, "nps")
    rollups.mark_dirty_for_responses([response.pk])
    rollups.aggregate_dirty()
    assert Rollup.objects.get(touchpoint=tp).promoters == 1


def test_answers_carry_their_responses_customer_and_the_reconciliation_repairs_a_wrong_copy(world_a, cast_a):
    business = CustomerFactory(organization=cast_a.org, segment="Business")
    consumer = CustomerFactory(organization=cast_a.org, segment="Consumer")
    tp = world_a.touchpoints[0]
    world_a.respond(tp, DAY, nps=10, customer=business)
    world_a.respond(tp, DAY, nps=3, customer=consumer)
    rollups.aggregate_dirty()
    assert {(a.customer_id, a.response.customer_id) for a in Answer.objects.select_related("response")} == {
        (business.pk, business.pk),
        (consumer.pk, consumer.pk),
    }
    # A writer that went round the ORM put the wrong customer on an answer: the segment rollup follows it...
    Answer.objects.filter(response__customer=consumer).update(customer=business)
    rollups.mark_dirty_for_range([tp.pk], DAY, DAY)
    rollups.aggregate_dirty()
    assert not SegmentRollup.objects.filter(segment="Consumer").exists()
    # ...until the nightly reconciliation copies the response's customer back and recomputes the key.
    rollups.reconcile_rollups()
    assert not Answer.objects.filter(response__customer=consumer).exclude(customer=consumer).exists()
    assert SegmentRollup.objects.get(segment="Consumer", metric="nps").n == 1
    assert stored_rollups() == expected_rollups()
