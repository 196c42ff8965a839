"""The value model over customer-level frames: one call, one JSON-ready result (what a ValueSnapshot stores).

Result shape::

    {
      "as_of": "YYYY-MM-DD",
      "coverage": {...counts...},
      "categories": {"n", "sources", "rows": [per promoter/passive/detractor], "supported", "reason_code", ...},
      "revenue_at_risk": {"amount", "low", "high", "excess_churn", ..., "supported", "reason_code", ...},
      "touchpoints": [{"touchpoint_id", "value_per_point", "low", "high", "n_customers", "supported", ...}],
      "drivers": {"outcome", "rows": [{"touchpoint_id", "r", "low", "high", "p_adjusted", "significant", ...}]},
    }

Every figure the data cannot support carries `supported: false` with a `reason_code` (and `reason_params`) that
`value.reasons` turns into a sentence in the reader's language.
"""

from __future__ import annotations

import math

from value.analysis import categories, drivers, touchpoints
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


def run(data: ModelInput) -> dict:
    category_section, at_risk = categories.analyse(data)
    coverage = dict(data.coverage)
    coverage.setdefault("customers", len(data.customers))
    coverage.setdefault("customers_with_revenue", int(data.customers["monthly_revenue"].notna().sum()))
    coverage.setdefault("churn_events", len(data.churn))
    coverage["customers_with_score_and_revenue"] = category_section["n"]
    return _clean(
        {
            "as_of": data.as_of.isoformat(),
            "coverage": coverage,
            "categories": category_section,
            "revenue_at_risk": at_risk,
            "touchpoints": touchpoints.analyse(data),
            "drivers": drivers.analyse(data),
        }
    )
