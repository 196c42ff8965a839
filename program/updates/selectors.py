"""Reads of "you said, we did": updates and their recipients, the recovery report, the improvement page's panel.

Every read takes the caller's context and returns rows of its organization only. Recipient lists name customers,
so they are for the roles that read the whole program (admins, CX managers, executives); the panel on the
improvement page shows counts only and is seen by every role.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scoping import WRITE_PROGRAM_ROLES, OrgContext, get_in_org
from actions.models import ImprovementAction
from core.scales import metric_label, scale_for_metric
from outbox.models import OutboxMessage
from program.models import CustomerUpdate, CustomerUpdateRecipient
from program.updates.audience import Audience, customer_update_audience, language_label, update_blocker
from program.updates.recovery import Recovery, min_pairs_for, recovery
from program.updates.resurvey import resurvey_reason_label
from program.updates.services import KIND, case_first_scores
from surveys.models import Answer

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# Who reads the recipient lists (customer names): those who read the whole program. Frontline staff see the
# improvement page's panel (counts only).
READ_ROLES = WRITE_PROGRAM_ROLES | {Role.EXECUTIVE}


def can_read_updates(ctx: OrgContext) -> bool:
    return ctx.role in READ_ROLES


class _Counts(TypedDict):
    recipient_count: int
    sent_count: int


def customer_update_list(
    *, ctx: OrgContext, action: ImprovementAction | None = None
) -> QuerySet[WithAnnotations[CustomerUpdate, _Counts]]:
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

    @property
    def language_label(self) -> str:
        return language_label(self.recipient.language)

    @property
    def resurvey_state(self) -> str:
        """ "" (no re-survey), "due" (its day has not come or not been decided yet), "invited" or "not_invited"."""
        r = self.recipient
        if r.resurvey_due_at is None and r.resurvey_decided_at is None:
            return ""
        if r.resurvey_decided_at is None:
            return "due"
        return "invited" if r.invitation_id else "not_invited"

    @property
    def resurvey_reason_label(self) -> str:
        return resurvey_reason_label(self.recipient.resurvey_reason) if self.recipient.resurvey_reason else ""


@dataclass
class RecoveryReport:
    rows: list[RecipientRow] = field(default_factory=list)
    recovery: Recovery | None = None
    # The customers of the same cases who were not told (no consent, no address, ...) over the same time: the
    # comparison for regression to the mean.
    comparison: Recovery | None = None
    waiting: int = 0  # told (e-mail sent) with a first score, no next answer yet
    not_sent: int = 0  # e-mail cancelled or failed: not told, not counted
    pending_send: int = 0  # e-mail not gone out yet: not counted until it has

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


@dataclass(frozen=True)
class _Wanted:
    """Whose next answer to look for: a customer's first answer of `metric` at `touchpoint_id` after `cutoff`."""

    key: int
    customer_id: int
    metric: str
    touchpoint_id: int
    cutoff: dt.datetime


def _next_answers(ctx: OrgContext, wanted: list[_Wanted]) -> dict[int, tuple[float, dt.datetime]]:
    """key -> (score, time) of each customer's first answer of the metric at the touchpoint after their cutoff.
    One query."""
    if not wanted:
        return {}
    answers = (
        Answer.objects.filter(
            organization_id=ctx.org_id,
            response__customer_id__in={w.customer_id for w in wanted},
            metric__in={w.metric for w in wanted},
            touchpoint_id__in={w.touchpoint_id for w in wanted},
            value__isnull=False,
            response__submitted_at__gt=min(w.cutoff for w in wanted),
        )
        .order_by("response__submitted_at", "pk")
        .values_list("response__customer_id", "metric", "touchpoint_id", "value", "response__submitted_at")
    )
    by_key: dict[tuple[int, str, int], list[tuple[float, dt.datetime]]] = {}
    for customer_id, metric, touchpoint_id, value, at in answers:
        if value is None:  # excluded by the query; the column may be NULL
            continue
        by_key.setdefault((customer_id, metric, touchpoint_id), []).append((value, at))
    found = {}
    for w in wanted:
        for value, at in by_key.get((w.customer_id, w.metric, w.touchpoint_id), []):
            if at > w.cutoff:
                found[w.key] = (value, at)
                break
    return found


def _told_wanted(recipients: list[CustomerUpdateRecipient]) -> list[_Wanted]:
    """Only customers actually told count: after their e-mail went out (and never the case's own answer)."""
    return [
        _Wanted(
            key=r.pk,
            customer_id=r.customer_id,
            metric=r.first_metric,
            touchpoint_id=r.case.touchpoint_id,
            cutoff=max(d for d in (r.sent_at, r.first_at) if d is not None),
        )
        for r in recipients
        if r.sent_at is not None and r.first_metric and r.case is not None and r.case.touchpoint_id
    ]


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
    return {ref_id: status for ref_id, status in rows if ref_id is not None}


def _comparison(
    ctx: OrgContext, action: ImprovementAction, *, metric: str, since: dt.datetime, min_pairs: int
) -> Recovery:
    """The same pairs for the customers of the action's cases (opened by `since`) who were never told about it:
    their first score against their first answer at the same touchpoint after `since` (the update). Three
    queries."""
    told = CustomerUpdateRecipient.objects.filter(organization_id=ctx.org_id, action=action).values("customer_id")
    cases = (
        action.cases.filter(organization_id=ctx.org_id, customer__isnull=False, opened_at__lte=since)
        .exclude(customer_id__in=told)
        .exclude(touchpoint__isnull=True)
        .order_by("opened_at", "pk")
        .values_list("customer_id", "response_id", "touchpoint_id", "response__submitted_at")
    )
    earliest: dict[int, tuple[int, int, dt.datetime]] = {}
    for customer_id, response_id, touchpoint_id, submitted_at in cases:
        earliest.setdefault(customer_id, (response_id, touchpoint_id, submitted_at))
    firsts = case_first_scores([response_id for response_id, _tp, _at in earliest.values()], metric)
    wanted, first_of = [], {}
    for customer_id, (response_id, touchpoint_id, submitted_at) in earliest.items():
        first = firsts.get(response_id)
        if first is None or first[0] != metric:
            continue
        first_of[customer_id] = first[1]
        wanted.append(
            _Wanted(
                key=customer_id,
                customer_id=customer_id,
                metric=metric,
                touchpoint_id=touchpoint_id,
                cutoff=max(since, submitted_at),
            )
        )
    nexts = _next_answers(ctx, wanted)
    pairs = [(first_of[key], score) for key, (score, _at) in nexts.items()]
    return recovery(metric, pairs, min_pairs=min_pairs)


def customer_update_recovery(
    *, ctx: OrgContext, action: ImprovementAction, update: CustomerUpdate | None = None
) -> RecoveryReport:
    """Per recipient of the action (of one update, if given): first score, next score; the paired recovery of the
    customers actually told (e-mail sent), and the same for the customers of the cases who were not told."""
    qs = (
        CustomerUpdateRecipient.objects.for_org(ctx.organization)
        .filter(action=action)
        .select_related("customer", "case", "update", "invitation")
        .order_by("customer__name", "customer__external_id", "pk")
    )
    if update is not None:
        qs = qs.filter(update=update)
    recipients = list(qs)
    nexts = _next_answers(ctx, _told_wanted(recipients))
    states = _email_states(ctx, recipients)
    report = RecoveryReport()
    for r in recipients:
        score, at = nexts.get(r.pk, (None, None))
        report.rows.append(RecipientRow(recipient=r, email_status=states.get(r.pk, ""), next_score=score, next_at=at))
        if r.sent_at is None:
            if states.get(r.pk) in (OutboxMessage.Status.CANCELLED, OutboxMessage.Status.FAILED):
                report.not_sent += 1
            else:
                report.pending_send += 1
    metric = _main_metric(action, recipients)
    if metric:
        min_pairs = min_pairs_for(ctx.organization)
        counted = [
            row
            for row in report.rows
            if row.recipient.sent_at is not None
            and row.recipient.first_metric == metric
            and row.recipient.first_score is not None
        ]
        pairs = [
            (row.recipient.first_score, row.next_score)
            for row in counted
            if row.recipient.first_score is not None and row.next_score is not None
        ]
        report.recovery = recovery(metric, pairs, min_pairs=min_pairs)
        report.waiting = sum(1 for row in counted if row.next_score is None)
        since = update.created_at if update is not None else min(r.update.created_at for r in recipients)
        report.comparison = _comparison(ctx, action, metric=metric, since=since, min_pairs=min_pairs)
    return report


# --- the improvement page's panel -------------------------------------------------------------------------------


@dataclass
class Panel:
    action: ImprovementAction
    blocker: str
    updates: list[WithAnnotations[CustomerUpdate, _Counts]]
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
