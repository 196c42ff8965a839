"""The maturity profile: one line per stage, its score (share of its criteria met) month by month, and the bar a
stage must reach (drawn by static/js/charts.js)."""

from __future__ import annotations

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.charts import figure_dict
from program.health.presenters import stage_label
from program.health.rules import STAGE_REACHED_SCORE, STAGES

COLORS = {"engagement": "#0d6efd", "insight": "#6f42c1", "action": "#fd7e14", "integration": "#198754"}
DASHES = {"engagement": "solid", "insight": "dash", "action": "dot", "integration": "dashdot"}


def profile_figure(points: list[dict]) -> dict | None:
    """`points`: [{"month": date, "scores": {stage: 0-1 or None}}], oldest first."""
    if not points:
        return None
    months = [date_format(p["month"], "YEAR_MONTH_FORMAT") for p in points]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": stage_label(stage),
            "x": months,
            "y": [None if p["scores"].get(stage) is None else round(100 * p["scores"][stage]) for p in points],
            "line": {"color": COLORS[stage], "width": 2, "dash": DASHES[stage]},
            "marker": {"size": 7},
            "connectgaps": False,
            "hovertemplate": "%{y:.0f} %<extra>" + stage_label(stage) + "</extra>",
        }
        for stage in STAGES
    ]
    bar = round(100 * STAGE_REACHED_SCORE)
    layout = {
        "margin": {"l": 10, "r": 10, "t": 10, "b": 30, "autoexpand": True},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
        "height": 320,
        "xaxis": {"automargin": True, "type": "category"},
        "yaxis": {
            "automargin": True,
            "range": [-5, 105],
            "ticksuffix": " %",
            "title": {"text": _("Criteria met (%)")},
            "gridcolor": "#e9ecef",
        },
        "shapes": [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": bar,
                "y1": bar,
                "line": {"color": "#6c757d", "width": 1, "dash": "dash"},
            }
        ],
        "annotations": [
            {
                "xref": "paper",
                "x": 1,
                "y": bar,
                "yanchor": "top",
                "xanchor": "right",
                "showarrow": False,
                "text": _("A stage is reached at %(percent)s %%") % {"percent": bar},
                "font": {"size": 11, "color": "#6c757d"},
            }
        ],
    }
    return figure_dict({"data": data, "layout": layout})
