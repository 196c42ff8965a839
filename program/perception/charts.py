"""The dot chart of the gap page: per touchpoint, the staff's predicted mean and the customers' actual mean, each
with its 95 % margin of error, joined by a line (drawn by static/js/charts.js from the figure JSON).

One chart per scale: a 0-10 and a 1-5 touchpoint on one axis would look alike while meaning different things.
Suppressed figures (too few answers) are gaps in the chart, as they are blanks in the table.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from core.charts import figure_dict, short_label
from program.models import Audience
from program.perception.presenters import audience_label

COLORS = {"customers": "#0d6efd", Audience.LEADERSHIP: "#dc3545", Audience.FRONTLINE: "#fd7e14", "line": "#adb5bd"}
SYMBOLS = {"customers": "circle", Audience.LEADERSHIP: "diamond", Audience.FRONTLINE: "square"}


def _labels(items) -> list[str]:
    labels, seen = [], {}
    for gap in items:
        label = short_label(gap.touchpoint.name)
        seen[label] = seen.get(label, 0) + 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def _dots(name: str, key: str, xs: list, errors: list, labels: list[str], hover: str) -> dict:
    return {
        "type": "scatter",
        "mode": "markers",
        "name": name,
        "x": xs,
        "y": labels,
        "marker": {"color": COLORS[key], "size": 11, "symbol": SYMBOLS[key]},
        "error_x": {"type": "data", "array": [e if e is not None else 0 for e in errors], "thickness": 1.5, "width": 4},
        "customdata": [e if e is not None else 0 for e in errors],
        "hovertemplate": hover,
    }


def gap_figure(items: list, *, low: int, high: int, audience: str, other_audience: str | None) -> dict | None:
    """Predicted (this audience, and the other one where asked) against actual, for the items of one scale."""
    shown = [
        g
        for g in items
        if g.comparison.actual_mean is not None
        or g.comparison.predicted_mean is not None
        or (g.other is not None and g.other.predicted_mean is not None)
    ]
    if not shown:
        return None
    labels = _labels(shown)
    lines_x: list = []
    lines_y: list = []
    for gap, label in zip(shown, labels, strict=True):
        c = gap.comparison
        if c.predicted_mean is not None and c.actual_mean is not None:
            lines_x += [c.predicted_mean, c.actual_mean, None]
            lines_y += [label, label, None]
    # The axis starts a little below the lowest figure (whole points): differences of one point stay visible, and
    # the tick labels say where the axis starts.
    lows = [
        mean - (moe or 0)
        for g in shown
        for mean, moe in (
            (g.comparison.actual_mean, g.comparison.actual_moe),
            (g.comparison.predicted_mean, g.comparison.predicted_moe),
            *(((g.other.predicted_mean, g.other.predicted_moe),) if g.other is not None else ()),
        )
        if mean is not None
    ]
    axis_low = max(low, math.floor(min(lows)) - 1) if lows else low
    hover = "%{y}<br>%{fullData.name}: %{x:.1f} ± %{customdata:.1f}<extra></extra>"
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": lines_x,
            "y": lines_y,
            "line": {"color": COLORS["line"], "width": 3},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        _dots(
            _("Customers (actual)"),
            "customers",
            [g.comparison.actual_mean for g in shown],
            [g.comparison.actual_moe for g in shown],
            labels,
            hover,
        ),
        _dots(
            _("%(audience)s (predicted)") % {"audience": audience_label(audience)},
            audience,
            [g.comparison.predicted_mean for g in shown],
            [g.comparison.predicted_moe for g in shown],
            labels,
            hover,
        ),
    ]
    if other_audience is not None:
        others = [g.other for g in shown]
        data.append(
            _dots(
                _("%(audience)s (predicted)") % {"audience": audience_label(other_audience)},
                other_audience,
                [o.predicted_mean if o is not None else None for o in others],
                [o.predicted_moe if o is not None else None for o in others],
                labels,
                hover,
            )
        )
    layout = {
        "height": 110 + 42 * len(shown),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 40, "autoexpand": True},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.15 if len(shown) > 3 else -0.35},
        "xaxis": {
            "range": [axis_low - 0.3, high + 0.3],
            "dtick": 1,
            "gridcolor": "#e9ecef",
            "title": {"text": _("Mean score (%(low)s–%(high)s)") % {"low": low, "high": high}},
            "automargin": True,
        },
        "yaxis": {"type": "category", "autorange": "reversed", "automargin": True},
    }
    return figure_dict(go.Figure(data=data, layout=layout))


def gap_figures(gap) -> list[dict]:
    """One figure per scale of the survey's touchpoints, in the order the scales first appear."""
    groups: dict[tuple[int, int], list] = {}
    for item in gap.items:
        groups.setdefault((item.low, item.high), []).append(item)
    other_audience = gap.other.audience if gap.other is not None else None
    figures = []
    for (low, high), items in groups.items():
        figure = gap_figure(items, low=low, high=high, audience=gap.perception.audience, other_audience=other_audience)
        if figure is not None:
            figures.append(figure)
    return figures
