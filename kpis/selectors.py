"""Reads of the KPI engine, scoped by OrgContext. Figures come from the rollup tables only.

Every selector applies the organization through `for_org` / `get_in_org`; an id of another organization gives a
404 (single objects) or nothing (figures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Case, Prefetch, QuerySet, Sum, Value, When
from django.db.models.functions import ExtractMonth, ExtractYear

from accounts.scoping import OrgContext, get_in_org
from core.metrics import MeanSummary, NpsSummary, ShareSummary
from core.scales import MEASURE_TOP_BOX
from core.scores import Score
from customers.models import Customer
from journeys.models import Journey, Touchpoint
from kpis.models import (
    NPS_METRIC,
    STAT_FIELDS,
    Benchmark,
    JourneyRollup,
    Kpi,
    KpiValue,
    Reconciliation,
    Rollup,
    SegmentRollup,
    Target,
    TargetChange,
)

# -- figures from rollups ---------------------------------------------------------------------------------------


def stat_sums() -> dict:
    return {f: Sum(f) for f in STAT_FIELDS}


def nps_of(row: dict | None) -> NpsSummary:
    row = row or {}
    return NpsSummary(
        n=int(row.get("n") or 0),
        promoters=int(row.get("promoters") or 0),
        passives=int(row.get("passives") or 0),
        detractors=int(row.get("detractors") or 0),
    )


def mean_of(row: dict | None) -> MeanSummary:
    row = row or {}
    return MeanSummary(n=int(row.get("n") or 0), total=row.get("total") or 0.0, total_sq=row.get("total_sq") or 0.0)


def rollup_rows(
    *,
    ctx: OrgContext,
    metric: str,
    start: dt.date,
    end: dt.date,
    touchpoint_ids: Iterable[int] | None = None,
    segment: str | None = None,
    persona_id: int | None = None,
) -> QuerySet:
    """Rollup rows of the organization for a metric and period; segment/persona slices come from SegmentRollup."""
    qs: QuerySet  # Rollup or SegmentRollup rows: the same stat columns
    if segment or persona_id:
        qs = SegmentRollup.objects.for_org(ctx.organization)
        if segment:
            qs = qs.filter(segment=segment)
        if persona_id:
            qs = qs.filter(persona_key=persona_id)
    else:
        qs = Rollup.objects.for_org(ctx.organization)
    qs = qs.filter(metric=metric, day__gte=start, day__lte=end)
    if touchpoint_ids is not None:
        qs = qs.filter(touchpoint_id__in=list(touchpoint_ids))
    return qs


def touchpoint_nps(*, ctx: OrgContext, touchpoint_id: int, start: dt.date, end: dt.date) -> NpsSummary:
    """NPS of one touchpoint over [start, end] (inclusive), from rollups; empty for another org's touchpoint."""
    row = rollup_rows(ctx=ctx, metric=NPS_METRIC, start=start, end=end, touchpoint_ids=[touchpoint_id]).aggregate(
        **stat_sums()
    )
    return nps_of(row)


def touchpoint_metric(*, ctx: OrgContext, touchpoint_id: int, metric: str, start: dt.date, end: dt.date) -> MeanSummary:
    """Mean of a metric (csat, ces, a rating code, or nps as 0-10 mean) of one touchpoint over [start, end]."""
    row = rollup_rows(ctx=ctx, metric=metric, start=start, end=end, touchpoint_ids=[touchpoint_id]).aggregate(
        **stat_sums()
    )
    return mean_of(row)


ROLLUP_GROUPS = ("day", "month", "total")


def _rollup_scope(
    *,
    ctx: OrgContext,
    metric: str,
    start: dt.date,
    end: dt.date,
    touchpoint_id: int | None,
    journey_id: int | None,
    source: str,
) -> QuerySet:
    """Rows of one touchpoint, of a journey (its touchpoints, or with source "survey" the journey survey's own
    answers) or of the whole organization; another organization's touchpoint or journey is a 404."""
    if touchpoint_id is not None:
        touchpoint = get_in_org(Touchpoint.objects.all(), ctx, pk=touchpoint_id)
        return rollup_rows(ctx=ctx, metric=metric, start=start, end=end, touchpoint_ids=[touchpoint.pk])
    if journey_id is not None:
        journey = get_in_org(Journey.objects.all(), ctx, pk=journey_id)
        if source == "survey":
            return JourneyRollup.objects.for_org(ctx.organization).filter(
                journey=journey, metric=metric, day__gte=start, day__lte=end
            )
        tp_ids = Touchpoint.objects.for_org(ctx.organization).filter(journey=journey).values_list("pk", flat=True)
        return rollup_rows(ctx=ctx, metric=metric, start=start, end=end, touchpoint_ids=tp_ids)
    return rollup_rows(ctx=ctx, metric=metric, start=start, end=end)


def _grouped(qs: QuerySet, group: str) -> list[dict]:
    """The rows' sums per day, per calendar month (period: its first day) or in total (period: None)."""
    if group == "total":
        return [{"period": None, **qs.aggregate(**stat_sums())}]
    if group == "month":
        months = qs.annotate(year=ExtractYear("day"), month=ExtractMonth("day")).values("year", "month")
        return [
            {**r, "period": dt.date(r["year"], r["month"], 1)}
            for r in months.annotate(**stat_sums()).order_by("year", "month")
        ]
    return [{**r, "period": r["day"]} for r in qs.values("day").annotate(**stat_sums()).order_by("day")]


def _period_figures(row: dict, *, metric: str, min_n: int) -> dict:
    """One period's figures: counts, NPS (metric nps only), mean, the scale's bands and top-box share, each with
    its margin of error, and whether n reaches the minimum."""
    nps, mean = nps_of(row), mean_of(row)
    is_nps = metric == NPS_METRIC
    score = Score(metric, row, min_n, MEASURE_TOP_BOX)
    good, neutral, bad = score.bands
    summary = score.summary  # a share (top-box, % yes) on every scale but NPS; none without a scale
    share = summary if isinstance(summary, ShareSummary) else None
    return {
        "period": row.get("period"),
        "n": nps.n,
        "promoters": nps.promoters,
        "passives": nps.passives,
        "detractors": nps.detractors,
        "nps": nps.score if is_nps else None,
        "nps_margin_of_error": nps.margin_of_error if is_nps else None,
        "mean": mean.mean,
        "mean_margin_of_error": mean.margin_of_error,
        "good": good,
        "neutral": neutral,
        "bad": bad,
        "top_box": share.score if share is not None else None,
        "top_box_margin_of_error": share.margin_of_error if share is not None else None,
        "sufficient": nps.n >= min_n,
    }


def rollup_figures(
    *,
    ctx: OrgContext,
    metric: str,
    start: dt.date,
    end: dt.date,
    group: str = "day",
    touchpoint_id: int | None = None,
    journey_id: int | None = None,
    source: str = "touchpoints",
) -> list[dict]:
    """Figures of a scope (see `_rollup_scope`) per period of `group` (one of ROLLUP_GROUPS), oldest first."""
    qs = _rollup_scope(
        ctx=ctx, metric=metric, start=start, end=end, touchpoint_id=touchpoint_id, journey_id=journey_id, source=source
    )
    min_n = ctx.organization.min_n
    return [_period_figures(row, metric=metric, min_n=min_n) for row in _grouped(qs, group)]


# -- KPIs, targets, benchmarks, values ---------------------------------------------------------------------------


def kpi_list(*, ctx: OrgContext) -> QuerySet[Kpi]:
    return Kpi.objects.for_org(ctx.organization).select_related("owner").order_by("name", "pk")


def kpi_get(*, ctx: OrgContext, pk: int) -> Kpi:
    return get_in_org(Kpi.objects.select_related("owner"), ctx, pk=pk)


def survey_kpi_list(*, ctx: OrgContext) -> QuerySet[Kpi]:
    return kpi_list(ctx=ctx).filter(kind=Kpi.Kind.SURVEY)


def primary_kpi(*, ctx: OrgContext) -> Kpi | None:
    """The survey KPI of the organization's primary metric (the one in its primary measure first), if there is one:
    what the dashboards show when no KPI is chosen."""
    org = ctx.organization
    kpis = list(Kpi.objects.for_org(org).filter(kind=Kpi.Kind.SURVEY, metric=org.primary_metric or NPS_METRIC))
    kpis.sort(key=lambda k: (k.measure != org.primary_measure, k.pk))
    return kpis[0] if kpis else None


def target_list(*, ctx: OrgContext, kpi: Kpi | None = None) -> QuerySet[Target]:
    qs = Target.objects.for_org(ctx.organization).select_related(
        "kpi", "journey", "stage", "touchpoint", "persona", "created_by"
    )
    if kpi is not None:
        qs = qs.filter(kpi=kpi)
    # Broadest scope first, then in journey-map order, newest period first.
    scope_rank = Case(
        When(scope=Target.Scope.ORGANIZATION, then=Value(0)),
        When(scope=Target.Scope.JOURNEY, then=Value(1)),
        When(scope=Target.Scope.STAGE, then=Value(2)),
        default=Value(3),
    )
    return qs.order_by(
        "kpi__name",
        scope_rank,
        "journey__name",
        "stage__position",
        "touchpoint__stage__position",
        "touchpoint__position",
        "-period_start",
        "pk",
    )


def target_get(*, ctx: OrgContext, pk: int) -> Target:
    return get_in_org(Target.objects.select_related("kpi", "journey", "stage", "touchpoint", "persona"), ctx, pk=pk)


def target_list_with_history(*, ctx: OrgContext, kpi: Kpi | None = None) -> QuerySet[Target]:
    changes = TargetChange.objects.select_related("changed_by").order_by("-changed_at", "-pk")
    return target_list(ctx=ctx, kpi=kpi).prefetch_related(Prefetch("changes", queryset=changes))


def benchmark_list(*, ctx: OrgContext, kpi: Kpi | None = None) -> QuerySet[Benchmark]:
    qs = Benchmark.objects.for_org(ctx.organization).select_related("kpi", "journey", "touchpoint")
    if kpi is not None:
        qs = qs.filter(kpi=kpi)
    return qs.order_by("kpi__name", "-period_end", "source_name", "pk")


def benchmark_get(*, ctx: OrgContext, pk: int) -> Benchmark:
    return get_in_org(Benchmark.objects.select_related("kpi"), ctx, pk=pk)


def kpi_value_list(*, ctx: OrgContext) -> QuerySet[KpiValue]:
    return (
        KpiValue.objects.for_org(ctx.organization)
        .select_related("kpi", "touchpoint")
        .order_by("-day", "kpi_id", "touchpoint_id")
    )


SEGMENT_CACHE_SECONDS = 300


def segment_choices(*, ctx: OrgContext) -> list[str]:
    """The customer segments of the organization, for filters. Cached: a DISTINCT over every customer costs tens
    of milliseconds at 100,000 customers, and segments change rarely (a new one shows within five minutes)."""
    key = f"kpis:segments:{ctx.org_id}"
    segments = cache.get(key)
    if segments is None:
        segments = list(
            Customer.objects.for_org(ctx.organization)
            .exclude(segment="")
            .order_by("segment")
            .values_list("segment", flat=True)
            .distinct()
        )
        cache.set(key, segments, SEGMENT_CACHE_SECONDS)
    return segments


def owner_choices(*, ctx: OrgContext) -> QuerySet:
    return get_user_model().objects.filter(memberships__organization=ctx.organization).order_by("username")


def last_reconciliation(*, ctx: OrgContext) -> Reconciliation | None:
    return Reconciliation.objects.for_org(ctx.organization).order_by("-started_at", "-pk").first()
