"""The monthly schedule: each organization's first working day in its own time zone, last month's report once even
when beat fires twice, and `report_ready` after commit with the trigger."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from reports.models import MonthlyReport
from reports.periodic import PERIODIC_TASKS
from reports.services import first_working_day, organizations_due, report_generate, reports_monthly_run
from reports.signals import report_ready
from reports.tasks import generate_monthly_reports
from tests.reports.monthly_helpers import build

UTC = dt.UTC


@pytest.mark.parametrize(
    "month,expected",
    [
        (dt.date(2026, 11, 1), dt.date(2026, 11, 2)),  # Sunday -> Monday
        (dt.date(2026, 8, 1), dt.date(2026, 8, 3)),  # Saturday -> Monday
        (dt.date(2026, 10, 1), dt.date(2026, 10, 1)),  # Thursday
        (dt.date(2026, 12, 15), dt.date(2026, 12, 1)),  # any day of the month names its month
    ],
)
def test_first_working_day(month, expected):
    assert first_working_day(month) == expected


@pytest.mark.django_db
def test_organizations_are_due_on_their_own_local_first_working_day(cast_a, cast_b):
    cast_a.org.timezone = "Europe/Stockholm"
    cast_a.org.save()
    cast_b.org.timezone = "America/New_York"
    cast_b.org.save()
    # Monday 2 November 2026, 00:30 in Stockholm; still Sunday 1 November in New York.
    now = dt.datetime(2026, 11, 2, 0, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    due = {org.pk: month for org, month in organizations_due(now=now)}
    assert due == {cast_a.org.pk: dt.date(2026, 10, 1)}
    # Later that Monday it is Monday in New York too.
    later = dt.datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    assert {org.pk for org, _m in organizations_due(now=later)} == {cast_a.org.pk, cast_b.org.pk}
    # Tuesday: nobody.
    assert organizations_due(now=dt.datetime(2026, 11, 3, 12, 0, tzinfo=UTC)) == []


@pytest.mark.django_db(transaction=True)
def test_beat_firing_twice_makes_one_scheduled_version_and_one_signal(cast_a, cast_b):
    build(cast_a.org)
    received = []

    def receiver(sender, report_id, trigger, **kwargs):
        received.append((report_id, trigger))

    report_ready.connect(receiver)
    try:
        now = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        first = reports_monthly_run(now=now)
        second = reports_monthly_run(now=now)
    finally:
        report_ready.disconnect(receiver)
    assert len(first) == 2  # both organizations (cast_b's report is empty but made)
    assert second == []
    reports = MonthlyReport.objects.filter(organization=cast_a.org)
    assert reports.count() == 1
    report = reports.get()
    assert (report.month, report.version, report.trigger, report.status) == (
        dt.date(2026, 10, 1),
        1,
        MonthlyReport.Trigger.SCHEDULE,
        MonthlyReport.Status.READY,
    )
    assert (report.pk, MonthlyReport.Trigger.SCHEDULE) in received
    assert len(received) == 2
    # On demand, a new version is still made for the same month.
    again = report_generate(organization=cast_a.org, month=dt.date(2026, 10, 1), trigger="on_demand")
    assert again.version == 2


@pytest.mark.django_db
def test_the_task_runs_the_schedule_for_today(cast_a, settings):
    # Whatever today is, the task makes a report exactly when today is the first working day somewhere.
    result = generate_monthly_reports.apply().get()
    assert MonthlyReport.objects.filter(pk__in=result).count() == len(result)


@pytest.mark.django_db
def test_the_beat_entry_is_registered_the_projects_way():
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    entry = next(e for e in PERIODIC_TASKS if e["task"] == "reports.generate_monthly_reports")
    call_command("setup_periodic_tasks", verbosity=0)
    call_command("setup_periodic_tasks", verbosity=0)
    task = PeriodicTask.objects.get(name=entry["name"])
    assert task.task == "reports.generate_monthly_reports"
    assert task.crontab.hour == "3" and task.crontab.minute == "30"
    assert task.crontab.day_of_month == "*"


@pytest.mark.django_db
def test_a_version_whose_task_was_lost_is_generated_by_the_requeue_sweep(cast_a):
    from reports.services import report_create_pending, reports_requeue_pending

    build(cast_a.org)
    lost = report_create_pending(organization=cast_a.org, month=dt.date(2026, 10, 1), trigger="on_demand")
    fresh = report_create_pending(organization=cast_a.org, month=dt.date(2026, 10, 1), trigger="on_demand")
    MonthlyReport.objects.filter(pk=lost.pk).update(created_at=dt.datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    assert reports_requeue_pending(now=dt.datetime(2026, 11, 3, 9, 0, tzinfo=UTC)) == [lost.pk]  # tasks run eagerly
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == MonthlyReport.Status.READY and lost.figures["summary"]["headline"]["n"] > 0
    assert fresh.status == MonthlyReport.Status.PENDING  # its task may still be on its way
