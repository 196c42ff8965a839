"""Plotly figures of the closed-loop analytics, built in Python and drawn by static/js/charts.js."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from actions.selectors.analytics import ParetoRow
from core.charts import figure_dict
from core.charts import short_label as cut_label

# Tick labels longer than this are cut with an ellipsis (the hover shows the full path); with the labels at an angle
# and automargin, no label overlaps its neighbour or the legend and none is cut at the chart's edge.
TICK_MAX_CHARS = 18


def short_label(label: str, limit: int = TICK_MAX_CHARS) -> str:
    """The leaf of a root-cause path ("Technician > Late" -> "Late"), cut to `limit` characters."""
    return cut_label(label.rsplit(" › ", 1)[-1], limit)


def pareto_figure(rows: list[ParetoRow]) -> dict:
    """Bars: cases per root cause, most frequent first; line: cumulative share (right axis, 0-100 %)."""
    labels = [r.label for r in rows]
    short = [short_label(label) for label in labels]
    cases, cumulative = _("Cases"), _("Cumulative %")
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=[r.count for r in rows],
        name=cases,
        marker_color="#0d6efd",
        customdata=labels,
        hovertemplate="%{customdata}: %{y}<extra></extra>",
    )
    fig.add_scatter(
        x=labels,
        y=[round(r.cumulative_share, 1) for r in rows],
        name=cumulative,
        yaxis="y2",
        mode="lines+markers",
        line={"color": "#dc3545"},
        customdata=labels,
        hovertemplate="%{customdata}: %{y:.1f} %<extra></extra>",
    )
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=380,
        legend={"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"},
        yaxis={"title": {"text": cases}, "rangemode": "tozero", "automargin": True},
        yaxis2={
            "title": {"text": cumulative},
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "ticksuffix": " %",
            "showgrid": False,
            "automargin": True,
        },
        xaxis={
            "title": {"text": _("Root cause")},
            "automargin": True,
            "tickangle": -35,
            "tickmode": "array",
            "tickvals": labels,
            "ticktext": short,
        },
    )
    return figure_dict(fig)
