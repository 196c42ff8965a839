"""Reads of the voice app, always through an OrgContext: only the context's organization, and for frontline users
only their teams' touchpoints (the response explorer's rule, surveys.ingestion.selectors).

Insight figures (overview, trend, per touchpoint, emerging themes, value at stake) read the monthly ThemeStat
rollup only, never the comments: one aggregate query over the organization's rows of the period (the unique key
starts with organization, month), whatever the number of comments. Periods are whole months: `start` and `end`
stand for their months, both included. The verbatim search reads the comments.

Definitions (ThemeStat sums; "without" = theme_key 0 minus the theme's row, within the same scope):
- share = the theme's comments / all comments of the scope;
- mean with / without = mean `metric` score of the scored comments with / without the theme; impact = with - without
  (negative: the theme lowers the score); p_value = Welch's t test on the sums (voice.stats.welch); significant =
  p < 0.05 and at least 10 scored comments on each side;
- NPS with / without = NPS of the comments scored on NPS with / without the theme (whatever `metric`);
- sentiment = mean sentiment of what the comments say about the theme (-1..1); negative share = negative comments /
  comments.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import reduce
from typing import Any

import simplemma
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.scoping import OrgContext, get_in_org
from journeys.models import Journey, Touchpoint
from voice.models import LANGUAGES, CommentAnalysis, CommentTheme, Taxonomy, Theme, ThemeProposal, ThemeStat, VoiceRun
from voice.stats import (
    MIN_N,
    NPS,
    add_months,
    is_significant,
    mean,
    month_start,
    months_between,
    nps,
    two_proportions,
    welch,
)

# PostgreSQL text-search configurations a query is parsed with (each comment's vector is in its own language's).
SEARCH_CONFIGS = ("swedish", "norwegian", "danish", "english", "simple")
# Emerging themes: a month's share must be at least this many times the baseline's.
EMERGING_MIN_RATIO = 1.5


# -- scope ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a figure covers: months `start`..`end` (first days, inclusive), one touchpoint or journey, a metric."""

    start: dt.date
    end: dt.date
    touchpoint_id: int | None = None
    journey_id: int | None = None
    metric: str = NPS


def _visible_touchpoints(ctx: OrgContext) -> QuerySet[Touchpoint]:
    qs = Touchpoint.objects.for_org(ctx.organization)
    if ctx.is_frontline:
        qs = qs.filter(responsible_team_id__in=ctx.team_ids)
    return qs


def _scope(
    ctx: OrgContext, start: dt.date, end: dt.date, touchpoint_id: int | None, journey_id: int | None, metric: str
) -> Scope:
    """The scope, after a 404 for a touchpoint or journey that is not the organization's (or not the frontline
    user's teams')."""
    if touchpoint_id is not None:
        get_in_org(_visible_touchpoints(ctx), ctx, pk=touchpoint_id)
    if journey_id is not None:
        get_in_org(Journey.objects.all(), ctx, pk=journey_id)
    return Scope(month_start(start), month_start(end), touchpoint_id, journey_id, metric or NPS)


def _stat_rows(ctx: OrgContext, scope: Scope) -> QuerySet[ThemeStat]:
    qs = ThemeStat.objects.filter(organization_id=ctx.org_id, month__gte=scope.start, month__lte=scope.end)
    if scope.touchpoint_id is not None:
        qs = qs.filter(touchpoint_key=scope.touchpoint_id)
    if scope.journey_id is not None:
        qs = qs.filter(journey_key=scope.journey_id)
    if ctx.is_frontline:
        qs = qs.filter(touchpoint_key__in=_visible_touchpoints(ctx).values("pk"))
    return qs.order_by()


@dataclass(frozen=True)
class Sums:
    """Additive ThemeStat sums of one slice; score sums are of `metric`, the NPS ones of metric "nps"."""

    comments: int = 0
    scored: int = 0
    score_sum: float = 0.0
    score_sumsq: float = 0.0
    nps_scored: int = 0
    promoters: int = 0
    detractors: int = 0
    negative: int = 0
    sentiment_sum: float = 0.0

    def __sub__(self, other: Sums) -> Sums:
        return Sums(**{f.name: getattr(self, f.name) - getattr(other, f.name) for f in fields(self)})

    @classmethod
    def from_row(cls, row: dict) -> Sums:
        return cls(**{f.name: row.get(f"sum_{f.name}") or 0 for f in fields(cls)})

    @property
    def mean(self) -> float | None:
        return mean(self.scored, self.score_sum)

    @property
    def nps(self) -> float | None:
        return nps(self.promoters, self.detractors, self.nps_scored)


def _sum_expressions(metric: str) -> dict:
    """The aggregates of Sums (named sum_<field>: an annotation may not shadow a ThemeStat column)."""
    on_metric, on_nps = Q(metric=metric), Q(metric=NPS)
    return {
        "sum_comments": Sum("comments"),
        "sum_scored": Sum("scored", filter=on_metric),
        "sum_score_sum": Sum("score_sum", filter=on_metric),
        "sum_score_sumsq": Sum("score_sumsq", filter=on_metric),
        "sum_nps_scored": Sum("scored", filter=on_nps),
        "sum_promoters": Sum("promoters", filter=on_nps),
        "sum_detractors": Sum("detractors", filter=on_nps),
        "sum_negative": Sum("negative"),
        "sum_sentiment_sum": Sum("sentiment_sum"),
    }


def _aggregate(
    ctx: OrgContext, scope: Scope, *, by: tuple[str, ...] = (), theme_keys: list[int] | None = None
) -> dict[tuple, Sums]:
    """{(theme_key, *by values): Sums} of the scope: one GROUP BY query over ThemeStat."""
    qs = _stat_rows(ctx, scope)
    if theme_keys is not None:
        qs = qs.filter(theme_key__in=theme_keys)
    rows = qs.values("theme_key", *by).annotate(**_sum_expressions(scope.metric))
    return {(row["theme_key"], *(row[b] for b in by)): Sums.from_row(row) for row in rows}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# -- overview ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """The whole scope: every analysed comment."""

    comments: int
    scored: int
    mean: float | None
    nps: float | None
    sentiment: float | None
    negative_share: float | None


@dataclass(frozen=True)
class ThemeRow:
    theme: Theme
    scope: Scope
    comments: int
    share: float | None
    scored: int  # comments with the theme scored on scope.metric
    scored_without: int
    mean_with: float | None
    mean_without: float | None
    impact: float | None  # mean_with - mean_without
    p_value: float | None
    significant: bool
    nps_with: float | None
    nps_without: float | None
    nps_share: float | None  # the theme's share of the comments scored on NPS (the weight of its NPS gap)
    sentiment: float | None
    negative_share: float | None

    @property
    def is_thin(self) -> bool:
        return self.scored < MIN_N or self.scored_without < MIN_N


class ThemeOverview(list):
    """The overview's rows (a list of ThemeRow) with `.totals` (Totals) and `.scope` (Scope)."""

    def __init__(self, rows: list[ThemeRow], totals: Totals, scope: Scope):
        super().__init__(rows)
        self.totals = totals
        self.scope = scope


def _totals(total: Sums) -> Totals:
    return Totals(
        comments=total.comments,
        scored=total.scored,
        mean=total.mean,
        nps=total.nps,
        sentiment=mean(total.comments, total.sentiment_sum),
        negative_share=_share(total.negative, total.comments),
    )


def _row(theme: Theme, mine: Sums, total: Sums, scope: Scope) -> ThemeRow:
    rest = total - mine
    diff, p_value = welch(mine.scored, mine.score_sum, mine.score_sumsq, rest.scored, rest.score_sum, rest.score_sumsq)
    return ThemeRow(
        theme=theme,
        scope=scope,
        comments=mine.comments,
        share=_share(mine.comments, total.comments),
        scored=mine.scored,
        scored_without=rest.scored,
        mean_with=mine.mean,
        mean_without=rest.mean,
        impact=diff,
        p_value=p_value,
        significant=is_significant(p_value, mine.scored, rest.scored),
        nps_with=mine.nps,
        nps_without=rest.nps,
        nps_share=_share(mine.nps_scored, total.nps_scored),
        sentiment=mean(mine.comments, mine.sentiment_sum),
        negative_share=_share(mine.negative, mine.comments),
    )


def _harm_order(row: ThemeRow) -> tuple:
    """Most harmful first among themes with enough scored comments each side, then the thin ones by volume."""
    thin = row.impact is None or row.is_thin
    return (thin, 0.0 if thin else row.impact, -row.comments, row.theme.name)


def theme_overview(
    ctx: OrgContext,
    *,
    start: dt.date,
    end: dt.date,
    touchpoint_id: int | None = None,
    journey_id: int | None = None,
    metric: str = NPS,
) -> ThemeOverview:
    """One ThemeRow per active theme and sub-theme (no comments: zero counts, None figures), most harmful first;
    `.totals` holds the whole scope. Reads ThemeStat only (one aggregate query plus the themes)."""
    scope = _scope(ctx, start, end, touchpoint_id, journey_id, metric)
    sums = _aggregate(ctx, scope)
    total = sums.get((0,), Sums())
    themes = Theme.objects.for_org(ctx.organization).active().select_related("parent")
    rows = [_row(theme, sums.get((theme.pk,), Sums()), total, scope) for theme in themes]
    rows.sort(key=_harm_order)
    return ThemeOverview(rows, _totals(total), scope)


def theme_row(
    ctx: OrgContext,
    theme: Theme,
    *,
    start: dt.date,
    end: dt.date,
    touchpoint_id: int | None = None,
    journey_id: int | None = None,
    metric: str = NPS,
) -> ThemeRow:
    """The overview's row of one theme (one query over the theme's and the totals' rows)."""
    _own(ctx, theme)
    scope = _scope(ctx, start, end, touchpoint_id, journey_id, metric)
    sums = _aggregate(ctx, scope, theme_keys=[0, theme.pk])
    return _row(theme, sums.get((theme.pk,), Sums()), sums.get((0,), Sums()), scope)


@dataclass(frozen=True)
class LanguageShare:
    language: str  # voice.models.Language value
    comments: int
    share: float


def language_mix(
    ctx: OrgContext,
    *,
    start: dt.date,
    end: dt.date,
    touchpoint_id: int | None = None,
    journey_id: int | None = None,
) -> list[LanguageShare]:
    """Analysed comments per language in the scope, most first (ThemeStat only: one small query)."""
    scope = _scope(ctx, start, end, touchpoint_id, journey_id, NPS)
    rows = _stat_rows(ctx, scope).filter(theme_key=0).values("language").annotate(n=Sum("comments"))
    total = sum(r["n"] for r in rows)
    out = [LanguageShare(r["language"], r["n"], r["n"] / total) for r in rows if r["n"]]
    return sorted(out, key=lambda r: (-r.comments, r.language))


def _own(ctx: OrgContext, theme: Theme) -> None:
    if theme.organization_id != ctx.org_id:
        raise Http404


# -- one theme: trend, touchpoints --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthPoint:
    """One month of a theme's trend; a figure on fewer than `min_n` comments is None (a gap, not a zero)."""

    month: dt.date
    comments: int
    total_comments: int
    share: float | None
    mean_with: float | None
    mean_without: float | None
    impact: float | None
    nps_with: float | None
    nps_without: float | None
    sentiment: float | None


def theme_trend(
    ctx: OrgContext,
    theme: Theme,
    *,
    start: dt.date,
    end: dt.date,
    touchpoint_id: int | None = None,
    journey_id: int | None = None,
    metric: str = NPS,
    min_n: int = MIN_N,
) -> list[MonthPoint]:
    """Every month from start to end, oldest first (one query)."""
    _own(ctx, theme)
    scope = _scope(ctx, start, end, touchpoint_id, journey_id, metric)
    sums = _aggregate(ctx, scope, by=("month",), theme_keys=[0, theme.pk])
    points = []
    for month in months_between(scope.start, scope.end):
        total, mine = sums.get((0, month), Sums()), sums.get((theme.pk, month), Sums())
        rest = total - mine
        mean_with = mine.mean if mine.scored >= min_n else None
        mean_without = rest.mean if rest.scored >= min_n else None
        with_nps_ok, without_nps_ok = mine.nps_scored >= min_n, rest.nps_scored >= min_n
        points.append(
            MonthPoint(
                month=month,
                comments=mine.comments,
                total_comments=total.comments,
                share=_share(mine.comments, total.comments) if total.comments >= min_n else None,
                mean_with=mean_with,
                mean_without=mean_without,
                impact=mean_with - mean_without if mean_with is not None and mean_without is not None else None,
                nps_with=mine.nps if with_nps_ok else None,
                nps_without=rest.nps if without_nps_ok else None,
                sentiment=mean(mine.comments, mine.sentiment_sum) if mine.comments >= min_n else None,
            )
        )
    return points


@dataclass(frozen=True)
class TouchpointRow:
    touchpoint: Touchpoint | None  # None: comments of a journey survey (no touchpoint) or of neither
    journey: Journey | None
    comments: int
    share: float | None
    mean_with: float | None
    mean_without: float | None
    impact: float | None
    p_value: float | None
    significant: bool
    nps_with: float | None
    nps_without: float | None


def theme_by_touchpoint(
    ctx: OrgContext,
    theme: Theme,
    *,
    start: dt.date,
    end: dt.date,
    journey_id: int | None = None,
    metric: str = NPS,
) -> list[TouchpointRow]:
    """The theme at each touchpoint where it was mentioned, most comments first (impact within the touchpoint)."""
    _own(ctx, theme)
    scope = _scope(ctx, start, end, None, journey_id, metric)
    sums = _aggregate(ctx, scope, by=("touchpoint_key", "journey_key"), theme_keys=[0, theme.pk])
    keys = [(tp, jr) for (key, tp, jr), s in sums.items() if key == theme.pk and s.comments]
    touchpoints = Touchpoint.objects.for_org(ctx.organization).select_related("journey").in_bulk([k[0] for k in keys])
    journeys = Journey.objects.for_org(ctx.organization).in_bulk([k[1] for k in keys])
    out = []
    for tp, jr in keys:
        mine, total = sums[(theme.pk, tp, jr)], sums.get((0, tp, jr), Sums())
        row = _row(theme, mine, total, scope)
        out.append(
            TouchpointRow(
                touchpoint=touchpoints.get(tp),
                journey=journeys.get(jr),
                comments=row.comments,
                share=row.share,
                mean_with=row.mean_with,
                mean_without=row.mean_without,
                impact=row.impact,
                p_value=row.p_value,
                significant=row.significant,
                nps_with=row.nps_with,
                nps_without=row.nps_without,
            )
        )
    out.sort(key=lambda r: (-r.comments, r.touchpoint.name if r.touchpoint else ""))
    return out


@dataclass(frozen=True)
class ThemeDetail:
    theme: Theme
    row: ThemeRow
    trend: list[MonthPoint]
    touchpoints: list[TouchpointRow]


def theme_detail(
    ctx: OrgContext,
    theme: Theme,
    *,
    start: dt.date,
    end: dt.date,
    touchpoint_id: int | None = None,
    journey_id: int | None = None,
    metric: str = NPS,
) -> ThemeDetail:
    """Everything the theme page shows: its row, its monthly trend, its touchpoints (three queries)."""
    kwargs: dict[str, Any] = {"start": start, "end": end, "journey_id": journey_id, "metric": metric}
    return ThemeDetail(
        theme=theme,
        row=theme_row(ctx, theme, touchpoint_id=touchpoint_id, **kwargs),
        trend=theme_trend(ctx, theme, touchpoint_id=touchpoint_id, **kwargs),
        touchpoints=theme_by_touchpoint(ctx, theme, **kwargs),
    )


# -- emerging themes -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmergingTheme:
    theme: Theme
    month: dt.date
    comments: int
    share: float
    baseline_start: dt.date
    baseline_comments: int
    baseline_share: float
    ratio: float | None  # share / baseline share (None: the theme was not mentioned in the baseline)
    p_value: float


def emerging_themes(
    ctx: OrgContext,
    *,
    month: dt.date,
    baseline_months: int = 3,
    touchpoint_id: int | None = None,
    journey_id: int | None = None,
    min_comments: int = MIN_N,
) -> list[EmergingTheme]:
    """Active themes whose share of the comments in `month` rose significantly against the `baseline_months`
    before it: two-proportion z test p < 0.05, at least `min_comments` comments in the month, and a share at least
    1.5 times the baseline's. Largest rise first (one query)."""
    month = month_start(month)
    base_start = add_months(month, -baseline_months)
    scope = _scope(ctx, base_start, month, touchpoint_id, journey_id, NPS)
    rows = (
        _stat_rows(ctx, scope)
        .values("theme_key")
        .annotate(now=Sum("comments", filter=Q(month=month)), before=Sum("comments", filter=Q(month__lt=month)))
    )
    counts = {r["theme_key"]: (r["now"] or 0, r["before"] or 0) for r in rows}
    n_now, n_before = counts.get(0, (0, 0))
    if not n_now or not n_before:
        return []
    candidates = [key for key, (k_now, _) in counts.items() if key and k_now >= min_comments]
    themes = Theme.objects.for_org(ctx.organization).active().select_related("parent").in_bulk(candidates)
    out = []
    for key, theme in themes.items():
        k_now, k_before = counts[key]
        share, base = k_now / n_now, k_before / n_before
        p_value = two_proportions(k_now, n_now, k_before, n_before)
        if p_value is None or p_value >= 0.05 or share <= base or share < EMERGING_MIN_RATIO * base:
            continue
        out.append(
            EmergingTheme(
                theme=theme,
                month=month,
                comments=k_now,
                share=share,
                baseline_start=base_start,
                baseline_comments=k_before,
                baseline_share=base,
                ratio=share / base if base else None,
                p_value=p_value,
            )
        )
    out.sort(key=lambda e: (-(e.share - e.baseline_share), e.theme.name))
    return out


# -- value at stake ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueInputs:
    """The value model's NPS-point values per touchpoint and their currency (read once per page)."""

    values: dict  # touchpoint id -> value.selectors.TouchpointValue
    currency: str


@dataclass(frozen=True)
class ValueAtStake:
    amount: Decimal  # per year, in `currency`
    currency: str
    nps_gap: float  # NPS without the theme - NPS with it (points, 0 when the theme does not lower NPS)
    share: float  # the theme's share of the comments scored on NPS
    uplift: float  # nps_gap x share: NPS points the scope would gain
    value_per_point: float  # one NPS point of the scope, per year
    touchpoints: int  # touchpoints of the scope with a value figure


def value_inputs(ctx: OrgContext) -> ValueInputs:
    from value import selectors as value_selectors

    return ValueInputs(
        values=value_selectors.touchpoint_values(ctx=ctx, metric=NPS, measure=NPS),
        currency=value_selectors.currency(ctx=ctx),
    )


def _scope_touchpoint_ids(ctx: OrgContext, scope: Scope, values: dict) -> list[int]:
    if scope.touchpoint_id is not None:
        return [scope.touchpoint_id]
    if scope.journey_id is None and not ctx.is_frontline:
        return list(values)
    qs = _visible_touchpoints(ctx)
    if scope.journey_id is not None:
        qs = qs.filter(journey_id=scope.journey_id)
    return list(qs.filter(pk__in=list(values)).values_list("pk", flat=True))


def _value(row: ThemeRow, inputs: ValueInputs, touchpoint_ids: list[int]) -> ValueAtStake | None:
    figures = [inputs.values[t] for t in touchpoint_ids if t in inputs.values]
    per_point = [v.value_per_point for v in figures if v.supported and v.value_per_point is not None]
    if not per_point or row.nps_with is None or row.nps_without is None or row.nps_share is None:
        return None
    gap = max(row.nps_without - row.nps_with, 0.0)
    uplift = gap * row.nps_share
    value_per_point = float(sum(per_point))
    amount = Decimal(repr(uplift * value_per_point)).quantize(Decimal("1"))
    return ValueAtStake(amount, inputs.currency, gap, row.nps_share, uplift, value_per_point, len(per_point))


def value_at_stake(
    ctx: OrgContext,
    row_or_theme: ThemeRow | Theme,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    touchpoint_id: int | None = None,
    journey_id: int | None = None,
    inputs: ValueInputs | None = None,
) -> ValueAtStake | None:
    """What closing the NPS gap a theme causes is worth per year, or None where the value model has no figure
    (no finished snapshot on NPS, or no supported touchpoint in the scope, or no NPS-scored comments).

        value = (NPS without - NPS with) x share x value per NPS point of the scope

    share is the theme's share of the scope's NPS-scored comments, so gap x share is exactly how many points the
    scope's NPS would gain if the theme's comments scored like the others (NPS = share x NPS with + (1 - share) x
    NPS without). The value per NPS point of the scope is the sum of the value model's per-point values of the
    scope's touchpoints (one touchpoint, a journey's, or every touchpoint the user may see), as the uplift applies
    to each. A theme that does not lower NPS has a gap of 0. The amount is rounded to a whole currency unit.

    A ThemeRow carries its scope (period, touchpoint, journey); for a Theme pass start and end (and optionally
    touchpoint_id / journey_id). Pass `inputs` (value_inputs(ctx)) when valuing many rows.
    """
    if isinstance(row_or_theme, Theme):
        if start is None or end is None:
            raise ValueError("value_at_stake of a theme needs start and end")
        row = theme_row(
            ctx, row_or_theme, start=start, end=end, touchpoint_id=touchpoint_id, journey_id=journey_id, metric=NPS
        )
    else:
        row = row_or_theme
    inputs = inputs or value_inputs(ctx)
    if not inputs.values:
        return None
    return _value(row, inputs, _scope_touchpoint_ids(ctx, row.scope, inputs.values))


def values_at_stake(ctx: OrgContext, rows: list[ThemeRow]) -> dict[int, ValueAtStake | None]:
    """{theme id: value at stake} of an overview's rows (same scope), with one read of the value model."""
    inputs = value_inputs(ctx)
    if not rows or not inputs.values:
        return {row.theme.pk: None for row in rows}
    touchpoint_ids = _scope_touchpoint_ids(ctx, rows[0].scope, inputs.values)
    return {row.theme.pk: _value(row, inputs, touchpoint_ids) for row in rows}


# -- themes --------------------------------------------------------------------------------------------------------


def theme_list(ctx: OrgContext, *, include_archived: bool = False) -> QuerySet[Theme]:
    qs = Theme.objects.for_org(ctx.organization).select_related("parent", "root_cause")
    return qs if include_archived else qs.active()


def theme_get(ctx: OrgContext, pk: int) -> Theme:
    """A theme of the organization (archived ones too), or 404."""
    return get_in_org(Theme.objects.select_related("parent", "root_cause"), ctx, pk=pk)


def theme_tree(ctx: OrgContext, *, include_archived: bool = False) -> list[Theme]:
    """Top-level themes in order, each with `.subthemes` (a list), in two queries."""
    children = Theme.objects.all() if include_archived else Theme.objects.active()
    qs = theme_list(ctx, include_archived=include_archived).filter(parent__isnull=True)
    return list(qs.prefetch_related(Prefetch("children", queryset=children, to_attr="subthemes")))


def _theme_and_children_ids(ctx: OrgContext, theme_id: int) -> list[int]:
    theme = get_in_org(Theme.objects.all(), ctx, pk=theme_id)
    return [theme.pk, *Theme.objects.filter(parent_id=theme.pk).values_list("pk", flat=True)]


# -- comments ------------------------------------------------------------------------------------------------------


def _visible_comments(ctx: OrgContext) -> QuerySet[CommentAnalysis]:
    qs = CommentAnalysis.objects.for_org(ctx.organization)
    if ctx.is_frontline:
        qs = qs.filter(touchpoint__responsible_team_id__in=ctx.team_ids)
    return qs


_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


def _query_words(q: str) -> tuple[list[str], list[str]]:
    """(words, excluded words) of a search box text (websearch syntax: -word excludes; "or" and quotes ignored)."""
    words: list[str] = []
    excluded: list[str] = []
    for raw in q.split():
        target = excluded if raw.startswith("-") and len(raw) > 1 else words
        target.extend(w for w in _WORD.findall(raw) if w.lower() != "or")
    return words, excluded


_LETTERS = re.compile(r"[^\W_]+")


def _letters(words: list[str]) -> list[str]:
    """The words as tsquery-safe lexemes (letters and digits only, lower case)."""
    return [part.lower() for w in words for part in _LETTERS.findall(w)]


# Query words this long also match as prefixes ("faktura" finds "fakturan").
PREFIX_MIN = 4


def search_query(q: str):
    """The PostgreSQL query of a search box text: parsed in every comment language's configuration and in
    'simple', any of them may match (a comment's vector is in its own language's configuration).

    Snowball leaves some inflections apart: Swedish "fakturan" (the invoice) stays 'fakturan' while "faktura" becomes
    'faktur', so a plain query misses it. A query without phrases or "or" therefore also matches its words as
    prefixes ('faktura':* finds 'fakturan'; "-word" still excludes); words shorter than PREFIX_MIN match whole only,
    or "bra" would find "brand".
    """
    from django.contrib.postgres.search import SearchQuery

    query = reduce(operator.or_, [SearchQuery(q, config=config, search_type="websearch") for config in SEARCH_CONFIGS])
    if '"' not in q and not any(w.lower() == "or" for w in q.split()):
        words, excluded = _query_words(q)
        terms = [f"{w}:*" if len(w) >= PREFIX_MIN else w for w in _letters(words)]
        terms += [f"!{w}" for w in _letters(excluded)]
        if words:
            query = query | SearchQuery(" & ".join(terms), config="simple", search_type="raw")
    return query


def comment_search(
    ctx: OrgContext,
    *,
    q: str = "",
    theme_id: int | None = None,
    sentiment: str | None = None,
    language: str | None = None,
    touchpoint_id: int | None = None,
    journey_id: int | None = None,
    score_min: float | None = None,
    score_max: float | None = None,
    segment: str | None = None,
    segment_id: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    ids: Iterable[int] | None = None,
    order: str = "newest",
) -> QuerySet[CommentAnalysis]:
    """Analysed comments matching every filter given, newest first (order="rank": best match first, PostgreSQL).

    q: PostgreSQL full-text search (stemmed in Swedish, Norwegian, Danish and English; rows get `.rank`); SQLite:
    every word of q occurs in the masked text (case-insensitive), "-word" excludes. theme_id includes its sub-themes.
    segment: the customer's segment (customers.Customer.segment; `segment_id` is accepted as its alias).
    start / end: submission days, inclusive. ids: only these comments (answer ids). A theme, touchpoint or journey
    of another organization is a 404."""
    qs = _visible_comments(ctx).filter(status=CommentAnalysis.Status.DONE)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    if theme_id is not None:
        ids = _theme_and_children_ids(ctx, theme_id)
        qs = qs.filter(Exists(CommentTheme.objects.filter(analysis_id=OuterRef("pk"), theme_id__in=ids)))
    if touchpoint_id is not None:
        get_in_org(_visible_touchpoints(ctx), ctx, pk=touchpoint_id)
        qs = qs.filter(touchpoint_id=touchpoint_id)
    if journey_id is not None:
        get_in_org(Journey.objects.all(), ctx, pk=journey_id)
        qs = qs.filter(journey_id=journey_id)
    if sentiment:
        qs = qs.filter(sentiment_label=sentiment)
    if language:
        qs = qs.filter(language=language)
    if score_min is not None:
        qs = qs.filter(score__gte=score_min)
    if score_max is not None:
        qs = qs.filter(score__lte=score_max)
    segment = segment or segment_id
    if segment:
        qs = qs.filter(customer__segment=segment)
    if start is not None:
        qs = qs.filter(submitted_on__gte=start)
    if end is not None:
        qs = qs.filter(submitted_on__lte=end)
    ordering = ["-submitted_on", "-pk"]
    q = (q or "").strip()
    if q and connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchRank

        query = search_query(q)
        qs = qs.filter(search=query).annotate(rank=SearchRank(F("search"), query))
        if order == "rank":
            ordering = ["-rank", *ordering]
    elif q:
        words, excluded = _query_words(q)
        for word in words:
            qs = qs.filter(masked_text__icontains=word)
        for word in excluded:
            qs = qs.exclude(masked_text__icontains=word)
    return qs.select_related("touchpoint", "journey", "customer").defer("search").order_by(*ordering)


def _lemma_forms(word: str, languages: tuple[str, ...]) -> set[str]:
    word = word.lower()
    forms = {word}
    for language in languages:
        forms.add(simplemma.lemmatize(word, lang=language).lower())
    return forms


def comment_highlight(
    text: str = "",
    q: str = "",
    language: str = "",
    *,
    comment: CommentAnalysis | None = None,
    terms: Iterable[str] = (),
) -> SafeString:
    """The comment as HTML-escaped text with the words matching q (or `terms`, e.g. the words a theme matched) in
    <mark>: the same word, the same lemma (so "faktura" marks "fakturan" and "fakturaen"), or a word starting with a
    query word of PREFIX_MIN+ letters. Safe to render as is. `comment` stands for its masked text and language."""
    if comment is not None:
        text, language = comment.masked_text, comment.language
    words, _excluded = _query_words(q or "")
    words += [w for term in terms for w in _WORD.findall(str(term))]
    if not words:
        return escape(text)
    languages = (language,) if language in LANGUAGES else LANGUAGES
    wanted, prefixes = set(), []
    for word in words:
        wanted |= _lemma_forms(word, LANGUAGES)
        if len(word) >= PREFIX_MIN:
            prefixes.append(word.lower())
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        token = match.group()
        lower = token.lower()
        hit = lower in wanted or any(lower.startswith(p) for p in prefixes)
        if not hit:
            hit = bool(_lemma_forms(token, languages) & wanted)
        if hit:
            out.append(escape(text[last : match.start()]))
            out.append(f"<mark>{escape(token)}</mark>")
            last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 (every piece of text above is escaped)


def comment_get(ctx: OrgContext, pk: int) -> CommentAnalysis:
    """One comment the user may see (the organization's; frontline: their teams' touchpoints), or 404."""
    qs = _visible_comments(ctx).select_related("touchpoint", "journey", "customer", "survey").defer("search")
    return get_in_org(qs, ctx, pk=pk)


def comment_themes(ctx: OrgContext, comments: Iterable[CommentAnalysis]) -> dict[int, list[CommentTheme]]:
    """{comment pk: its theme links (with .theme and .theme.parent)} for a page of comments, in one query."""
    ids = [c.pk for c in comments]
    if not ids:
        return {}
    links = (
        CommentTheme.objects.for_org(ctx.organization)
        .filter(analysis_id__in=ids)
        .select_related("theme", "theme__parent")
        .order_by("theme__position", "theme__name", "pk")
    )
    out: dict[int, list[CommentTheme]] = {pk: [] for pk in ids}
    for link in links:
        out[link.analysis_id].append(link)
    return out


# -- proposals and runs --------------------------------------------------------------------------------------------


def proposal_list(ctx: OrgContext, *, status: str | None = ThemeProposal.Status.PROPOSED) -> QuerySet[ThemeProposal]:
    """The organization's proposals of one status (None: all), largest first."""
    qs = ThemeProposal.objects.for_org(ctx.organization).select_related("theme")
    return qs.filter(status=status) if status else qs


def proposal_get(ctx: OrgContext, pk: int) -> ThemeProposal:
    """A proposal with `.example_comments`: its example comments the user may see (masked text), in its order."""
    proposal = get_in_org(ThemeProposal.objects.select_related("theme", "run"), ctx, pk=pk)
    ids = [int(i) for i in proposal.example_ids if str(i).isdigit()]
    found = _visible_comments(ctx).defer("search").in_bulk(ids)
    proposal.example_comments = [found[i] for i in ids if i in found]
    return proposal


def run_get(ctx: OrgContext, pk: int) -> VoiceRun:
    return get_in_org(VoiceRun.objects.all(), ctx, pk=pk)


def run_latest(ctx: OrgContext, kind: str) -> VoiceRun | None:
    """The organization's most recent run of `kind` (VoiceRun.Kind), if any."""
    return VoiceRun.objects.for_org(ctx.organization).filter(kind=kind).order_by("-created_at", "-pk").first()


def taxonomy_version(ctx: OrgContext) -> int:
    """The version of the organization's theme taxonomy (its own row; 1 before the first change)."""
    return Taxonomy.objects.filter(pk=ctx.org_id).values_list("version", flat=True).first() or 1
