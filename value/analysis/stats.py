"""Small statistical helpers over plain numbers (no Django, no data frames)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

from scipy import stats

Z95 = 1.959963984540054
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Rate:
    """Churn events per customer-year, with an exact (Garwood) 95 % interval."""

    events: int
    exposure_years: float

    @property
    def value(self) -> float | None:
        return self.events / self.exposure_years if self.exposure_years > 0 else None

    @property
    def low(self) -> float | None:
        if self.exposure_years <= 0:
            return None
        return 0.0 if self.events == 0 else stats.chi2.ppf(0.025, 2 * self.events) / 2 / self.exposure_years

    @property
    def high(self) -> float | None:
        if self.exposure_years <= 0:
            return None
        return stats.chi2.ppf(0.975, 2 * (self.events + 1)) / 2 / self.exposure_years

    @property
    def se(self) -> float | None:
        """Standard error of the rate (Poisson): sqrt(events) / exposure."""
        return math.sqrt(self.events) / self.exposure_years if self.exposure_years > 0 else None


@overload
def annual_probability(rate: float) -> float: ...
@overload
def annual_probability(rate: float | None) -> float | None: ...
def annual_probability(rate: float | None) -> float | None:
    """Probability of churning within a year at a constant churn rate (events per customer-year)."""
    return None if rate is None else 1.0 - math.exp(-rate)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    se: float

    @property
    def significant(self) -> bool:
        """The 95 % interval excludes zero."""
        return self.low > 0 or self.high < 0


def excess_annual_churn(worse: Rate, better: Rate) -> Estimate | None:
    """Difference in one-year churn probability between two groups (delta method on independent Poisson rates)."""
    worse_value, better_value = worse.value, better.value
    if worse_value is None or better_value is None:
        return None
    diff = annual_probability(worse_value) - annual_probability(better_value)
    # d/dλ (1 - exp(-λ)) = exp(-λ); a group without events still has the uncertainty of at most ~3 events a year.
    var = 0.0
    for rate, value in ((worse, worse_value), (better, better_value)):
        events = max(rate.events, 1)
        var += (math.exp(-value) * math.sqrt(events) / rate.exposure_years) ** 2
    se = math.sqrt(var)
    return Estimate(value=diff, low=diff - Z95 * se, high=diff + Z95 * se, se=se)


def correlation_interval(r: float, n: int) -> tuple[float | None, float | None]:
    """95 % interval of a Pearson correlation (Fisher z)."""
    if n <= 3 or abs(r) >= 1:
        return None, None
    z = math.atanh(r)
    half = Z95 / math.sqrt(n - 3)
    return math.tanh(z - half), math.tanh(z + half)
