"""Fixtures of the outbox tests: messages made directly, a mail server that fails on demand, a dead broker."""

from __future__ import annotations

import contextlib
import socket

import pytest
from django.core.mail.backends import locmem
from django.db import transaction
from django.utils import timezone

from core.tasks import enqueue_reset
from cxplatform.celery import app
from outbox.models import OutboxMessage
from outbox.services import Email, outbox_enqueue
from tests.actions.conftest import build_loop


@pytest.fixture
def loop(cast_a):
    """Org A's closed loop (tests.actions.conftest): a team with a frontline member and a lead, a rule, a customer."""
    return build_loop(cast_a)


def make_messages(organization, n: int, *, kind: str = "test.note", **fields) -> list[OutboxMessage]:
    """`n` pending messages to n different recipients, written directly (no task queued)."""
    now = timezone.now()
    rows = [
        OutboxMessage(
            organization=organization,
            kind=kind,
            dedupe_key=f"test:{i}:person{i}@example.com",
            recipient=f"person{i}@example.com",
            subject=f"Message {i}",
            body=f"Body {i}",
            next_attempt_at=now,
            created_at=now,
            **fields,
        )
        for i in range(n)
    ]
    return OutboxMessage.objects.bulk_create(rows)


def enqueue(organization, key: str, *recipients: str, kind: str = "test.note", subject: str = "Hello", **extra):
    """`outbox_enqueue` in a transaction of its own (its send task is queued when it commits)."""
    with transaction.atomic():
        return outbox_enqueue(
            organization_id=organization.pk,
            kind=kind,
            key=key,
            emails=[Email(recipient=r, subject=subject, body="Body", **extra) for r in recipients],
        )


class MailServer:
    """Switch the test mail backend (locmem) between accepting and refusing messages."""

    def __init__(self, monkeypatch):
        self._monkeypatch = monkeypatch
        self.refused = 0

    def down(self, error: Exception | None = None) -> None:
        server = self

        def refuse(backend, messages):
            server.refused += len(list(messages))
            raise error or ConnectionRefusedError("the mail server is down")

        self._monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)

    def up(self) -> None:
        self._monkeypatch.undo()


@pytest.fixture
def mail_server(monkeypatch):
    return MailServer(monkeypatch)


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_publisher_pools() -> None:
    # The producer pool is bound to the broker URL it was created with.
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def unreachable_broker():
    """Publish this process's tasks to a Redis URL where nothing listens, as kombu does during a broker outage."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = f"redis://127.0.0.1:{closed_port()}/0", False
    _reset_publisher_pools()
    enqueue_reset()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        _reset_publisher_pools()
        enqueue_reset()
