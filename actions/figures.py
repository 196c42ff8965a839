"""Plotly figures of the closed-loop analytics, built in Python and drawn by static/js/charts.js."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from actions.selectors.analytics import ParetoRow
from core.charts import figure_dict


def pareto_figure(rows: list[ParetoRow]) -> dict:
    """Bars: cases per root cause, most frequent first; line: cumulative share (right axis, 0-100 %)."""
    labels = [r.label for r in rows]
    # Ticks show the leaf ("Late"); the hover shows the full path with its parent.
    short = [label.rsplit(" › ", 1)[-1] for label in labels]
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=[r.count for r in rows],
        name=_("Cases"),
        marker_color="#0d6efd",
        hovertemplate="%{x}: %{y}<extra></extra>",
    )
    fig.add_scatter(
        x=labels,
        y=[round(r.cumulative_share, 1) for r in rows],
        name=_("Cumulative %"),
        yaxis="y2",
        mode="lines+markers",
        line={"color": "#dc3545"},
    )
    fig.update_layout(
        margin={"l": 40, "r": 40, "t": 10, "b": 10},
        height=360,
        legend={"orientation": "h", "y": -0.35},
        yaxis={"title": {"text": _("Cases")}, "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 105], "ticksuffix": "%", "showgrid": False},
        xaxis={"automargin": True, "tickangle": -35, "tickmode": "array", "tickvals": labels, "ticktext": short},
    )
    return figure_dict(fig)
