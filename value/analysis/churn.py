"""Churn over the model's window: the overall churn rate, churners' share of revenue and the churn-reason Pareto.

- The period runs from the window's first day (or the first revenue month or churn in it, when the data start
  later) to the as-of day.
- Customers at risk: every customer with revenue in the period or a churn event in it. Churned: those with a churn
  event in it. Rate = churned / at risk over the period; annualised = 1 - (1 - rate) ^ (1 / years of the period).
- Churners' share of revenue: their revenue in the 12 calendar months up to the month they left (their first churn
  in the period; months inside the period only), over all revenue in the period.
- Pareto: churn events by reason, most frequent first, with the cumulative share; an empty reason is its own
  "(no reason given)" bar; past `MAX_REASONS` the rest are summed as "other reasons".
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from value.analysis.common import window_start
from value.analysis.inputs import ModelInput

MAX_REASONS = 15


def _period(data: ModelInput) -> tuple:
    start = window_start(data.as_of, data.parameters.window_months)
    firsts = []
    customers = data.customers
    if "first_month" in customers and customers["first_month"].notna().any():
        firsts.append(pd.to_datetime(customers["first_month"]).min().date())
    if not data.churn.empty:
        firsts.append(pd.to_datetime(data.churn["date"]).min().date())
    first = min(firsts) if firsts else start
    return max(start, first), data.as_of


def _rate(data: ModelInput, start, end) -> dict:
    customers = data.customers
    with_revenue = set(customers.loc[customers["monthly_revenue"].notna(), "customer_id"])
    churned = set(data.churn["customer_id"])
    at_risk = len(with_revenue | churned)
    years = ((end - start).days + 1) / 365.25
    result = {
        "supported": False,
        "reason_code": "",
        "reason_params": {},
        "customers_at_risk": at_risk,
        "churned": len(churned),
        "years": years,
        "rate": None,
        "annual_rate": None,
    }
    if not churned:
        result["reason_code"] = "no_churn_events"
        return result
    if not with_revenue:
        result["reason_code"] = "no_revenue_for_churn"
        return result
    rate = len(churned) / at_risk
    annual = 1.0 if rate >= 1 else 1.0 - (1.0 - rate) ** (1.0 / years)
    result.update(supported=True, rate=rate, annual_rate=annual)
    return result


def _revenue_share(data: ModelInput) -> dict:
    result = {
        "supported": False,
        "reason_code": "",
        "reason_params": {},
        "total": None,
        "churners": None,
        "share": None,
    }
    customers = data.customers
    total = float(customers["revenue"].fillna(0).astype(float).sum()) if "revenue" in customers else 0.0
    if data.churn.empty:
        result["reason_code"] = "no_churn_events"
        return result
    if total <= 0 or data.churner_revenue is None:
        result["reason_code"] = "no_revenue_for_churn"
        return result
    rows = data.churner_revenue
    if rows.empty:
        churners = 0.0
    else:
        # Each churner's first churn in the period counts (a customer who came back and left again once).
        first = rows.sort_values(["customer_id", "date"]).drop_duplicates("customer_id", keep="first")
        churners = float(first["total"].astype(float).sum())
    result.update(supported=True, total=total, churners=churners, share=churners / total)
    return result


def _pareto(data: ModelInput) -> dict:
    events = len(data.churn)
    result: dict[str, Any] = {
        "supported": events > 0,
        "reason_code": "" if events else "no_churn_events",
        "events": events,
    }
    reasons = data.churn["reason"] if "reason" in data.churn else pd.Series([""] * events, dtype=object)
    counts = reasons.fillna("").astype(str).str.strip().value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown, rest = ordered[:MAX_REASONS], ordered[MAX_REASONS:]
    rows, cumulative = [], 0
    for reason, count in shown:
        cumulative += int(count)
        rows.append(
            {
                "reason": reason,
                "count": int(count),
                "share": count / events,
                "cumulative": cumulative / events,
            }
        )
    result["rows"] = rows
    result["other_reasons"] = len(rest)
    result["other_count"] = int(sum(count for _r, count in rest))
    return result


def analyse(data: ModelInput) -> dict:
    start, end = _period(data)
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "rate": _rate(data, start, end),
        "revenue_share": _revenue_share(data),
        "reasons": _pareto(data),
    }
