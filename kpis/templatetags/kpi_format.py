"""Number formatting of the KPI pages (localised decimal separators, signed NPS, margins of error)."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format

register = template.Library()

DASH = "\u2013"


@register.filter
def score(value, metric: str = "nps") -> str:
    """An NPS as a signed whole number (+32), other metrics with two decimals (4.21)."""
    if value is None:
        return DASH
    if metric == "nps":
        text = number_format(round(value), 0)
        return f"+{text}" if value >= 0.5 else text
    return number_format(value, 2)


@register.filter
def signed(value, decimals: int = 1) -> str:
    if value is None:
        return DASH
    text = number_format(abs(value), int(decimals))
    return ("+" if value >= 0 else "\u2212") + text


@register.filter
def plain(value, decimals: int = 1) -> str:
    if value is None:
        return DASH
    return number_format(value, int(decimals))


@register.filter
def money(value) -> str:
    if value is None:
        return DASH
    return number_format(round(value), 0, force_grouping=True)
