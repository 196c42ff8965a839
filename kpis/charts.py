"""Plotly figures of the KPI dashboards, built in Python and passed to the page as JSON (drawn by static/js/charts.js).

Figures are built from plain dict traces (validated by plotly once, cheap) and returned as JSON-ready dicts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.charts import figure_dict
from core.charts import short_label as cut_label
from core.numbers import format_number
from core.scales import scale_for_metric

if TYPE_CHECKING:
    from core.scores import Score
    from kpis.dashboards import Filters, TouchpointCard, TouchpointRow
    from kpis.models import Benchmark
    from kpis.scores import Assessment

COLORS = {
    "above": "#198754",
    "near": "#e0a800",
    "below": "#dc3545",
    "insufficient": "#adb5bd",
    "none": "#0d6efd",
    "target": "#212529",
    "benchmark": "#6f42c1",
    "band": "rgba(13, 110, 253, 0.15)",
    "line": "#0d6efd",
}
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12}
# A category label longer than this is cut with an ellipsis on the axis; the whole name is in the hover text.
LABEL_CHARS = 28


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """An axis label that fits: whole words up to `limit` characters, then an ellipsis."""
    return cut_label(text, limit)


def _plain(value: float) -> str:
    """A figure in a legend: whole when it is whole, else one decimal, with the locale's separators."""
    return format_number(value, 0 if float(value).is_integer() else 1)


def _month_label(month: dt.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def _layout(**extra) -> dict:
    layout = {
        "margin": {"l": 10, "r": 10, "t": 10, "b": 30, "autoexpand": True},
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.15},
        "hovermode": "closest",
    }
    layout.update(extra)
    # Tick labels and axis titles push the margins out instead of being cut or overlapping.
    for axis in ("xaxis", "yaxis"):
        layout[axis] = {"automargin": True, **layout.get(axis, {})}
    return layout


def _figure(data: list[dict], layout: dict) -> dict:
    return figure_dict(go.Figure(data=data, layout=layout))


def gap_chart(cards: list[TouchpointCard], *, filters: Filters, journey: Assessment) -> dict:
    """Score per touchpoint (bars with the 95 % margin of error) against its target (markers)."""
    names = [c.touchpoint.name for c in cards]
    labels = [short_label(n) for n in names]
    scores = [c.assessment.score.shown for c in cards]
    moes = [c.assessment.score.moe if c.assessment.score.shown is not None else None for c in cards]
    colors = [COLORS[c.assessment.status] for c in cards]
    hover = [
        f"n={c.assessment.score.n}" + ("" if c.assessment.score.sufficient else " (" + _("insufficient") + ")")
        for c in cards
    ]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": names,
            "x": scores,
            "marker": {"color": colors},
            "error_x": {"type": "data", "array": moes, "visible": True, "color": "#495057", "thickness": 1},
            "name": filters.metric_label,
            "customdata": hover,
            "hovertemplate": "%{y}<br>%{x:.1f} ± %{error_x.array:.1f}<br>%{customdata}<extra></extra>",
        }
    ]
    target_y = [c.touchpoint.name for c in cards if c.assessment.target is not None]
    target_x = [c.assessment.target.value for c in cards if c.assessment.target is not None]
    if target_x:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "y": target_y,
                "x": target_x,
                "marker": {
                    "symbol": "line-ns-open",
                    "size": 20,
                    "color": COLORS["target"],
                    "line": {"width": 3, "color": COLORS["target"]},
                },
                "name": _("Target"),
                "hovertemplate": "%{y}<br>" + _("Target") + ": %{x:.1f}<extra></extra>",
            }
        )
    shapes = []
    if journey.benchmark is not None:
        shapes.append(
            {
                "type": "line",
                "x0": journey.benchmark.value,
                "x1": journey.benchmark.value,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": COLORS["benchmark"], "dash": "dot", "width": 2},
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [None],
                "y": [None],
                "line": {"color": COLORS["benchmark"], "dash": "dot"},
                "name": f"{journey.benchmark.source_name} {_plain(journey.benchmark.value)}",
            }
        )
    height = max(220, 38 * len(cards) + 80)
    return _figure(
        data,
        _layout(
            height=height,
            shapes=shapes,
            yaxis={
                "autorange": "reversed",
                "automargin": True,
                "tickmode": "array",
                "tickvals": names,
                "ticktext": labels,
            },
            xaxis={"zeroline": True, "automargin": True, "title": {"text": filters.metric_label}},
            margin={"l": 10, "r": 10, "t": 10, "b": 40, "autoexpand": True},
        ),
    )


def trend_chart(
    trend: list[tuple[dt.date, Score, float | None]], *, filters: Filters, benchmark: Benchmark | None
) -> dict:
    """Monthly score with its 95 % confidence band, the target in force each month, and the benchmark."""
    months = [m.isoformat() for m, _s, _t in trend]
    month_labels = [_month_label(m) for m, _s, _t in trend]
    values = [s.shown for _m, s, _t in trend]
    upper = [s.ci[1] if s.shown is not None and s.ci else None for _m, s, _t in trend]
    lower = [s.ci[0] if s.shown is not None and s.ci else None for _m, s, _t in trend]
    ns = [s.n for _m, s, _t in trend]
    data = [
        {
            "type": "scatter",
            "x": months,
            "y": upper,
            "mode": "lines",
            "line": {"width": 0},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "x": months,
            "y": lower,
            "mode": "lines",
            "line": {"width": 0},
            "fill": "tonexty",
            "fillcolor": COLORS["band"],
            # xgettext:no-python-format
            "name": _("95 % confidence interval"),
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "x": months,
            "y": values,
            "mode": "lines+markers",
            "line": {"color": COLORS["line"], "width": 2},
            "name": filters.metric_label,
            "customdata": [[label, n] for label, n in zip(month_labels, ns, strict=True)],
            "hovertemplate": "%{customdata[0]}: %{y:.1f} (n=%{customdata[1]})<extra></extra>",
            "connectgaps": False,
        },
    ]
    targets = [t for _m, _s, t in trend]
    if any(t is not None for t in targets):
        data.append(
            {
                "type": "scatter",
                "x": months,
                "y": targets,
                "mode": "lines",
                "line": {"color": COLORS["target"], "dash": "dash", "shape": "hv"},
                "name": _("Target"),
            }
        )
    if benchmark is not None:
        data.append(
            {
                "type": "scatter",
                "x": [months[0], months[-1]],
                "y": [benchmark.value, benchmark.value],
                "mode": "lines",
                "line": {"color": COLORS["benchmark"], "dash": "dot"},
                "name": f"{benchmark.source_name} {_plain(benchmark.value)}",
            }
        )
    # Every month of the period is on the axis (half a month of room either side), whether or not it has a value:
    # a month below the minimum n is a gap in the line, never a month left out. Tick labels are the locale's
    # month names, at most about twelve of them.
    step = max(1, -(-len(trend) // 12))
    first, last = trend[0][0], trend[-1][0]
    x_range = [(first - dt.timedelta(days=15)).isoformat(), (last + dt.timedelta(days=15)).isoformat()]
    return _figure(
        data,
        _layout(
            height=320,
            xaxis={
                "type": "date",
                "range": x_range,
                "tickmode": "array",
                "tickvals": months[::step],
                "ticktext": month_labels[::step],
                "title": {"text": _("Month")},
                "automargin": True,
            },
            yaxis={"title": {"text": filters.metric_label}, "automargin": True},
            margin={"l": 10, "r": 10, "t": 10, "b": 40, "autoexpand": True},
        ),
    )


def distribution_chart(counts: list[int], *, metric: str) -> dict:
    """Answers per score over the metric's whole scale, coloured by band (detractors / passives / promoters,
    bottom / middle / top boxes, no / yes)."""
    scale = scale_for_metric(metric)
    if scale is None:
        lo = next((i for i, c in enumerate(counts) if c), 0)
        hi = max((i for i, c in enumerate(counts) if c), default=10)
    else:
        lo, hi = scale.low, scale.high
    scores = list(range(lo, hi + 1))
    band_colors = {"bad": COLORS["below"], "neutral": COLORS["near"], "good": COLORS["above"]}
    colors = [band_colors[scale.band(s)] if scale is not None else COLORS["line"] for s in scores]
    data = [
        {
            "type": "bar",
            "x": scores,
            "y": [counts[s] for s in scores],
            "marker": {"color": colors},
            "name": _("Answers"),
            "hovertemplate": "%{x}: %{y}<extra></extra>",
        }
    ]
    return _figure(
        data,
        _layout(
            height=260,
            showlegend=False,
            xaxis=(
                {"tickvals": [0, 1], "ticktext": [_("No"), _("Yes")]}
                if scale is not None and scale.is_binary
                else {"dtick": 1, "title": {"text": _("Score")}}
            ),
            yaxis={"title": {"text": _("Answers")}},
        ),
    )


def value_chart(rows: list[TouchpointRow], *, currency: str) -> dict:
    """Value at stake per touchpoint (shortfall in NPS points x value of a point), with the model's range."""
    names = [f"{r.touchpoint.name} ({r.touchpoint.journey.name})" for r in rows]
    labels = [short_label(n, 36) for n in names]
    values = [r.value_at_stake for r in rows]
    plus = [
        max(0.0, r.assessment.shortfall * r.value.high - r.value_at_stake) if r.value.high is not None else 0
        for r in rows
    ]
    minus = [
        max(0.0, r.value_at_stake - r.assessment.shortfall * r.value.low) if r.value.low is not None else 0
        for r in rows
    ]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": names,
            "x": values,
            "marker": {"color": COLORS["below"]},
            "error_x": {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "color": "#495057"},
            "name": _("Value at stake per year") + f" ({currency})",
            "hovertemplate": "%{y}: %{x:,.0f} " + currency + "<extra></extra>",
        }
    ]
    return _figure(
        data,
        _layout(
            height=max(220, 34 * len(rows) + 80),
            showlegend=False,
            yaxis={
                "autorange": "reversed",
                "automargin": True,
                "tickmode": "array",
                "tickvals": names,
                "ticktext": labels,
            },
            xaxis={"title": {"text": _("Value at stake per year") + f" ({currency})"}, "automargin": True},
        ),
    )
