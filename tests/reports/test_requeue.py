"""A broker outage loses no on-demand report: the user gets the normal page, the version waits PENDING, the
`reports.requeue_pending` sweep queues it again once the broker is back, and it is generated (and announced) once;
a version being generated is locked, so neither the sweep nor a second task touches it."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

import reports.services
from reports.models import MonthlyReport
from reports.services import report_create_pending, reports_requeue_pending
from reports.signals import report_ready
from reports.tasks import generate_report, requeue_pending_reports
from tests.live_worker import broker_key, publishing_to, redis_or_fail
from tests.outbox.conftest import unreachable_broker
from tests.reports.monthly_helpers import MONTH, build

LIVE_BROKER = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7")


def requested_long_ago(report: MonthlyReport) -> None:
    long_ago = timezone.now() - dt.timedelta(seconds=reports.services.settings.REPORTS_REQUEUE_AFTER_SECONDS + 1)
    MonthlyReport.objects.filter(pk=report.pk).update(created_at=long_ago)


@pytest.fixture
def announced():
    """Ids of the versions `report_ready` announced, in order."""
    seen: list[int] = []

    def receiver(sender, report_id, **kwargs):
        seen.append(report_id)

    report_ready.connect(receiver, weak=False)
    yield seen
    report_ready.disconnect(receiver)


@pytest.fixture
def live_redis():
    client = redis_or_fail(LIVE_BROKER)
    client.delete(broker_key("celery"))
    yield client
    client.delete(broker_key("celery"))


@pytest.mark.redis
@pytest.mark.django_db
def test_a_report_requested_while_the_broker_is_down_is_generated_once_after_the_sweep_queues_it(
    client_for, cast_a, django_capture_on_commit_callbacks, announced, live_redis
):
    build(cast_a.org)
    client = client_for(cast_a.cx_manager)
    with unreachable_broker(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:generate"), {"month": MONTH.strftime("%Y-%m")})
    report = MonthlyReport.objects.get()
    assert response.status_code == 302 and response.url == reverse("reports:report_detail", args=[report.pk])
    assert b'data-testid="report-pending"' in client.get(response.url).content
    assert report.status == MonthlyReport.Status.PENDING

    with publishing_to(LIVE_BROKER):  # the broker is back
        assert reports_requeue_pending() == []  # requested moments ago: its task may still be on its way
        requested_long_ago(report)
        assert requeue_pending_reports.apply().get(disable_sync_subtasks=False) == [report.pk]
        reports_requeue_pending()  # the next sweep, while the message still waits: not queued again
    messages = [json.loads(raw) for raw in live_redis.lrange(broker_key("celery"), 0, -1)]
    assert [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages] == [
        ("reports.generate_report", [report.pk])
    ]

    # The worker takes the message; a redelivery (or the lost original turning up) generates nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert generate_report.apply(args=[report.pk]).get(disable_sync_subtasks=False) == MonthlyReport.Status.READY
    report.refresh_from_db()
    generated_at = report.generated_at
    with django_capture_on_commit_callbacks(execute=True):
        assert generate_report.apply(args=[report.pk]).get(disable_sync_subtasks=False) == MonthlyReport.Status.READY
    report.refresh_from_db()
    assert report.generated_at == generated_at and report.figures["summary"]["headline"]["n"] > 0
    assert announced == [report.pk]
    assert reports_requeue_pending() == []


@pytest.mark.django_db(transaction=True)
def test_a_version_being_generated_is_neither_queued_again_nor_generated_twice(cast_a, announced, monkeypatch):
    build(cast_a.org)
    report = report_create_pending(organization=cast_a.org, month=MONTH, trigger=MonthlyReport.Trigger.ON_DEMAND)
    requested_long_ago(report)
    computing, release, computed = threading.Event(), threading.Event(), []
    real_figures = reports.services.report_figures

    def slow_figures(**kwargs):  # the real computation, held at its start until the test has looked
        computed.append(kwargs["month"])
        computing.set()
        assert release.wait(30)
        return real_figures(**kwargs)

    monkeypatch.setattr(reports.services, "report_figures", slow_figures)

    def worker():
        try:
            generate_report.apply(args=[report.pk]).get(disable_sync_subtasks=False)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert computing.wait(30)
        assert reports_requeue_pending() == []  # locked by the generating task: not lost
        assert (
            generate_report.apply(args=[report.pk]).get(disable_sync_subtasks=False) == MonthlyReport.Status.PENDING
        )  # a second task skips it
    finally:
        release.set()
        thread.join(30)
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.READY
    assert computed == [MONTH] and announced == [report.pk]
    assert reports_requeue_pending() == []


@pytest.mark.django_db
def test_the_sweep_is_registered_with_beat():
    from django_celery_beat.models import PeriodicTask

    call_command("setup_periodic_tasks", verbosity=0)
    task = PeriodicTask.objects.get(name="reports.requeue_pending")
    assert task.enabled and task.task == "reports.requeue_pending" and task.interval.every == 60
