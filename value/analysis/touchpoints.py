"""Per touchpoint: how a customer's score there relates to their churn, and what one point is worth a year.

Method (said on the page too): customers who answered at the touchpoint are followed from their first answer in
the window until they churn or until today. A Poisson regression of churn on follow-up time (log exposure offset)
with the customer's predictor x and segment indicators gives `b`, the change in log churn rate per unit of x.
x follows the measure (`common.predictor`), chosen so that the touchpoint's figure is the mean of x times a
constant: NPS = 100 x mean(+1 / 0 / -1 band value); top-2-box % (or % yes) = 100 x mean(good-band indicator);
mean score = mean(the customer's mean score). One point of the figure is therefore k = 1/100, 1/100 or 1 unit of
mean x, and one point more changes the expected churners a year by b x r x k x N (r: churn per customer-year
here, N: customers passing the touchpoint a year); times the customers' annual revenue that is money a year.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm

from core.scales import MEASURE_MEAN, MEASURE_TOP_BOX
from value.analysis.common import attach_churn, bands, performance, predictor, segment_dummies, units_per_point
from value.analysis.inputs import BAND_ORDER, ModelInput, TouchpointInput
from value.analysis.stats import Z95, Rate, annual_probability

# A group (band, or score value for means) with fewer customers than this does not count as "scores vary".
MIN_PER_CATEGORY = 10


def touchpoint_frame(tp: TouchpointInput, data: ModelInput) -> pd.DataFrame:
    p = data.parameters
    scores = tp.scores.dropna(subset=["score"])
    frame = scores.merge(data.customers[["customer_id", "segment", "monthly_revenue"]], on="customer_id")
    frame = frame[frame["monthly_revenue"].notna()].reset_index(drop=True)
    frame["band"] = bands(frame["score"], p.scale)
    frame["x"] = predictor(frame["score"], frame["band"], p.measure)
    return attach_churn(frame, data.churn, as_of=data.as_of, ref_column="first_date").reset_index(drop=True)


def _varies(frame: pd.DataFrame, measure: str) -> bool:
    """Enough customers on both sides of the predictor for its effect to be told apart from the segment's."""
    if measure == MEASURE_TOP_BOX:
        good = int((frame["band"] == "good").sum())
        return good >= MIN_PER_CATEGORY and len(frame) - good >= MIN_PER_CATEGORY
    if measure == MEASURE_MEAN:
        counts = frame["score"].round().value_counts()
        return int((counts >= MIN_PER_CATEGORY).sum()) >= 2
    counts = frame["band"].value_counts()
    return int((counts >= MIN_PER_CATEGORY).sum()) >= 2


def _unsupported(result: dict, code: str, **params) -> dict:
    result.update(supported=False, reason_code=code, reason_params=params)
    return result


def _fit(frame: pd.DataFrame) -> tuple[float, float, float]:
    """(b, standard error, p-value) of the predictor x in a Poisson churn-rate model controlling for segment."""
    x = pd.DataFrame({"x": frame["x"].astype(float)}, index=frame.index)
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
    b, se, p = float(fit.params["x"]), float(fit.bse["x"]), float(fit.pvalues["x"])
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
    band_rates = []
    for band in BAND_ORDER:
        group = frame[frame["band"] == band]
        band_rate = Rate(events=int(group["churned"].sum()), exposure_years=float(group["exposure_years"].sum()))
        band_rates.append(
            {
                "band": band,
                "n": len(group),
                "events": band_rate.events,
                "churn_rate": band_rate.value,
                "annual_churn": annual_probability(band_rate.value),
            }
        )
    result = {
        "touchpoint_id": tp.touchpoint_id,
        "name": tp.name,
        "journey_id": tp.journey_id,
        "journey_name": tp.journey_name,
        "metric": p.metric,
        "measure": p.measure,
        "score": performance(p.measure, answers=tp.answers, good=tp.good, bad=tp.bad, total=tp.total),
        "answers": tp.answers,
        "n_customers": n,
        "events": rate.events,
        "churn_rate": rate.value,
        "customers_per_year": per_year,
        "annual_revenue_per_customer": annual_revenue,
        "band_rates": band_rates,
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
    r, se_r = rate.value, rate.se  # None, like the revenue, only without customers
    if n < p.min_customers or r is None or se_r is None or annual_revenue is None:
        return _unsupported(result, "too_few_customers", n=n, min=p.min_customers, metric=p.metric)
    if rate.events < p.min_events:
        return _unsupported(result, "too_few_events", events=rate.events, min=p.min_events)
    if not _varies(frame, p.measure):
        return _unsupported(result, "too_little_variation", min=MIN_PER_CATEGORY, metric=p.metric, measure=p.measure)
    try:
        b, se, p_value = _fit(frame)
    except (ValueError, np.linalg.LinAlgError):
        return _unsupported(result, "model_failed")
    # Customers kept a year per point: -b * r * k * N (see the module docstring); delta method for the CI, with
    # the uncertainty of both b and the overall churn rate r.
    scale = per_year * units_per_point(p.measure)
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
