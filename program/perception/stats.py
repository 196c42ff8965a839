"""The arithmetic of the perception gap, as pure functions over summed answers (no Django, no database).

A prediction (staff answers to "what score do you think customers give?") and the customers' own scores are two
independent samples on the same scale, so the gap is the difference of two means with a Welch-style z test
(kpis.metrics.mean_difference). Figures are suppressed rather than shown thin: customers below the organization's
minimum n, staff below MIN_STAFF_ANSWERS (with one or two answers a mean would reveal what a named leader answered).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from scipy import stats

from kpis.metrics import Difference, MeanSummary, mean_difference

# Fewer staff answers than this to a question are never shown: anonymity, not only statistics.
MIN_STAFF_ANSWERS = 3
# A gap is only a blind spot (or a hidden strength) when it is at least this share of the scale's range...
MIN_GAP_SHARE = 10.0
# ...and unlikely to be chance.
ALPHA = 0.05
# Fewer touchpoints rated by both sides than this: no rank correlation.
MIN_RANK_PAIRS = 3

BLIND_SPOT = "blind_spot"
HIDDEN_STRENGTH = "hidden_strength"
NO_CLEAR_GAP = "no_clear_gap"
INSUFFICIENT = "insufficient"

TOO_FEW_STAFF = "too_few_staff"
TOO_FEW_CUSTOMERS = "too_few_customers"


@dataclass(frozen=True)
class Comparison:
    """One touchpoint: the staff's predicted mean score against the customers' actual mean on the scale low-high."""

    predicted: MeanSummary
    actual: MeanSummary
    low: int
    high: int
    min_n: int

    @property
    def staff_sufficient(self) -> bool:
        return self.predicted.n >= MIN_STAFF_ANSWERS

    @property
    def customers_sufficient(self) -> bool:
        return self.actual.n >= max(self.min_n, 1)

    @property
    def sufficient(self) -> bool:
        return self.staff_sufficient and self.customers_sufficient

    @property
    def insufficient_reason(self) -> str:
        if not self.staff_sufficient:
            return TOO_FEW_STAFF
        if not self.customers_sufficient:
            return TOO_FEW_CUSTOMERS
        return ""

    @property
    def predicted_mean(self) -> float | None:
        return self.predicted.mean if self.staff_sufficient else None

    @property
    def predicted_moe(self) -> float | None:
        return self.predicted.margin_of_error if self.staff_sufficient else None

    @property
    def actual_mean(self) -> float | None:
        return self.actual.mean if self.customers_sufficient else None

    @property
    def actual_moe(self) -> float | None:
        return self.actual.margin_of_error if self.customers_sufficient else None

    @property
    def span(self) -> int:
        return max(self.high - self.low, 1)

    @property
    def test(self) -> Difference | None:
        """predicted - actual with its z test; None when either side is suppressed."""
        if not self.sufficient:
            return None
        return mean_difference(self.actual, self.predicted, alpha=ALPHA)

    @property
    def difference(self) -> float | None:
        test = self.test
        return test.delta if test is not None else None

    @property
    def gap_share(self) -> float | None:
        """The gap as a percentage of the scale's range (so a 1-5 and a 0-10 touchpoint can be ranked together)."""
        diff = self.difference
        return 100.0 * diff / self.span if diff is not None else None

    @property
    def z(self) -> float | None:
        test = self.test
        return test.z if test is not None else None

    @property
    def p_value(self) -> float | None:
        test = self.test
        return test.p_value if test is not None else None

    @property
    def significant(self) -> bool:
        test = self.test
        return bool(test is not None and test.significant)

    @property
    def kind(self) -> str:
        if not self.sufficient:
            return INSUFFICIENT
        share = self.gap_share
        if self.significant and share is not None and abs(share) >= MIN_GAP_SHARE:
            return BLIND_SPOT if share > 0 else HIDDEN_STRENGTH
        return NO_CLEAR_GAP


def ranked(items: Iterable, kind: str, *, key=lambda item: item.comparison) -> list:
    """The items of one kind, the largest gap (as a share of the scale) first."""
    chosen = [item for item in items if key(item).kind == kind]
    return sorted(chosen, key=lambda item: -abs(key(item).gap_share or 0.0))


# -- importance: what leaders think matters against what the key-driver analysis finds ---------------------------


OVERRATED = "overrated"
UNDERRATED = "underrated"


@dataclass
class ImportanceRow:
    touchpoint_id: int
    leaders: MeanSummary
    analysis: float | None = None  # the driver's importance (r), None when not analysed or too few pairs
    is_driver: bool | None = None  # None: the touchpoint has no row in the analysis
    tested: bool = False
    leaders_rank: float | None = None  # 1 = most important to the leaders (average ranks on ties)
    analysis_rank: float | None = None
    flag: str = ""

    @property
    def leaders_sufficient(self) -> bool:
        return self.leaders.n >= MIN_STAFF_ANSWERS

    @property
    def leaders_mean(self) -> float | None:
        return self.leaders.mean if self.leaders_sufficient else None


def _descending_ranks(values: list[float]) -> list[float]:
    return [float(r) for r in stats.rankdata([-v for v in values], method="average")]


def importance_flags(rows: list[ImportanceRow]) -> None:
    """Rank both sides and flag the mismatches, in place.

    overrated: in the leaders' top third, but the analysis tested it and found no driver;
    underrated: a key driver that the leaders rank in their bottom half."""
    rated = [row for row in rows if row.leaders_mean is not None]
    for row, rank in zip(rated, _descending_ranks([r.leaders_mean for r in rated]), strict=True):
        row.leaders_rank = rank
    analysed = [row for row in rows if row.analysis is not None]
    for row, rank in zip(analysed, _descending_ranks([r.analysis for r in analysed]), strict=True):
        row.analysis_rank = rank
    k = len(rated)
    top_third = math.ceil(k / 3)
    bottom_half_from = math.ceil(k / 2)  # ranks above this are the bottom half
    for row in rows:
        row.flag = ""
        if row.leaders_rank is None:
            continue
        if row.leaders_rank <= top_third and row.tested and row.is_driver is False:
            row.flag = OVERRATED
        elif row.is_driver and row.leaders_rank > bottom_half_from:
            row.flag = UNDERRATED


@dataclass(frozen=True)
class RankCorrelation:
    n: int
    rho: float | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA


def rank_correlation(rows: list[ImportanceRow]) -> RankCorrelation:
    """Spearman's rho between the leaders' mean importance and the analysis' importance, over the touchpoints both
    rate; None when there are too few or one side does not vary."""
    pairs = [
        (row.leaders_mean, row.analysis) for row in rows if row.leaders_mean is not None and row.analysis is not None
    ]
    n = len(pairs)
    if n < MIN_RANK_PAIRS:
        return RankCorrelation(n=n, rho=None, p_value=None)
    left, right = zip(*pairs, strict=True)
    if len(set(left)) < 2 or len(set(right)) < 2:
        return RankCorrelation(n=n, rho=None, p_value=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.spearmanr(left, right)
    rho, p = float(result.statistic), float(result.pvalue)
    if math.isnan(rho):
        return RankCorrelation(n=n, rho=None, p_value=None)
    return RankCorrelation(n=n, rho=rho, p_value=None if math.isnan(p) else p)
