"""Reads of "you said, we did": updates and their recipients, the recovery report, the improvement page's panel.

Every read takes the caller's context and returns rows of its organization only. Recipient lists name customers,
so they are for the roles that read the whole program (admins, CX managers, executives); the panel on the
improvement page shows counts only and is seen by every role.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scoping import WRITE_PROGRAM_ROLES, OrgContext, get_in_org
from actions.models import ImprovementAction
from core.scales import metric_label, scale_for_metric
from outbox.models import OutboxMessage
from program.models import CustomerUpdate, CustomerUpdateRecipient
from program.updates.audience import Audience, customer_update_audience, language_label, update_blocker
from program.updates.recovery import Recovery, recovery
from program.updates.services import KIND
from surveys.models import Answer, ContactDecision

# Who reads the recipient lists (customer names): those who read the whole program. Frontline staff see the
# improvement page's panel (counts only).
READ_ROLES = WRITE_PROGRAM_ROLES | {Role.EXECUTIVE}


def can_read_updates(ctx: OrgContext) -> bool:
    return ctx.role in READ_ROLES


def customer_update_list(*, ctx: OrgContext, action: ImprovementAction | None = None) -> QuerySet[CustomerUpdate]:
    qs = (
        CustomerUpdate.objects.for_org(ctx.organization)
        .select_related("action", "created_by")
        .annotate(
            recipient_count=Count("recipients", distinct=True),
            sent_count=Count("recipients", filter=Q(recipients__sent_at__isnull=False), distinct=True),
        )
        .order_by("-created_at", "-pk")
    )
    return qs.filter(action=action) if action is not None else qs


def customer_update_get(*, ctx: OrgContext, pk: int) -> CustomerUpdate:
    return get_in_org(customer_update_list(ctx=ctx), ctx, pk=pk)


# --- recovery --------------------------------------------------------------------------------------------------


@dataclass
class RecipientRow:
    """One recipient as the update page shows them: the e-mail's state, the re-survey, first and next score."""

    recipient: CustomerUpdateRecipient
    email_status: str = ""
    next_score: float | None = None
    next_at: dt.datetime | None = None
    decision: ContactDecision | None = None

    @property
    def language_label(self) -> str:
        return language_label(self.recipient.language)


@dataclass
class RecoveryReport:
    rows: list[RecipientRow] = field(default_factory=list)
    recovery: Recovery | None = None
    waiting: int = 0  # recipients with a first score and no next answer yet

    @property
    def metric_label(self) -> str:
        return metric_label(self.recovery.metric) if self.recovery is not None else ""

    @property
    def bad_band_label(self) -> str:
        """What the bad band is called on the recovery's scale."""
        scale = scale_for_metric(self.recovery.metric) if self.recovery is not None else None
        if scale is None or scale.is_nps:
            return _("detractors")
        if scale.is_binary:
            return _("answered no")
        return _("bottom box")


def _next_answers(ctx: OrgContext, recipients: list[CustomerUpdateRecipient]) -> dict[int, tuple[float, dt.datetime]]:
    """Recipient id -> (score, time) of the customer's first answer of the same metric at the same touchpoint after
    the message was sent. One query."""
    wanted = [r for r in recipients if r.first_metric and r.case_id is not None and r.case.touchpoint_id]
    if not wanted:
        return {}
    # After the message (after the update was made while the e-mail waits), and never the case's own answer.
    cutoffs = {r.pk: max(d for d in (r.sent_at or r.update.created_at, r.first_at) if d is not None) for r in wanted}
    answers = (
        Answer.objects.filter(
            organization_id=ctx.org_id,
            response__customer_id__in={r.customer_id for r in wanted},
            metric__in={r.first_metric for r in wanted},
            touchpoint_id__in={r.case.touchpoint_id for r in wanted},
            value__isnull=False,
            response__submitted_at__gt=min(cutoffs.values()),
        )
        .order_by("response__submitted_at", "pk")
        .values_list("response__customer_id", "metric", "touchpoint_id", "value", "response__submitted_at")
    )
    by_key: dict[tuple[int, str, int], list[tuple[float, dt.datetime]]] = {}
    for customer_id, metric, touchpoint_id, value, at in answers:
        by_key.setdefault((customer_id, metric, touchpoint_id), []).append((value, at))
    found = {}
    for r in wanted:
        for value, at in by_key.get((r.customer_id, r.first_metric, r.case.touchpoint_id), []):
            if at > cutoffs[r.pk]:
                found[r.pk] = (value, at)
                break
    return found


def _main_metric(action: ImprovementAction, recipients: list[CustomerUpdateRecipient]) -> str:
    """The metric the recovery is reported on: the one most recipients' first score is on (figures never mix
    scales); on a tie the action's own metric."""
    counts = Counter(r.first_metric for r in recipients if r.first_metric and r.first_score is not None)
    if not counts:
        return ""
    preferred = action.impact_metric or action.metric
    top = max(counts.values())
    return preferred if counts.get(preferred) == top else sorted(m for m, n in counts.items() if n == top)[0]


def _email_states(ctx: OrgContext, recipients: list[CustomerUpdateRecipient]) -> dict[int, str]:
    rows = OutboxMessage.objects.filter(
        organization_id=ctx.org_id, kind=KIND, ref_id__in=[r.pk for r in recipients]
    ).values_list("ref_id", "status")
    return dict(rows)


def _decisions(update: CustomerUpdate, recipients: list[CustomerUpdateRecipient]) -> dict[int, ContactDecision]:
    """The re-survey decision of each customer (contact_decide stamped it with the update's time)."""
    if not update.resurvey_after_days:
        return {}
    rows = ContactDecision.objects.filter(
        organization_id=update.organization_id,
        customer_id__in=[r.customer_id for r in recipients],
        created_at=update.created_at,
        source=ContactDecision.Source.MANUAL,
    ).order_by("pk")
    return {d.customer_id: d for d in rows}


def customer_update_recovery(
    *, ctx: OrgContext, action: ImprovementAction, update: CustomerUpdate | None = None
) -> RecoveryReport:
    """Per recipient of the action (of one update, if given): first score, next score; and the paired recovery."""
    qs = (
        CustomerUpdateRecipient.objects.for_org(ctx.organization)
        .filter(action=action)
        .select_related("customer", "case", "update", "invitation")
        .order_by("customer__name", "customer__external_id", "pk")
    )
    if update is not None:
        qs = qs.filter(update=update)
    recipients = list(qs)
    nexts = _next_answers(ctx, recipients)
    states = _email_states(ctx, recipients)
    decisions = _decisions(update, recipients) if update is not None else {}
    report = RecoveryReport()
    for r in recipients:
        score, at = nexts.get(r.pk, (None, None))
        report.rows.append(
            RecipientRow(
                recipient=r,
                email_status=states.get(r.pk, ""),
                next_score=score,
                next_at=at,
                decision=decisions.get(r.customer_id),
            )
        )
    metric = _main_metric(action, recipients)
    if metric:
        pairs = [
            (row.recipient.first_score, row.next_score)
            for row in report.rows
            if row.recipient.first_metric == metric
            and row.recipient.first_score is not None
            and row.next_score is not None
        ]
        report.recovery = recovery(metric, pairs)
        report.waiting = sum(
            1
            for row in report.rows
            if row.recipient.first_metric == metric and row.recipient.first_score is not None and row.next_score is None
        )
    return report


# --- the improvement page's panel -------------------------------------------------------------------------------


@dataclass
class Panel:
    action: ImprovementAction
    blocker: str
    updates: list[CustomerUpdate]
    audience: Audience | None
    report: RecoveryReport | None
    can_send: bool
    can_read: bool

    @property
    def told(self) -> int:
        return sum(u.recipient_count for u in self.updates)


def improvement_updates_panel(*, ctx: OrgContext, action: ImprovementAction) -> Panel:
    """What the improvement page shows about telling customers: why not yet, or who would be told; what was sent
    and how the customers told answered since."""
    blocker = update_blocker(action)
    updates = list(customer_update_list(ctx=ctx, action=action))
    audience = None if blocker else customer_update_audience(ctx=ctx, action=action)
    report = customer_update_recovery(ctx=ctx, action=action) if updates else None
    return Panel(
        action=action,
        blocker=blocker,
        updates=updates,
        audience=audience,
        report=report,
        can_send=ctx.can_edit_program and audience is not None and bool(audience.eligible),
        can_read=can_read_updates(ctx),
    )


def languages_of(update: CustomerUpdate) -> list[tuple[str, str, str]]:
    """(code, language name, text) of each message of an update."""
    return [(code, language_label(code), text) for code, text in (update.messages or {}).items()]
