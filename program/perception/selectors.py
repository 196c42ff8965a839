"""Reads of the perception gap: the perception surveys of an organization and the gap of one, touchpoint by touchpoint.

Predictions come from the staff answers to `perceived-<touchpoint>` (summed in SQL: n, sum, sum of squares), the
customers' figures from the touchpoint rollups (staff answers carry no metric key, so they are never in them), and
the importance of each touchpoint from the latest value snapshot's key-driver analysis. Every read takes the caller's
OrgContext; another organization's perception survey is a 404.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, Prefetch, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from accounts.scoping import OrgContext, get_in_org
from core.metrics import MeanSummary
from core.scales import NPS, scale_for_metric
from journeys.models import Journey, Touchpoint
from kpis.models import Rollup
from program.models import Audience, PerceptionItem, PerceptionSurvey, importance_code, perceived_code
from program.perception.stats import (
    BLIND_SPOT,
    HIDDEN_STRENGTH,
    Comparison,
    ImportanceRow,
    RankCorrelation,
    importance_flags,
    rank_correlation,
    ranked,
)
from surveys.distribution.services import link_url
from surveys.models import Answer, Response, SurveyLink
from value.selectors import value_snapshot_latest

# The customer metric of a touchpoint is the one customers answered most there in this many days.
METRIC_LOOKBACK_DAYS = 365
# Default window of the customers' figures: this many days, ending on the day of the last staff answer.
WINDOW_DAYS = 90

NO_SNAPSHOT = "no_snapshot"
UNSUPPORTED = "unsupported"
ANALYSED = "analysed"


def perception_survey_list(*, ctx: OrgContext) -> QuerySet[PerceptionSurvey]:
    """The organization's perception surveys by journey, newest first, with their response counts."""
    return (
        PerceptionSurvey.objects.for_org(ctx.organization)
        .select_related("survey", "journey", "created_by")
        .annotate(response_count=Count("survey__responses", distinct=True))
        .prefetch_related(
            Prefetch("items", queryset=PerceptionItem.objects.select_related("touchpoint").order_by("position", "pk")),
            Prefetch(
                "survey__links",
                queryset=SurveyLink.objects.filter(is_active=True, touchpoint__isnull=True),
                to_attr="general_links",
            ),
        )
        .order_by("journey__name", "journey_id", "-created_at", "-pk")
    )


def perception_survey_get(*, ctx: OrgContext, pk: int) -> PerceptionSurvey:
    return get_in_org(PerceptionSurvey.objects.select_related("survey", "journey", "created_by"), ctx, pk=pk)


def share_link(perception: PerceptionSurvey) -> SurveyLink | None:
    """The survey's anonymous link for staff (one general link; prefetched as `general_links` by the list)."""
    links = getattr(perception.survey, "general_links", None)
    if links is None:
        links = list(SurveyLink.objects.filter(survey=perception.survey, is_active=True, touchpoint__isnull=True))
    return links[0] if links else None


def may_see_share_link(ctx: OrgContext) -> bool:
    """Whether the caller may see the survey's anonymous link: only those who may edit the program (admins, CX
    managers, API keys that may write). Anyone holding the link can answer the staff survey, so a frontline member
    with it could answer the leaders' survey, or alone reach the MIN_STAFF_ANSWERS that lifts the suppression."""
    if not ctx.can_edit_program:
        return False
    return ctx.api_key is None or not ctx.api_key.read_only


@dataclass(frozen=True)
class ShareState:
    """has_link: the survey has an active anonymous link; url: that link for those who may see it ('' when there
    is none), None for everyone else (who learn that a link exists, not where it is)."""

    has_link: bool
    url: str | None


def share_state(*, ctx: OrgContext, perception: PerceptionSurvey) -> ShareState:
    link = share_link(perception)
    if not may_see_share_link(ctx):
        return ShareState(has_link=link is not None, url=None)
    return ShareState(has_link=link is not None, url=link_url(link) if link is not None else "")


def journey_choices(*, ctx: OrgContext) -> QuerySet[Journey]:
    return Journey.objects.for_org(ctx.organization).active().order_by("name", "pk")


def touchpoint_choices(*, ctx: OrgContext) -> QuerySet[Touchpoint]:
    return (
        Touchpoint.objects.for_org(ctx.organization)
        .active()
        .filter(journey__is_archived=False)
        .select_related("journey", "stage")
        .order_by("journey__name", "journey_id", "stage__position", "position", "pk")
    )


def _comparable(metric: str) -> bool:
    scale = scale_for_metric(metric)
    return scale is not None and not scale.is_binary


def customer_metrics(*, organization, touchpoint_ids: list[int], today: dt.date | None = None) -> dict[int, str]:
    """The customer metric of each touchpoint: the score metric customers answered most there in the last year
    (the organization's primary metric whenever it has answers there), else the primary metric. Yes/no metrics are
    never compared (a prediction of "% yes" is another question); a touchpoint left with none is left out."""
    today = today or timezone.localdate()
    primary = organization.primary_metric or NPS
    counts: dict[int, dict[str, int]] = {}
    rows = (
        Rollup.objects.for_org(organization)
        .filter(touchpoint_id__in=touchpoint_ids, day__gt=today - dt.timedelta(days=METRIC_LOOKBACK_DAYS))
        .values("touchpoint_id", "metric")
        .annotate(n=Sum("n"))
        .values_list("touchpoint_id", "metric", "n")
    )
    for tp_id, metric, n in rows:
        if n and _comparable(metric):
            counts.setdefault(tp_id, {})[metric] = int(n)
    chosen: dict[int, str] = {}
    for tp_id in touchpoint_ids:
        answered = counts.get(tp_id, {})
        if primary in answered:
            chosen[tp_id] = primary
        elif answered:
            chosen[tp_id] = sorted(answered.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        elif _comparable(primary):
            chosen[tp_id] = primary
    return chosen


# -- the gap -------------------------------------------------------------------------------------------------------


def _summary(row: Mapping[str, Any] | None) -> MeanSummary:
    row = row or {}
    return MeanSummary(
        n=int(row.get("n") or 0), total=float(row.get("total") or 0.0), total_sq=float(row.get("total_sq") or 0.0)
    )


def staff_sums(perception: PerceptionSurvey) -> dict[str, MeanSummary]:
    """question code -> MeanSummary of the staff answers (every version: the codes are stable)."""
    rows = (
        Answer.objects.for_org(perception.organization_id)
        .filter(response__survey_id=perception.survey_id, value__isnull=False)
        .values("question__code")
        .annotate(n=Count("pk"), total=Sum("value"), total_sq=Sum(F("value") * F("value")))
    )
    return {row["question__code"]: _summary(row) for row in rows}


def staff_responses(perception: PerceptionSurvey) -> tuple[int, dt.datetime | None]:
    agg = (
        Response.objects.for_org(perception.organization_id)
        .filter(survey_id=perception.survey_id)
        .aggregate(n=Count("pk"), last=Max("submitted_at"))
    )
    return int(agg["n"] or 0), agg["last"]


def default_window(*, ctx: OrgContext, last_response_at: dt.datetime | None) -> tuple[dt.date, dt.date]:
    """The WINDOW_DAYS ending on the day of the last staff answer (today when there is none)."""
    zone = ctx.organization.zone
    end = timezone.localtime(last_response_at, zone).date() if last_response_at else timezone.localdate(timezone=zone)
    return end - dt.timedelta(days=WINDOW_DAYS - 1), end


def customer_sums(
    *, organization_id: int, items: list[PerceptionItem], start: dt.date, end: dt.date
) -> dict[tuple[int, str], MeanSummary]:
    """(touchpoint, metric) -> MeanSummary of the customers' answers over [start, end], from the rollups."""
    if not items:
        return {}
    rows = (
        Rollup.objects.for_org(organization_id)
        .filter(
            touchpoint_id__in={i.touchpoint_id for i in items},
            metric__in={i.metric for i in items},
            day__gte=start,
            day__lte=end,
        )
        .values("touchpoint_id", "metric")
        .annotate(n=Sum("n"), total=Sum("total"), total_sq=Sum("total_sq"))
    )
    return {(row["touchpoint_id"], row["metric"]): _summary(row) for row in rows}


@dataclass
class GapItem:
    item: PerceptionItem
    touchpoint: Touchpoint
    metric: str
    low: int
    high: int
    comparison: Comparison
    importance: MeanSummary
    # The other audience's prediction of the same touchpoint (frontline beside leaders, or leaders beside frontline).
    other: Comparison | None = None


@dataclass
class ImportanceComparison:
    status: str  # no_snapshot / unsupported / analysed
    rows: list[ImportanceRow] = field(default_factory=list)
    correlation: RankCorrelation | None = None
    reason_code: str = ""
    computed_at: dt.datetime | None = None


@dataclass
class PerceptionGap:
    perception: PerceptionSurvey
    start: dt.date
    end: dt.date
    min_n: int
    responses: int
    last_response_at: dt.datetime | None
    items: list[GapItem]
    importance: ImportanceComparison
    other: PerceptionSurvey | None = None
    other_responses: int = 0

    @property
    def blind_spots(self) -> list[GapItem]:
        """Staff predict significantly more than customers give, by at least MIN_GAP_SHARE of the scale: largest
        first ("we think it is fine; customers do not")."""
        return ranked(self.items, BLIND_SPOT)

    @property
    def hidden_strengths(self) -> list[GapItem]:
        return ranked(self.items, HIDDEN_STRENGTH)

    @property
    def by_touchpoint(self) -> dict[int, GapItem]:
        return {g.touchpoint.pk: g for g in self.items}


def other_audience_survey(*, ctx: OrgContext, perception: PerceptionSurvey) -> PerceptionSurvey | None:
    """The newest perception survey of the same journey asked of the other audience, if any."""
    other = Audience.FRONTLINE if perception.audience == Audience.LEADERSHIP else Audience.LEADERSHIP
    return (
        PerceptionSurvey.objects.for_org(ctx.organization)
        .filter(journey_id=perception.journey_id, audience=other)
        .select_related("survey")
        .order_by("-created_at", "-pk")
        .first()
    )


def _driver_rows(snapshot) -> tuple[str, str, list[dict]]:
    if snapshot is None:
        return NO_SNAPSHOT, "", []
    drivers = (snapshot.results or {}).get("drivers") or {}
    if not drivers.get("supported"):
        return UNSUPPORTED, drivers.get("reason_code") or "", []
    return ANALYSED, "", list(drivers.get("rows") or [])


def importance_comparison(*, ctx: OrgContext, items: list[GapItem]) -> ImportanceComparison:
    """Leaders' mean importance per touchpoint against the key-driver importance of the latest value snapshot."""
    snapshot = value_snapshot_latest(ctx=ctx)
    status, reason, driver_rows = _driver_rows(snapshot)
    computed_at = snapshot.computed_at if snapshot is not None else None
    if status != ANALYSED:
        return ImportanceComparison(status=status, reason_code=reason, computed_at=computed_at)
    by_tp: dict[int, list[dict]] = {}
    for driver in driver_rows:
        if driver.get("touchpoint_id") is not None:
            by_tp.setdefault(int(driver["touchpoint_id"]), []).append(driver)
    rows = []
    for gap in items:
        candidates = by_tp.get(gap.touchpoint.pk, [])
        # The driver row of the item's own metric, else the touchpoint's best-answered one.
        same = [r for r in candidates if r.get("metric") == gap.metric]
        ranked = same or sorted(candidates, key=lambda r: -(r.get("n") or 0))
        chosen = ranked[0] if ranked else None
        row = ImportanceRow(touchpoint_id=gap.touchpoint.pk, leaders=gap.importance)
        if chosen is not None:
            row.analysis = chosen.get("importance")
            row.tested = chosen.get("p_value") is not None
            row.is_driver = bool(chosen.get("is_driver"))
        rows.append(row)
    importance_flags(rows)
    return ImportanceComparison(status=status, rows=rows, correlation=rank_correlation(rows), computed_at=computed_at)


def _gap_items(*, perception: PerceptionSurvey, start: dt.date, end: dt.date, min_n: int) -> list[GapItem]:
    items = list(perception.items.select_related("touchpoint", "touchpoint__stage").order_by("position", "pk"))
    staff = staff_sums(perception)
    customers = customer_sums(organization_id=perception.organization_id, items=items, start=start, end=end)
    result = []
    for item in items:
        scale = scale_for_metric(item.metric)
        if scale is None:
            continue
        comparison = Comparison(
            predicted=staff.get(perceived_code(item.touchpoint_id), MeanSummary(0, 0.0, 0.0)),
            actual=customers.get((item.touchpoint_id, item.metric), MeanSummary(0, 0.0, 0.0)),
            low=scale.low,
            high=scale.high,
            min_n=min_n,
        )
        result.append(
            GapItem(
                item=item,
                touchpoint=item.touchpoint,
                metric=item.metric,
                low=scale.low,
                high=scale.high,
                comparison=comparison,
                importance=staff.get(importance_code(item.touchpoint_id), MeanSummary(0, 0.0, 0.0)),
            )
        )
    return result


def _window(start: dt.date | None, end: dt.date | None, *, default: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    """The customers' window: as asked, WINDOW_DAYS from the one end given, or the default."""
    span = dt.timedelta(days=WINDOW_DAYS - 1)
    if start is not None:
        return start, end if end is not None else start + span
    if end is not None:
        return end - span, end
    return default


def perception_gap(
    *,
    ctx: OrgContext,
    perception: PerceptionSurvey,
    start: dt.date | None = None,
    end: dt.date | None = None,
    with_other: bool = True,
) -> PerceptionGap:
    """The gap of one perception survey, touchpoint by touchpoint, over the customers' window [start, end] (default:
    the WINDOW_DAYS ending on the day of the last staff answer). With `with_other`, the journey's newest survey of
    the other audience is compared with the same customer figures, so leaders, frontline and customers can be read
    side by side."""
    if perception.organization_id != ctx.org_id:
        raise Http404
    responses, last = staff_responses(perception)
    start, end = _window(start, end, default=default_window(ctx=ctx, last_response_at=last))
    min_n = ctx.organization.min_n
    items = _gap_items(perception=perception, start=start, end=end, min_n=min_n)
    other = other_audience_survey(ctx=ctx, perception=perception) if with_other else None
    other_responses = 0
    if other is not None:
        other_responses, _last = staff_responses(other)
        predicted = staff_sums(other)
        # Only where both surveys compare with the same customer metric (the same scale).
        asked = dict(other.items.values_list("touchpoint_id", "metric"))
        for gap in items:
            if asked.get(gap.touchpoint.pk) != gap.metric:
                continue
            gap.other = Comparison(
                predicted=predicted.get(perceived_code(gap.touchpoint.pk), MeanSummary(0, 0.0, 0.0)),
                actual=gap.comparison.actual,
                low=gap.low,
                high=gap.high,
                min_n=min_n,
            )
    return PerceptionGap(
        perception=perception,
        start=start,
        end=end,
        min_n=min_n,
        responses=responses,
        last_response_at=last,
        items=items,
        importance=importance_comparison(ctx=ctx, items=items),
        other=other,
        other_responses=other_responses,
    )
