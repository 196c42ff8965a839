"""`{% plotly_locale %}`: the page's plotly.js locale as JSON (json_script, no inline script: the CSP holds), read by
static/js/charts.js, which registers it before drawing. Nothing for English, plotly's own language."""

from __future__ import annotations

from django import template
from django.utils.html import json_script

from core.charts import plotly_locale as locale_of

register = template.Library()


@register.simple_tag
def plotly_locale() -> str:
    locale = locale_of()
    return json_script(locale, "plotly-locale") if locale else ""
