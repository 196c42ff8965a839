"""The arithmetic of the perception gap, as pure functions over summed answers (no Django, no database).

A prediction (staff answers to "what score do you think customers give?") and the customers' own scores are two
independent samples on the same scale, so the gap is the difference of two means. Staff samples are small (a
leadership team: three to ten answers), so the test is Welch's t test with Welch-Satterthwaite degrees of freedom and
every margin of error is Student's t on n - 1 degrees of freedom: a normal z (core.metrics) would call one
pure-noise touchpoint in five a blind spot with three answers, and draw the staff's ± 2.2 times too narrow. Figures
are suppressed rather than shown thin: customers below the organization's minimum n, staff below MIN_STAFF_ANSWERS
(with one or two answers a mean would reveal what a named leader answered).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from scipy import stats

from core.metrics import MeanSummary

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

# Confidence of every margin of error (the half-width of the interval around a mean).
CONFIDENCE = 0.95


def t_margin(summary: MeanSummary, *, confidence: float = CONFIDENCE) -> float | None:
    """Half-width of the confidence interval of a mean: Student's t on n - 1 degrees of freedom times the standard
    error. With 3 answers t is 4.30, not the normal 1.96; with hundreds of customers the two agree. None below two
    answers (no spread to measure)."""
    std = summary.std  # None below two answers
    if std is None:
        return None
    quantile = float(stats.t.ppf(0.5 + confidence / 2, summary.n - 1))
    return quantile * std / math.sqrt(summary.n)


def staff_figure(summary: MeanSummary) -> tuple[float | None, float | None]:
    """(mean, t margin) of staff answers, both None below MIN_STAFF_ANSWERS (anonymity as much as statistics)."""
    if summary.n < MIN_STAFF_ANSWERS:
        return None, None
    return summary.mean, t_margin(summary)


@dataclass(frozen=True)
class WelchTest:
    """predicted - actual with Welch's t test; t, df and p are None when neither side varies (nothing to test)."""

    delta: float
    t: float | None
    df: float | None
    p_value: float | None
    significant: bool


def welch_test(predicted: MeanSummary, actual: MeanSummary, *, alpha: float = ALPHA) -> WelchTest | None:
    """Welch's unequal-variance t test of predicted - actual from counts, sums and sums of squares, with the
    Welch-Satterthwaite degrees of freedom (so three staff answers get the wide tails they need). None below two
    answers a side."""
    p_mean, p_std, a_mean, a_std = predicted.mean, predicted.std, actual.mean, actual.std  # std: None below two
    if p_mean is None or p_std is None or a_mean is None or a_std is None:
        return None
    delta = p_mean - a_mean
    a = p_std**2 / predicted.n
    b = a_std**2 / actual.n
    se2 = a + b
    if se2 <= 0:
        return WelchTest(delta=delta, t=None, df=None, p_value=None, significant=False)
    t = delta / math.sqrt(se2)
    df = se2 * se2 / (a * a / (predicted.n - 1) + b * b / (actual.n - 1))
    p_value = float(2 * stats.t.sf(abs(t), df))
    return WelchTest(delta=delta, t=t, df=df, p_value=p_value, significant=p_value < alpha)


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
        return t_margin(self.predicted) if self.staff_sufficient else None

    @property
    def actual_mean(self) -> float | None:
        return self.actual.mean if self.customers_sufficient else None

    @property
    def actual_moe(self) -> float | None:
        return t_margin(self.actual) if self.customers_sufficient else None

    @property
    def span(self) -> int:
        return max(self.high - self.low, 1)

    @cached_property
    def test(self) -> WelchTest | None:
        """predicted - actual with Welch's t test; None when either side is suppressed. Computed once (the kind,
        the gap and the p-value all read it)."""
        if not self.sufficient:
            return None
        return welch_test(self.predicted, self.actual, alpha=ALPHA)

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
    def t(self) -> float | None:
        test = self.test
        return test.t if test is not None else None

    @property
    def df(self) -> float | None:
        """Welch-Satterthwaite degrees of freedom: close to the staff's n - 1 when their side dominates the error."""
        test = self.test
        return test.df if test is not None else None

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
    rated = [(row, row.leaders_mean) for row in rows if row.leaders_mean is not None]
    for (row, _), rank in zip(rated, _descending_ranks([mean for _, mean in rated]), strict=True):
        row.leaders_rank = rank
    analysed = [(row, row.analysis) for row in rows if row.analysis is not None]
    for (row, _), rank in zip(analysed, _descending_ranks([r for _, r in analysed]), strict=True):
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
