"""The journey gap dashboard: the journey map coloured by score against target, per touchpoint."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, Sum

from accounts.scoping import OrgContext
from journeys.models import Journey, Stage, Touchpoint
from journeys.selectors import journey_map
from kpis import charts
from kpis.dashboards.common import (
    Filters,
    Sparkline,
    _benchmarks,
    _min_n,
    _monthly_by_touchpoint,
    _period_sums_by_touchpoint,
    _scope_benchmarks,
    _scope_targets,
    _series,
    _sums_by_touchpoint,
    _targets,
    _touchpoint_values,
    _value_at_stake,
    _with_default_kpi,
    sparkline,
    trend_months,
)
from kpis.dashboards.weighting import RESPONDENTS, WEIGHTS, weighted_assessment
from kpis.models import STAT_FIELDS, Benchmark, JourneyRollup, Target
from kpis.scores import Assessment, add_sums, change_between, empty_sums, pick_benchmark, pick_target


@dataclass
class TouchpointCard:
    touchpoint: Touchpoint
    assessment: Assessment
    spark: Sparkline | None = None
    value: object | None = None  # value.selectors.TouchpointValue
    value_at_stake: float | None = None


@dataclass
class StageColumn:
    stage: Stage
    assessment: Assessment
    cards: list[TouchpointCard] = field(default_factory=list)


@dataclass
class JourneyGap:
    journey: Journey
    filters: Filters
    stages: list[StageColumn]
    assessment: Assessment
    source: str  # "survey" (journey survey) or "touchpoints" (from the touchpoints: see `weighting`)
    figure: dict | None
    min_n: int
    currency: str = ""
    value_at_stake: float | None = None
    # How a "touchpoints" figure is made: "respondents" (sums of the touchpoints' answers, the default) or "weights"
    # (the touchpoints' scores by their weights, see kpis.dashboards.weighting). `weights_requested`: the journey is
    # set to use weights (it falls back to respondents when no touchpoint has a weight).
    weighting: str = RESPONDENTS
    weights_requested: bool = False

    @property
    def has_scores(self) -> bool:
        """Whether any touchpoint has enough answers for a figure (otherwise the page shows what is missing)."""
        return any(c.assessment.score.sufficient for col in self.stages for c in col.cards)

    @property
    def has_targets(self) -> bool:
        return any(c.assessment.target is not None for col in self.stages for c in col.cards)

    @property
    def missing_responses(self) -> bool:
        return any(col.cards for col in self.stages) and not self.has_scores

    @property
    def missing_targets(self) -> bool:
        return any(col.cards for col in self.stages) and not self.has_targets


@dataclass
class TouchpointScores:
    """Score, n, target and status of many touchpoints, read in a fixed number of queries (the journey map)."""

    filters: Filters
    min_n: int
    assessments: dict[int, Assessment]

    def get(self, touchpoint_id: int) -> Assessment | None:
        return self.assessments.get(touchpoint_id)

    @property
    def has_scores(self) -> bool:
        return any(a.score.sufficient for a in self.assessments.values())

    @property
    def has_targets(self) -> bool:
        return any(a.target is not None for a in self.assessments.values())

    @property
    def missing_responses(self) -> bool:
        """Touchpoints there are, but none with enough answers for a figure."""
        return bool(self.assessments) and not self.has_scores

    @property
    def missing_targets(self) -> bool:
        return bool(self.assessments) and not self.has_targets


def touchpoint_scores(*, ctx: OrgContext, touchpoints: list[Touchpoint], filters: Filters) -> TouchpointScores:
    """The figures of the gap dashboard's touchpoint cards for `touchpoints` (any number) in a fixed number of
    queries: the KPI (unless the filters carry it), the sums of the period and of the previous one (one query), and
    the touchpoint targets. Another organization's touchpoints get nothing (every read is scoped)."""
    filters = _with_default_kpi(ctx, filters)
    min_n = _min_n(ctx)
    tp_ids = [tp.pk for tp in touchpoints]
    if not tp_ids:
        return TouchpointScores(filters=filters, min_n=min_n, assessments={})
    current, previous = _period_sums_by_touchpoint(ctx, filters, tp_ids)
    targets = _scope_targets(
        _targets(
            ctx, filters.kpi, filters.start, filters.end, Q(scope=Target.Scope.TOUCHPOINT, touchpoint_id__in=tp_ids)
        )
    )
    assessments = {}
    for tp in touchpoints:
        now = filters.score(current.get(tp.pk, empty_sums()), min_n)
        before = filters.score(previous.get(tp.pk, empty_sums()), min_n)
        assessments[tp.pk] = Assessment(
            score=now,
            target=pick_target(
                targets.get(("touchpoint", tp.pk), []),
                end=filters.end,
                segment=filters.segment,
                persona_id=filters.persona_id,
            ),
            change=change_between(before, now),
            higher_is_better=filters.higher_is_better,
        )
    return TouchpointScores(filters=filters, min_n=min_n, assessments=assessments)


def journey_gap(*, ctx: OrgContext, journey: Journey, filters: Filters) -> JourneyGap:
    filters = _with_default_kpi(ctx, filters)
    min_n = _min_n(ctx)
    stages = journey_map(ctx=ctx, journey=journey)
    all_tps = [tp for s in stages for tp in s.ordered_touchpoints]
    tp_ids = [tp.pk for tp in all_tps if not filters.channel or tp.channel == filters.channel]
    current = _sums_by_touchpoint(ctx, filters, filters.start, filters.end, tp_ids)
    prev_start, prev_end = filters.previous
    previous = _sums_by_touchpoint(ctx, filters, prev_start, prev_end, tp_ids)
    monthly = _monthly_by_touchpoint(ctx, filters, tp_ids)
    months = trend_months(filters)
    targets = _scope_targets(
        _targets(ctx, filters.kpi, filters.start, filters.end, Q(journey=journey) | Q(scope=Target.Scope.ORGANIZATION))
    )
    benchmarks = _scope_benchmarks(_benchmarks(ctx, filters.kpi, filters.end))
    values, currency, _has_values = _touchpoint_values(ctx, filters)

    def target_for(scope: str, pk: int | None) -> Target | None:
        return pick_target(
            targets.get((scope, pk), []), end=filters.end, segment=filters.segment, persona_id=filters.persona_id
        )

    def assess(cur: dict, prev: dict, target: Target | None, benchmark: Benchmark | None) -> Assessment:
        now, before = filters.score(cur, min_n), filters.score(prev, min_n)
        return Assessment(
            score=now,
            target=target,
            benchmark=benchmark,
            change=change_between(before, now),
            higher_is_better=filters.higher_is_better,
        )

    columns = []
    journey_cur, journey_prev = empty_sums(), empty_sums()
    for stage in stages:
        stage_cur, stage_prev = empty_sums(), empty_sums()
        cards = []
        for tp in stage.ordered_touchpoints:
            if tp.pk not in tp_ids:
                continue
            cur, prev = current.get(tp.pk, empty_sums()), previous.get(tp.pk, empty_sums())
            add_sums(stage_cur, cur)
            add_sums(stage_prev, prev)
            bench = pick_benchmark(benchmarks.get(("touchpoint", tp.pk), []))
            card = TouchpointCard(
                touchpoint=tp,
                assessment=assess(cur, prev, target_for("touchpoint", tp.pk), bench),
                spark=sparkline(_series(monthly, tp.pk, months, filters, min_n)),
                value=values.get(tp.pk),
            )
            card.value_at_stake = _value_at_stake(card.assessment, card.value)
            cards.append(card)
        add_sums(journey_cur, stage_cur)
        add_sums(journey_prev, stage_prev)
        columns.append(
            StageColumn(
                stage=stage, assessment=assess(stage_cur, stage_prev, target_for("stage", stage.pk), None), cards=cards
            )
        )

    source = "touchpoints"
    if not filters.sliced and not filters.channel:
        survey_cur, survey_prev = _journey_survey_sums(ctx, journey, filters)
        if survey_cur["n"]:
            source, journey_cur, journey_prev = "survey", survey_cur, survey_prev
    journey_bench = pick_benchmark(
        benchmarks.get(("journey", journey.pk), []) or benchmarks.get(("organization", None), [])
    )
    cards = [c for col in columns for c in col.cards]
    assessment, weighting = None, RESPONDENTS
    if source == "touchpoints" and journey.uses_touchpoint_weights:
        assessment = weighted_assessment(
            touchpoints=[c.touchpoint for c in cards],
            current=current,
            previous=previous,
            filters=filters,
            min_n=min_n,
            target=target_for("journey", journey.pk),
            benchmark=journey_bench,
        )
        weighting = RESPONDENTS if assessment is None else WEIGHTS
    if assessment is None:
        assessment = assess(journey_cur, journey_prev, target_for("journey", journey.pk), journey_bench)
    figure = charts.gap_chart(cards, filters=filters, journey=assessment) if cards else None
    return JourneyGap(
        journey=journey,
        filters=filters,
        stages=columns,
        assessment=assessment,
        source=source,
        figure=figure,
        min_n=min_n,
        currency=currency,
        value_at_stake=sum(c.value_at_stake for c in cards if c.value_at_stake) or None,
        weighting=weighting,
        weights_requested=journey.uses_touchpoint_weights,
    )


def _journey_survey_sums(ctx: OrgContext, journey: Journey, filters: Filters) -> tuple[dict, dict]:
    """Journey-survey sums for the period and the previous one, in one query."""
    prev_start, _prev_end = filters.previous
    in_current = Q(day__gte=filters.start)
    in_previous = Q(day__lt=filters.start)
    sums = {}
    for f in STAT_FIELDS:
        sums[f"cur_{f}"] = Sum(f, filter=in_current)
        sums[f"prev_{f}"] = Sum(f, filter=in_previous)
    row = (
        JourneyRollup.objects.for_org(ctx.organization)
        .filter(journey=journey, metric=filters.metric, day__gte=prev_start, day__lte=filters.end)
        .aggregate(**sums)
    )
    cur = {f: row[f"cur_{f}"] or 0 for f in STAT_FIELDS}
    prev = {f: row[f"prev_{f}"] or 0 for f in STAT_FIELDS}
    return cur, prev
