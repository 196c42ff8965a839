"""Turn a snapshot's stored results into what the dashboard template shows (labels, reasons, charts)."""

from __future__ import annotations

import datetime as dt

from django.utils import formats
from django.utils.translation import gettext as _

from core.scales import MEASURE_MEAN, MEASURE_NPS, MEASURE_TOP_BOX, measure_label, metric_label, unit_label
from value import charts
from value.models import ValueSnapshot
from value.reasons import LEGACY_BANDS, band_label, effect_label, outcome_label, reason_text
from value.selectors import snapshot_metric


def _with_reason(row: dict) -> dict:
    return {**row, "reason": reason_text(row.get("reason_code", ""), row.get("reason_params"))}


def _date(value: str | None) -> str:
    if not value:
        return ""
    return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")


def _band_rows(rows: list[dict], metric: str) -> list[dict]:
    out = []
    for row in rows:
        band = row.get("band") or LEGACY_BANDS.get(row.get("category", ""), "")
        out.append({**row, "band": band, "label": band_label(metric, band)})
    return out


def _touchpoint_rows(rows: list[dict], metric: str) -> list[dict]:
    out = []
    for row in rows:
        rates = {
            (r.get("band") or LEGACY_BANDS.get(r.get("category", ""), "")): r
            for r in row.get("band_rates") or row.get("category_rates") or []
        }
        out.append(
            {
                **_with_reason(row),
                "score": row.get("score", row.get("nps")),
                "bad_churn": (rates.get("bad") or {}).get("annual_churn"),
                "good_churn": (rates.get("good") or {}).get("annual_churn"),
            }
        )
    return out


def _driver_rows(rows: list[dict], *, one_metric: bool) -> list[dict]:
    out = []
    for row in rows:
        metric = row.get("metric") or "nps"
        performance = row.get("performance", row.get("nps"))
        label = row["name"] if one_metric else f"{row['name']}: {metric_label(metric)}"
        out.append(
            {
                **_with_reason(row),
                "metric_label": metric_label(metric),
                "figure_label": measure_label(metric, row.get("measure") or ""),
                "performance": performance,
                "x": performance if one_metric else row.get("good_share"),
                "label": label,
                "effect_label": effect_label(row.get("effect") or ""),
                "importance": row.get("importance", row.get("r")),
                "is_driver": row.get("is_driver", row.get("significant", False)),
            }
        )
    return out


def _churn(section: dict) -> dict:
    if not section:
        return {}
    reasons = section.get("reasons") or {}
    rows = [{**row, "label": row["reason"] or _("(no reason given)")} for row in reasons.get("rows", [])]
    return {
        "period_start": _date(section.get("period_start")),
        "period_end": _date(section.get("period_end")),
        "rate": _with_reason(section.get("rate") or {}),
        "revenue_share": _with_reason(section.get("revenue_share") or {}),
        "reasons": {**_with_reason(reasons), "rows": rows},
    }


def method_key(measure: str) -> str:
    """Which method text the page shows for the value per point."""
    return {MEASURE_MEAN: "mean", MEASURE_TOP_BOX: "top_box"}.get(measure, MEASURE_NPS)


def dashboard_context(snapshot: ValueSnapshot | None) -> dict:
    if snapshot is None:
        return {"snapshot": None}
    results = snapshot.results or {}
    currency = snapshot.currency
    metric, measure = snapshot_metric(snapshot)
    unit = unit_label(metric, measure)
    categories = results.get("categories", {})
    category_rows = _band_rows(categories.get("rows", []), metric)
    touchpoints = _touchpoint_rows(results.get("touchpoints", []), metric)
    drivers = results.get("drivers", {})
    driver_metrics = {row.get("metric") or "nps" for row in drivers.get("rows", [])}
    one_metric = len(driver_metrics) <= 1
    driver_rows = _driver_rows(drivers.get("rows", []), one_metric=one_metric)
    outcome = outcome_label(drivers.get("outcome"), drivers.get("outcome_metric") or metric)
    if one_metric and driver_rows:
        performance_label = driver_rows[0]["figure_label"]
    else:
        performance_label = _("% in the good band (promoters, top-2-box, yes)")
    churn = _churn(results.get("churn", {}))
    revenue_fig, churn_fig = (
        charts.category_figures(category_rows, currency) if categories.get("supported") else (None, None)
    )
    figures = {
        "value_chart_category_revenue": revenue_fig,
        "value_chart_category_churn": churn_fig,
        "value_chart_touchpoints": charts.touchpoint_value_figure(touchpoints, currency, unit),
        "value_chart_drivers": (
            charts.drivers_figure(driver_rows, outcome, performance_label) if drivers.get("supported") else None
        ),
        "value_chart_churn_reasons": (
            charts.churn_reasons_figure(churn["reasons"]["rows"]) if churn.get("reasons", {}).get("rows") else None
        ),
    }
    bands = {row["band"]: row for row in category_rows}
    at_risk = _with_reason(results.get("revenue_at_risk", {}))
    for new, old in (("bad_revenue", "detractor_revenue"), ("n_bad", "n_detractors"), ("n_good", "n_promoters")):
        at_risk.setdefault(new, at_risk.get(old))
    if at_risk.get("excess_churn") is not None:
        at_risk["excess_points"] = 100 * at_risk["excess_churn"]
    return {
        "snapshot": snapshot,
        "currency": currency,
        "parameters": snapshot.parameters,
        "metric": metric,
        "measure": measure,
        "method": method_key(measure),
        "metric_label": metric_label(metric),
        "figure_label": measure_label(metric, measure),
        "unit": unit,
        "good_label": band_label(metric, "good"),
        "bad_label": band_label(metric, "bad"),
        "coverage": results.get("coverage", {}),
        "categories": _with_reason(categories),
        "category_rows": category_rows,
        "bands": bands,
        "sources": categories.get("sources", {}),
        "at_risk": at_risk,
        "touchpoints": touchpoints,
        "supported_touchpoints": [t for t in touchpoints if t["supported"]],
        "unsupported_touchpoints": [t for t in touchpoints if not t["supported"]],
        "drivers": _with_reason(drivers),
        "driver_rows": driver_rows,
        "outcome_label": outcome,
        "min_effect": drivers.get("min_effect"),
        "churn": churn,
        "figures": {key: fig for key, fig in figures.items() if fig is not None},
    }
