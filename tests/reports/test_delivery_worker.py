"""Exactly one e-mail per subscriber with a real Celery worker on real Redis, when the worker is killed mid-send.

Worker 1 talks to a mail server that accepts the connection and never answers, so its first send hangs after the
claim; the test kills it (SIGKILL) right there. Worker 2 (a working mail backend, writing files) sends what was still
queued; the claim of the dead worker, once stale, is reopened by the sweep and sent once. report_ready and the sweep
arriving again change nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import subprocess
import threading
import time
from email import message_from_bytes
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from reports.delivery.tasks import process_ready_report, sweep_report_deliveries
from reports.models import MonthlyReport, ReportDelivery
from tests.factories import MembershipFactory, UserFactory
from tests.live_worker import broker_key, publishing_to, redis_or_fail, start_worker, stop_worker, wait_for
from tests.reports.test_pdf import last_month, make_org

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LIVE_BROKER = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7")
ROOT = Path(settings.BASE_DIR)


def live_broker():
    """Publish this process's tasks to the live broker (under the run's key prefix) instead of running them eagerly."""
    return publishing_to(LIVE_BROKER)


@pytest.fixture
def redis_client():
    client = redis_or_fail(LIVE_BROKER)
    keys = [broker_key(name) for name in ("celery", "unacked", "unacked_index")]
    client.delete(*keys)
    yield client
    client.delete(*keys)


@pytest.fixture
def silent_smtp():
    """A 'mail server' that accepts connections and never says a word (the sender hangs after its claim)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                conn, _addr = server.accept()
                held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    server.close()


def start_report_worker(tmp_path: Path, name: str, email_url: str) -> subprocess.Popen:
    process = start_worker(
        app="cxplatform",
        name=f"report-{name}",
        broker=LIVE_BROKER,
        log=tmp_path / f"{name}.log",
        env={"EMAIL_URL": email_url, "BROWSER_PATH": "/usr/bin/chromium"},
    )
    assert "reports.delivery.send" in process.log.read_text(), "the worker knows the delivery tasks"
    return process


def recipients_in(outbox: Path) -> list[str]:
    """Every recipient of every message the file backend wrote (one 79-dash line after each message)."""
    found = []
    for path in sorted(outbox.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = message_from_bytes(chunk.lstrip(b"\n"))
                found.append(message["To"])
    return sorted(found)


def test_a_worker_killed_mid_send_still_means_one_email_per_subscriber(redis_client, silent_smtp, tmp_path):
    from reports.services import report_generate

    org, executive = make_org()
    subscribers = [executive.user.email]
    for i in range(2):
        member = MembershipFactory(organization=org, user=UserFactory(username=f"exec-{i}"), role="executive")
        subscribers.append(member.user.email)
    outbox = tmp_path / "outbox"
    outbox.mkdir()

    first = start_report_worker(tmp_path, "doomed", f"smtp://127.0.0.1:{silent_smtp}")
    try:
        with live_broker():
            report = report_generate(organization=org, month=last_month(), trigger=MonthlyReport.Trigger.SCHEDULE)
            assert report.status == MonthlyReport.Status.READY
            deliveries = ReportDelivery.objects.filter(report=report)
            wait_for(lambda: deliveries.filter(state="sending").exists(), 90, "a send to hang after its claim")
            first.kill()  # SIGKILL: no cleanup, no ack, no "failed" mark
            first.wait(10)
    finally:
        stop_worker(first)
    stuck = deliveries.get(state="sending")
    assert deliveries.count() == 3 and deliveries.filter(state="pending").count() == 2
    assert MonthlyReport.objects.get(pk=report.pk).pdf is not None

    # django-environ drops one leading slash of a filemail path, hence four.
    second = start_report_worker(tmp_path, "healthy", f"filemail:///{outbox}")
    try:
        with live_broker():
            # The queued sends go out; the dead worker's claim waits for the sweep until it is stale.
            wait_for(lambda: deliveries.filter(state="sent").count() == 2, 60, "the queued sends")
            sweep_report_deliveries.delay()
            time.sleep(2)
            assert deliveries.get(pk=stuck.pk).state == "sending", "a fresh claim is left alone"
            ReportDelivery.objects.filter(pk=stuck.pk).update(claimed_at=timezone.now() - dt.timedelta(hours=1))
            sweep_report_deliveries.delay()
            wait_for(lambda: deliveries.filter(state="sent").count() == 3, 60, "the sweep to resend the stuck one")
            # report_ready (the task behind it) and the sweep again: nothing more.
            process_ready_report.delay(report.pk)
            process_ready_report.delay(report.pk)
            sweep_report_deliveries.delay()
            wait_for(lambda: redis_client.llen(broker_key("celery")) == 0, 60, "the queue to drain")
            time.sleep(3)
    finally:
        stop_worker(second)

    assert recipients_in(outbox) == sorted(subscribers), second.log.read_text()[-3000:]
    stuck.refresh_from_db()
    assert (stuck.state, stuck.attempts) == ("sent", 2)
    assert deliveries.count() == 3
