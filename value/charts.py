"""Plotly figures of the value dashboard, built from snapshot results only (drawn by static/js/charts.js)."""

from __future__ import annotations

import json

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from value.reasons import category_label

PROMOTER, PASSIVE, DETRACTOR = "#198754", "#adb5bd", "#dc3545"
COLORS = {"promoter": PROMOTER, "passive": PASSIVE, "detractor": DETRACTOR}
LABELLED_DRIVERS = 8
_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "showlegend": False,
}


def _as_json(fig: go.Figure) -> dict:
    # plotly's own encoder turns numpy values into plain JSON.
    return json.loads(fig.to_json())


def _category_bars(shown: list[dict], title: str, values: list[float], hover: str, error: dict | None) -> dict:
    fig = go.Figure(
        go.Bar(
            x=[category_label(r["category"]) for r in shown],
            y=values,
            marker_color=[COLORS[r["category"]] for r in shown],
            error_y=error,
            hovertemplate=hover,
        )
    )
    fig.update_layout(**_LAYOUT, height=300, title={"text": title, "x": 0, "font": {"size": 13}})
    fig.update_yaxes(rangemode="tozero", gridcolor="#e9ecef", tickformat=",")
    return _as_json(fig)


def category_figures(rows: list[dict], currency: str) -> tuple[dict | None, dict | None]:
    """(revenue per customer, one-year churn with intervals) by NPS category; two charts so phones can stack them."""
    shown = [r for r in rows if r["sufficient"] and r["churn_rate"] is not None]
    if not shown:
        return None, None
    revenue = _category_bars(
        shown,
        _("Revenue per customer a month (%(currency)s)") % {"currency": currency},
        [r["mean_monthly_revenue"] for r in shown],
        "%{x}: %{y:,.0f} " + currency + "<extra></extra>",
        None,
    )
    churn = [100 * r["annual_churn"] for r in shown]
    error = {
        "type": "data",
        "symmetric": False,
        "array": [100 * r["annual_churn_high"] - c for r, c in zip(shown, churn, strict=True)],
        "arrayminus": [c - 100 * r["annual_churn_low"] for r, c in zip(shown, churn, strict=True)],
    }
    churn_fig = _category_bars(
        shown, _("One-year churn (%), 95 % interval"), churn, "%{x}: %{y:.1f} %<extra></extra>", error
    )
    return revenue, churn_fig


def touchpoint_value_figure(rows: list[dict], currency: str) -> dict | None:
    shown = [r for r in rows if r["supported"]]
    if not shown:
        return None
    shown = sorted(shown, key=lambda r: r["value_per_point"])
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=[r["name"] for r in shown],
            x=[r["value_per_point"] for r in shown],
            marker_color="#0d6efd",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [r["high"] - r["value_per_point"] for r in shown],
                "arrayminus": [r["value_per_point"] - r["low"] for r in shown],
            },
            customdata=[[r["low"], r["high"], r["n_customers"]] for r in shown],
            hovertemplate="%{y}: %{x:,.0f} "
            + currency
            + " (95 %: %{customdata[0]:,.0f}–%{customdata[1]:,.0f}; n = %{customdata[2]})<extra></extra>",
        )
    )
    fig.update_layout(
        **_LAYOUT,
        height=max(220, 60 + 36 * len(shown)),
        title={"text": _("Value of one NPS point a year (%(currency)s)") % {"currency": currency}, "x": 0},
    )
    fig.update_xaxes(rangemode="tozero", gridcolor="#e9ecef", tickformat=",")
    fig.update_yaxes(automargin=True)
    return _as_json(fig)


def drivers_figure(rows: list[dict], outcome_label: str) -> dict | None:
    shown = [r for r in rows if r["r"] is not None and r["nps"] is not None]
    if not shown:
        return None
    # Name only the most important touchpoints on the chart; every point names itself on hover.
    labelled = {r["touchpoint_id"] for r in sorted(shown, key=lambda r: -r["r"])[:LABELLED_DRIVERS]}
    fig = go.Figure()
    for significant, name, color in ((True, _("Significant"), "#0d6efd"), (False, _("Not significant"), "#adb5bd")):
        group = [r for r in shown if r["significant"] == significant]
        if not group:
            continue
        fig.add_trace(
            go.Scatter(
                x=[r["nps"] for r in group],
                y=[r["r"] for r in group],
                mode="markers+text",
                name=name,
                text=[r["name"] if r["touchpoint_id"] in labelled else "" for r in group],
                textposition="top center",
                textfont={"size": 10},
                marker={"size": 11, "color": color, "line": {"width": 1, "color": "#fff"}},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [(r["high"] or r["r"]) - r["r"] for r in group],
                    "arrayminus": [r["r"] - (r["low"] or r["r"]) for r in group],
                    "thickness": 1,
                    "color": color,
                },
                customdata=[[r["n"], r["name"]] for r in group],
                hovertemplate="%{customdata[1]}<br>NPS %{x:.0f}, r = %{y:.2f}, n = %{customdata[0]}<extra></extra>",
            )
        )
    mid_nps = sorted(r["nps"] for r in shown)[len(shown) // 2]
    mid_r = sorted(r["r"] for r in shown)[len(shown) // 2]
    fig.add_vline(x=mid_nps, line={"dash": "dot", "color": "#6c757d", "width": 1})
    fig.add_hline(y=mid_r, line={"dash": "dot", "color": "#6c757d", "width": 1})
    fig.update_layout(
        **{**_LAYOUT, "showlegend": True},
        height=420,
        legend={"orientation": "h", "y": -0.2},
        xaxis_title=_("Performance: touchpoint NPS"),
        yaxis_title=_("Importance: correlation with %(outcome)s") % {"outcome": outcome_label},
    )
    fig.update_xaxes(gridcolor="#e9ecef", zeroline=False)
    fig.update_yaxes(gridcolor="#e9ecef", automargin=True)
    return _as_json(fig)
