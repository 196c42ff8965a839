"""The customer-level frames the value model works on, and its parameters.

Every frame has at most about one row per customer (per touchpoint, journey or metric where it says so): they are
built by grouped SQL in `value.frames`, or by hand in tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import pandas as pd

from core.scales import NPS_SCALE, Scale, scale_for_metric

BAND_ORDER = ("good", "neutral", "bad")
AUTO = "auto"
CHURN = "churn"


@dataclass(frozen=True)
class Parameters:
    # Customers with both a score and revenue needed before any money figure is claimed.
    min_customers: int = 100
    # Churn events needed before a churn effect is estimated at a touchpoint.
    min_events: int = 10
    # Smallest group (band, touchpoint x outcome pair) whose figure is shown.
    min_n: int = 30
    alpha: float = 0.05
    # How far back scores, revenue and churn are read.
    window_months: int = 24
    # The metric key (core.scales) and measure the model runs on: the organization's primary ones.
    metric: str = "nps"
    measure: str = "nps"
    # Key drivers: "auto", "churn" or a metric key; the smallest |r| called a driver.
    driver_outcome: str = AUTO
    driver_min_effect: float = 0.1

    @property
    def scale(self) -> Scale:
        return scale_for_metric(self.metric) or NPS_SCALE

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class TouchpointInput:
    """One metric at one touchpoint: answer-level counts (performance) and every customer's mean score there."""

    touchpoint_id: int
    name: str
    journey_id: int | None
    journey_name: str
    # Distinct customers who passed the touchpoint in the last 12 months (invited or answered).
    customers_per_year: int = 0
    metric: str = "nps"
    # Answer-level counts in the window: answers, in the good and bad band, and the sum of the scores.
    answers: int = 0
    good: int = 0
    bad: int = 0
    total: float = 0.0
    # customer_id, score (mean of the customer's answers here), first_date (first answer in the window).
    scores: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["customer_id", "score", "first_date"]))


@dataclass
class ModelInput:
    as_of: dt.date
    # customer_id, segment, monthly_revenue (mean over the months with revenue in the window; NaN if none).
    # Optional: revenue (the window's total), first_month (first month with revenue in the window).
    customers: pd.DataFrame
    # customer_id, date (, reason): every churn event in the window (usually at most one per customer).
    churn: pd.DataFrame
    # customer_id, score, score_date, source ("relationship" or "touchpoints"): the customer's band basis in the
    # primary metric.
    category_scores: pd.DataFrame
    # The primary metric at each touchpoint (value per point).
    touchpoints: list[TouchpointInput]
    # customer_id, score: latest relationship-survey answer in the primary metric (key-driver outcome).
    relationship: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["customer_id", "score"]))
    # customer_id, journey_id, score: mean journey-survey answer in the primary metric per customer and journey.
    journey_scores: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["customer_id", "journey_id", "score"])
    )
    # Every score metric at every touchpoint (key-driver candidates); None: the primary metric's `touchpoints`.
    drivers: list[TouchpointInput] | None = None
    # customer_id, metric, total, n, outside: per customer and metric, the sum and number of their answers in the
    # window, and how many of them were given outside a touchpoint (chosen outcomes, the automatic fallback).
    metric_scores: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["customer_id", "metric", "total", "n", "outside", "outside_total"]
        )
    )
    # customer_id, date, total: churners' revenue in the 12 calendar months up to the month they left (first churn
    # in the window per customer), within the window.
    churner_revenue: pd.DataFrame | None = None
    parameters: Parameters = field(default_factory=Parameters)
    # Counts for the coverage note and the reasons (answers of the primary metric, identified ones, ...).
    coverage: dict = field(default_factory=dict)

    @property
    def driver_inputs(self) -> list[TouchpointInput]:
        return self.touchpoints if self.drivers is None else self.drivers
