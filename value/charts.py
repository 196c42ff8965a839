"""Plotly figures of the value dashboard, built from snapshot results only (drawn by static/js/charts.js)."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from core.charts import figure_dict, short_label
from core.money import currency_unit

GOOD, NEUTRAL, BAD = "#198754", "#adb5bd", "#dc3545"
COLORS = {"good": GOOD, "neutral": NEUTRAL, "bad": BAD}
LABELLED_DRIVERS = 8
DRIVER_LABEL_CHARS = 22
_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "showlegend": False,
}


def _as_json(fig: go.Figure) -> dict:
    return figure_dict(fig)


def _category_bars(shown: list[dict], title: str, values: list[float], hover: str, error: dict | None) -> dict:
    fig = go.Figure(
        go.Bar(
            x=[r["label"] for r in shown],
            y=values,
            marker_color=[COLORS.get(r["band"], NEUTRAL) for r in shown],
            error_y=error,
            hovertemplate=hover,
        )
    )
    fig.update_layout(**_LAYOUT, height=300, title={"text": title, "x": 0, "font": {"size": 13}})
    fig.update_yaxes(rangemode="tozero", gridcolor="#e9ecef", tickformat=",")
    return _as_json(fig)


def category_figures(rows: list[dict], currency: str) -> tuple[dict | None, dict | None]:
    """(revenue per customer, one-year churn with intervals) by band; two charts so phones can stack them.

    Rows carry `band` and its `label` (presenters)."""
    shown = [r for r in rows if r["sufficient"] and r["churn_rate"] is not None]
    if not shown:
        return None, None
    currency = currency_unit(currency)  # "kr" for SEK in Swedish, the ISO code elsewhere (core.money)
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


def touchpoint_value_figure(rows: list[dict], currency: str, unit: str) -> dict | None:
    """Value of one point (`unit`: "NPS point", "CSAT point", ...) a year per touchpoint, with 95 % intervals."""
    shown = [r for r in rows if r["supported"]]
    if not shown:
        return None
    shown = sorted(shown, key=lambda r: r["value_per_point"])
    currency = currency_unit(currency)
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
        title={
            "text": _("Value of one %(unit)s a year (%(currency)s)") % {"unit": unit, "currency": currency},
            "x": 0,
        },
    )
    fig.update_xaxes(rangemode="tozero", gridcolor="#e9ecef", tickformat=",")
    fig.update_yaxes(automargin=True)
    return _as_json(fig)


def drivers_figure(rows: list[dict], outcome_label: str, performance_label: str) -> dict | None:
    """Importance (r with its interval) against performance (`x` of each row, see presenters) per driver."""
    shown = [r for r in rows if r["r"] is not None and r.get("x") is not None]
    if not shown:
        return None
    # Name only the most important drivers on the chart; every point names itself on hover.
    labelled = {id(r) for r in sorted(shown, key=lambda r: -(r["importance"] or 0))[:LABELLED_DRIVERS]}
    # Labels never overlap or get cut: cut to whole words (full name on hover), and neighbours along the x axis
    # alternate above and below their point; the axes leave room for a label at either end.
    position = {
        id(r): ("top center" if i % 2 == 0 else "bottom center")
        for i, r in enumerate(sorted((r for r in shown if id(r) in labelled), key=lambda r: (r["x"], r["r"])))
    }
    fig = go.Figure()
    groups = (
        ("driver", _("Driver"), "#0d6efd"),
        ("opposite", _("Significant, opposite direction"), "#fd7e14"),
        ("other", _("Negligible or not significant"), "#adb5bd"),
    )
    for key, name, color in groups:
        group = [r for r in shown if _driver_group(r) == key]
        if not group:
            continue
        fig.add_trace(
            go.Scatter(
                x=[r["x"] for r in group],
                y=[r["r"] for r in group],
                mode="markers+text",
                name=name,
                text=[short_label(r["label"], DRIVER_LABEL_CHARS) if id(r) in labelled else "" for r in group],
                textposition=[position.get(id(r), "top center") for r in group],
                textfont={"size": 10},
                cliponaxis=False,
                marker={"size": 11, "color": color, "line": {"width": 1, "color": "#fff"}},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [(r["high"] if r["high"] is not None else r["r"]) - r["r"] for r in group],
                    "arrayminus": [r["r"] - (r["low"] if r["low"] is not None else r["r"]) for r in group],
                    "thickness": 1,
                    "color": color,
                },
                customdata=[[r["n"], r["label"], r["effect_label"]] for r in group],
                hovertemplate="%{customdata[1]}<br>%{x:.1f}, r = %{y:.2f} (%{customdata[2]}), "
                "n = %{customdata[0]}<extra></extra>",
            )
        )
    mid_x = sorted(r["x"] for r in shown)[len(shown) // 2]
    fig.add_vline(x=mid_x, line={"dash": "dot", "color": "#6c757d", "width": 1})
    fig.add_hline(y=0, line={"color": "#adb5bd", "width": 1})
    fig.update_layout(
        **{**_LAYOUT, "showlegend": True},
        height=420,
        legend={"orientation": "h", "y": -0.2},
        xaxis_title=_("Performance: %(figure)s") % {"figure": performance_label},
        yaxis_title=_("Importance: correlation with %(outcome)s") % {"outcome": outcome_label},
    )
    fig.update_xaxes(gridcolor="#e9ecef", zeroline=False, automargin=True, range=_padded([r["x"] for r in shown]))
    fig.update_yaxes(
        gridcolor="#e9ecef",
        automargin=True,
        range=_padded(
            [r["low"] if r["low"] is not None else r["r"] for r in shown]
            + [r["high"] if r["high"] is not None else r["r"] for r in shown]
            + [0]
        ),
    )
    return _as_json(fig)


def _padded(values: list[float], share: float = 0.15) -> list[float]:
    """An axis range around `values` with room on both sides for a point's label."""
    low, high = min(values), max(values)
    pad = (high - low) * share or 1.0
    return [low - pad, high + pad]


def _driver_group(row: dict) -> str:
    if row.get("is_driver"):
        return "driver"
    if row.get("opposite"):
        return "opposite"
    return "other"


def churn_reasons_figure(rows: list[dict]) -> dict | None:
    """Pareto of churn reasons: events per reason (bars, most frequent first) and the cumulative share (line, %).

    Rows carry `label`, `count` and `cumulative` (0..1), in the order shown."""
    if not rows:
        return None
    labels = [r["label"] for r in rows]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=labels,
            y=[r["count"] for r in rows],
            name=_("Churn events"),
            marker_color="#6c757d",
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=[100 * r["cumulative"] for r in rows],
            name=_("Cumulative share (%)"),
            yaxis="y2",
            mode="lines+markers",
            marker={"color": "#dc3545"},
            line={"color": "#dc3545"},
            hovertemplate="%{x}: %{y:.1f} %<extra></extra>",
        )
    )
    fig.update_layout(
        **{**_LAYOUT, "showlegend": True},
        height=380,
        legend={"orientation": "h", "x": 0, "y": 1.12},
        yaxis={"title": _("Churn events"), "rangemode": "tozero", "gridcolor": "#e9ecef", "tickformat": ","},
        yaxis2={
            "title": _("Cumulative share"),
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "tickvals": [0, 20, 40, 60, 80, 100],
            "ticksuffix": " %",
            "showgrid": False,
        },
    )
    fig.update_xaxes(automargin=True, tickangle=-30)
    return _as_json(fig)
