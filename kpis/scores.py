"""Scores with their honesty attached: n, margin of error, minimum n, target status and significant change.

Pure functions over rollup sums and model rows already loaded (no queries here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from core.metrics import (
    Difference,
    MeanSummary,
    NpsSummary,
    ShareSummary,
    mean_difference,
    nps_difference,
    share_difference,
)
from core.scales import MEASURE_MEAN, MEASURE_NPS, MEASURE_TOP_BOX, Scale, band_counts, scale_for_metric
from kpis.models import STAT_FIELDS, Benchmark, Target

STATUS_LABELS = {
    "above": _("Target met"),
    "near": _("Near target (within the margin of error)"),
    "below": _("Below target"),
    "insufficient": _("Too few responses"),
    "none": _("No target"),
}


def empty_sums() -> dict:
    return dict.fromkeys(STAT_FIELDS, 0)


def add_sums(into: dict, row: dict) -> dict:
    for f in STAT_FIELDS:
        into[f] = (into.get(f) or 0) + (row.get(f) or 0)
    return into


@dataclass(frozen=True)
class Score:
    """A period's answers of one metric, read in one measure (core.scales): NPS, mean or top-box share."""

    metric: str
    sums: dict
    min_n: int
    measure: str = ""

    @property
    def scale(self) -> Scale | None:
        return scale_for_metric(self.metric)

    @property
    def measure_key(self) -> str:
        scale = self.scale
        return scale.measure(self.measure) if scale is not None else MEASURE_MEAN

    @property
    def n(self) -> int:
        return int(self.sums.get("n") or 0)

    @property
    def bands(self) -> tuple[int, int, int]:
        """(good, neutral, bad) answers: promoters / passives / detractors, top / middle / bottom boxes, yes / no."""
        s = self.sums
        scale = self.scale
        if scale is None:
            return 0, 0, 0
        if scale.is_nps:
            return int(s.get("promoters") or 0), int(s.get("passives") or 0), int(s.get("detractors") or 0)
        return band_counts(self.distribution, scale)

    @property
    def summary(self) -> NpsSummary | MeanSummary | ShareSummary:
        s = self.sums
        measure = self.measure_key
        if measure == MEASURE_NPS:
            good, neutral, bad = self.bands
            return NpsSummary(n=self.n, promoters=good, passives=neutral, detractors=bad)
        if measure == MEASURE_TOP_BOX:
            return ShareSummary(n=self.n, hits=self.bands[0])
        return MeanSummary(n=self.n, total=float(s.get("total") or 0), total_sq=float(s.get("total_sq") or 0))

    @property
    def is_nps(self) -> bool:
        return self.measure_key == MEASURE_NPS

    @property
    def spec(self) -> str:
        """Metric and measure for the `score` template filter."""
        return f"{self.metric}|{self.measure_key}"

    @property
    def value(self) -> float | None:
        summary = self.summary
        return summary.mean if isinstance(summary, MeanSummary) else summary.score

    @property
    def mean(self) -> float | None:
        """The mean score whatever the measure (shown beside a top-box share)."""
        return float(self.sums.get("total") or 0) / self.n if self.n else None

    @property
    def moe(self) -> float | None:
        return self.summary.margin_of_error

    @property
    def sufficient(self) -> bool:
        return self.n >= max(self.min_n, 1)

    @property
    def shown(self) -> float | None:
        """The value to print: None below the minimum n (the template then says 'insufficient (n=..)')."""
        return self.value if self.sufficient else None

    @property
    def distribution(self) -> list[int]:
        return [int(self.sums.get(f"c{i}") or 0) for i in range(11)]

    @property
    def ci(self) -> tuple[float, float] | None:
        if self.value is None or self.moe is None:
            return None
        return self.value - self.moe, self.value + self.moe


def change_between(before: Score, after: Score) -> Difference | None:
    """The change from one period to the next, tested for significance; None unless both have enough answers."""
    if not (before.sufficient and after.sufficient) or before.metric != after.metric:
        return None  # a change is only ever measured on one scale
    b, a = before.summary, after.summary
    if isinstance(a, NpsSummary) and isinstance(b, NpsSummary):
        return nps_difference(b, a)
    if isinstance(a, ShareSummary) and isinstance(b, ShareSummary):
        return share_difference(b, a)
    if isinstance(a, MeanSummary) and isinstance(b, MeanSummary):
        return mean_difference(b, a)
    return None


@dataclass
class Assessment:
    """A score against its target (and beside a benchmark), with the change from the previous period."""

    score: Score
    target: Target | None = None
    benchmark: Benchmark | None = None
    change: Difference | None = None
    higher_is_better: bool = True

    @property
    def gap(self) -> float | None:
        """Score minus target (negative: below a higher-is-better target)."""
        if self.target is None or self.score.shown is None:
            return None
        return self.score.value - self.target.value

    @property
    def shortfall(self) -> float | None:
        """How far the score misses the target in the bad direction (0 when met)."""
        if self.gap is None:
            return None
        return max(0.0, -self.gap if self.higher_is_better else self.gap)

    @property
    def status(self) -> str:
        if not self.score.sufficient:
            return "insufficient"
        if self.target is None:
            return "none"
        if self.shortfall == 0:
            return "above"
        if self.score.moe is not None and self.shortfall <= self.score.moe:
            return "near"
        return "below"

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


def pick_target(
    targets: list[Target], *, end: dt.date, segment: str = "", persona_id: int | None = None
) -> Target | None:
    """The target in force at the period's end, preferring one for the selected segment/persona.

    `targets` are already those of one scope object and KPI overlapping the period.
    """
    best, best_key = None, None
    for t in targets:
        if t.segment and t.segment != segment:
            continue
        if t.persona_id and t.persona_id != persona_id:
            continue
        in_force = t.period_start <= end <= t.period_end
        key = (bool(t.segment) + bool(t.persona_id), in_force, t.period_start, t.pk)
        if best_key is None or key > best_key:
            best, best_key = t, key
    return best


def pick_benchmark(benchmarks: list[Benchmark]) -> Benchmark | None:
    """The most recent benchmark of a scope (competitors before industry averages when equally recent)."""
    if not benchmarks:
        return None
    return max(benchmarks, key=lambda b: (b.period_end, b.kind == Benchmark.Kind.COMPETITOR, b.pk))
