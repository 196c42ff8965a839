"""Number formatting of the KPI pages (localised decimal separators, signed NPS, margins of error).

Every figure goes through `core.numbers.format_number`: rounded half away from zero, never cut off.
"""

from __future__ import annotations

from django import template

from core.money import format_money
from core.numbers import format_number, round_half_away
from core.scales import MEASURE_NPS, MEASURE_TOP_BOX, scale_for_metric

register = template.Library()

DASH = "\u2013"


def measure_of(metric: str, measure: str = "") -> str:
    scale = scale_for_metric(metric or "nps")
    return scale.measure(measure) if scale is not None else "mean"


@register.filter
def score(value, metric: str = "nps") -> str:
    """A figure in its measure's format: NPS signed and whole (+32), a mean with two decimals (4.21), a share in
    per cent with one decimal (81.3 %). `metric` may carry the measure after a bar: "csat|top_box"."""
    if value is None:
        return DASH
    metric, _sep, measure = (metric or "nps").partition("|")
    measure = measure_of(metric, measure)
    if measure == MEASURE_NPS:
        text = format_number(value, 0)
        return f"+{text}" if round_half_away(value, 0) > 0 else text
    if measure == MEASURE_TOP_BOX:
        return f"{format_number(value, 1)}\u00a0%"
    return format_number(value, 2)


@register.filter
def signed(value, decimals: int = 1) -> str:
    if value is None:
        return DASH
    rounded = round_half_away(value, int(decimals))
    text = format_number(abs(rounded), int(decimals))
    if rounded == 0:
        return text
    return ("+" if rounded > 0 else "\u2212") + text


@register.filter
def plain(value, decimals: int = 1) -> str:
    return format_number(value, int(decimals))


@register.filter
def money(value, currency: str = "") -> str:
    """A whole amount (core.money.format_money); with a currency its locale's sign or code: `1 234 567 kr`."""
    return format_money(value, currency)
