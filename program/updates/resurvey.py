"""The re-survey of "you said, we did", decided on its day.

When a message is sent, each recipient only gets `resurvey_due_at` (the update's days after their e-mail went out).
No invitation is made then: a held invitation is what the contact rules use for a touchpoint event's priority window
(about an hour), so one held for weeks would refuse the customer's other events ("lower priority"), be withdrawn
silently by a higher-priority one, and be judged against the quarantine on the wrong day.

`resurveys_decide_due` (the periodic task program.resurveys_due, every 15 minutes) takes each due recipient once and
asks the contact rules as they stand that day (surveys.distribution.services.contact_decide, no hold: consent to be
surveyed, quarantine, pending invitations): an invitation to the survey and touchpoint of their case, sent at once,
or none with the reason. A recipient whose e-mail never went out (cancelled or failed) is not re-surveyed
("not_sent"); one whose e-mail is still in the outbox is looked at again a day later. Each recipient is
claimed in its own transaction (row lock with SKIP LOCKED on PostgreSQL, and a conditional UPDATE on every database),
so two workers, a retried task or a second run never decide anyone twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from outbox.models import OutboxMessage
from program.models import CustomerUpdateRecipient
from program.updates.services import KIND
from surveys.models import ContactDecision

logger = logging.getLogger(__name__)

BATCH = 500
EMAIL_GRACE = dt.timedelta(days=1)
NOT_SENT = "not_sent"
NO_CASE = "no_case"
OWN_REASONS = {
    NOT_SENT: gettext_lazy("The message was not sent (consent withdrawn, address changed or not delivered)"),
    NO_CASE: gettext_lazy("The case and its answer are gone"),
}


def resurvey_reason_label(code: str) -> str:
    """The reason a recipient was not re-surveyed, in the reader's language (the contact rules' own labels)."""
    if code in OWN_REASONS:
        return str(OWN_REASONS[code])
    try:
        return str(ContactDecision.Reason(code).label)
    except ValueError:
        return code


def _skip_locked() -> bool:
    """Row locks that other workers skip (PostgreSQL); SQLite has none and serializes its writers anyway."""
    return connection.features.has_select_for_update_skip_locked


def _due(now: dt.datetime) -> QuerySet[CustomerUpdateRecipient]:
    return CustomerUpdateRecipient.objects.filter(resurvey_due_at__lte=now, resurvey_decided_at__isnull=True)


def _decide(recipient: CustomerUpdateRecipient, now: dt.datetime) -> None:
    from surveys.distribution.services import contact_decide

    reason = ""
    if recipient.sent_at is None:
        reason = NOT_SENT
    elif recipient.case is None:
        reason = NO_CASE
    else:
        response = recipient.case.response
        decision = contact_decide(
            organization=recipient.organization,
            customer=recipient.customer,
            touchpoint=response.touchpoint,
            survey=response.survey,
            source=ContactDecision.Source.MANUAL,
            language=recipient.language,
            hold_minutes=0,
            require_email=True,
            now=now,
        )
        recipient.invitation_id = decision.invitation_id
        if decision.invitation_id is None:
            reason = decision.reason
    recipient.resurvey_reason = reason
    recipient.resurvey_decided_at = now
    recipient.save(update_fields=["invitation", "resurvey_reason", "resurvey_decided_at"])


def _email_on_its_way(recipient_id: int) -> bool:
    """The message is still waiting in the outbox (not sent, not cancelled, not failed for good)."""
    return OutboxMessage.objects.filter(
        kind=KIND,
        ref_id=recipient_id,
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING],
    ).exists()


def _decide_one(pk: int, now: dt.datetime) -> bool:
    """Decide one recipient if it is still due and nobody else holds it; True if this call decided it."""
    with transaction.atomic():
        rows = _due(now).filter(pk=pk)
        if _skip_locked():
            rows = rows.select_for_update(skip_locked=True)
        row = rows.values_list("pk", "sent_at").first()
        if row is None:
            return False  # decided meanwhile, or another worker is deciding it right now
        if row[1] is None and _email_on_its_way(pk):
            # Not told yet, but the outbox is still trying: look again in a day (when the e-mail goes out, the
            # outbox's hook counts the days from then).
            _due(now).filter(pk=pk).update(resurvey_due_at=now + EMAIL_GRACE)
            return False
        # The conditional claim: on SQLite (no row locks) the second of two writers finds nothing left to claim.
        if not _due(now).filter(pk=pk).update(resurvey_decided_at=now):
            return False
        recipient = CustomerUpdateRecipient.objects.select_related(
            "organization", "customer", "case__response__survey", "case__response__touchpoint"
        ).get(pk=pk)
        _decide(recipient, now)
    return True


def resurveys_decide_due(*, now: dt.datetime | None = None, limit: int = BATCH) -> int:
    """Decide the re-survey of every recipient due by `now` (up to `limit`; the next run takes the rest); how many
    were decided. A recipient whose decision fails is logged and stays due for the next run."""
    now = now or timezone.now()
    ids = list(_due(now).order_by("resurvey_due_at", "pk").values_list("pk", flat=True)[:limit])
    decided = 0
    for pk in ids:
        try:
            decided += _decide_one(pk, now)
        except Exception:
            logger.exception("re-survey of customer update recipient %s could not be decided", pk)
    return decided
