"""The value model over customer-level frames: one call, one JSON-ready result (what a ValueSnapshot stores).

Result shape::

    {
      "as_of": "YYYY-MM-DD",
      "metric": "csat", "measure": "mean",          # what every band and "per point" figure is in
      "coverage": {...counts...},
      "categories": {"metric", "n", "sources", "rows": [per band good/neutral/bad], "supported", "reason_code"},
      "revenue_at_risk": {"amount", "low", "high", "excess_churn", ..., "supported", "reason_code", ...},
      "touchpoints": [{"touchpoint_id", "value_per_point", "low", "high", "n_customers", "supported", ...}],
      "drivers": {"outcome", "outcome_metric", "min_effect", "rows": [{"touchpoint_id", "metric", "r", "low",
                  "high", "p_adjusted", "significant", "effect", "is_driver", ...}], ...},
      "churn": {"period_start", "period_end", "rate": {...}, "revenue_share": {...}, "reasons": {"rows"...}},
    }

Every figure the data cannot support carries `supported: false` with a `reason_code` (and `reason_params`) that
`value.reasons` turns into a sentence in the reader's language.
"""

from __future__ import annotations

import math
import time

from value.analysis import categories, churn, drivers, touchpoints
from value.analysis.inputs import ModelInput


def _clean(obj):
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def run(data: ModelInput, *, timings: dict | None = None) -> dict:
    """The results of the model; `timings`, if given, receives the seconds each phase took."""
    timings = {} if timings is None else timings
    started = time.perf_counter()
    category_section, at_risk = categories.analyse(data)
    churn_section = churn.analyse(data)
    timings["categories"] = time.perf_counter() - started
    started = time.perf_counter()
    touchpoint_rows = touchpoints.analyse(data)
    timings["touchpoints"] = time.perf_counter() - started
    started = time.perf_counter()
    driver_section = drivers.analyse(data)
    timings["drivers"] = time.perf_counter() - started
    coverage = dict(data.coverage)
    coverage.setdefault("customers", len(data.customers))
    coverage.setdefault("customers_with_revenue", int(data.customers["monthly_revenue"].notna().sum()))
    coverage.setdefault("churn_events", len(data.churn))
    coverage["customers_with_score_and_revenue"] = category_section["n"]
    return _clean(
        {
            "as_of": data.as_of.isoformat(),
            "metric": data.parameters.metric,
            "measure": data.parameters.measure,
            "coverage": coverage,
            "categories": category_section,
            "revenue_at_risk": at_risk,
            "touchpoints": touchpoint_rows,
            "drivers": driver_section,
            "churn": churn_section,
        }
    )
