"""Writes of the outbox: enqueue in the caller's transaction, claim, send, retry with backoff, sweep.

Exactly one e-mail per event and recipient comes from three parts:
1. `outbox_enqueue` inserts one row per recipient inside the transaction of the change (the case insert, the
   escalation level update), with a dedupe key unique per event and recipient; ON CONFLICT DO NOTHING, so a repeated
   follow-up inserts nothing. The rows commit or roll back with the change: a broker outage cannot lose them.
2. A sender claims due rows (pending -> sending) before talking to the mail server: on PostgreSQL with
   SELECT ... FOR UPDATE SKIP LOCKED (concurrent senders take disjoint rows without waiting on each other), elsewhere
   (the SQLite demo) with one conditional UPDATE per row. Either way two senders never hold the same row.
3. The row is marked sent right after the server accepted the message; an error puts it back to pending with an
   exponential backoff, or to failed after OUTBOX_MAX_ATTEMPTS.
A worker that dies between 2 and 3 leaves the row in "sending"; after OUTBOX_SENDING_TIMEOUT_SECONDS the sweep claims
it again (at-least-once for that case, as reports.delivery chooses and for the same reason: losing the e-mail
whenever a worker dies during the seconds of an SMTP conversation is worse than a duplicate that needs the worker to
die in the milliseconds between the server's "250 OK" and our UPDATE). Each row carries a stable Message-ID, so such a
repeat is recognisable as the same message.

Subjects and bodies are rendered by the app when it enqueues, in the recipient's language under the app's own rules:
the outbox sends what the app wrote and never imports the apps that use it, and a row is a record of what was sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from outbox import kinds
from outbox.dispatch import task_delay_on_commit
from outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status
PURGE_BATCH = 5000


@dataclass(frozen=True)
class Email:
    """One e-mail to one recipient, already rendered in their language."""

    recipient: str
    subject: str
    body: str
    html_body: str = ""
    language: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def dedupe_key(key: str, recipient: str) -> str:
    return f"{key}:{recipient.strip().lower()}"


def message_id(dedupe: str) -> str:
    """A Message-ID that is the same for every attempt at one row (the dedupe key hashed: no address in it)."""
    domain = urlsplit(settings.SITE_URL).hostname or "cxplatform.local"
    return f"<outbox-{hashlib.sha256(dedupe.encode()).hexdigest()[:32]}@{domain}>"


def outbox_enqueue(
    *, organization_id: int, kind: str, key: str, emails: Iterable[Email], ref_id: int | None = None
) -> list[int]:
    """Add one message per recipient to the caller's transaction; sent once it commits. The ids of the pending rows.

    `key` names the event ("case:123:team_notified"); the recipient's address is appended, so each recipient gets
    the event's e-mail once however often this is called. Must run inside a transaction (the change it reports).
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("outbox_enqueue must run inside the transaction of the change it reports")
    now = timezone.now()
    rows: dict[str, OutboxMessage] = {}
    for email in emails:
        recipient = email.recipient.strip()
        if not recipient:
            continue
        dedupe = dedupe_key(key, recipient)
        headers = {"Message-ID": message_id(dedupe), **email.headers}
        if email.language:
            headers.setdefault("Content-Language", email.language)
        rows.setdefault(
            dedupe,
            OutboxMessage(
                organization_id=organization_id,
                kind=kind,
                ref_id=ref_id,
                dedupe_key=dedupe,
                recipient=recipient,
                subject=email.subject,
                body=email.body,
                html_body=email.html_body,
                headers=headers,
                language=email.language,
                next_attempt_at=now,
                created_at=now,
            ),
        )
    if not rows:
        return []
    OutboxMessage.objects.bulk_create(rows.values(), ignore_conflicts=True)  # ON CONFLICT DO NOTHING
    pending = list(
        OutboxMessage.objects.filter(dedupe_key__in=list(rows), status=Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if pending:
        from outbox.tasks import send_messages

        task_delay_on_commit(send_messages, pending)
    return pending


# --- sending -----------------------------------------------------------------------------------------------------


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2x base, 4x base, ... up to the maximum."""
    seconds = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS))


def _due(now: dt.datetime) -> Q:
    stale = now - dt.timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS)
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lt=stale, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS
    )


def _skip_locked() -> bool:
    return settings.OUTBOX_CLAIM != "portable" and connection.features.has_select_for_update_skip_locked


def outbox_claim(*, now: dt.datetime, limit: int, ids: list[int] | None = None) -> list[int]:
    """Take up to `limit` due rows (of `ids`, if given) for this sender: the ids now ours, in "sending"."""
    due = OutboxMessage.objects.filter(_due(now))
    if ids is not None:
        due = due.filter(pk__in=ids)
    due = due.order_by("next_attempt_at", "pk")
    claim = {"status": Status.SENDING, "claimed_at": now, "attempts": F("attempts") + 1}
    if _skip_locked():
        # Rows another sender has locked are skipped, not waited for; a row it claimed and committed meanwhile no
        # longer matches when PostgreSQL re-checks the condition on lock.
        with transaction.atomic():
            picked = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            if picked:
                OutboxMessage.objects.filter(pk__in=picked).update(**claim)
        return picked
    # Portable (SQLite): the condition is checked again by each row's own UPDATE; only the sender whose UPDATE
    # still matches gets the row. A sender that lost every row of its pick to another looks again (the rows it
    # lost are no longer due): "nothing claimed" must mean "nothing due", or it would stop while work is left.
    while candidates := list(due.values_list("pk", flat=True)[:limit]):
        won = [pk for pk in candidates if OutboxMessage.objects.filter(_due(now), pk=pk).update(**claim)]
        if won:
            return won
    return []


def _email(message: OutboxMessage, connection) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        to=[message.recipient],
        headers=dict(message.headers or {}),
        connection=connection,
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    return email


def _release(message: OutboxMessage, **fields) -> bool:
    # Only while the row is still this sender's claim (the sweep may have claimed a row that went stale).
    return bool(
        OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING, claimed_at=message.claimed_at).update(
            **fields
        )
    )


def _failed(message: OutboxMessage, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    attempts = message.attempts
    if attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        logger.error("outbox message %s (%s) failed for good: %s", message.pk, message.kind, error)
        _release(message, status=Status.FAILED, last_error=error)
    else:
        logger.warning("outbox message %s (%s) failed, attempt %s: %s", message.pk, message.kind, attempts, error)
        _release(
            message,
            status=Status.PENDING,
            next_attempt_at=timezone.now() + retry_delay(attempts),
            last_error=error,
        )


def _deliver(message: OutboxMessage, connection) -> bool:
    """Send one claimed message; True if it was sent now."""
    kind = kinds.get(message.kind)
    try:
        if kind.still_wanted is not None and not kind.still_wanted(message):
            _release(message, status=Status.CANCELLED, last_error="No longer wanted when its turn came.")
            return False
        _email(message, connection).send()
    except Exception as exc:
        _failed(message, exc)
        connection.close()  # a broken SMTP session is opened afresh for the next message
        return False
    message.sent_at = timezone.now()
    if not _release(message, status=Status.SENT, sent_at=message.sent_at, last_error=""):
        logger.warning("outbox message %s was sent after its claim went stale", message.pk)
    if kind.on_sent is not None:
        try:
            with transaction.atomic():
                kind.on_sent(message)
        except Exception:
            logger.exception("outbox message %s (%s): on_sent failed; the e-mail was sent", message.pk, message.kind)
    return True


def _send_claimed(ids: list[int]) -> int:
    if not ids:
        return 0
    messages = list(OutboxMessage.objects.filter(pk__in=ids, status=Status.SENDING).order_by("pk"))
    mail_connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    try:
        return sum(_deliver(message, mail_connection) for message in messages)
    finally:
        mail_connection.close()


def outbox_send(*, message_ids: list[int], now: dt.datetime | None = None) -> int:
    """Send these messages if they are due and nobody else holds them (the after-commit task). The number sent."""
    sent = 0
    batch = settings.OUTBOX_BATCH_SIZE
    for start in range(0, len(message_ids), batch):
        chunk = message_ids[start : start + batch]
        sent += _send_claimed(outbox_claim(now=now or timezone.now(), limit=len(chunk), ids=chunk))
    return sent


def outbox_send_due(*, now: dt.datetime | None = None, limit: int | None = None) -> int:
    """Send due messages, a batch at a time, up to `limit` (OUTBOX_SWEEP_MAX_MESSAGES). The number claimed."""
    limit = limit or settings.OUTBOX_SWEEP_MAX_MESSAGES
    batch = settings.OUTBOX_BATCH_SIZE
    claimed_total = 0
    while claimed_total < limit:
        ids = outbox_claim(now=now or timezone.now(), limit=min(batch, limit - claimed_total))
        if not ids:
            break
        claimed_total += len(ids)
        _send_claimed(ids)
    return claimed_total


def outbox_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic sweep: give up on stuck rows with no attempts left, send what is due, drop old finished rows."""
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS)
    given_up = OutboxMessage.objects.filter(
        status=Status.SENDING, claimed_at__lt=stale, attempts__gte=settings.OUTBOX_MAX_ATTEMPTS
    ).update(status=Status.FAILED, last_error="The worker sending it stopped; no attempts left.")
    claimed = outbox_send_due(now=now)
    cutoff = now - dt.timedelta(days=settings.OUTBOX_KEEP_DAYS)
    old = list(
        OutboxMessage.objects.filter(
            status__in=[Status.SENT, Status.FAILED, Status.CANCELLED], created_at__lt=cutoff
        ).values_list("pk", flat=True)[:PURGE_BATCH]
    )
    purged = OutboxMessage.objects.filter(pk__in=old).delete()[0] if old else 0
    return {"claimed": claimed, "failed": given_up, "purged": purged}
