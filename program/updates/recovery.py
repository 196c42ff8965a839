"""Recovery of the customers told "you said, we did": their next score against the score that opened their case.

Pure functions over numbers (no Django, no database), so the arithmetic is tested on its own. A pair is one customer:
the first score (the answer behind their case) and the next score (their first answer of the same metric at the same
touchpoint after the message). The change is judged with a paired t-test (each customer is their own control), and
below `min_pairs` pairs (the organization's minimum n, at least MIN_PAIRS) no figure is given at all: neither the
means nor the change nor the test, only n; a handful of customers proves nothing.

The first scores were poor by selection (they opened a case), so part of any rise is regression to the mean: the
same arithmetic on the customers of the same cases who were not told is the comparison the pages show beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from core.scales import scale_for_metric

MIN_PAIRS = 5
ALPHA = 0.05


@dataclass(frozen=True)
class Recovery:
    """The figures of one group of pairs; every figure but n is None below `min_pairs` (suppressed)."""

    metric: str
    n: int
    mean_first: float | None
    mean_next: float | None
    mean_change: float | None
    p_value: float | None
    # Pairs whose first score was in the metric's bad band (detractors, bottom box, "no"), and how many of them
    # answered outside it the next time.
    bad_first: int | None
    moved_out: int | None
    min_pairs: int = MIN_PAIRS

    @property
    def enough(self) -> bool:
        """Enough pairs to say anything about the change (below it: "too few answers yet")."""
        return self.n >= self.min_pairs

    @property
    def significant(self) -> bool:
        """The change is unlikely to be chance: enough pairs and p below ALPHA."""
        return self.enough and self.p_value is not None and self.p_value < ALPHA

    @property
    def share_moved_out(self) -> float | None:
        return self.moved_out / self.bad_first if self.bad_first and self.moved_out is not None else None

    @property
    def share_moved_out_pct(self) -> float | None:
        share = self.share_moved_out
        return None if share is None else 100.0 * share


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def paired_p_value(first: Sequence[float], next_: Sequence[float]) -> float | None:
    """Two-sided p of a paired t-test of next against first; None when it is undefined (fewer than two pairs, or
    every customer changed by exactly the same amount)."""
    if len(first) < 2 or len({n - f for f, n in zip(first, next_, strict=True)}) == 1:
        return None  # no spread of the changes: the t statistic is undefined (scipy would answer p = 0)
    result = stats.ttest_rel(next_, first)
    p = float(result.pvalue)
    return None if math.isnan(p) else p


def min_pairs_for(organization) -> int:
    """The fewest pairs any recovery figure is shown for: the organization's minimum n, and never below MIN_PAIRS."""
    return max(int(organization.min_n or 0), MIN_PAIRS)


def recovery(metric: str, pairs: Sequence[tuple[float, float]], *, min_pairs: int = MIN_PAIRS) -> Recovery:
    """The recovery of `pairs` (first, next) on `metric` (a core.scales metric key); below `min_pairs` pairs only n."""
    min_pairs = max(min_pairs, 1)
    if len(pairs) < min_pairs:
        return Recovery(
            metric=metric,
            n=len(pairs),
            mean_first=None,
            mean_next=None,
            mean_change=None,
            p_value=None,
            bad_first=None,
            moved_out=None,
            min_pairs=min_pairs,
        )
    first = [float(f) for f, _n in pairs]
    next_ = [float(n) for _f, n in pairs]
    scale = scale_for_metric(metric)
    bad_first = moved_out = 0
    if scale is not None:
        for f, n in zip(first, next_, strict=True):
            if scale.band(f) == "bad":
                bad_first += 1
                moved_out += scale.band(n) != "bad"
    mean_first, mean_next = _mean(first), _mean(next_)
    change = _mean([n - f for f, n in zip(first, next_, strict=True)])
    return Recovery(
        metric=metric,
        n=len(pairs),
        mean_first=mean_first,
        mean_next=mean_next,
        mean_change=change,
        p_value=paired_p_value(first, next_),
        bad_first=bad_first,
        moved_out=moved_out,
        min_pairs=min_pairs,
    )
