"""Closed-loop analytics: SQL aggregates over one period, a fixed number of queries whatever the volume.

Per touchpoint and per team: detractors and the share of them with a case; cases, share contacted, share closed
within SLA, median time to first contact and to close. Then the root-cause Pareto of the period's cases and
the "next score" check: the customer's first NPS answer after their case was closed, against the score that
opened it (split by whether the customer was reached).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, BooleanField, Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team
from accounts.scoping import OrgContext
from actions.db import Median
from actions.models import OPEN_STATUSES, CaseStatus, FeedbackCase
from actions.selectors.cases import root_cause_labels
from journeys.models import Touchpoint
from surveys.models import Answer

DETRACTOR_MAX = 6


@dataclass
class LoopRow:
    key: int | None
    label: str
    detractors: int = 0
    detractors_with_case: int = 0
    cases: int = 0
    contacted: int = 0
    closed: int = 0
    closed_in_sla: int = 0
    overdue_open: int = 0
    median_first_contact: dt.timedelta | None = None
    median_close: dt.timedelta | None = None

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return 100.0 * part / whole if whole else None

    @property
    def share_detractors_with_case(self) -> float | None:
        return self._share(self.detractors_with_case, self.detractors)

    @property
    def share_contacted(self) -> float | None:
        return self._share(self.contacted, self.cases)

    @property
    def sla_decided(self) -> int:
        """Cases whose SLA outcome is known: closed, or open and already overdue."""
        return self.closed + self.overdue_open

    @property
    def share_closed_in_sla(self) -> float | None:
        return self._share(self.closed_in_sla, self.sla_decided)


@dataclass
class ParetoRow:
    root_cause_id: int
    label: str
    count: int
    cumulative_share: float


@dataclass
class OriginRow:
    """Closed cases whose problem started at one touchpoint (their origin, else their own touchpoint)."""

    touchpoint_id: int | None
    label: str
    count: int
    share: float
    cumulative_share: float


@dataclass
class OriginPair:
    """Closed cases whose problem started at one touchpoint and was felt by the customer at another."""

    origin_id: int
    origin_label: str
    felt_id: int | None
    felt_label: str
    count: int


@dataclass
class OriginPareto:
    rows: list[OriginRow] = field(default_factory=list)
    pairs: list[OriginPair] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.count for r in self.rows)


@dataclass
class NextScoreRow:
    contacted: bool
    n: int
    mean_before: float | None
    mean_after: float | None
    improved: int
    detractors_recovered: int  # came back as passive or promoter

    @property
    def share_improved(self) -> float | None:
        return 100.0 * self.improved / self.n if self.n else None


@dataclass
class LoopAnalytics:
    start: dt.date
    end: dt.date
    total: LoopRow
    by_touchpoint: list[LoopRow] = field(default_factory=list)
    by_team: list[LoopRow] = field(default_factory=list)
    pareto: list[ParetoRow] = field(default_factory=list)
    next_score: list[NextScoreRow] = field(default_factory=list)
    origin: OriginPareto | None = None  # only when asked for (the page's "by origin touchpoint" switch)


def _period_bounds(ctx: OrgContext, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = ctx.organization.zone
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _case_aggregates(now: dt.datetime) -> dict:
    return {
        "cases": Count("pk"),
        "contacted": Count("pk", filter=Q(first_contact_at__isnull=False)),
        "closed": Count("pk", filter=Q(status=CaseStatus.CLOSED)),
        "closed_in_sla": Count("pk", filter=Q(status=CaseStatus.CLOSED, closed_at__lte=F("due_at"))),
        "overdue_open": Count("pk", filter=Q(status__in=OPEN_STATUSES, due_at__lt=now)),
        "median_first_contact": Median("time_to_first_contact", output_field=DurationField()),
        "median_close": Median("time_to_close", output_field=DurationField()),
    }


def _detractor_aggregates(since: dt.datetime, until: dt.datetime, same_row: Q | None = None) -> dict:
    """Detractor responses, and those whose case is counted in the same row's "Cases": opened in the period and
    at the same touchpoint (per touchpoint) or with the same team (per team). Counting any case of the response
    (opened after the period, or moved to another team) gave "99 % with a case" next to "Cases 0"."""
    in_row = Q(response__feedback_case__opened_at__gte=since, response__feedback_case__opened_at__lt=until)
    if same_row is not None:
        in_row &= same_row
    return {
        "detractors": Count("response_id", distinct=True),
        "detractors_with_case": Count("response_id", filter=in_row, distinct=True),
    }


SAME_TOUCHPOINT = Q(response__feedback_case__touchpoint_id=F("touchpoint_id")) | Q(
    touchpoint_id__isnull=True, response__feedback_case__touchpoint_id__isnull=True
)
SAME_TEAM = Q(response__feedback_case__team_id=F("touchpoint__responsible_team_id")) | Q(
    touchpoint__responsible_team_id__isnull=True, response__feedback_case__team_id__isnull=True
)


def _fill(row: LoopRow, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


def _fill_by(rows: dict[int | None, LoopRow], key: str, grouped: Iterable[Mapping[str, Any]]) -> None:
    """Add each grouped row's figures to the LoopRow of its `key` value (created on first sight)."""
    for values in grouped:
        figures = dict(values)
        row_key = figures.pop(key)
        _fill(rows.setdefault(row_key, LoopRow(row_key, "")), figures)


def loop_analytics(*, ctx: OrgContext, start: dt.date, end: dt.date, by_origin: bool = False) -> LoopAnalytics:
    """Every figure of the closed-loop analytics page for cases opened (and detractors answering) in the period;
    with `by_origin`, also the Pareto of closed cases by the touchpoint where the problem started."""
    now = timezone.now()
    since, until = _period_bounds(ctx, start, end)
    cases = FeedbackCase.objects.for_org(ctx.organization).filter(opened_at__gte=since, opened_at__lt=until)
    detractors = Answer.objects.for_org(ctx.organization).filter(
        metric="nps", value__lte=DETRACTOR_MAX, submitted_on__gte=start, submitted_on__lte=end
    )

    by_tp: dict[int | None, LoopRow] = {}
    tp_key = "touchpoint_id"
    tp_detractors = _detractor_aggregates(since, until, SAME_TOUCHPOINT)
    _fill_by(by_tp, tp_key, detractors.values(tp_key).annotate(**tp_detractors).order_by())
    _fill_by(by_tp, tp_key, cases.values(tp_key).annotate(**_case_aggregates(now)).order_by())

    by_team: dict[int | None, LoopRow] = {}
    team_key = "touchpoint__responsible_team_id"
    team_detractors = _detractor_aggregates(since, until, SAME_TEAM)
    _fill_by(by_team, team_key, detractors.values(team_key).annotate(**team_detractors).order_by())
    _fill_by(by_team, "team_id", cases.values("team_id").annotate(**_case_aggregates(now)).order_by())

    total = LoopRow(None, "")
    _fill(total, detractors.aggregate(**_detractor_aggregates(since, until)))
    _fill(total, cases.aggregate(**_case_aggregates(now)))

    tp_names = dict(
        Touchpoint.objects.for_org(ctx.organization)
        .filter(pk__in=[k for k in by_tp if k is not None])
        .values_list("pk", "name")
    )
    team_names = dict(
        Team.objects.for_org(ctx.organization)
        .filter(pk__in=[k for k in by_team if k is not None])
        .values_list("pk", "name")
    )
    for key, row in by_tp.items():
        row.label = (
            tp_names.get(key, "") if key is not None else str(_("No touchpoint (journey or relationship survey)"))
        )
    for key, row in by_team.items():
        row.label = team_names.get(key, "") if key is not None else str(_("No team"))

    return LoopAnalytics(
        start=start,
        end=end,
        total=total,
        by_touchpoint=sorted(by_tp.values(), key=lambda r: (-r.detractors, -r.cases, r.label)),
        by_team=sorted(by_team.values(), key=lambda r: (-r.cases, -r.detractors, r.label)),
        pareto=root_cause_pareto(ctx=ctx, cases=cases),
        next_score=next_score_after_close(ctx=ctx, start=since, end=until),
        origin=origin_pareto(ctx=ctx, cases=cases) if by_origin else None,
    )


def root_cause_pareto(*, ctx: OrgContext, cases) -> list[ParetoRow]:
    counts = list(
        cases.filter(root_cause__isnull=False)
        .values("root_cause_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "root_cause_id")
    )
    if not counts:
        return []
    labels = root_cause_labels(ctx=ctx)
    total = sum(c["n"] for c in counts)
    rows, running = [], 0
    for c in counts:
        running += c["n"]
        rows.append(
            ParetoRow(
                root_cause_id=c["root_cause_id"],
                label=labels.get(c["root_cause_id"], "?"),
                count=c["n"],
                cumulative_share=100.0 * running / total,
            )
        )
    return rows


def _touchpoint_labels(ctx: OrgContext, ids) -> dict[int, str]:
    return {
        pk: f"{journey} › {name}"
        for pk, journey, name in Touchpoint.objects.for_org(ctx.organization)
        .filter(pk__in=[i for i in ids if i is not None])
        .values_list("pk", "journey__name", "name")
    }


def origin_pareto(*, ctx: OrgContext, cases) -> OriginPareto:
    """Closed cases of `cases` by where the problem started (the origin touchpoint, else the case's own), most
    frequent first, with the (origin -> touchpoint where the customer felt it) pairs where the two differ. Two
    grouped queries and one for the names."""
    closed = cases.filter(status=CaseStatus.CLOSED)
    counts = list(
        closed.annotate(started=Coalesce("origin_touchpoint_id", "touchpoint_id"))
        .values("started")
        .annotate(n=Count("pk"))
        .order_by("-n", "started")
    )
    pairs = list(
        closed.filter(origin_touchpoint__isnull=False)
        .exclude(touchpoint_id=F("origin_touchpoint_id"))
        .values("origin_touchpoint_id", "touchpoint_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "origin_touchpoint_id", "touchpoint_id")
    )
    ids = {c["started"] for c in counts} | {p["touchpoint_id"] for p in pairs}
    labels = _touchpoint_labels(ctx, ids)
    no_touchpoint = str(_("No touchpoint (journey or relationship survey)"))
    total = sum(c["n"] for c in counts)
    result, running = OriginPareto(), 0
    for c in counts:
        running += c["n"]
        key = c["started"]
        result.rows.append(
            OriginRow(
                touchpoint_id=key,
                label=labels.get(key, "?") if key is not None else no_touchpoint,
                count=c["n"],
                share=100.0 * c["n"] / total,
                cumulative_share=100.0 * running / total,
            )
        )
    for p in pairs:
        felt = p["touchpoint_id"]
        result.pairs.append(
            OriginPair(
                origin_id=p["origin_touchpoint_id"],
                origin_label=labels.get(p["origin_touchpoint_id"], "?"),
                felt_id=felt,
                felt_label=labels.get(felt, "?") if felt is not None else no_touchpoint,
                count=p["n"],
            )
        )
    return result


def next_score_after_close(*, ctx: OrgContext, start: dt.datetime, end: dt.datetime) -> list[NextScoreRow]:
    """For cases closed in the period: the customer's next NPS answer after the close against the case's score."""
    next_nps = (
        # Filtered through the response so the (organization, customer, submitted_at) index drives the lookup.
        Answer.objects.filter(
            response__organization_id=ctx.org_id,
            response__customer_id=OuterRef("customer_id"),
            response__submitted_at__gt=OuterRef("closed_at"),
            metric="nps",
            value__isnull=False,
        )
        .order_by("response__submitted_at", "pk")
        .values("value")[:1]
    )
    rows = (
        FeedbackCase.objects.for_org(ctx.organization)
        .filter(
            status=CaseStatus.CLOSED,
            closed_at__gte=start,
            closed_at__lt=end,
            customer__isnull=False,
            nps__isnull=False,
        )
        .annotate(
            next_nps=Subquery(next_nps),
            contacted=ExpressionWrapper(Q(first_contact_at__isnull=False), output_field=BooleanField()),
        )
        .filter(next_nps__isnull=False)
        .values("contacted")
        .annotate(
            n=Count("pk"),
            mean_before=Avg("nps"),
            mean_after=Avg("next_nps"),
            improved=Count("pk", filter=Q(next_nps__gt=F("nps"))),
            recovered=Count("pk", filter=Q(nps__lte=DETRACTOR_MAX, next_nps__gt=DETRACTOR_MAX)),
        )
        .order_by("-contacted")
    )
    return [
        NextScoreRow(
            contacted=r["contacted"],
            n=r["n"],
            mean_before=r["mean_before"],
            mean_after=r["mean_after"],
            improved=r["improved"],
            detractors_recovered=r["recovered"],
        )
        for r in rows
    ]
