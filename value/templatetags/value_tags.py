"""Formatting of money, shares and p-values on the value pages."""

from __future__ import annotations

import math

from django import template

from core.money import format_money, format_money_interval, format_money_range
from core.numbers import format_number

register = template.Library()


def _fixed(value: float, decimals: int, *, grouping: bool = True) -> str:
    return format_number(value, decimals, grouping=grouping)


@register.filter
def money(value, currency: str = "") -> str:
    """Whole amount as the locale writes it (core.money.format_money): `1,234,567 SEK`, `1 234 567 kr` (sv)."""
    return format_money(value, currency)


@register.filter
def money_compact(value, currency: str = "") -> str:
    """An amount in thousands/millions as the locale writes them: `1.1 M SEK`, `1,1 mn kr` (sv)."""
    return format_money(value, currency, compact=True)


@register.simple_tag
def money_range(value, low, high, currency: str = "", compact: bool = False) -> str:
    """An amount with its interval: `1,1 mn kr (0,8-1,4 mn kr)`."""
    return format_money_range(value, low, high, currency, compact=compact)


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


@register.simple_tag
def money_interval(low, high, currency: str = "", compact: bool = False) -> str:
    """An interval with the unit once: `800 000-1 400 000 kr`, `0,8-1,4 mn kr` (compact)."""
    return format_money_interval(low, high, currency, compact=compact)
