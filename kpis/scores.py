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
from core.scores import Score
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
        shown = self.score.shown
        if self.target is None or shown is None:
            return None
        return shown - self.target.value

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
        shortfall = self.shortfall  # None only without a target (the score is sufficient here)
        if self.target is None or shortfall is None:
            return "none"
        if shortfall == 0:
            return "above"
        if self.score.moe is not None and shortfall <= self.score.moe:
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
