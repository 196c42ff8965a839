"""The compound-failure chart: score and churn by the number of poor experiences in 90 days (static/js/charts.js
draws it). Buckets below the minimum n are left out rather than drawn on a handful of answers."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from core.charts import figure_dict
from program.synergy.selectors import CompoundFailures

SCORE_COLOR, NPS_COLOR, CHURN_COLOR = "#0d6efd", "#6f42c1", "#dc3545"


def compound_figure(data: CompoundFailures) -> dict | None:
    """Bars: NPS (or, without NPS answers, the mean score on 0-100) per bucket of responses, with the 95 % margin;
    line on the right axis: churn within 180 days per bucket of customers whose follow-up is complete, with the
    Wilson interval."""
    fig = go.Figure()
    nps = [b for b in data.by_response if b.nps_sufficient]
    if nps:
        fig.add_bar(
            x=[b.label for b in nps],
            y=[round(b.nps.score, 1) for b in nps],
            name=_("NPS"),
            marker_color=NPS_COLOR,
            error_y={"type": "data", "array": [round(b.nps.margin_of_error or 0, 1) for b in nps]},
            customdata=[b.nps.n for b in nps],
            hovertemplate="%{x}: NPS %{y:.1f} (n = %{customdata})<extra></extra>",
        )
    else:
        scored = [b for b in data.by_response if b.sufficient]
        if scored:
            fig.add_bar(
                x=[b.label for b in scored],
                y=[round(b.score.mean, 1) for b in scored],
                name=_("Mean score (0-100)"),
                marker_color=SCORE_COLOR,
                error_y={"type": "data", "array": [round(b.score.margin_of_error or 0, 1) for b in scored]},
                customdata=[b.n for b in scored],
                hovertemplate="%{x}: %{y:.1f} (n = %{customdata})<extra></extra>",
            )
    # Churn over the customers whose 180 days are over (those still in follow-up would pull the rate down).
    churn = [b for b in data.by_customer if b.churn_sufficient and b.interval is not None]
    if churn:
        rates = [100 * b.churn_rate for b in churn]
        fig.add_scatter(
            x=[b.label for b in churn],
            y=[round(r, 1) for r in rates],
            name=_("Churn within 180 days (%)"),
            yaxis="y2",
            mode="lines+markers",
            line={"color": CHURN_COLOR},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [round(100 * b.interval[1] - r, 2) for b, r in zip(churn, rates, strict=True)],
                "arrayminus": [round(r - 100 * b.interval[0], 2) for b, r in zip(churn, rates, strict=True)],
            },
            customdata=[b.followed_up for b in churn],
            hovertemplate="%{x}: %{y:.1f} % (n = %{customdata})<extra></extra>",
        )
    if not fig.data:
        return None
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        height=360,
        legend={"orientation": "h", "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom"},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={
            "title": {"text": _("Poor experiences within 90 days")},
            "type": "category",
            "categoryorder": "array",
            "categoryarray": ["0", "1", "2", "3+"],
        },
        yaxis={"title": {"text": _("Score")}, "automargin": True, "zeroline": True, "gridcolor": "#e9ecef"},
        yaxis2={
            "title": {"text": _("Churn (%)")},
            "overlaying": "y",
            "side": "right",
            # Its own ticks from 0 to just above the highest interval (not synchronised with the score's grid).
            "range": [0, min(100.0, 1.1 * max((100 * b.interval[1] for b in churn), default=10.0))],
            "tickmode": "auto",
            "nticks": 6,
            "ticksuffix": " %",
            "showgrid": False,
            "automargin": True,
        },
    )
    return figure_dict(fig)
