"""The charts of a monthly report: built once, in the organization's language, when the report's figures are
computed (reports.figures), and put in the reader's language when a version is shown or sent (`localized_charts`).
"""

from __future__ import annotations

import copy
import datetime as dt

import plotly.graph_objects as go
from django.utils import translation

from core.charts import figure_dict, plotly_separators
from core.scales import measure_label


def trend_chart(trend: list[dict], *, label: str) -> dict:
    """The 13-month trend (value with its 95 % margin of error, target line) as a JSON-safe plotly figure."""
    from django.utils.translation import gettext as _

    months = [t["month"] for t in trend]
    fig = go.Figure()
    # The 95 % margin of error as error bars: a filled band would bridge months without a figure.
    fig.add_scatter(
        x=months,
        y=[t["value"] for t in trend],
        mode="lines+markers",
        line={"color": "#0d6efd", "width": 2},
        error_y={
            "type": "data",
            "array": [t["moe"] if t["value"] is not None else None for t in trend],
            "visible": True,
            "color": "rgba(13, 110, 253, 0.45)",
            "thickness": 1.5,
        },
        name=label,
        customdata=[t["n"] for t in trend],
        hovertemplate="%{x|%b %Y}: %{y:.1f} ± %{error_y.array:.1f} (n=%{customdata})<extra></extra>",
        connectgaps=False,
    )
    if any(t["target"] is not None for t in trend):
        fig.add_scatter(
            x=months,
            y=[t["target"] for t in trend],
            mode="lines",
            line={"color": "#212529", "dash": "dash", "shape": "hv"},
            name=_("Target"),
        )
    fig.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.2},
        xaxis={"type": "date", "tickformat": "%b %Y"},
        yaxis={"title": {"text": label}},
    )
    return figure_dict(fig)


def localized_charts(figures: dict, *, language: str) -> dict[str, dict]:
    """The report's charts as drawn in `language`: they are frozen in the organization's language, so the trend's
    words (axis title, legend) are put in `language` and every chart gets the number separators of `language`
    (`layout.separators`). Only words and separators change (the frozen data stays as it is, a broken figure stays
    broken); the stored figures are not modified."""
    from django.utils.translation import gettext as _

    out: dict[str, dict] = {}
    with translation.override(language):
        separators = plotly_separators(language)
        for name, chart in (figures.get("charts") or {}).items():
            chart = copy.deepcopy(chart)
            if not isinstance(chart, dict):
                out[name] = chart
                continue
            layout = chart.get("layout")
            chart["layout"] = {**(layout if isinstance(layout, dict) else {}), "separators": separators}
            if name == "trend" and figures.get("metric") and isinstance(chart.get("data"), list):
                label = str(measure_label(figures["metric"]["key"], figures["metric"]["measure"]))
                words = [label, _("Target")]  # the traces of trend_chart, in its order
                for trace, word in zip(chart["data"], words, strict=False):
                    if isinstance(trace, dict):
                        trace["name"] = word
                yaxis = chart["layout"].get("yaxis")
                if isinstance(yaxis, dict):
                    chart["layout"]["yaxis"] = {**yaxis, "title": {**(yaxis.get("title") or {}), "text": label}}
                _localized_months(chart)
            out[name] = chart
    return out


def _localized_months(chart: dict) -> None:
    """The trend's months in the active language ("okt. 2026", not plotly's English "Oct 2026"): tick labels (every
    other month when there are many, so they never overlap) and the hover text."""
    from django.utils.formats import date_format

    first = chart["data"][0] if chart["data"] else None
    months = first.get("x") if isinstance(first, dict) else None
    if not isinstance(months, list):
        return
    labels = []
    for value in months:
        try:
            labels.append(date_format(dt.date.fromisoformat(str(value)[:10]), "M Y"))
        except ValueError:
            return  # not the trend_chart shape: leave the chart as it was drawn
    step = 2 if len(months) > 7 else 1
    xaxis = chart["layout"].get("xaxis")
    chart["layout"]["xaxis"] = {
        **(xaxis if isinstance(xaxis, dict) else {}),
        "tickmode": "array",
        "tickvals": months[::step],
        "ticktext": labels[::step],
    }
    first["text"] = labels
    if isinstance(first.get("hovertemplate"), str):
        first["hovertemplate"] = first["hovertemplate"].replace("%{x|%b %Y}", "%{text}")
