"""The organization overview: journeys and touchpoints ranked by gap to target and by value at stake."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Q, Sum

from accounts.scoping import OrgContext
from core.scales import measure_label
from journeys.models import Journey, Touchpoint
from kpis import charts
from kpis.dashboards.common import (
    Filters,
    _benchmarks,
    _min_n,
    _period_sums,
    _scope_benchmarks,
    _scope_targets,
    _sums_by_touchpoint,
    _targets,
    _touchpoint_values,
    _value_at_stake,
    _with_default_kpi,
)
from kpis.dashboards.weighting import RESPONDENTS, WEIGHTS, weighted_assessment
from kpis.models import STAT_FIELDS, Benchmark, DirtyRollup, JourneyRollup, RelationshipRollup, Target
from kpis.scores import Assessment, add_sums, change_between, empty_sums, pick_benchmark, pick_target
from kpis.selectors import last_reconciliation

if TYPE_CHECKING:
    from value.selectors import TouchpointValue


@dataclass
class TouchpointRow:
    touchpoint: Touchpoint
    assessment: Assessment
    value: TouchpointValue | None = None
    value_at_stake: float | None = None


@dataclass
class JourneyRow:
    journey: Journey
    assessment: Assessment
    source: str
    value_at_stake: float | None = None
    valued_touchpoints: int = 0
    # A "touchpoints" figure: "respondents" (default) or "weights" (see kpis.dashboards.weighting).
    weighting: str = RESPONDENTS


@dataclass
class Overview:
    filters: Filters
    organization: Assessment
    journeys: list[JourneyRow]
    touchpoints_by_gap: list[TouchpointRow]
    touchpoints_by_value: list[TouchpointRow]
    unvalued: list[TouchpointRow]
    value_status: str  # "ok", "not_run", "other_metric"
    currency: str
    reconciliation: object | None
    dirty_keys: int
    value_figure: dict | None
    min_n: int
    value_metric: str = ""
    # The relationship survey's figure beside `organization` (the sum of touchpoints); None when the filters slice
    # by segment, persona or channel (relationship answers are rolled up per organization and day only).
    relationship: Assessment | None = None


def organization_overview(*, ctx: OrgContext, filters: Filters) -> Overview:
    filters = _with_default_kpi(ctx, filters)
    min_n = _min_n(ctx)
    journeys = list(Journey.objects.for_org(ctx.organization).active().order_by("name"))
    touchpoints = list(
        Touchpoint.objects.for_org(ctx.organization)
        .filter(journey__is_archived=False, is_active=True)
        .select_related("journey", "stage", "owner")
    )
    if filters.channel:
        touchpoints = [tp for tp in touchpoints if tp.channel == filters.channel]
    current = _sums_by_touchpoint(ctx, filters, filters.start, filters.end)
    prev_start, prev_end = filters.previous
    previous = _sums_by_touchpoint(ctx, filters, prev_start, prev_end)
    targets = _scope_targets(_targets(ctx, filters.kpi, filters.start, filters.end))
    benchmarks = _scope_benchmarks(_benchmarks(ctx, filters.kpi, filters.end))
    journey_survey = {}
    if not filters.sliced and not filters.channel:
        journey_survey = _journey_survey_by_journey(ctx, filters)
    values, currency, has_values = _touchpoint_values(ctx, filters)
    value_status = "ok" if has_values else "not_run"
    value_metric = "" if has_values else _value_model_metric(ctx, filters)
    if value_metric:
        value_status = "other_metric"

    def target_for(scope: str, pk: int | None) -> Target | None:
        return pick_target(
            targets.get((scope, pk), []), end=filters.end, segment=filters.segment, persona_id=filters.persona_id
        )

    def assess(cur: dict, prev: dict, target: Target | None, bench: Benchmark | None = None) -> Assessment:
        now, before = filters.score(cur, min_n), filters.score(prev, min_n)
        return Assessment(
            score=now,
            target=target,
            benchmark=bench,
            change=change_between(before, now),
            higher_is_better=filters.higher_is_better,
        )

    rows = []
    journey_sums: dict[int, tuple[dict, dict]] = {j.pk: (empty_sums(), empty_sums()) for j in journeys}
    org_cur, org_prev = empty_sums(), empty_sums()
    for tp in touchpoints:
        cur, prev = current.get(tp.pk, empty_sums()), previous.get(tp.pk, empty_sums())
        add_sums(org_cur, cur)
        add_sums(org_prev, prev)
        if tp.journey_id in journey_sums:
            add_sums(journey_sums[tp.journey_id][0], cur)
            add_sums(journey_sums[tp.journey_id][1], prev)
        row = TouchpointRow(touchpoint=tp, assessment=assess(cur, prev, target_for("touchpoint", tp.pk)))
        row.value = values.get(tp.pk)
        if value_status == "ok":
            row.value_at_stake = _value_at_stake(row.assessment, row.value)
        rows.append(row)

    journey_rows = []
    for j in journeys:
        cur, prev = journey_sums[j.pk]
        source = "touchpoints"
        if journey_survey.get(j.pk, ({"n": 0}, None))[0]["n"]:
            source, (cur, prev) = "survey", journey_survey[j.pk]
        weighted = None
        if source == "touchpoints" and j.uses_touchpoint_weights:
            weighted = weighted_assessment(
                touchpoints=[tp for tp in touchpoints if tp.journey_id == j.pk],
                current=current,
                previous=previous,
                filters=filters,
                min_n=min_n,
                target=target_for("journey", j.pk),
            )
        jrow = JourneyRow(
            journey=j,
            assessment=weighted or assess(cur, prev, target_for("journey", j.pk)),
            source=source,
            weighting=RESPONDENTS if weighted is None else WEIGHTS,
        )
        staked = [r.value_at_stake for r in rows if r.touchpoint.journey_id == j.pk and r.value_at_stake is not None]
        jrow.valued_touchpoints = len(staked)
        jrow.value_at_stake = sum(staked) if staked else None
        journey_rows.append(jrow)

    def gap_key(r) -> tuple:
        # Largest shortfall first; rows without a target or with too few answers last.
        a = r.assessment
        return (
            a.shortfall is None,
            -(a.shortfall or 0),
            r.touchpoint.name if hasattr(r, "touchpoint") else r.journey.name,
        )

    by_gap = sorted(rows, key=gap_key)
    journey_rows.sort(key=lambda r: (r.assessment.shortfall is None, -(r.assessment.shortfall or 0), r.journey.name))
    by_value = sorted((r for r in rows if r.value_at_stake), key=lambda r: -(r.value_at_stake or 0))
    unvalued = [r for r in rows if r.value is not None and not r.value.supported]
    org_bench = pick_benchmark(benchmarks.get(("organization", None), []))
    return Overview(
        filters=filters,
        organization=assess(org_cur, org_prev, target_for("organization", None), org_bench),
        journeys=journey_rows,
        touchpoints_by_gap=by_gap,
        touchpoints_by_value=by_value,
        unvalued=unvalued,
        value_status=value_status,
        currency=currency,
        reconciliation=last_reconciliation(ctx=ctx),
        dirty_keys=DirtyRollup.objects.filter(organization_id=ctx.org_id).count(),
        value_figure=charts.value_chart(by_value[:10], currency=currency) if by_value else None,
        min_n=min_n,
        value_metric=value_metric,
        relationship=_relationship(ctx, filters, min_n),
    )


def relationship_assessment(*, ctx: OrgContext, filters: Filters) -> Assessment | None:
    """The relationship-survey figure of the period ("how likely are you to recommend us overall"): its score in the
    filters' metric and measure, n, margin of error and significance-tested change from the previous period of the
    same length, read from `RelationshipRollup` (one query). Below the minimum n the score is not shown, as
    everywhere. None when the filters slice by segment, persona or channel (not rolled up that way).

    No target is attached: the organization's targets are set on the touchpoint figures (`Overview.organization`,
    the sum of touchpoints, is the figure to set beside it).
    """
    filters = _with_default_kpi(ctx, filters)
    return _relationship(ctx, filters, _min_n(ctx))


def _relationship(ctx: OrgContext, filters: Filters, min_n: int) -> Assessment | None:
    if filters.sliced or filters.channel:
        return None
    rows = RelationshipRollup.objects.for_org(ctx.organization).filter(metric=filters.metric)
    cur, prev = _period_sums(rows, filters)
    now, before = filters.score(cur, min_n), filters.score(prev, min_n)
    return Assessment(score=now, change=change_between(before, now), higher_is_better=filters.higher_is_better)


def _value_model_metric(ctx: OrgContext, filters: Filters) -> str:
    """The label of the metric the latest value model ran on, if that is not the figures' metric ('' otherwise)."""
    from value import selectors as value_selectors

    snapshot = value_selectors.value_snapshot_latest(ctx=ctx)
    if snapshot is None:
        return ""
    metric, measure = value_selectors.snapshot_metric(snapshot)
    return measure_label(metric, measure) if (metric, measure) != (filters.metric, filters.measure) else ""


def _journey_survey_by_journey(ctx: OrgContext, filters: Filters) -> dict[int, tuple[dict, dict]]:
    prev_start, _ = filters.previous
    sums = {}
    for f in STAT_FIELDS:
        sums[f"cur_{f}"] = Sum(f, filter=Q(day__gte=filters.start))
        sums[f"prev_{f}"] = Sum(f, filter=Q(day__lt=filters.start))
    rows: Iterable[Mapping[str, Any]] = (  # Mapping: the annotations' keys are computed
        JourneyRollup.objects.for_org(ctx.organization)
        .filter(metric=filters.metric, day__gte=prev_start, day__lte=filters.end)
        .values("journey_id")
        .annotate(**sums)
        .order_by()
    )
    return {
        r["journey_id"]: ({f: r[f"cur_{f}"] or 0 for f in STAT_FIELDS}, {f: r[f"prev_{f}"] or 0 for f in STAT_FIELDS})
        for r in rows
    }
