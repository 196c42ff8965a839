"""Monthly health snapshots: the first run backfills twelve months (each as of its last day), later runs upsert this
month (and last month once more if its last day was missed), twice gives the same rows; the daily task and its beat
entry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from program.health import services
from program.health.months import add_months, local_today, month_end, month_start
from program.health.rules import HISTORY_MONTHS
from program.models import HealthSnapshot, ProgramSettings
from program.periodic import PERIODIC_TASKS
from program.tasks import health_snapshots_task
from tests.program.test_health_criteria import World, at

pytestmark = pytest.mark.django_db


def coverage(snapshot: HealthSnapshot) -> dict:
    return next(c for c in snapshot.criteria if c["code"] == "survey_coverage")


def test_the_first_run_backfills_twelve_months_each_as_of_its_last_day(cast_a):
    org = cast_a.org
    world = World(org, 1, min_n=2)
    today = local_today(org)
    this_month = month_start(today)
    two_back = add_months(this_month, -2)
    # Two responses on the last day of the month two months back: that month's snapshot counts them, as do the
    # months after it while they stay inside 90 days; the month before does not.
    for _ in range(2):
        world.respond(world.tps[0], at(org, month_end(two_back), 20))
    months = services.health_snapshots_refresh(organization=org)
    assert months == [add_months(this_month, -back) for back in range(HISTORY_MONTHS - 1, -1, -1)]
    snapshots = {s.month: s for s in HealthSnapshot.objects.for_org(org)}
    assert len(snapshots) == HISTORY_MONTHS
    assert coverage(snapshots[two_back])["status"] == "met"
    assert coverage(snapshots[add_months(two_back, -1)])["status"] == "not_met"
    assert coverage(snapshots[this_month])["evidence"]["covered"] == (
        1 if (today - month_end(two_back)).days < 90 else 0
    )
    # Criteria without history read today's state in every month.
    assert all(
        next(c for c in s.criteria if c["code"] == "journeys_mapped")["status"] == "met" for s in snapshots.values()
    )
    assert {s.stage for s in snapshots.values()} == {"engagement"}
    assert all(set(s.scores) == {"engagement", "insight", "action", "integration"} for s in snapshots.values())


def test_running_again_upserts_the_same_rows(cast_a):
    org = cast_a.org
    World(org, 2)
    services.health_snapshots_refresh(organization=org)
    before = {s.month: (s.pk, s.criteria, s.computed_at) for s in HealthSnapshot.objects.for_org(org)}
    months = services.health_snapshots_refresh(organization=org)
    assert months == [month_start(local_today(org))]  # last month is final: only this month again
    after = {s.month: (s.pk, s.criteria, s.computed_at) for s in HealthSnapshot.objects.for_org(org)}
    assert set(after) == set(before) and len(after) == HISTORY_MONTHS
    assert all(after[m][0] == before[m][0] and after[m][1] == before[m][1] for m in after)
    this_month = month_start(local_today(org))
    assert after[this_month][2] > before[this_month][2]  # recomputed
    assert after[add_months(this_month, -1)][2] == before[add_months(this_month, -1)][2]  # untouched


def test_a_change_shows_in_this_months_snapshot_only(cast_a):
    org = cast_a.org
    World(org, 1)
    services.health_snapshots_refresh(organization=org)
    row = ProgramSettings.objects.create(organization=org, owner=cast_a.cx_manager.user)
    row.steering_group.set([cast_a.admin.user, cast_a.executive.user])
    snapshot = services.health_snapshot_upsert(organization=org, month=local_today(org))
    assert next(c for c in snapshot.criteria if c["code"] == "program_owner")["status"] == "met"
    previous = HealthSnapshot.objects.get(organization=org, month=add_months(month_start(local_today(org)), -1))
    assert next(c for c in previous.criteria if c["code"] == "program_owner")["status"] == "not_met"
    assert HealthSnapshot.objects.for_org(org).count() == HISTORY_MONTHS


def test_last_month_is_computed_again_when_its_last_day_was_missed(cast_a):
    org = cast_a.org
    this_month = month_start(local_today(org))
    previous = add_months(this_month, -1)
    services.health_snapshots_refresh(organization=org)
    HealthSnapshot.objects.filter(organization=org, month=previous).update(
        computed_at=at(org, previous + dt.timedelta(days=10))
    )
    assert services.health_snapshots_refresh(organization=org) == [previous, this_month]
    assert HealthSnapshot.objects.get(organization=org, month=previous).computed_at > timezone.now() - dt.timedelta(
        minutes=1
    )


def test_a_month_that_has_not_started_has_no_health(cast_a):
    with pytest.raises(ValueError):
        services.health_snapshot_upsert(
            organization=cast_a.org, month=add_months(month_start(local_today(cast_a.org)), 1)
        )


def test_the_daily_task_stores_this_month_for_every_organization(cast_a, cast_b):
    health_snapshots_task.apply()
    for org in (cast_a.org, cast_b.org):
        assert HealthSnapshot.objects.for_org(org).count() == HISTORY_MONTHS  # the first run backfills
    health_snapshots_task.apply()
    assert HealthSnapshot.objects.for_org(cast_a.org).count() == HISTORY_MONTHS
    health_snapshots_task.apply(kwargs={"organization_id": cast_a.org.pk})
    assert HealthSnapshot.objects.count() == 2 * HISTORY_MONTHS


def test_the_beat_entry_is_registered_the_projects_way():
    from django_celery_beat.models import PeriodicTask

    from core.periodic_tasks import declared_tasks

    entry = next(e for e in PERIODIC_TASKS if e["name"] == "program.health_snapshots")
    assert entry["name"] == "program.health_snapshots"
    assert any(e["name"] == entry["name"] for e in declared_tasks())
    call_command("setup_periodic_tasks", verbosity=0)
    call_command("setup_periodic_tasks", verbosity=0)
    task = PeriodicTask.objects.get(name="program.health_snapshots")
    assert task.task == health_snapshots_task.name == "program.health_snapshots"
    assert task.crontab.hour == "4" and task.crontab.minute == "45" and task.crontab.day_of_month == "*"


def test_months_a_stopped_scheduler_missed_are_filled_in(cast_a):
    org = cast_a.org
    services.health_snapshots_refresh(organization=org)
    this_month = month_start(local_today(org))
    gone = [add_months(this_month, -5), add_months(this_month, -4)]
    HealthSnapshot.objects.filter(organization=org, month__in=gone).delete()
    assert services.health_snapshots_refresh(organization=org) == [*gone, this_month]
    assert HealthSnapshot.objects.for_org(org).count() == HISTORY_MONTHS


def test_the_demo_step_sets_the_program_marks_reports_read_and_stores_twelve_months(cast_a):
    import random

    from demo.seed import SeedContext
    from demo.seed import program_health as demo_step
    from reports.models import ReportDelivery
    from tests.program.test_health_criteria import _deliveries

    org = cast_a.org
    World(org, 2)
    users = {"cx": cast_a.cx_manager.user, "exec": cast_a.executive.user, "anders.falk": cast_a.admin.user}
    _deliveries(org, [cast_a.executive.user, cast_a.admin.user, cast_a.cx_manager.user], read=0, sent_days_ago=10)

    def run() -> dict:
        sc = SeedContext(organization=org, users=users, rng=random.Random(7), log=lambda _message: None)
        sc.today = local_today(org)
        demo_step.seed(sc)
        return {
            "read": sorted(ReportDelivery.objects.filter(read_at__isnull=False).values_list("pk", flat=True)),
            "snapshots": list(HealthSnapshot.objects.for_org(org).order_by("month").values_list("month", "stage")),
        }

    first = run()
    row = ProgramSettings.objects.get(organization=org)
    assert row.owner == cast_a.cx_manager.user
    assert set(row.steering_group.all()) == {cast_a.cx_manager.user, cast_a.executive.user, cast_a.admin.user}
    assert len(first["snapshots"]) == HISTORY_MONTHS and first["read"]
    assert all(
        d.read_at <= timezone.now() and d.read_at > d.sent_at for d in ReportDelivery.objects.exclude(read_at=None)
    )
    current = HealthSnapshot.objects.get(organization=org, month=month_start(local_today(org)))
    assert next(c for c in current.criteria if c["code"] == "program_owner")["status"] == "met"
    ReportDelivery.objects.update(read_at=None)
    assert run() == first  # deterministic for a seed
