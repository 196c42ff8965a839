"""The customer-level frames the value model works on, and its parameters.

Every frame has at most about one row per customer (per touchpoint or journey where it says so): they are built
by grouped SQL in `value.frames`, or by hand in tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import pandas as pd

CATEGORY_ORDER = ("promoter", "passive", "detractor")


@dataclass(frozen=True)
class Parameters:
    # Customers with both a score and revenue needed before any money figure is claimed.
    min_customers: int = 100
    # Churn events needed before a churn effect is estimated at a touchpoint.
    min_events: int = 10
    # Smallest group (NPS category, touchpoint x outcome pair) whose figure is shown.
    min_n: int = 30
    alpha: float = 0.05
    # How far back scores are read; revenue is annualised over the last 12 months.
    window_months: int = 24

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class TouchpointInput:
    touchpoint_id: int
    name: str
    journey_id: int | None
    journey_name: str
    # Distinct customers who passed the touchpoint in the last 12 months (invited or answered).
    customers_per_year: int
    # Answer-level NPS counts in the window (performance).
    answers: int = 0
    promoters: int = 0
    detractors: int = 0
    # customer_id, score (mean NPS 0-10 of the customer's answers here), first_date (first answer in the window).
    scores: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["customer_id", "score", "first_date"]))


@dataclass
class ModelInput:
    as_of: dt.date
    # customer_id, segment, monthly_revenue (mean over months with revenue in the last 12 months; NaN if none).
    customers: pd.DataFrame
    # customer_id, date: every churn event in the window (usually at most one per customer).
    churn: pd.DataFrame
    # customer_id, score, score_date, source ("relationship" or "touchpoints"): the customer's NPS category basis.
    category_scores: pd.DataFrame
    touchpoints: list[TouchpointInput]
    # customer_id, score: latest relationship NPS (key-driver outcome).
    relationship: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["customer_id", "score"]))
    # customer_id, journey_id, score: mean journey-survey NPS per customer and journey (fallback outcome).
    journey_scores: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["customer_id", "journey_id", "score"])
    )
    parameters: Parameters = field(default_factory=Parameters)
    # Counts for the coverage note on the page (rows read, etc.).
    coverage: dict = field(default_factory=dict)
