"""Scores with their honesty attached: n, margin of error, minimum n, target status and significant change.

Pure functions over rollup sums and model rows already loaded (no queries here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kpis.metrics import Difference, MeanSummary, NpsSummary, mean_difference, nps_difference
from kpis.models import NPS_METRIC, STAT_FIELDS, Benchmark, Target

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
    metric: str
    sums: dict
    min_n: int

    @property
    def n(self) -> int:
        return int(self.sums.get("n") or 0)

    @property
    def summary(self) -> NpsSummary | MeanSummary:
        s = self.sums
        if self.metric == NPS_METRIC:
            return NpsSummary(
                n=self.n,
                promoters=int(s.get("promoters") or 0),
                passives=int(s.get("passives") or 0),
                detractors=int(s.get("detractors") or 0),
            )
        return MeanSummary(n=self.n, total=float(s.get("total") or 0), total_sq=float(s.get("total_sq") or 0))

    @property
    def is_nps(self) -> bool:
        return self.metric == NPS_METRIC

    @property
    def value(self) -> float | None:
        summary = self.summary
        return summary.score if isinstance(summary, NpsSummary) else summary.mean

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
    if not (before.sufficient and after.sufficient):
        return None
    if after.is_nps:
        return nps_difference(before.summary, after.summary)
    return mean_difference(before.summary, after.summary)


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
