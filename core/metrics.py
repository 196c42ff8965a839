"""Survey statistics as pure functions over counts and sums (no Django): NPS, margins of error, significance.

Everything here works on aggregated numbers (n, promoters, detractors, sum, sum of squares), which is what the
rollups store, so a figure for any period is computed by adding rollup rows and calling one of these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


def normal_two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard normal z statistic."""
    return math.erfc(abs(z) / math.sqrt(2))


def nps_category(score: float) -> str:
    if score >= 9:
        return "promoter"
    if score >= 7:
        return "passive"
    return "detractor"


class _Proportion:
    """What a share-based summary (NPS, a share in a band) has in common: n, the guarded figures and the 95 % margin.

    A subclass is a frozen dataclass with `n` and defines `_score` and `_variance` (per respondent, on the 0..1 or
    -1..1 scale), which callers that have checked n > 0 may call directly.
    """

    n: int

    def _score(self) -> float:
        raise NotImplementedError

    def _variance(self) -> float:
        raise NotImplementedError

    @property
    def score(self) -> float | None:
        """The figure in points or per cent, or None without answers."""
        return self._score() if self.n else None

    @property
    def variance(self) -> float | None:
        """Variance of the per-respondent value (NPS: +1/0/-1 on the -1..1 scale; a share: 0/1)."""
        return self._variance() if self.n else None

    @property
    def margin_of_error(self) -> float | None:
        """Half-width of the 95 % confidence interval, in points."""
        if self.n < 2:
            return None
        return 100.0 * Z95 * math.sqrt(self._variance() / self.n)

    def is_sufficient(self, min_n: int) -> bool:
        return self.n >= min_n


@dataclass(frozen=True)
class NpsSummary(_Proportion):
    n: int
    promoters: int
    passives: int
    detractors: int

    def _score(self) -> float:
        return 100.0 * (self.promoters - self.detractors) / self.n

    def _variance(self) -> float:
        p, d = self.promoters / self.n, self.detractors / self.n
        return p + d - (p - d) ** 2


def nps_from_scores(scores: list[float]) -> NpsSummary:
    cats = [nps_category(s) for s in scores]
    return NpsSummary(
        n=len(cats),
        promoters=cats.count("promoter"),
        passives=cats.count("passive"),
        detractors=cats.count("detractor"),
    )


@dataclass(frozen=True)
class Difference:
    delta: float
    z: float | None
    p_value: float | None
    significant: bool


def nps_difference(before: NpsSummary, after: NpsSummary, *, alpha: float = 0.05) -> Difference | None:
    """Change in NPS between two independent samples, with a z-test on the difference."""
    if before.n < 2 or after.n < 2:
        return None
    delta = after._score() - before._score()
    se = 100.0 * math.sqrt(before._variance() / before.n + after._variance() / after.n)
    if se == 0:
        return Difference(delta=delta, z=None, p_value=None, significant=False)
    z = delta / se
    p = normal_two_sided_p(z)
    return Difference(delta=delta, z=z, p_value=p, significant=p < alpha)


@dataclass(frozen=True)
class MeanSummary:
    n: int
    total: float
    total_sq: float

    @property
    def mean(self) -> float | None:
        return self._mean() if self.n else None

    @property
    def std(self) -> float | None:
        """Sample standard deviation from the sum and the sum of squares."""
        return self._std() if self.n >= 2 else None

    @property
    def margin_of_error(self) -> float | None:
        """95 % half-width (normal approximation; figures below the minimum n are suppressed anyway)."""
        if self.n < 2:
            return None
        return Z95 * self._std() / math.sqrt(self.n)

    # The unguarded maths behind the properties, for callers that have checked n (n > 0 for the mean, n >= 2 for
    # the standard deviation).
    def _mean(self) -> float:
        return self.total / self.n

    def _std(self) -> float:
        var = (self.total_sq - self.total**2 / self.n) / (self.n - 1)
        return math.sqrt(max(var, 0.0))

    def is_sufficient(self, min_n: int) -> bool:
        return self.n >= min_n


def mean_difference(before: MeanSummary, after: MeanSummary, *, alpha: float = 0.05) -> Difference | None:
    """Welch-style z-test on the difference of two means."""
    if before.n < 2 or after.n < 2:
        return None
    delta = after._mean() - before._mean()
    se = math.sqrt(before._std() ** 2 / before.n + after._std() ** 2 / after.n)
    if se == 0:
        return Difference(delta=delta, z=None, p_value=None, significant=False)
    z = delta / se
    p = normal_two_sided_p(z)
    return Difference(delta=delta, z=z, p_value=p, significant=p < alpha)


@dataclass(frozen=True)
class ShareSummary(_Proportion):
    """A share of answers in a band (top-2-box, % yes), in per cent, with a normal-approximation interval."""

    n: int
    hits: int

    def _score(self) -> float:
        return 100.0 * self.hits / self.n

    def _variance(self) -> float:
        p = self.hits / self.n
        return p * (1 - p)


def share_difference(before: ShareSummary, after: ShareSummary, *, alpha: float = 0.05) -> Difference | None:
    """Change of a share between two independent samples (z-test, unpooled), in percentage points."""
    if before.n < 2 or after.n < 2:
        return None
    delta = after._score() - before._score()
    se = 100.0 * math.sqrt(before._variance() / before.n + after._variance() / after.n)
    if se == 0:
        return Difference(delta=delta, z=None, p_value=None, significant=False)
    z = delta / se
    p = normal_two_sided_p(z)
    return Difference(delta=delta, z=z, p_value=p, significant=p < alpha)
