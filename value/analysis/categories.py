"""Revenue, churn and retention per NPS category, and the revenue at risk among detractors."""

from __future__ import annotations

import math

import pandas as pd

from value.analysis.common import attach_churn, categories
from value.analysis.inputs import CATEGORY_ORDER, ModelInput
from value.analysis.stats import Rate, annual_probability, excess_annual_churn


def customer_frame(data: ModelInput) -> pd.DataFrame:
    """One row per customer with a category and revenue: category, monthly revenue, churned, exposure."""
    scores = data.category_scores.dropna(subset=["score"])
    frame = scores.merge(data.customers[["customer_id", "segment", "monthly_revenue"]], on="customer_id")
    frame = frame[frame["monthly_revenue"].notna()].reset_index(drop=True)
    frame["category"] = categories(frame["score"].astype(float))
    return attach_churn(frame, data.churn, as_of=data.as_of, ref_column="score_date")


def _category_row(group: pd.DataFrame, category: str, min_n: int) -> dict:
    rate = Rate(events=int(group["churned"].sum()), exposure_years=float(group["exposure_years"].sum()))
    active = group[group["churned"] == 0]
    n = len(group)
    row = {
        "category": category,
        "n": n,
        "n_active": len(active),
        "events": rate.events,
        "exposure_years": rate.exposure_years,
        "sufficient": n >= min_n,
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
    if rate.value is not None:
        row["retention_12m"] = math.exp(-rate.value)
        row["retention_low"] = math.exp(-rate.high)
        row["retention_high"] = math.exp(-rate.low)
    return row


def analyse(data: ModelInput) -> tuple[dict, dict]:
    """Return (categories section, revenue-at-risk section) of the results."""
    p = data.parameters
    frame = customer_frame(data)
    n = len(frame)
    rows = [_category_row(frame[frame["category"] == c], c, p.min_n) for c in CATEGORY_ORDER]
    sources = frame["source"].value_counts().to_dict() if n else {}
    section = {
        "n": n,
        "sources": {str(k): int(v) for k, v in sources.items()},
        "rows": rows,
        "supported": n >= p.min_customers,
        "reason_code": "" if n >= p.min_customers else "too_few_customers",
        "reason_params": {} if n >= p.min_customers else {"n": n, "min": p.min_customers},
    }
    return section, _revenue_at_risk(frame, rows, p.min_customers, p.min_n)


def _revenue_at_risk(frame: pd.DataFrame, rows: list[dict], min_customers: int, min_n: int) -> dict:
    by = {r["category"]: r for r in rows}
    det, pro = by["detractor"], by["promoter"]
    result = {
        "supported": False,
        "reason_code": "",
        "reason_params": {},
        "n": len(frame),
        "n_detractors": det["n"],
        "n_promoters": pro["n"],
        "detractor_revenue": det["annual_revenue_active"],
        "amount": None,
        "low": None,
        "high": None,
        "excess_churn": None,
        "excess_low": None,
        "excess_high": None,
    }
    if len(frame) < min_customers:
        result.update(reason_code="too_few_customers", reason_params={"n": len(frame), "min": min_customers})
        return result
    small = [r for r in (det, pro) if r["n"] < min_n]
    if small:
        result.update(
            reason_code="category_too_small",
            reason_params={"category": small[0]["category"], "n": small[0]["n"], "min": min_n},
        )
        return result
    excess = excess_annual_churn(Rate(det["events"], det["exposure_years"]), Rate(pro["events"], pro["exposure_years"]))
    revenue = det["annual_revenue_active"]
    result.update(excess_churn=excess.value, excess_low=excess.low, excess_high=excess.high)
    if not excess.significant or excess.value <= 0:
        result.update(
            reason_code="no_excess_churn",
            reason_params={"diff": excess.value, "low": excess.low, "high": excess.high},
        )
        return result
    result.update(
        supported=True,
        amount=revenue * excess.value,
        low=revenue * max(excess.low, 0.0),
        high=revenue * excess.high,
    )
    return result
