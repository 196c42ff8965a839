"""Per touchpoint: how a customer's score there relates to their churn, and what one NPS point is worth a year.

Method (said on the page too): customers who answered at the touchpoint are followed from their first answer in
the window until they churn or until today. A Poisson regression of churn on follow-up time (log exposure offset)
with the customer's NPS category as -1 / 0 / +1 (detractor / passive / promoter) and segment indicators gives
`b`, the change in log churn rate per category step. Since the touchpoint's NPS is 100 x the mean of that -1..1
value, one NPS point more changes the expected churners a year by b x r / 100 x N (r: churn per customer-year
here, N: customers passing the touchpoint a year); times the customers' annual revenue that is money a year.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

from value.analysis.common import attach_churn, categories, nps_value, segment_dummies
from value.analysis.inputs import CATEGORY_ORDER, ModelInput, TouchpointInput
from value.analysis.stats import Z95, Rate, annual_probability, nps

# A category with fewer customers than this does not count as "scores vary" for the model.
MIN_PER_CATEGORY = 10


def touchpoint_frame(tp: TouchpointInput, data: ModelInput) -> pd.DataFrame:
    scores = tp.scores.dropna(subset=["score"])
    frame = scores.merge(data.customers[["customer_id", "segment", "monthly_revenue"]], on="customer_id")
    frame = frame[frame["monthly_revenue"].notna()].reset_index(drop=True)
    frame["category"] = categories(frame["score"].astype(float))
    return attach_churn(frame, data.churn, as_of=data.as_of, ref_column="first_date").reset_index(drop=True)


def _unsupported(result: dict, code: str, **params) -> dict:
    result.update(supported=False, reason_code=code, reason_params=params)
    return result


def _fit(frame: pd.DataFrame) -> tuple[float, float, float]:
    """(b, standard error, p-value) of the NPS value in a Poisson churn-rate model controlling for segment."""
    x = pd.DataFrame({"nps_value": nps_value(frame["category"])}, index=frame.index)
    design = sm.add_constant(pd.concat([x, segment_dummies(frame["segment"])], axis=1), has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.GLM(
            frame["churned"].astype(float),
            design.astype(float),
            family=sm.families.Poisson(),
            offset=np.log(frame["exposure_years"].astype(float)),
        )
        # Robust (sandwich) errors: one 0/1 outcome per customer is not exactly Poisson.
        fit = model.fit(cov_type="HC0")
    b, se, p = float(fit.params["nps_value"]), float(fit.bse["nps_value"]), float(fit.pvalues["nps_value"])
    if not all(math.isfinite(v) for v in (b, se, p)):
        raise ValueError("non-finite estimate")
    return b, se, p


def analyse_touchpoint(tp: TouchpointInput, data: ModelInput) -> dict:
    p = data.parameters
    frame = touchpoint_frame(tp, data)
    n = len(frame)
    rate = Rate(events=int(frame["churned"].sum()), exposure_years=float(frame["exposure_years"].sum()))
    recent = pd.to_datetime(frame["first_date"]) > pd.Timestamp(data.as_of) - pd.Timedelta(days=365)
    per_year = max(int(tp.customers_per_year or 0), int(recent.sum()))
    annual_revenue = float(frame["monthly_revenue"].mean() * 12) if n else None
    category_rates = []
    for category in CATEGORY_ORDER:
        group = frame[frame["category"] == category]
        r = Rate(events=int(group["churned"].sum()), exposure_years=float(group["exposure_years"].sum()))
        category_rates.append(
            {
                "category": category,
                "n": len(group),
                "events": r.events,
                "churn_rate": r.value,
                "annual_churn": annual_probability(r.value),
            }
        )
    result = {
        "touchpoint_id": tp.touchpoint_id,
        "name": tp.name,
        "journey_id": tp.journey_id,
        "journey_name": tp.journey_name,
        "nps": nps(tp.promoters, tp.detractors, tp.answers),
        "answers": tp.answers,
        "n_customers": n,
        "events": rate.events,
        "churn_rate": rate.value,
        "customers_per_year": per_year,
        "annual_revenue_per_customer": annual_revenue,
        "category_rates": category_rates,
        "coef": None,
        "coef_se": None,
        "p_value": None,
        "rate_ratio": None,
        "retained_per_point": None,
        "value_per_point": None,
        "low": None,
        "high": None,
        "supported": False,
        "reason_code": "",
        "reason_params": {},
    }
    if n < p.min_customers:
        return _unsupported(result, "too_few_customers", n=n, min=p.min_customers)
    if rate.events < p.min_events:
        return _unsupported(result, "too_few_events", events=rate.events, min=p.min_events)
    varied = sum(1 for row in category_rates if row["n"] >= MIN_PER_CATEGORY)
    if varied < 2:
        return _unsupported(result, "too_little_variation", min=MIN_PER_CATEGORY)
    try:
        b, se, p_value = _fit(frame)
    except (ValueError, np.linalg.LinAlgError):
        return _unsupported(result, "model_failed")
    r, se_r = rate.value, rate.se
    # Customers kept a year per NPS point: -b * r / 100 * N (see the module docstring); delta method for the CI,
    # with the uncertainty of both b and the overall churn rate r.
    scale = per_year / 100.0
    retained = -b * r * scale
    retained_se = scale * math.sqrt((r * se) ** 2 + (b * se_r) ** 2)
    value = retained * annual_revenue
    value_se = retained_se * annual_revenue
    result.update(
        coef=b,
        coef_se=se,
        p_value=p_value,
        rate_ratio=math.exp(b),
        retained_per_point=retained,
        estimate=value,
        estimate_low=value - Z95 * value_se,
        estimate_high=value + Z95 * value_se,
    )
    if p_value >= p.alpha:
        return _unsupported(result, "not_significant", p=p_value, n=n)
    if b > 0:
        return _unsupported(result, "wrong_direction", p=p_value)
    if value - Z95 * value_se <= 0:
        return _unsupported(result, "not_significant", p=p_value, n=n)
    result.update(
        supported=True,
        value_per_point=value,
        low=value - Z95 * value_se,
        high=value + Z95 * value_se,
    )
    return result


def analyse(data: ModelInput) -> list[dict]:
    rows = [analyse_touchpoint(tp, data) for tp in data.touchpoints]
    # Supported figures first, largest value first; the rest by name.
    return sorted(rows, key=lambda r: (not r["supported"], -(r["value_per_point"] or 0), r["name"]))
