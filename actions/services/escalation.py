"""SLA escalation, run every few minutes by the `actions.escalate_cases` beat task.

Level 1 (NEARING): a share of the SLA has passed (ACTIONS_SLA_WARNING_FRACTION): the team lead is reminded.
Level 2 (OVERDUE): the SLA has passed: the CX managers are alerted (team lead and assignee in copy).
Each level is claimed with a conditional UPDATE (`escalation_level < level`), so it is reached once however often
the task runs and however many workers run it; its e-mails are outbox rows written in the same transaction, so they
go out (each recipient once) even if the broker or the mail server is down at that moment. A case found already
overdue goes straight to level 2.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from actions.models import OPEN_STATUSES, CaseEvent, EscalationLevel, FeedbackCase
from actions.services.cases import case_event_add
from actions.services.notifications import case_escalation_enqueue


def cases_escalate(*, now: dt.datetime | None = None, batch: int | None = None) -> dict[int, int]:
    """Escalate every due case of every organization; returns {level: number of cases escalated now}."""
    now = now or timezone.now()
    batch = batch or settings.ACTIONS_ESCALATION_BATCH
    sent = {EscalationLevel.OVERDUE: 0, EscalationLevel.NEARING: 0}
    for level, due_field in ((EscalationLevel.OVERDUE, "due_at"), (EscalationLevel.NEARING, "warn_at")):
        candidates = list(
            FeedbackCase.objects.filter(
                status__in=OPEN_STATUSES, escalation_level__lt=level, **{f"{due_field}__lte": now}
            )
            .order_by(due_field)
            .values_list("pk", flat=True)[:batch]
        )
        for case_id in candidates:
            if case_escalate(case_id=case_id, level=level, now=now):
                sent[level] += 1
    return {int(k): v for k, v in sent.items()}


def case_escalate(*, case_id: int, level: int, now: dt.datetime | None = None) -> bool:
    """Claim one escalation level of one case and queue its e-mails; False if someone else already did."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = FeedbackCase.objects.filter(pk=case_id, status__in=OPEN_STATUSES, escalation_level__lt=level).update(
            escalation_level=level, escalated_at=now
        )
        if not claimed:
            return False
        case = FeedbackCase.objects.select_related("organization", "team", "team__lead", "assignee", "touchpoint").get(
            pk=case_id
        )
        to = case_escalation_enqueue(case=case, level=level)
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.ESCALATED,
            old="",
            new=str(EscalationLevel(level).label),
            note=", ".join(to),
            at=now,
        )
    return True
