"""Turn a snapshot's stored results into what the dashboard template shows (labels, reasons, charts)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from value import charts
from value.models import ValueSnapshot
from value.reasons import category_label, reason_text


def _with_reason(row: dict) -> dict:
    return {**row, "reason": reason_text(row.get("reason_code", ""), row.get("reason_params"))}


def outcome_label(outcome: str | None) -> str:
    if outcome == "relationship":
        return _("relationship NPS")
    if outcome == "journey":
        return _("journey NPS")
    return ""


def dashboard_context(snapshot: ValueSnapshot | None) -> dict:
    if snapshot is None:
        return {"snapshot": None}
    results = snapshot.results or {}
    currency = snapshot.currency
    categories = results.get("categories", {})
    category_rows = [{**row, "label": category_label(row["category"])} for row in categories.get("rows", [])]
    touchpoints = [_with_reason(row) for row in results.get("touchpoints", [])]
    drivers = results.get("drivers", {})
    driver_rows = [_with_reason(row) for row in drivers.get("rows", [])]
    label = outcome_label(drivers.get("outcome"))
    revenue_fig, churn_fig = (
        charts.category_figures(category_rows, currency) if categories.get("supported") else (None, None)
    )
    figures = {
        "value_chart_category_revenue": revenue_fig,
        "value_chart_category_churn": churn_fig,
        "value_chart_touchpoints": charts.touchpoint_value_figure(touchpoints, currency),
        "value_chart_drivers": charts.drivers_figure(driver_rows, label) if drivers.get("supported") else None,
    }
    return {
        "snapshot": snapshot,
        "currency": currency,
        "parameters": snapshot.parameters,
        "coverage": results.get("coverage", {}),
        "categories": _with_reason(categories),
        "category_rows": category_rows,
        "sources": categories.get("sources", {}),
        "at_risk": _with_reason(results.get("revenue_at_risk", {})),
        "touchpoints": touchpoints,
        "supported_touchpoints": [t for t in touchpoints if t["supported"]],
        "unsupported_touchpoints": [t for t in touchpoints if not t["supported"]],
        "drivers": _with_reason(drivers),
        "driver_rows": driver_rows,
        "outcome_label": label,
        "figures": {key: fig for key, fig in figures.items() if fig is not None},
    }
