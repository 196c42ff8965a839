"""The value model through the database: SQL frames, snapshot storage, task, command, contract selectors."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.scoping import context_for_membership
from tests.value import synthetic
from tests.value.conftest import load_synthetic
from value import selectors
from value.models import ValueSnapshot
from value.services import value_model_run, value_recompute_request

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def ctx_of(membership):
    return context_for_membership(membership, user=membership.user)


def test_model_finds_the_planted_effect_through_the_database_and_stores_a_snapshot(cast_a):
    data = synthetic.make(n=1200, effect=-0.8, seed=21)
    touchpoint = load_synthetic(cast_a.org, data)
    snapshot = value_model_run(organization=cast_a.org, as_of=data.as_of)
    assert snapshot.status == ValueSnapshot.Status.DONE and snapshot.currency == "SEK"
    row = next(r for r in snapshot.results["touchpoints"] if r["touchpoint_id"] == touchpoint.pk)
    assert row["supported"] is True and row["n_customers"] == 1200
    truth = data.true_value_per_point(row["churn_rate"], row["annual_revenue_per_customer"])
    assert row["low"] < truth < row["high"]
    # Categories come from the relationship survey, and detractors churn more than promoters.
    categories = snapshot.results["categories"]
    assert categories["sources"] == {"relationship": 1200}
    rates = {r["band"]: r["annual_churn"] for r in categories["rows"]}
    assert rates["bad"] > rates["neutral"] > rates["good"]
    assert snapshot.parameters["metric"] == "nps" and snapshot.parameters["measure"] == "nps"
    assert snapshot.results["revenue_at_risk"]["supported"] is True
    assert snapshot.results["drivers"]["outcome"] == "relationship"

    values = selectors.touchpoint_values(ctx=ctx_of(cast_a.executive))
    tv = values[touchpoint.pk]
    assert tv.supported and tv.reason == ""
    assert (tv.value_per_point, tv.low, tv.high, tv.n_customers) == (
        row["value_per_point"],
        row["low"],
        row["high"],
        1200,
    )
    assert selectors.currency(ctx=ctx_of(cast_a.executive)) == "SEK"


def test_model_reads_customer_level_aggregates_only(cast_a):
    data = synthetic.make(n=300, effect=-0.8, seed=1)
    load_synthetic(cast_a.org, data)
    with CaptureQueriesContext(connection) as queries:
        value_model_run(organization=cast_a.org, as_of=data.as_of)
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    # Every read of answers is grouped (or ranked to one row per customer); none returns raw answers.
    answer_reads = [sql for sql in selects if '"surveys_answer"' in sql]
    assert answer_reads and all("GROUP BY" in sql or "ROW_NUMBER" in sql for sql in answer_reads)
    assert len(queries) < 30


def test_touchpoint_values_are_empty_before_any_snapshot_and_come_from_the_latest_one(cast_a):
    ctx = ctx_of(cast_a.cx_manager)
    assert selectors.touchpoint_values(ctx=ctx) == {}
    assert selectors.currency(ctx=ctx) == cast_a.org.currency
    older = ValueSnapshot.objects.create(
        organization=cast_a.org,
        status="done",
        currency="SEK",
        computed_at="2026-01-01T00:00:00Z",
        results={
            "touchpoints": [
                {
                    "touchpoint_id": 5,
                    "supported": True,
                    "value_per_point": 1.0,
                    "low": 0.5,
                    "high": 1.5,
                    "n_customers": 200,
                }
            ]
        },
    )
    ValueSnapshot.objects.create(
        organization=cast_a.org,
        status="done",
        currency="SEK",
        computed_at="2026-02-01T00:00:00Z",
        results={
            "touchpoints": [
                {
                    "touchpoint_id": 5,
                    "supported": False,
                    "value_per_point": None,
                    "reason_code": "too_few_customers",
                    "reason_params": {"n": 12, "min": 100},
                    "n_customers": 12,
                }
            ]
        },
    )
    ValueSnapshot.objects.create(organization=cast_a.org, status="failed", computed_at="2026-03-01T00:00:00Z")
    tv = selectors.touchpoint_values(ctx=ctx)[5]
    assert tv.supported is False and tv.value_per_point is None and tv.n_customers == 12
    assert "Only 12 customers" in tv.reason and "100" in tv.reason
    assert older.pk  # the older, supported figure is not used


def test_snapshots_of_another_organization_are_invisible(cast_a, cast_b):
    data = synthetic.make(n=300, effect=-0.8, seed=1)
    load_synthetic(cast_b.org, data)
    value_model_run(organization=cast_b.org, as_of=data.as_of)
    assert selectors.touchpoint_values(ctx=ctx_of(cast_a.admin)) == {}
    assert selectors.value_snapshot_latest(ctx=ctx_of(cast_a.admin)) is None


def test_too_few_customers_is_stored_as_unsupported_with_a_reason(cast_a):
    data = synthetic.make(n=60, effect=-1.5, seed=9)
    touchpoint = load_synthetic(cast_a.org, data)
    snapshot = value_model_run(organization=cast_a.org, as_of=data.as_of)
    tv = selectors.touchpoint_values(ctx=ctx_of(cast_a.cx_manager))[touchpoint.pk]
    assert tv.supported is False and tv.value_per_point is None
    assert "Only 60 customers" in tv.reason
    assert snapshot.results["revenue_at_risk"]["supported"] is False
    note = next(n for n in snapshot.explanations if n["section"] == "categories")
    assert note["reason_code"] == "too_few_customers"
    assert note["reason_params"] | {"n": 60, "min": 100, "metric": "nps"} == note["reason_params"]


def test_recompute_request_runs_the_task_and_does_not_queue_twice(cast_a, django_capture_on_commit_callbacks):
    ctx = ctx_of(cast_a.cx_manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = value_recompute_request(ctx=ctx)
        second = value_recompute_request(ctx=ctx)
    assert first.pk == second.pk and len(callbacks) == 1
    assert first.status == ValueSnapshot.Status.PENDING and first.requested_by == cast_a.cx_manager.user
    callbacks[0]()  # the eager Celery task
    first.refresh_from_db()
    assert first.status == ValueSnapshot.Status.DONE and first.computed_at is not None
    # A finished run can be claimed only once.
    assert value_model_run(organization=cast_a.org, snapshot_id=first.pk) is None


def test_nightly_task_computes_a_snapshot_for_every_organization(cast_a, cast_b):
    from value.tasks import run_model

    run_model.delay()
    assert ValueSnapshot.objects.filter(organization=cast_a.org, status="done").count() == 1
    assert ValueSnapshot.objects.filter(organization=cast_b.org, status="done").count() == 1


def test_management_command_runs_the_model_for_one_organization(cast_a, cast_b, capsys):
    call_command("run_value_model", "--org", cast_a.org.slug)
    assert ValueSnapshot.objects.filter(organization=cast_a.org, status="done").count() == 1
    assert not ValueSnapshot.objects.filter(organization=cast_b.org).exists()
    assert f"{cast_a.org.slug}: done" in capsys.readouterr().out


def test_old_snapshots_are_pruned(cast_a, settings):
    settings.VALUE_SNAPSHOTS_KEPT = 2
    for _ in range(4):
        value_model_run(organization=cast_a.org)
    assert ValueSnapshot.objects.filter(organization=cast_a.org).count() == 2


def test_the_nightly_run_is_registered_with_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="value.run_model")
    assert task.enabled and (task.crontab.hour, task.crontab.minute) == ("2", "30")
    assert task.kwargs in ("{}", "") and task.args in ("[]", "")


def test_a_lost_request_does_not_block_recomputation_for_ever(cast_a, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    lost = ValueSnapshot.objects.create(organization=cast_a.org)
    ValueSnapshot.objects.filter(pk=lost.pk).update(requested_at=timezone.now() - dt.timedelta(hours=3))
    ctx = ctx_of(cast_a.cx_manager)
    assert selectors.value_snapshot_in_progress(ctx=ctx) is None
    with django_capture_on_commit_callbacks(execute=True):
        fresh = value_recompute_request(ctx=ctx)
    assert fresh.pk != lost.pk
    fresh.refresh_from_db()
    assert fresh.status == ValueSnapshot.Status.DONE
