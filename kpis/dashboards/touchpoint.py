"""The touchpoint page: trend against target, score distribution, latest comments, operational KPIs."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, Sum

from accounts.scoping import OrgContext
from journeys.models import Touchpoint
from kpis import charts
from kpis.dashboards.common import (
    MONTH,
    VERBATIMS,
    Filters,
    Sparkline,
    _benchmarks,
    _min_n,
    _month_end,
    _monthly_by_touchpoint,
    _scope_benchmarks,
    _sums_by_touchpoint,
    _with_default_kpi,
    sparkline,
    trend_months,
)
from kpis.models import Kpi, KpiValue, Target
from kpis.scores import Assessment, change_between, empty_sums, pick_benchmark, pick_target
from surveys.models import Answer


@dataclass
class Verbatim:
    text: str
    day: dt.date
    language: str
    score: float | None


@dataclass
class LinkedKpi:
    kpi: Kpi
    value: float | None
    days: int
    target: Target | None
    spark: Sparkline | None

    @property
    def status(self) -> str:
        if self.value is None:
            return "insufficient"
        if self.target is None:
            return "none"
        good = self.value >= self.target.value if self.kpi.higher_is_better else self.value <= self.target.value
        return "above" if good else "below"


@dataclass
class TouchpointPage:
    touchpoint: Touchpoint
    filters: Filters
    assessment: Assessment
    trend_figure: dict
    distribution_figure: dict | None
    verbatims: list[Verbatim]
    linked: list[LinkedKpi]
    min_n: int
    has_trend: bool = True  # any month with enough answers (otherwise the page says what is missing)
    missing_target: bool = False  # no target of the KPI for this touchpoint in the trend's months


def touchpoint_page(*, ctx: OrgContext, touchpoint: Touchpoint, filters: Filters) -> TouchpointPage:
    filters = _with_default_kpi(ctx, filters)
    min_n = _min_n(ctx)
    tp_ids = [touchpoint.pk]
    current = _sums_by_touchpoint(ctx, filters, filters.start, filters.end, tp_ids).get(touchpoint.pk, empty_sums())
    prev_start, prev_end = filters.previous
    previous = _sums_by_touchpoint(ctx, filters, prev_start, prev_end, tp_ids).get(touchpoint.pk, empty_sums())
    monthly = _monthly_by_touchpoint(ctx, filters, tp_ids)
    months = trend_months(filters)
    # Every target of this touchpoint (all KPIs, all periods in the trend window): the target line and linked KPIs.
    tp_targets = list(
        Target.objects.for_org(ctx.organization)
        .filter(touchpoint=touchpoint, period_end__gte=months[0], period_start__lte=filters.end)
        .select_related("kpi")
    )
    survey_targets = [t for t in tp_targets if filters.kpi is not None and t.kpi_id == filters.kpi.pk]
    benchmarks = _scope_benchmarks(_benchmarks(ctx, filters.kpi, filters.end))
    bench = pick_benchmark(
        benchmarks.get(("touchpoint", touchpoint.pk), [])
        or benchmarks.get(("journey", touchpoint.journey_id), [])
        or benchmarks.get(("organization", None), [])
    )
    now, before = filters.score(current, min_n), filters.score(previous, min_n)
    assessment = Assessment(
        score=now,
        target=pick_target(
            [t for t in survey_targets if t.period_start <= filters.end and t.period_end >= filters.start],
            end=filters.end,
            segment=filters.segment,
            persona_id=filters.persona_id,
        ),
        benchmark=bench,
        change=change_between(before, now),
        higher_is_better=filters.higher_is_better,
    )
    trend = []
    for m in months:
        score = filters.score(monthly.get((touchpoint.pk, m)) or empty_sums(), min_n)
        target = pick_target(
            [t for t in survey_targets if t.period_start <= _month_end(m) and t.period_end >= m],
            end=min(_month_end(m), filters.end),
            segment=filters.segment,
            persona_id=filters.persona_id,
        )
        trend.append((m, score, target.value if target else None))
    return TouchpointPage(
        touchpoint=touchpoint,
        filters=filters,
        assessment=assessment,
        trend_figure=charts.trend_chart(trend, filters=filters, benchmark=bench),
        distribution_figure=charts.distribution_chart(now.distribution, metric=filters.metric) if now.n else None,
        verbatims=_verbatims(ctx, touchpoint, filters),
        linked=_linked_kpis(ctx, touchpoint, filters, tp_targets, months),
        min_n=min_n,
        has_trend=any(score.sufficient for _m, score, _t in trend),
        missing_target=not survey_targets,
    )


def _verbatims(ctx: OrgContext, touchpoint: Touchpoint, filters: Filters) -> list[Verbatim]:
    """The latest comments: a LIMIT query walking the (touchpoint, submitted_on) index backwards."""
    qs = Answer.objects.for_org(ctx.organization).filter(
        touchpoint=touchpoint, submitted_on__gte=filters.start, submitted_on__lte=filters.end
    )
    if filters.segment:
        qs = qs.filter(response__customer__segment=filters.segment)
    if filters.persona_id:
        qs = qs.filter(response__customer__persona_id=filters.persona_id)
    rows = list(
        qs.exclude(text="")
        .order_by("-submitted_on", "-pk")
        .values("response_id", "text", "submitted_on", "response__language")[:VERBATIMS]
    )
    scores = (
        dict(
            Answer.objects.filter(response_id__in=[r["response_id"] for r in rows], metric=filters.metric)
            .exclude(value=None)
            .values_list("response_id", "value")
        )
        if rows
        else {}
    )
    return [
        Verbatim(
            text=r["text"], day=r["submitted_on"], language=r["response__language"], score=scores.get(r["response_id"])
        )
        for r in rows
    ]


def _aggregate_value(kpi: Kpi, row: Mapping[str, Any], last: float | None) -> float | None:
    """The figure of a period (or month) from its sums; a ratio KPI is 100 x sum(numerators) / sum(denominators)."""
    return KpiValue.period_figure(kpi.aggregation, last=last, **row) if row else None


def _linked_kpis(
    ctx: OrgContext, touchpoint: Touchpoint, filters: Filters, tp_targets: list[Target], months: list[dt.date]
) -> list[LinkedKpi]:
    """Operational KPI values of the touchpoint: the period's figure, its target and a monthly sparkline."""
    base = KpiValue.objects.for_org(ctx.organization).filter(touchpoint=touchpoint)
    sums = {
        "total": Sum("value"),
        "count": Count("id"),
        "numerator_sum": Sum("numerator"),
        "denominator_sum": Sum("denominator"),
        "ratio_days": Count("denominator"),
    }
    monthly = list(
        base.filter(day__gte=months[0], day__lte=filters.end)
        .annotate(**MONTH)
        .values("kpi_id", *MONTH)
        .annotate(**sums)
        .order_by()
    )
    period: dict[int, Mapping[str, Any]] = {
        r["kpi_id"]: r
        for r in base.filter(day__gte=filters.start, day__lte=filters.end)
        .values("kpi_id")
        .annotate(last_day=Max("day"), **sums)
        .order_by()
    }
    kpi_ids = {r["kpi_id"] for r in monthly} | set(period)
    if not kpi_ids:
        return []
    kpis = {k.pk: k for k in Kpi.objects.for_org(ctx.organization).filter(pk__in=kpi_ids)}
    last_values = {}
    last_days = Q()
    for kpi_id, row in period.items():
        if kpis[kpi_id].aggregation == Kpi.Aggregation.LAST:
            last_days |= Q(kpi_id=kpi_id, day=row["last_day"])
    if last_days:
        last_values = dict(base.filter(last_days).values_list("kpi_id", "value"))
    by_month: defaultdict[int, dict[dt.date, Mapping[str, Any]]] = defaultdict(dict)
    for r in monthly:
        by_month[r["kpi_id"]][dt.date(r["year"], r["month"], 1)] = r
    linked = []
    for kpi_id, kpi in sorted(kpis.items(), key=lambda kv: kv[1].name):
        row = period.get(kpi_id, {})
        series = [(m, _aggregate_value(kpi, by_month[kpi_id].get(m, {}), None)) for m in months]
        target = pick_target(
            [
                t
                for t in tp_targets
                if t.kpi_id == kpi_id and t.period_start <= filters.end and t.period_end >= filters.start
            ],
            end=filters.end,
        )
        days_key = "ratio_days" if kpi.aggregation == Kpi.Aggregation.RATIO else "count"
        linked.append(
            LinkedKpi(
                kpi=kpi,
                value=_aggregate_value(kpi, row, last_values.get(kpi_id)),
                days=row.get(days_key) or 0,
                target=target,
                spark=sparkline(series),
            )
        )
    return linked
