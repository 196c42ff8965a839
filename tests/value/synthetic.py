"""Synthetic customers with a planted (or no) effect of one touchpoint's NPS on churn.

The same records feed the pure model tests (as frames) and the flow tests (as database rows), so a test can
check the model finds what was planted, both in the maths and through the database.

Churn is drawn from a constant hazard: rate = base x exp(effect x v) x segment factor, where v is the
customer's NPS value at the touchpoint (-1 detractor, 0 passive, +1 promoter). `effect` is thus the true
coefficient the Poisson model estimates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from value.analysis.inputs import ModelInput, Parameters, TouchpointInput

AS_OF = dt.date(2026, 10, 31)
SCORE_WEIGHTS = np.array([2, 1, 1, 2, 2, 4, 6, 10, 14, 16, 12], dtype=float)


@dataclass
class Synthetic:
    n: int
    effect: float
    base_rate: float
    customers: pd.DataFrame  # customer_id, external_id, segment, monthly_revenue
    scores: pd.DataFrame  # customer_id, score, first_date
    churn: pd.DataFrame  # customer_id, date, reason
    relationship: pd.DataFrame  # customer_id, score, score_date
    as_of: dt.date = AS_OF
    extra: dict = field(default_factory=dict)

    @property
    def nps_values(self) -> np.ndarray:
        s = self.scores["score"].to_numpy()
        return np.select([s >= 9, s >= 7], [1.0, 0.0], -1.0)

    def true_value_per_point(self, churn_rate: float, annual_revenue: float) -> float:
        """The value per NPS point implied by the planted coefficient, at the observed churn rate and revenue."""
        return -self.effect * churn_rate / 100 * self.n * annual_revenue

    def model_input(self, parameters: Parameters | None = None) -> ModelInput:
        v = self.nps_values
        tp = TouchpointInput(
            touchpoint_id=1,
            name="Technician visit",
            journey_id=1,
            journey_name="Onboarding",
            customers_per_year=self.n,
            answers=self.n,
            good=int((v == 1).sum()),
            bad=int((v == -1).sum()),
            total=float(self.scores["score"].sum()),
            scores=self.scores[["customer_id", "score", "first_date"]],
        )
        return ModelInput(
            as_of=self.as_of,
            customers=self.customers[["customer_id", "segment", "monthly_revenue"]],
            churn=self.churn[["customer_id", "date"]],
            category_scores=self.scores.rename(columns={"first_date": "score_date"}).assign(source="touchpoints"),
            touchpoints=[tp],
            relationship=self.relationship[["customer_id", "score"]],
            parameters=parameters or Parameters(),
        )


def make(n: int = 1500, *, effect: float = -0.8, base_rate: float = 0.15, seed: int = 7) -> Synthetic:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    segment = rng.choice(["Consumer", "Business"], size=n, p=[0.8, 0.2])
    revenue = np.round(np.where(segment == "Business", 2000.0, 500.0) * rng.uniform(0.8, 1.2, size=n), 2)
    score = rng.choice(np.arange(11), size=n, p=SCORE_WEIGHTS / SCORE_WEIGHTS.sum())
    v = np.select([score >= 9, score >= 7], [1.0, 0.0], -1.0)
    # Answers spread over the last 13 months, so every customer has some follow-up time.
    days_ago = rng.integers(20, 400, size=n)
    first = pd.Timestamp(AS_OF) - pd.to_timedelta(days_ago, unit="D")
    rate = base_rate * np.exp(effect * v) * np.where(segment == "Business", 0.7, 1.0)
    after_days = np.floor(rng.exponential(1 / rate) * 365.25).astype(int)
    churned = after_days < days_ago
    churn_dates = first[churned] + pd.to_timedelta(after_days[churned], unit="D")
    relationship = np.clip(np.round(score + rng.normal(0, 1.5, size=n)), 0, 10)
    return Synthetic(
        n=n,
        effect=effect,
        base_rate=base_rate,
        customers=pd.DataFrame(
            {
                "customer_id": ids,
                "external_id": [f"S{i:05d}" for i in ids],
                "segment": segment,
                "monthly_revenue": revenue,
            }
        ),
        scores=pd.DataFrame({"customer_id": ids, "score": score.astype(float), "first_date": first.date}),
        churn=pd.DataFrame(
            {"customer_id": ids[churned], "date": churn_dates.date, "reason": ["Competitor offer"] * int(churned.sum())}
        ),
        relationship=pd.DataFrame(
            {"customer_id": ids, "score": relationship, "score_date": (first + pd.Timedelta(days=1)).date}
        ),
    )
