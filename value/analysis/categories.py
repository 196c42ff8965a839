"""Revenue, churn and retention per band of the primary metric, and the revenue at risk in the bad band.

Bands (core.scales): promoters / passives / detractors for NPS, top-2 / middle / bottom-2 box for 1-N ratings,
yes / no for yes/no questions. A customer's band comes from their score basis (their latest relationship-survey
answer, else the mean of their touchpoint answers), banded like a single score.
"""

from __future__ import annotations

import math

import pandas as pd

from value.analysis.common import attach_churn, bands
from value.analysis.inputs import BAND_ORDER, ModelInput
from value.analysis.stats import Rate, annual_probability, excess_annual_churn


def customer_frame(data: ModelInput) -> pd.DataFrame:
    """One row per customer with a score and revenue: band, monthly revenue, churned, exposure."""
    scores = data.category_scores.dropna(subset=["score"])
    frame = scores.merge(data.customers[["customer_id", "segment", "monthly_revenue"]], on="customer_id")
    frame = frame[frame["monthly_revenue"].notna()].reset_index(drop=True)
    frame["band"] = bands(frame["score"], data.parameters.scale)
    return attach_churn(frame, data.churn, as_of=data.as_of, ref_column="score_date")


def _band_row(group: pd.DataFrame, band: str, min_n: int) -> dict:
    rate = Rate(events=int(group["churned"].sum()), exposure_years=float(group["exposure_years"].sum()))
    active = group[group["churned"] == 0]
    n = len(group)
    row = {
        "band": band,
        "n": n,
        "n_active": len(active),
        "events": rate.events,
        "exposure_years": rate.exposure_years,
        "sufficient": n >= min_n,
        "mean_score": float(group["score"].mean()) if n else None,
        "mean_monthly_revenue": float(group["monthly_revenue"].mean()) if n else None,
        "annual_revenue_active": float(active["monthly_revenue"].sum() * 12),
        "churn_rate": rate.value,
        "churn_rate_low": rate.low,
        "churn_rate_high": rate.high,
        "annual_churn": annual_probability(rate.value),
        "annual_churn_low": annual_probability(rate.low),
        "annual_churn_high": annual_probability(rate.high),
    }
    for key in ("retention_12m", "retention_low", "retention_high"):
        row[key] = None
    if rate.value is not None and rate.low is not None and rate.high is not None:  # all three or none
        row["retention_12m"] = math.exp(-rate.value)
        row["retention_low"] = math.exp(-rate.high)
        row["retention_high"] = math.exp(-rate.low)
    return row


def missing_reason(data: ModelInput, n: int) -> tuple[str, dict]:
    """Why fewer than `min_customers` customers have both a score and revenue: what is actually missing.

    Uses the counts `value.frames` puts in the coverage (absent in hand-built inputs: then only the number).
    """
    p = data.parameters
    cov = data.coverage
    metric = p.metric
    if "metric_answers" in cov:
        if not cov["metric_answers"]:
            return "no_metric_answers", {"metric": metric, "others": cov.get("other_metrics", [])}
        if not cov.get("metric_answers_identified"):
            return "no_customer_ids", {"metric": metric, "answers": cov["metric_answers"]}
    with_revenue = int(data.customers["monthly_revenue"].notna().sum())
    scored = int(data.category_scores["customer_id"].nunique())
    if not scored:
        return "no_scored_customers", {"metric": metric}
    if not with_revenue:
        return "no_revenue", {"metric": metric}
    if n == 0:
        return "no_revenue_match", {"metric": metric, "customers": scored, "with_revenue": with_revenue}
    unidentified = max(int(cov.get("metric_answers", 0)) - int(cov.get("metric_answers_identified", 0)), 0)
    return "too_few_customers", {
        "n": n,
        "min": p.min_customers,
        "metric": metric,
        "answered": scored,
        "with_revenue": with_revenue,
        "unidentified": unidentified,
    }


def analyse(data: ModelInput) -> tuple[dict, dict]:
    """Return (bands section, revenue-at-risk section) of the results."""
    p = data.parameters
    frame = customer_frame(data)
    n = len(frame)
    rows = [_band_row(frame[frame["band"] == band], band, p.min_n) for band in BAND_ORDER]
    sources = frame["source"].value_counts().to_dict() if n else {}
    supported = n >= p.min_customers
    code, params = ("", {}) if supported else missing_reason(data, n)
    section = {
        "metric": p.metric,
        "n": n,
        "sources": {str(k): int(v) for k, v in sources.items()},
        "rows": rows,
        "supported": supported,
        "reason_code": code,
        "reason_params": params,
    }
    return section, _revenue_at_risk(frame, rows, data)


def _revenue_at_risk(frame: pd.DataFrame, rows: list[dict], data: ModelInput) -> dict:
    p = data.parameters
    by = {r["band"]: r for r in rows}
    bad, good = by["bad"], by["good"]
    result = {
        "metric": p.metric,
        "supported": False,
        "reason_code": "",
        "reason_params": {},
        "n": len(frame),
        "n_bad": bad["n"],
        "n_good": good["n"],
        "bad_revenue": bad["annual_revenue_active"],
        "amount": None,
        "low": None,
        "high": None,
        "excess_churn": None,
        "excess_low": None,
        "excess_high": None,
    }
    if len(frame) < p.min_customers:
        code, params = missing_reason(data, len(frame))
        result.update(reason_code=code, reason_params=params)
        return result
    small = [r for r in (bad, good) if r["n"] < p.min_n]
    if small:
        result.update(
            reason_code="band_too_small",
            reason_params={"band": small[0]["band"], "n": small[0]["n"], "min": p.min_n, "metric": p.metric},
        )
        return result
    excess = excess_annual_churn(
        Rate(bad["events"], bad["exposure_years"]), Rate(good["events"], good["exposure_years"])
    )
    if excess is None:  # a band without exposure: only with a minimum n of 0 (every customer has some exposure)
        return result
    revenue = bad["annual_revenue_active"]
    result.update(excess_churn=excess.value, excess_low=excess.low, excess_high=excess.high)
    if not excess.significant or excess.value <= 0:
        result.update(
            reason_code="no_excess_churn",
            reason_params={"diff": excess.value, "low": excess.low, "high": excess.high, "metric": p.metric},
        )
        return result
    result.update(
        supported=True,
        amount=revenue * excess.value,
        low=revenue * max(excess.low, 0.0),
        high=revenue * excess.high,
    )
    return result
