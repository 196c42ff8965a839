"""Formatting of money, shares and p-values on the value pages."""

from __future__ import annotations

import math

from django import template

from core.numbers import format_number
from core.templatetags.cx_numbers import money, money_compact, money_interval, money_range

register = template.Library()

# The money tags are core's (core/templatetags/cx_numbers.py), offered here under the same names.
register.filter("money", money)
register.filter("money_compact", money_compact)
register.simple_tag(money_range, name="money_range")
register.simple_tag(money_interval, name="money_interval")


def _fixed(value: float, decimals: int, *, grouping: bool = True) -> str:
    return format_number(value, decimals, grouping=grouping)


@register.filter
def percent(value, decimals: int = 1) -> str:
    """A share (0..1) as a percentage."""
    if value is None or value == "":
        return "–"
    share = float(value)
    if not math.isfinite(share):
        return "–"
    return f"{_fixed(100 * share, int(decimals), grouping=False)}\u00a0%"


@register.filter
def number(value, decimals: int = 0) -> str:
    if value is None or value == "":
        return "–"
    return _fixed(float(value), int(decimals))


@register.filter
def pvalue(value) -> str:
    if value is None or value == "":
        return "–"
    value = float(value)
    if value < 0.001:  # the locale's decimal separator: "< 0,001" in sv/nb/da
        return f"<\u00a0{_fixed(0.001, 3, grouping=False)}"
    return _fixed(value, 3, grouping=False)
