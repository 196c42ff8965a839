"""The outbox: rows written in the caller's transaction, sent once per recipient, retried with backoff, swept."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from outbox import kinds
from outbox.models import OutboxMessage
from outbox.services import message_id, outbox_claim, outbox_sweep, retry_delay
from outbox.tasks import sweep_outbox
from tests.outbox.conftest import enqueue, make_messages

pytestmark = pytest.mark.django_db

Status = OutboxMessage.Status


def statuses() -> dict[str, str]:
    return dict(OutboxMessage.objects.values_list("recipient", "status"))


def test_one_row_per_recipient_and_a_repeated_enqueue_adds_none(cast_a):
    first = enqueue(cast_a.org, "case:1:team_notified", "Alice@example.com", "bob@example.com", "alice@example.com")
    assert len(first) == 2
    assert set(OutboxMessage.objects.values_list("dedupe_key", flat=True)) == {
        "case:1:team_notified:alice@example.com",
        "case:1:team_notified:bob@example.com",
    }
    again = enqueue(cast_a.org, "case:1:team_notified", "alice@example.com", "bob@example.com")
    assert sorted(again) == sorted(first) and OutboxMessage.objects.count() == 2
    assert mail.outbox == []  # nothing is sent before the transaction commits


def test_the_messages_go_out_after_commit_once_each(cast_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(cast_a.org, "note:7", "a@example.com", "b@example.com", html_body="<p>Hej</p>", language="sv")
    assert sorted(m.to for m in mail.outbox) == [["a@example.com"], ["b@example.com"]]
    message = next(m for m in mail.outbox if m.to == ["a@example.com"])
    assert message.subject == "Hello" and message.body == "Body"
    assert message.alternatives[0][0] == "<p>Hej</p>"
    assert message.extra_headers["Message-ID"] == message_id("note:7:a@example.com")
    assert message.extra_headers["Content-Language"] == "sv"
    row = OutboxMessage.objects.get(recipient="a@example.com")
    assert row.status == Status.SENT and row.attempts == 1 and row.sent_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        assert enqueue(cast_a.org, "note:7", "a@example.com") == []  # already sent: nothing pending, nothing sent
    assert outbox_sweep()["claimed"] == 0
    assert len(mail.outbox) == 2


def test_messages_of_a_rolled_back_change_are_never_sent(cast_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        enqueue(cast_a.org, "note:8", "a@example.com")
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    outbox_sweep()
    assert mail.outbox == []


def test_the_backoff_doubles_up_to_its_maximum(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 60, 3600
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_failing_send_is_retried_with_backoff_then_marked_failed(cast_a, settings, mail_server):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    settings.OUTBOX_RETRY_BASE_SECONDS, settings.OUTBOX_RETRY_MAX_SECONDS = 60, 150
    [row] = make_messages(cast_a.org, 1)
    mail_server.down()
    t0 = timezone.now()

    def sweep_at(seconds: float) -> OutboxMessage:
        with time_machine.travel(t0 + dt.timedelta(seconds=seconds), tick=False):
            outbox_sweep()
        row.refresh_from_db()
        return row

    assert sweep_at(0).attempts == 1 and row.status == Status.PENDING
    assert row.next_attempt_at == t0 + dt.timedelta(seconds=60) and "mail server is down" in row.last_error
    assert sweep_at(59).attempts == 1  # not due yet
    assert sweep_at(60).attempts == 2 and row.next_attempt_at == t0 + dt.timedelta(seconds=60 + 120)
    assert sweep_at(180).attempts == 3 and row.next_attempt_at == t0 + dt.timedelta(seconds=180 + 150)  # capped
    assert sweep_at(330).attempts == 4 and row.status == Status.FAILED
    assert sweep_at(86400).attempts == 4
    mail_server.up()
    assert sweep_at(2 * 86400).status == Status.FAILED  # failed stays failed: nothing is sent late
    assert mail_server.refused == 4 and mail.outbox == []


def test_a_message_that_fails_once_is_sent_once_on_the_retry(cast_a, mail_server):
    make_messages(cast_a.org, 3)
    mail_server.down()
    outbox_sweep()
    assert set(statuses().values()) == {Status.PENDING}
    mail_server.up()
    assert outbox_sweep()["claimed"] == 0  # the retry is not due yet
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        assert outbox_sweep()["claimed"] == 3
        assert outbox_sweep()["claimed"] == 0
    assert sorted(m.to[0] for m in mail.outbox) == [f"person{i}@example.com" for i in range(3)]
    assert set(OutboxMessage.objects.values_list("attempts", flat=True)) == {2}


def test_messages_stuck_in_sending_are_claimed_again_after_the_timeout(cast_a, settings):
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS, settings.OUTBOX_MAX_ATTEMPTS = 600, 3
    now = timezone.now()
    stale, recent, exhausted = make_messages(cast_a.org, 3, status=Status.SENDING, attempts=1)
    OutboxMessage.objects.filter(pk=stale.pk).update(claimed_at=now - dt.timedelta(minutes=11))
    OutboxMessage.objects.filter(pk=recent.pk).update(claimed_at=now - dt.timedelta(minutes=1))
    OutboxMessage.objects.filter(pk=exhausted.pk).update(claimed_at=now - dt.timedelta(hours=1), attempts=3)
    assert outbox_sweep(now=now) == {"claimed": 1, "failed": 1, "purged": 0}
    assert [m.to for m in mail.outbox] == [[stale.recipient]]
    assert statuses() == {stale.recipient: "sent", recent.recipient: "sending", exhausted.recipient: "failed"}
    assert OutboxMessage.objects.get(pk=stale.pk).attempts == 2
    assert "stopped" in OutboxMessage.objects.get(pk=exhausted.pk).last_error


@pytest.mark.parametrize("claim", ["auto", "portable"])
def test_a_claimed_row_is_nobody_elses(cast_a, settings, claim):
    settings.OUTBOX_CLAIM = claim
    rows = make_messages(cast_a.org, 5)
    now = timezone.now()
    first = outbox_claim(now=now, limit=3)
    second = outbox_claim(now=now, limit=10)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert outbox_claim(now=now, limit=10) == [] and outbox_claim(now=now, limit=10, ids=[rows[0].pk]) == []
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(Status.SENDING, 1)}
    later = now + dt.timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS + 1)
    assert sorted(outbox_claim(now=later, limit=10)) == sorted(first + second)  # stale: claimed again, once
    assert outbox_claim(now=later, limit=10) == []


def test_a_portable_sender_that_loses_its_whole_pick_looks_again_instead_of_stopping(cast_a, settings):
    # Another sender claims the 3 rows this one just picked, between its SELECT and its UPDATEs (CI saw it happen):
    # "nothing claimed" would read as "nothing due" and leave the rest of the outbox unsent.
    settings.OUTBOX_CLAIM = "portable"
    rows = make_messages(cast_a.org, 5)
    now = timezone.now()
    taken: list[int] = []

    def the_other_sender_is_quicker(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not taken and sql.lstrip().upper().startswith("SELECT"):
            taken.extend(r.pk for r in rows[:3])
            OutboxMessage.objects.filter(pk__in=taken).update(status=Status.SENDING, claimed_at=now, attempts=1)
        return result

    from django.db import connection

    with connection.execute_wrapper(the_other_sender_is_quicker):
        mine = outbox_claim(now=now, limit=3)
    assert sorted(mine) == [r.pk for r in rows[3:]]


def test_the_claim_uses_skip_locked_on_postgresql_unless_told_otherwise(settings):
    from outbox.services import _skip_locked

    assert _skip_locked() is True
    settings.OUTBOX_CLAIM = "portable"
    assert _skip_locked() is False


@pytest.fixture
def hooked_kind():
    calls = {"wanted": True, "sent": [], "fail_on_sent": False}

    def still_wanted(message):
        return calls["wanted"]

    def on_sent(message):
        calls["sent"].append((message.pk, message.sent_at))
        if calls["fail_on_sent"]:
            raise RuntimeError("hook broke")

    kinds.register("test.hooked", still_wanted=still_wanted, on_sent=on_sent)
    yield calls
    kinds.unregister("test.hooked")


def test_a_message_no_longer_wanted_is_cancelled_and_not_sent(cast_a, hooked_kind):
    make_messages(cast_a.org, 1, kind="test.hooked")
    hooked_kind["wanted"] = False
    outbox_sweep()
    assert mail.outbox == [] and list(statuses().values()) == [Status.CANCELLED]
    assert hooked_kind["sent"] == []
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        assert outbox_sweep()["claimed"] == 0


def test_on_sent_runs_once_after_the_send_and_its_failure_sends_nothing_twice(cast_a, hooked_kind):
    [row] = make_messages(cast_a.org, 1, kind="test.hooked")
    hooked_kind["fail_on_sent"] = True
    outbox_sweep()
    row.refresh_from_db()
    assert row.status == Status.SENT and hooked_kind["sent"] == [(row.pk, row.sent_at)]
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        outbox_sweep()
    assert len(mail.outbox) == 1 and len(hooked_kind["sent"]) == 1


def test_finished_messages_are_deleted_after_the_retention(cast_a, settings):
    settings.OUTBOX_KEEP_DAYS = 90
    old = timezone.now() - dt.timedelta(days=91)
    sent, failed, pending = make_messages(cast_a.org, 3)
    OutboxMessage.objects.filter(pk=sent.pk).update(status=Status.SENT, created_at=old)
    OutboxMessage.objects.filter(pk=failed.pk).update(status=Status.FAILED, created_at=old)
    OutboxMessage.objects.filter(pk=pending.pk).update(created_at=old, next_attempt_at=timezone.now() + dt.timedelta(1))
    assert outbox_sweep()["purged"] == 2
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [pending.pk]


def test_the_sweep_is_a_task_scheduled_every_minute(cast_a):
    from core.periodic_tasks import declared_tasks
    from cxplatform.celery import app

    assert {"outbox.send", "outbox.sweep"} <= set(app.tasks)
    [entry] = [e for e in declared_tasks() if e["name"] == "outbox.sweep"]
    assert entry["task"] == "outbox.sweep" and entry["every_seconds"] == 60
    make_messages(cast_a.org, 2)
    assert sweep_outbox.delay().get()["claimed"] == 2 and len(mail.outbox) == 2
