"""Every plotly figure leaves Python through `figure_dict`: plain JSON, with user-entered text made inert.

plotly.js renders a subset of HTML in chart text (`<a href>`, `<b>`, `<br>`, `<span style>`), in the browser and in
the PDF's charts alike. Touchpoint, journey, team and root-cause names are typed by users, so a name such as
`<a href="https://evil.example">Billing</a>` would become a link inside a chart. `figure_dict` escapes `&`, `<` and
`>` in every place that carries data or labels (plotly turns the entities back into the characters when it draws, so
the name reads exactly as typed). Templates the code writes itself (`hovertemplate`, `texttemplate`) are left alone:
they hold the `<br>` and `<extra>` the charts use on purpose and only refer to the escaped values.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import pgettext_lazy

# Trace and layout keys whose strings plotly draws as text (or substitutes into a hover template), and the keys that
# name categories of x/y (tickvals, categoryarray): escaped the same way, or they would no longer match the data.
TEXT_KEYS = frozenset(
    {
        "x",
        "y",
        "z",
        "text",
        "name",
        "customdata",
        "labels",
        "parents",
        "hovertext",
        "ticktext",
        "tickvals",
        "categoryarray",
        "title",
    }
)


def escape_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_all(value: Any) -> Any:
    if isinstance(value, str):
        return escape_text(value)
    if isinstance(value, list):
        return [_escape_all(item) for item in value]
    if isinstance(value, dict):
        return {key: _escape_all(item) for key, item in value.items()}
    return value


def _walk(value: Any) -> Any:
    if isinstance(value, list):
        return [_walk(item) for item in value]
    if isinstance(value, dict):
        return {key: (_escape_all(item) if key in TEXT_KEYS else _walk(item)) for key, item in value.items()}
    return value


def plotly_separators(locale: str | None = None) -> str:
    """plotly's `layout.separators` for `locale` (default: the active language): its decimal separator, then its
    thousands separator, so chart ticks and hovers read "1 234,5" in Swedish and "1,234.5" in English."""
    from django.utils import formats, translation

    language = locale or translation.get_language() or "en"
    with translation.override(language):
        decimal = formats.get_format("DECIMAL_SEPARATOR", use_l10n=True)
        thousands = formats.get_format("THOUSAND_SEPARATOR", use_l10n=True)
    return f"{decimal}{thousands}"


def figure_dict(figure: Any) -> dict:
    """A plotly Figure (or its dict) as JSON-ready data, numpy values as plain numbers, user text escaped.

    Numbers are drawn with the active language's separators (`layout.separators`, unless the figure sets its own);
    plotly.js writes negative ticks with U+2212 itself."""
    if not isinstance(figure, dict):
        figure = json.loads(figure.to_json())
    else:
        from plotly.utils import PlotlyJSONEncoder

        figure = json.loads(json.dumps(figure, cls=PlotlyJSONEncoder))
    figure = _walk(figure)
    layout = figure.setdefault("layout", {})
    if isinstance(layout, dict):
        layout.setdefault("separators", plotly_separators())
    return figure


def short_label(text: str, limit: int = 28) -> str:
    """A category label that fits its axis: whole words up to `limit` characters, then an ellipsis (the full name
    belongs in the hover text)."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and cut.rfind(" ") > limit // 2:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,.;:-") + "\u2026"


# The strings plotly.js shows in the toolbar and hints of 2D charts, by its own English (static/js/charts.js registers
# them as a plotly locale).
CHART_UI_STRINGS = {
    "Autoscale": pgettext_lazy("chart toolbar", "Autoscale"),
    "Box Select": pgettext_lazy("chart toolbar", "Box Select"),
    "Compare data on hover": pgettext_lazy("chart toolbar", "Compare data on hover"),
    "Download plot as a PNG": pgettext_lazy("chart toolbar", "Download plot as a PNG"),
    "Download plot": pgettext_lazy("chart toolbar", "Download plot"),
    "Lasso Select": pgettext_lazy("chart toolbar", "Lasso Select"),
    "Pan": pgettext_lazy("chart toolbar", "Pan"),
    "Reset": pgettext_lazy("chart toolbar", "Reset"),
    "Reset axes": pgettext_lazy("chart toolbar", "Reset axes"),
    "Reset view": pgettext_lazy("chart toolbar", "Reset view"),
    "Reset views": pgettext_lazy("chart toolbar", "Reset views"),
    "Show closest data on hover": pgettext_lazy("chart toolbar", "Show closest data on hover"),
    "Toggle Spike Lines": pgettext_lazy("chart toolbar", "Toggle Spike Lines"),
    "Toggle show closest data on hover": pgettext_lazy("chart toolbar", "Toggle show closest data on hover"),
    "Zoom": pgettext_lazy("chart toolbar", "Zoom"),
    "Zoom in": pgettext_lazy("chart toolbar", "Zoom in"),
    "Zoom out": pgettext_lazy("chart toolbar", "Zoom out"),
    "Double-click to zoom back out": pgettext_lazy("chart toolbar", "Double-click to zoom back out"),
    "Double-click on legend to isolate one trace": pgettext_lazy(
        "chart toolbar", "Double-click on legend to isolate one trace"
    ),
    "Preparing image - this may take a few seconds": pgettext_lazy(
        "chart toolbar", "Preparing image - this may take a few seconds"
    ),
    "Sorry, there was a problem downloading your image!": pgettext_lazy(
        "chart toolbar", "Sorry, there was a problem downloading your image!"
    ),
}

# Django's date format characters as d3's (plotly's), for the short date formats of cxplatform/formats.
_D3_DATE = {"d": "%d", "j": "%-d", "m": "%m", "n": "%-m", "Y": "%Y", "y": "%y"}


def plotly_locale(language: str | None = None) -> dict | None:
    """The plotly.js locale of `language` (default: the active one), for `Plotly.register`: the toolbar's strings
    translated, month and weekday names as Django writes them. None for English, plotly's own language."""
    from django.utils import formats, translation
    from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR

    language = (language or translation.get_language() or "en").split("-")[0]
    if language == "en":
        return None
    sunday_first = (6, 0, 1, 2, 3, 4, 5)  # plotly's weeks start on Sunday, Django's on Monday
    with translation.override(language):
        return {
            "name": language,
            "dictionary": {english: str(text) for english, text in CHART_UI_STRINGS.items()},
            "format": {
                "days": [str(WEEKDAYS[d]) for d in sunday_first],
                "shortDays": [str(WEEKDAYS_ABBR[d]) for d in sunday_first],
                "months": [str(MONTHS[m]) for m in range(1, 13)],
                "shortMonths": [str(MONTHS_3[m]) for m in range(1, 13)],
                "date": "".join(_D3_DATE.get(c, c) for c in formats.get_format("SHORT_DATE_FORMAT", use_l10n=True)),
            },
        }
