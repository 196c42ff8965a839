"""Owner scorecards and the team leaderboard: read models built on the dashboards' and the closed loop's selectors.

No figure is computed here a second way, so a scorecard always agrees with the page it links to:
- touchpoint and journey scores are the organization overview's (`kpis.dashboards.organization_overview`) for the
  same period, in the organization's primary metric, against the targets of its KPI;
- a survey KPI's figures are the overview's for that KPI (a stage is the respondent-weighted sum of its touchpoints,
  as on the journey gap dashboard); an imported KPI's figure is `KpiValue.period_figure` over the period, status as
  on the touchpoint page (`LinkedKpi`);
- overdue cases are the case list's (`case_base_queryset`, so a frontline viewer still sees only what the inbox
  shows), open and past their due time;
- improvement actions carry their stored impact measurement and `action_value_estimates`;
- the leaderboard's case figures are the closed-loop analytics' aggregates (`actions.selectors.analytics`).

An owner is a member of the organization named as owner of an active journey or touchpoint, a KPI or an improvement
action. The cost of a page is a fixed number of queries (one overview per owned survey KPI that is not the default).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, Team
from accounts.scoping import OrgContext, get_in_org
from actions.models import CaseStatus, FeedbackCase, ImprovementAction, ImprovementStatus
from actions.selectors.analytics import _case_aggregates, _period_bounds
from actions.selectors.cases import case_base_queryset
from actions.selectors.improvements import improvement_list
from actions.valuation import ValueEstimate, action_value_estimates
from journeys.models import Journey, Touchpoint
from kpis.dashboards import Filters, JourneyRow, Overview, TouchpointRow, organization_overview
from kpis.dashboards.touchpoint import LinkedKpi
from kpis.models import NPS_METRIC, Kpi, KpiValue, Target
from kpis.scores import STATUS_LABELS, Assessment, add_sums, empty_sums, pick_target

# Who sees every owner's scorecard and the leaderboard; anyone else sees only their own scorecard.
SEE_ALL_ROLES = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE})
# Statuses of an action that is still to be delivered.
OPEN_ACTION_STATUSES = (ImprovementStatus.IDEA, ImprovementStatus.APPROVED, ImprovementStatus.IN_PROGRESS)
OVERDUE_LIST_LIMIT = 50


# -- period -----------------------------------------------------------------------------------------------------


def org_today(*, ctx: OrgContext) -> dt.date:
    return timezone.now().astimezone(ctx.organization.zone).date()


def month_range(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    y, m = divmod(first.year * 12 + first.month, 12)
    return first, dt.date(y, m + 1, 1) - dt.timedelta(days=1)


def last_full_month(*, ctx: OrgContext, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last complete calendar month in the organization's time zone."""
    today = today or org_today(ctx=ctx)
    return month_range(today.replace(day=1) - dt.timedelta(days=1))


def scorecard_filters(*, ctx: OrgContext, start: dt.date, end: dt.date) -> Filters:
    """Dashboard filters for the period in the organization's primary metric (a custom period, so that the links to
    the dashboards open on the same dates)."""
    org = ctx.organization
    return Filters(
        period_key="custom",
        start=start,
        end=end,
        default_metric=org.primary_metric or NPS_METRIC,
        default_measure=org.primary_measure,
    )


# -- owners -----------------------------------------------------------------------------------------------------


def _owned_user_ids(ctx: OrgContext) -> set[int]:
    org = ctx.organization
    ids: set[int] = set()
    ids.update(Journey.objects.for_org(org).active().exclude(owner=None).values_list("owner_id", flat=True))
    ids.update(
        Touchpoint.objects.for_org(org)
        .filter(is_active=True, journey__is_archived=False)
        .exclude(owner=None)
        .values_list("owner_id", flat=True)
    )
    ids.update(Kpi.objects.for_org(org).exclude(owner=None).values_list("owner_id", flat=True))
    ids.update(ImprovementAction.objects.for_org(org).exclude(owner=None).values_list("owner_id", flat=True))
    return ids


def owner_list(*, ctx: OrgContext) -> list[Membership]:
    """Members who own something (people no longer members keep their rows, but get no scorecard here)."""
    return list(
        Membership.objects.for_org(ctx.organization)
        .filter(user_id__in=_owned_user_ids(ctx))
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__username")
    )


def can_see_every_scorecard(ctx: OrgContext) -> bool:
    return ctx.role in SEE_ALL_ROLES


def scorecard_member_get(*, ctx: OrgContext, pk: int) -> Membership:
    """The member whose scorecard is asked for: any member for admins, CX managers and executives, oneself for
    anyone else (another's is 404, as is another organization's)."""
    member = get_in_org(Membership.objects.select_related("user"), ctx, pk=pk)
    if not can_see_every_scorecard(ctx) and (ctx.user is None or member.user_id != ctx.user.pk):
        raise Http404
    return member


def own_membership(*, ctx: OrgContext) -> Membership:
    if ctx.user is None:
        raise Http404
    return get_in_org(Membership.objects.select_related("user"), ctx, user_id=ctx.user.pk)


# -- KPI rows ---------------------------------------------------------------------------------------------------


@dataclass
class KpiRow:
    """One KPI at one scope against the target in force (or without a target)."""

    kpi: Kpi
    scope_label: str
    target: Target | None
    assessment: Assessment | None = None  # survey KPIs
    value: float | None = None  # imported KPIs: the period's figure by the KPI's aggregation
    days: int = 0
    note: str = ""

    @property
    def status(self) -> str:
        if self.assessment is not None:
            return self.assessment.status
        return LinkedKpi(kpi=self.kpi, value=self.value, days=self.days, target=self.target, spark=None).status

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def linked_to_compensation(self) -> bool:
        return bool(self.target and self.target.linked_to_compensation)

    @property
    def spec(self) -> str:
        return self.assessment.score.spec if self.assessment is not None else ""


def _group_targets(targets: list[Target]) -> dict[tuple[int, str, int | None], list[Target]]:
    groups: dict[tuple[int, str, int | None], list[Target]] = defaultdict(list)
    for t in targets:
        groups[(t.kpi_id, t.scope, t.touchpoint_id or t.stage_id or t.journey_id)].append(t)
    return groups


def _scope_label(target: Target | None) -> str:
    return target.scope_label if target is not None else str(_("Organization"))


class _Program:
    """The overview of the period (default KPI) and, on demand, the overview of any other survey KPI."""

    def __init__(self, ctx: OrgContext, filters: Filters) -> None:
        self.ctx = ctx
        self.filters = filters
        self.overview: Overview = organization_overview(ctx=ctx, filters=filters)
        self._by_kpi: dict[int, Overview] = {}
        if self.overview.filters.kpi is not None:
            self._by_kpi[self.overview.filters.kpi.pk] = self.overview

    def for_kpi(self, kpi: Kpi) -> Overview:
        if kpi.pk not in self._by_kpi:
            filters = Filters(**{**self.filters.__dict__, "kpi": kpi})
            self._by_kpi[kpi.pk] = organization_overview(ctx=self.ctx, filters=filters)
        return self._by_kpi[kpi.pk]


def _survey_kpi_rows(program: _Program, kpi: Kpi, groups: dict) -> list[KpiRow]:
    overview = program.for_kpi(kpi)
    filters, min_n = overview.filters, overview.min_n
    journeys = {r.journey.pk: r for r in overview.journeys}
    tps = {r.touchpoint.pk: r for r in overview.touchpoints_by_gap}
    rows = []
    for (kpi_id, scope, pk), targets in sorted(groups.items(), key=lambda kv: (kv[0][1] != "organization", kv[0][1])):
        if kpi_id != kpi.pk:
            continue
        target = pick_target(targets, end=filters.end)
        if target is None:
            continue  # only segment or persona targets: a slice the scorecard does not show
        if scope == Target.Scope.ORGANIZATION:
            assessment = overview.organization
        elif scope == Target.Scope.JOURNEY and pk in journeys:
            assessment = journeys[pk].assessment
        elif scope == Target.Scope.TOUCHPOINT and pk in tps:
            assessment = tps[pk].assessment
        elif scope == Target.Scope.STAGE:
            # As on the journey gap dashboard: the respondent-weighted sum of the stage's touchpoints.
            sums = empty_sums()
            for row in tps.values():
                if row.touchpoint.stage_id == pk:
                    add_sums(sums, row.assessment.score.sums)
            assessment = Assessment(
                score=filters.score(sums, min_n), target=target, higher_is_better=filters.higher_is_better
            )
        else:
            continue  # an archived journey or an inactive touchpoint: not on the dashboards either
        rows.append(KpiRow(kpi=kpi, scope_label=_scope_label(target), target=target, assessment=assessment))
    if not rows:
        rows.append(KpiRow(kpi=kpi, scope_label=_scope_label(None), target=None, assessment=overview.organization))
    return rows


def _imported_values(
    ctx: OrgContext, kpis: list[Kpi], start: dt.date, end: dt.date
) -> dict[tuple[int, int], dict[str, Any]]:
    """Period sums per (KPI, touchpoint), the latest day's value included for 'latest value' KPIs."""
    if not kpis:
        return {}
    base = KpiValue.objects.for_org(ctx.organization).filter(kpi__in=kpis, day__gte=start, day__lte=end)
    rows = {
        (r["kpi_id"], r["touchpoint_id"]): dict(r)  # dict(): a row of its own, to which "last" is added
        for r in base.values("kpi_id", "touchpoint_id").annotate(last_day=Max("day"), **KpiValue.PERIOD_SUMS).order_by()
    }
    latest = Q()
    for (kpi_id, tp_id), r in rows.items():
        if next(k for k in kpis if k.pk == kpi_id).aggregation == Kpi.Aggregation.LAST:
            latest |= Q(kpi_id=kpi_id, touchpoint_id=tp_id, day=r["last_day"])
    if latest:
        for kpi_id, tp_id, value in base.filter(latest).values_list("kpi_id", "touchpoint_id", "value"):
            rows[(kpi_id, tp_id)]["last"] = value
    return rows


def _imported_kpi_rows(kpi: Kpi, groups: dict, values: dict, tp_scope: dict[int, tuple[int, int]], end) -> list[KpiRow]:
    def figure(tp_ids: list[int]) -> tuple[float | None, int, str]:
        parts = [values[(kpi.pk, t)] for t in tp_ids if (kpi.pk, t) in values]
        if not parts:
            return None, 0, ""
        if kpi.aggregation == Kpi.Aggregation.LAST and len(parts) > 1:
            return None, 0, _("A latest-value KPI has no single figure over several touchpoints.")
        has_ratio = any(p["ratio_days"] for p in parts)
        total = {
            "total": sum(p["total"] or 0 for p in parts),
            "count": sum(p["count"] for p in parts),
            "numerator_sum": sum(p["numerator_sum"] or 0 for p in parts) if has_ratio else None,
            "denominator_sum": sum(p["denominator_sum"] or 0 for p in parts),
        }
        days_key = "ratio_days" if kpi.aggregation == Kpi.Aggregation.RATIO else "count"
        days = sum(p[days_key] for p in parts)
        return KpiValue.period_figure(kpi.aggregation, last=parts[0].get("last"), **total), days, ""

    def tp_ids_for(scope: str, pk: int | None) -> list[int]:
        if scope == Target.Scope.TOUCHPOINT:
            return [pk] if pk is not None else []
        if scope == Target.Scope.STAGE:
            return [t for t, (_j, s) in tp_scope.items() if s == pk]
        if scope == Target.Scope.JOURNEY:
            return [t for t, (j, _s) in tp_scope.items() if j == pk]
        return list(tp_scope)

    rows = []
    for (kpi_id, scope, pk), targets in sorted(groups.items(), key=lambda kv: (kv[0][1] != "organization", kv[0][1])):
        if kpi_id != kpi.pk:
            continue
        target = pick_target(targets, end=end)
        if target is None:
            continue
        value, days, note = figure(tp_ids_for(scope, pk))
        rows.append(KpiRow(kpi=kpi, scope_label=_scope_label(target), target=target, value=value, days=days, note=note))
    if not rows:
        value, days, note = figure(list(tp_scope))
        rows.append(KpiRow(kpi=kpi, scope_label=_scope_label(None), target=None, value=value, days=days, note=note))
    return rows


def _kpi_rows(ctx: OrgContext, program: _Program, kpis: list[Kpi]) -> dict[int, list[KpiRow]]:
    """Rows of each KPI, by KPI id."""
    if not kpis:
        return {}
    filters = program.filters
    targets = list(
        Target.objects.for_org(ctx.organization)
        .filter(kpi__in=kpis)
        .overlapping(filters.start, filters.end)
        .select_related("journey", "stage", "touchpoint")
    )
    groups = _group_targets(targets)
    imported = [k for k in kpis if not k.is_survey]
    values = _imported_values(ctx, imported, filters.start, filters.end)
    tp_scope = {}
    if imported:
        tp_scope = {
            pk: (j, s)
            for pk, j, s in Touchpoint.objects.for_org(ctx.organization).values_list("pk", "journey_id", "stage_id")
        }
    out = {}
    for kpi in kpis:
        if kpi.is_survey:
            out[kpi.pk] = _survey_kpi_rows(program, kpi, groups)
        else:
            out[kpi.pk] = _imported_kpi_rows(kpi, groups, values, tp_scope, filters.end)
    return out


# -- the scorecard ----------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Targets met / near / missed (and too few responses to tell), each target counted once: a journey's target
    that is also a row of its owner's KPI is one target."""

    met: int = 0
    near: int = 0
    missed: int = 0
    insufficient: int = 0

    @classmethod
    def of(cls, rows: list[tuple[Target | None, str]]) -> Tally:
        statuses = {target.pk: status for target, status in rows if target is not None}
        tally = cls()
        for status in statuses.values():
            if status == "above":
                tally.met += 1
            elif status == "near":
                tally.near += 1
            elif status == "below":
                tally.missed += 1
            elif status == "insufficient":
                tally.insufficient += 1
        return tally


def _tally(journeys: list[JourneyRow], touchpoints: list[TouchpointRow], kpi_rows: list[KpiRow]) -> Tally:
    assessed: list[JourneyRow | TouchpointRow] = [*journeys, *touchpoints]
    rows = [(r.assessment.target, r.assessment.status) for r in assessed]
    return Tally.of(rows + [(r.target, r.status) for r in kpi_rows])


@dataclass
class Scorecard:
    member: Membership
    filters: Filters  # with the KPI the touchpoint and journey figures are read against
    min_n: int
    journeys: list[JourneyRow] = field(default_factory=list)
    touchpoints: list[TouchpointRow] = field(default_factory=list)
    kpis: list[KpiRow] = field(default_factory=list)
    overdue_cases: list[FeedbackCase] = field(default_factory=list)
    overdue_total: int = 0
    actions: list[ImprovementAction] = field(default_factory=list)
    estimates: dict[int, ValueEstimate] = field(default_factory=dict)

    @property
    def owns_anything(self) -> bool:
        return bool(self.journeys or self.touchpoints or self.kpis or self.actions)

    @property
    def open_actions(self) -> int:
        return sum(1 for a in self.actions if a.status in OPEN_ACTION_STATUSES)

    @property
    def tally(self) -> Tally:
        """Targets met / near / missed over the owner's journeys, touchpoints and KPIs."""
        return _tally(self.journeys, self.touchpoints, self.kpis)


def _area_touchpoint_ids(ctx: OrgContext, user_id: int) -> list[int]:
    """The owner's touchpoints and every touchpoint of the owner's journeys (their area for cases)."""
    return list(
        Touchpoint.objects.for_org(ctx.organization)
        .filter(Q(owner_id=user_id) | Q(journey__owner_id=user_id))
        .values_list("pk", flat=True)
    )


def overdue_cases(*, ctx: OrgContext, touchpoint_ids: list[int] | QuerySet) -> QuerySet[FeedbackCase]:
    """Open cases of these touchpoints past their SLA due time, most overdue first (as far as the viewer may see
    cases: the inbox's scope)."""
    return (
        case_base_queryset(ctx=ctx)
        .open()
        .filter(touchpoint_id__in=touchpoint_ids, due_at__lt=timezone.now())
        .order_by("due_at", "pk")
    )


def scorecard(*, ctx: OrgContext, member: Membership, filters: Filters) -> Scorecard:
    """Everything the member is accountable for, for the period."""
    user_id = member.user_id
    program = _Program(ctx, filters)
    kpis = list(Kpi.objects.for_org(ctx.organization).filter(owner_id=user_id).order_by("name", "pk"))
    kpi_rows = _kpi_rows(ctx, program, kpis)
    cases = overdue_cases(ctx=ctx, touchpoint_ids=_area_touchpoint_ids(ctx, user_id))
    actions = list(improvement_list(ctx=ctx).filter(owner_id=user_id).order_by("due_date", "pk"))
    return Scorecard(
        member=member,
        filters=program.overview.filters,
        min_n=program.overview.min_n,
        journeys=[r for r in program.overview.journeys if r.journey.owner_id == user_id],
        touchpoints=[r for r in program.overview.touchpoints_by_gap if r.touchpoint.owner_id == user_id],
        kpis=[row for kpi in kpis for row in kpi_rows[kpi.pk]],
        overdue_cases=list(cases[:OVERDUE_LIST_LIMIT]),
        overdue_total=cases.count(),
        actions=actions,
        estimates=action_value_estimates(ctx=ctx, actions=actions),
    )


# -- the index --------------------------------------------------------------------------------------------------


@dataclass
class OwnerSummary:
    member: Membership
    tally: Tally
    touchpoints: int
    journeys: int
    kpis: int
    overdue_cases: int
    open_actions: int


def scorecard_index(*, ctx: OrgContext, filters: Filters) -> tuple[list[OwnerSummary], Filters]:
    """One line per owner: targets met / near / missed, overdue cases in their area, open actions."""
    owners = owner_list(ctx=ctx)
    program = _Program(ctx, filters)
    user_ids = [m.user_id for m in owners]
    kpis = list(Kpi.objects.for_org(ctx.organization).filter(owner_id__in=user_ids).order_by("name", "pk"))
    kpi_rows = _kpi_rows(ctx, program, kpis)
    overdue_by_tp = dict(
        overdue_cases(ctx=ctx, touchpoint_ids=Touchpoint.objects.for_org(ctx.organization).values("pk"))
        .values("touchpoint_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("touchpoint_id", "n")
    )
    tp_rows = Touchpoint.objects.for_org(ctx.organization).values_list("pk", "owner_id", "journey__owner_id")
    area: dict[int, set[int]] = defaultdict(set)
    for pk, owner_id, journey_owner_id in tp_rows:
        for uid in (owner_id, journey_owner_id):
            if uid is not None:
                area[uid].add(pk)
    open_actions = dict(
        ImprovementAction.objects.for_org(ctx.organization)
        .filter(owner_id__in=user_ids, status__in=OPEN_ACTION_STATUSES)
        .values("owner_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("owner_id", "n")
    )
    summaries = []
    for m in owners:
        journeys = [r for r in program.overview.journeys if r.journey.owner_id == m.user_id]
        tps = [r for r in program.overview.touchpoints_by_gap if r.touchpoint.owner_id == m.user_id]
        own_kpis = [k for k in kpis if k.owner_id == m.user_id]
        tally = _tally(journeys, tps, [row for kpi in own_kpis for row in kpi_rows[kpi.pk]])
        summaries.append(
            OwnerSummary(
                member=m,
                tally=tally,
                touchpoints=len(tps),
                journeys=len(journeys),
                kpis=len(own_kpis),
                overdue_cases=sum(overdue_by_tp.get(t, 0) for t in area.get(m.user_id, ())),
                open_actions=open_actions.get(m.user_id, 0),
            )
        )
    return summaries, program.overview.filters


# -- team leaderboard -------------------------------------------------------------------------------------------


@dataclass
class TeamRow:
    team_id: int | None
    label: str
    cases: int = 0
    contacted: int = 0
    contacted_in_sla: int = 0
    contact_decided: int = 0
    closed: int = 0
    closed_in_sla: int = 0
    overdue_open: int = 0
    median_first_contact: dt.timedelta | None = None
    median_close: dt.timedelta | None = None
    rank: int | None = None

    @property
    def share_contacted_in_sla(self) -> float | None:
        """Of the cases whose contact SLA is decided (contacted, past due, or closed), those contacted in time."""
        return 100.0 * self.contacted_in_sla / self.contact_decided if self.contact_decided else None

    @property
    def share_closed(self) -> float | None:
        return 100.0 * self.closed / self.cases if self.cases else None


@dataclass
class Leaderboard:
    start: dt.date
    end: dt.date
    min_n: int
    rows: list[TeamRow]


def _leaderboard_aggregates(now: dt.datetime) -> dict:
    return {
        **_case_aggregates(now),
        "contacted_in_sla": Count("pk", filter=Q(first_contact_at__lte=F("due_at"))),
        "contact_decided": Count(
            "pk", filter=Q(first_contact_at__isnull=False) | Q(due_at__lt=now) | Q(status=CaseStatus.CLOSED)
        ),
    }


def _rank_key(row: TeamRow) -> tuple:
    never = dt.timedelta.max
    return (
        -(row.share_contacted_in_sla or 0.0),
        -(row.share_closed or 0.0),
        row.median_first_contact or never,
        row.median_close or never,
        row.label,
    )


def team_leaderboard(*, ctx: OrgContext, start: dt.date, end: dt.date) -> Leaderboard:
    """Teams on the closed loop for cases opened in the period: ranked by the share contacted within SLA, then the
    share closed, then the median times. A team with fewer cases than the minimum n is listed but not ranked."""
    now = timezone.now()
    since, until = _period_bounds(ctx, start, end)
    cases = FeedbackCase.objects.for_org(ctx.organization).filter(opened_at__gte=since, opened_at__lt=until)
    figures: dict[int | None, dict[str, Any]] = {}
    for grouped in cases.values("team_id").annotate(**_leaderboard_aggregates(now)).order_by():
        figure: dict[str, Any] = dict(grouped)
        figures[figure.pop("team_id")] = figure
    rows = [TeamRow(team_id=t.pk, label=t.name) for t in Team.objects.for_org(ctx.organization).order_by("name")]
    if None in figures:
        rows.append(TeamRow(team_id=None, label=str(_("No team"))))
    for row in rows:
        for name, value in figures.get(row.team_id, {}).items():
            setattr(row, name, value)
    min_n = ctx.organization.min_n
    ranked = sorted((r for r in rows if r.team_id is not None and r.cases >= max(min_n, 1)), key=_rank_key)
    for i, row in enumerate(ranked, start=1):
        row.rank = i
    unranked = sorted((r for r in rows if r.rank is None), key=lambda r: (r.team_id is None, -r.cases, r.label))
    return Leaderboard(start=start, end=end, min_n=min_n, rows=[*ranked, *unranked])
