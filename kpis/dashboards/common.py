"""Shared parts of the dashboards: filters, rollup reads, targets and benchmarks by scope, sparklines."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Q, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format

from accounts.scoping import OrgContext
from core.numbers import format_number
from core.scales import MEASURE_MEAN, MEASURE_NPS, measure_label, scale_for_metric
from core.scores import Score
from kpis.forms import DashboardFilterForm
from kpis.models import NPS_METRIC, STAT_FIELDS, Benchmark, Kpi, Target
from kpis.scores import Assessment, empty_sums
from kpis.selectors import primary_kpi, rollup_rows, stat_sums

TREND_MONTHS = 12
MAX_TREND_MONTHS = 120
DEFAULT_PERIOD = "90"
# Year and month numbers rather than a truncated date: no time-zone conversion of every row on the way out.
MONTH = {"year": ExtractYear("day"), "month": ExtractMonth("day")}
VERBATIMS = 10


# -- filters ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    period_key: str
    start: dt.date
    end: dt.date
    kpi: Kpi | None = None
    segment: str = ""
    persona_id: int | None = None
    channel: str = ""
    # The organization's primary metric and measure: what the figures are in when no KPI is chosen.
    default_metric: str = NPS_METRIC
    default_measure: str = ""

    @property
    def metric(self) -> str:
        return self.kpi.metric if self.kpi is not None else self.default_metric

    @property
    def measure(self) -> str:
        """The measure the figures are in (core.scales): nps, mean or top_box."""
        requested = self.kpi.measure if self.kpi is not None else self.default_measure
        scale = scale_for_metric(self.metric)
        return scale.measure(requested) if scale is not None else MEASURE_MEAN

    @property
    def spec(self) -> str:
        """Metric and measure for the `score` template filter."""
        return f"{self.metric}|{self.measure}"

    @property
    def metric_label(self) -> str:
        return measure_label(self.metric, self.measure)

    @property
    def is_nps(self) -> bool:
        return self.measure == MEASURE_NPS

    def score(self, sums: dict, min_n: int) -> Score:
        return Score(self.metric, sums, min_n, self.measure)

    @property
    def higher_is_better(self) -> bool:
        return self.kpi.higher_is_better if self.kpi is not None else True

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> tuple[dt.date, dt.date]:
        """The period of the same length just before (what 'change' compares with)."""
        return self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1)

    @property
    def previous_start(self) -> dt.date:
        return self.previous[0]

    @property
    def previous_end(self) -> dt.date:
        return self.previous[1]

    @property
    def sliced(self) -> bool:
        return bool(self.segment or self.persona_id)

    def query(self, **overrides) -> str:
        params = {
            "period": self.period_key,
            "kpi": self.kpi.pk if self.kpi else "",
            "segment": self.segment,
            "persona": self.persona_id or "",
            "channel": self.channel,
        }
        if self.period_key == "custom":
            params.update(start=self.start.isoformat(), end=self.end.isoformat())
        params.update(overrides)
        return urlencode({k: v for k, v in params.items() if v not in ("", None)})


def filters_from(
    *, ctx: OrgContext, params: QueryDict, with_channel: bool = True, today: dt.date | None = None
) -> tuple[Filters, DashboardFilterForm]:
    params = params.copy()
    if not params.get("period"):
        params["period"] = DEFAULT_PERIOD  # so the select shows what the figures are for
    form = DashboardFilterForm(params, ctx=ctx, with_channel=with_channel)
    key, start, end = form.period_range(today)
    data = form.values()
    persona = data.get("persona")
    org = ctx.organization
    filters = Filters(
        period_key=key,
        start=start,
        end=end,
        default_metric=org.primary_metric or NPS_METRIC,
        default_measure=org.primary_measure,
        kpi=data.get("kpi") or form.default_kpi,  # no KPI chosen: the primary metric's KPI (read once, by the form)
        segment=data.get("segment") or "",
        persona_id=persona.pk if persona else None,
        channel=data.get("channel") or "" if with_channel else "",
    )
    return filters, form


def default_filters(*, ctx: OrgContext, today: dt.date | None = None) -> Filters:
    """The dashboards' default figures (the last DEFAULT_PERIOD days, the organization's primary metric and its KPI)
    without a filter form: for pages that show scores but have no filters (the journey map, the touchpoint page)."""
    today = today or timezone.localdate()
    org = ctx.organization
    return Filters(
        period_key=DEFAULT_PERIOD,
        start=today - dt.timedelta(days=int(DEFAULT_PERIOD) - 1),
        end=today,
        default_metric=org.primary_metric or NPS_METRIC,
        default_measure=org.primary_measure,
        kpi=primary_kpi(ctx=ctx),
    )


def _min_n(ctx: OrgContext) -> int:
    return ctx.organization.min_n


# -- shared reads -----------------------------------------------------------------------------------------------


def _sums_by_touchpoint(
    ctx: OrgContext, filters: Filters, start: dt.date, end: dt.date, tp_ids=None
) -> dict[int, dict]:
    rows = rollup_rows(
        ctx=ctx,
        metric=filters.metric,
        start=start,
        end=end,
        touchpoint_ids=tp_ids,
        segment=filters.segment or None,
        persona_id=filters.persona_id,
    )
    return {r["touchpoint_id"]: r for r in rows.values("touchpoint_id").annotate(**stat_sums()).order_by()}


def _period_sums_by_touchpoint(ctx: OrgContext, filters: Filters, tp_ids) -> tuple[dict[int, dict], dict[int, dict]]:
    """Sums per touchpoint for the period and for the previous one, in one query."""
    prev_start, _prev_end = filters.previous
    rows = rollup_rows(
        ctx=ctx,
        metric=filters.metric,
        start=prev_start,
        end=filters.end,
        touchpoint_ids=tp_ids,
        segment=filters.segment or None,
        persona_id=filters.persona_id,
    )
    sums = {}
    for f in STAT_FIELDS:
        sums[f"cur_{f}"] = Sum(f, filter=Q(day__gte=filters.start))
        sums[f"prev_{f}"] = Sum(f, filter=Q(day__lt=filters.start))
    current, previous = {}, {}
    for r in rows.values("touchpoint_id").annotate(**sums).order_by():
        current[r["touchpoint_id"]] = {f: r[f"cur_{f}"] or 0 for f in STAT_FIELDS}
        previous[r["touchpoint_id"]] = {f: r[f"prev_{f}"] or 0 for f in STAT_FIELDS}
    return current, previous


def _period_sums(rows, filters: Filters) -> tuple[dict, dict]:
    """Sums of rollup `rows` (a queryset of one scope and metric) for the period and the previous one, in one query."""
    prev_start, _prev_end = filters.previous
    sums = {}
    for f in STAT_FIELDS:
        sums[f"cur_{f}"] = Sum(f, filter=Q(day__gte=filters.start))
        sums[f"prev_{f}"] = Sum(f, filter=Q(day__lt=filters.start))
    row = rows.filter(day__gte=prev_start, day__lte=filters.end).aggregate(**sums)
    return {f: row[f"cur_{f}"] or 0 for f in STAT_FIELDS}, {f: row[f"prev_{f}"] or 0 for f in STAT_FIELDS}


def _months(end: dt.date, count: int = TREND_MONTHS) -> list[dt.date]:
    first = end.replace(day=1)
    months = []
    for i in range(count - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - i, 12)
        months.append(dt.date(y, m + 1, 1))
    return months


def trend_months(filters: Filters) -> list[dt.date]:
    """Every month of the trend: at least the last TREND_MONTHS up to the period's end, and always the whole selected
    period (a long custom period is not cut to a year). Months without enough answers stay in the list (as gaps)."""
    end_index = filters.end.year * 12 + filters.end.month - 1
    start_index = filters.start.year * 12 + filters.start.month - 1
    count = min(max(TREND_MONTHS, end_index - start_index + 1), MAX_TREND_MONTHS)
    return _months(filters.end, count)


def _month_end(month: dt.date) -> dt.date:
    y, m = divmod(month.year * 12 + month.month, 12)
    return dt.date(y, m + 1, 1) - dt.timedelta(days=1)


def _monthly_by_touchpoint(ctx: OrgContext, filters: Filters, tp_ids=None) -> dict[tuple[int, dt.date], dict]:
    months = trend_months(filters)
    rows = rollup_rows(
        ctx=ctx,
        metric=filters.metric,
        start=months[0],
        end=filters.end,
        touchpoint_ids=tp_ids,
        segment=filters.segment or None,
        persona_id=filters.persona_id,
    )
    grouped = rows.annotate(**MONTH).values("touchpoint_id", "year", "month").annotate(**stat_sums()).order_by()
    return {(r["touchpoint_id"], dt.date(r["year"], r["month"], 1)): r for r in grouped}


def _targets(ctx: OrgContext, kpi: Kpi | None, start: dt.date, end: dt.date, extra: Q | None = None) -> list[Target]:
    if kpi is None:
        return []
    qs = Target.objects.for_org(ctx.organization).filter(kpi=kpi).overlapping(start, end)
    if extra is not None:
        qs = qs.filter(extra)
    return list(qs)


def _benchmarks(ctx: OrgContext, kpi: Kpi | None, end: dt.date) -> list[Benchmark]:
    """Benchmarks of the KPI that ended at most a year before the period's end (older ones mislead)."""
    if kpi is None:
        return []
    return list(
        Benchmark.objects.for_org(ctx.organization).filter(
            kpi=kpi, period_end__gte=end - dt.timedelta(days=366), period_start__lte=end
        )
    )


def default_kpi(ctx: OrgContext) -> Kpi | None:
    """The KPI of the organization's primary metric (the one with its measure first), if there is one."""
    return primary_kpi(ctx=ctx)


def _with_default_kpi(ctx: OrgContext, filters: Filters) -> Filters:
    if filters.kpi is not None:
        return filters
    kpi = default_kpi(ctx)
    if kpi is None:
        return filters
    return Filters(**{**filters.__dict__, "kpi": kpi})


def _scope_targets(targets: list[Target]) -> dict[tuple[str, int | None], list[Target]]:
    by_scope: dict[tuple[str, int | None], list[Target]] = defaultdict(list)
    for t in targets:
        by_scope[(t.scope, t.touchpoint_id or t.stage_id or t.journey_id)].append(t)
    return by_scope


def _scope_benchmarks(benchmarks: list[Benchmark]) -> dict[tuple[str, int | None], list[Benchmark]]:
    by_scope: dict[tuple[str, int | None], list[Benchmark]] = defaultdict(list)
    for b in benchmarks:
        if b.touchpoint_id:
            by_scope[("touchpoint", b.touchpoint_id)].append(b)
        elif b.journey_id:
            by_scope[("journey", b.journey_id)].append(b)
        else:
            by_scope[("organization", None)].append(b)
    return by_scope


# -- sparklines (inline SVG: cheap for many small cards, no script needed) ----------------------------------------


@dataclass(frozen=True)
class Sparkline:
    points: str
    last: tuple[float, float] | None
    title: str


def sparkline(series: list[tuple[dt.date, float | None]], *, width: int = 100, height: int = 24) -> Sparkline | None:
    known = [(i, v) for i, (_, v) in enumerate(series) if v is not None]
    if len(known) < 2:
        return None
    lo, hi = min(v for _, v in known), max(v for _, v in known)
    span = (hi - lo) or 1.0
    step = width / max(len(series) - 1, 1)
    coords = [(round(i * step, 1), round(height - 2 - (v - lo) / span * (height - 4), 1)) for i, v in known]
    title = ", ".join(f"{date_format(series[i][0], 'YEAR_MONTH_FORMAT')}: {format_number(v, 0)}" for i, v in known)
    return Sparkline(points=" ".join(f"{x},{y}" for x, y in coords), last=coords[-1], title=title)


def _series(
    monthly: dict, key, months: list[dt.date], filters: Filters, min_n: int
) -> list[tuple[dt.date, float | None]]:
    """Monthly values of one touchpoint; months below the minimum n are None (a gap: no point drawn)."""
    out = []
    for m in months:
        score = filters.score(monthly.get((key, m)) or empty_sums(), min_n)
        out.append((m, score.shown))
    return out


def _touchpoint_values(ctx: OrgContext, filters: Filters) -> tuple[dict, str, bool]:
    """The value model's touchpoint values, if a snapshot exists that was computed on the figures' metric."""
    from value import selectors as value_selectors

    values = value_selectors.touchpoint_values(ctx=ctx, metric=filters.metric, measure=filters.measure)
    return values, value_selectors.currency(ctx=ctx), bool(values)


def _value_at_stake(assessment: Assessment, value) -> float | None:
    """Shortfall in the figure's points x what one point is worth a year, where the value model supports the
    touchpoint (the caller checks that the value model ran on the same metric and measure)."""
    if value is None or not value.supported or not assessment.shortfall or value.value_per_point is None:
        return None
    return assessment.shortfall * value.value_per_point
