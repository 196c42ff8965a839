"""Two senders at once, each on its own PostgreSQL connection: no message is sent twice, none is left out."""

import threading
import time
from collections import Counter

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.services import outbox_claim, outbox_send_due
from tests.outbox.conftest import make_messages

pytestmark = pytest.mark.django_db(transaction=True)


def run_in_threads(*functions, timeout: float = 60) -> list:
    """Run each function in its own thread (own database connection); their results, or re-raise their errors."""
    results: list = [None] * len(functions)
    errors: list[BaseException] = []

    def run(i, function):
        try:
            results[i] = function()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a sender hung"
    if errors:
        raise errors[0]
    return results


@pytest.mark.parametrize("claim", ["auto", "portable"])
def test_two_senders_draining_the_outbox_together_send_every_message_once(cast_a, settings, monkeypatch, claim):
    settings.OUTBOX_CLAIM, settings.OUTBOX_BATCH_SIZE = claim, 10
    make_messages(cast_a.org, 60)
    # Each sender waits for the other inside its first send: both hold claimed batches at the same moment.
    both_sending = threading.Barrier(2, timeout=20)
    first_send = threading.local()
    accept = locmem.EmailBackend.send_messages
    senders: Counter = Counter()

    def send_slowly(backend, messages):
        if not getattr(first_send, "done", False):
            first_send.done = True
            both_sending.wait()
        senders[threading.current_thread().name] += 1
        time.sleep(0.002)
        return accept(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", send_slowly)
    claimed = run_in_threads(outbox_send_due, outbox_send_due)

    assert sum(claimed) == 60 and all(claimed)  # both worked
    assert len(senders) == 2
    recipients = Counter(m.to[0] for m in mail.outbox)
    assert len(recipients) == 60 and set(recipients.values()) == {1}
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_sender_skips_rows_another_holds_instead_of_waiting_for_them(cast_a):
    make_messages(cast_a.org, 10)
    holding = threading.Event()
    release = threading.Event()
    held: list[int] = []

    def hold_a_claim_open():
        # A sender claimed 4 rows and has not committed yet (or is about to crash).
        with transaction.atomic():
            held.extend(outbox_claim(now=timezone.now(), limit=4))
            holding.set()
            release.wait(20)
            transaction.set_rollback(True)  # it crashes: the claim is undone

    def claim_beside_it():
        assert holding.wait(20)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting on the other sender's rows would fail here
        try:
            started = time.monotonic()
            mine = outbox_claim(now=timezone.now(), limit=10)
            return mine, time.monotonic() - started
        finally:
            release.set()

    _none, (mine, seconds) = run_in_threads(hold_a_claim_open, claim_beside_it)
    assert len(held) == 4 and len(mine) == 6 and not set(held) & set(mine)
    assert seconds < 1.5
    # The crashed sender's rows are pending again and go out with the next sweep.
    assert sorted(OutboxMessage.objects.filter(status="pending").values_list("pk", flat=True)) == sorted(held)
    assert outbox_send_due() == 4
