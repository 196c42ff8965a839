"""Formatting of money, shares and p-values on the value pages."""

from __future__ import annotations

from django import template

from core.numbers import format_number

register = template.Library()


def _fixed(value: float, decimals: int, *, grouping: bool = True) -> str:
    return format_number(value, decimals, grouping=grouping)


@register.filter
def money(value, currency: str = "") -> str:
    """Whole amount with thousands separators and the currency code: `1,234,567 SEK`."""
    if value is None or value == "":
        return "–"
    amount = format_number(value, 0, grouping=True)
    return f"{amount}\u00a0{currency}".strip()


@register.filter
def percent(value, decimals: int = 1) -> str:
    """A share (0..1) as a percentage."""
    if value is None or value == "":
        return "–"
    return f"{_fixed(100 * float(value), int(decimals), grouping=False)}\u00a0%"


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
    return "< 0.001" if value < 0.001 else _fixed(value, 3, grouping=False)
