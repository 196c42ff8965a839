"""The number filters of every template: `{{ value|num:1 }}`, rounded half away from zero, in the page's locale,
and money: `{{ amount|money:"SEK" }}` (full), `{{ amount|money_compact:"SEK" }}` ("1,1 mn kr") and
`{% money_range amount low high "SEK" compact=True %}` ("1,1 mn kr (0,8-1,4 mn kr)")."""

from __future__ import annotations

from django import template

from core.money import format_money, format_money_interval, format_money_range
from core.numbers import format_number

register = template.Library()


@register.filter
def num(value, decimals: int = 0) -> str:
    """`value` with `decimals` places (default 0), rounded half away from zero, thousands grouped as the locale
    writes them ("12 345" in sv, "12.345" in da, "12,345" in en); a dash for None or ""."""
    return format_number(value, decimals, grouping=True)


@register.filter
def money(value, currency: str = "") -> str:
    """A whole amount with the locale's separators and currency sign: "1 234 567 kr" (sv, SEK)."""
    return format_money(value, currency)


@register.filter
def money_compact(value, currency: str = "") -> str:
    """An amount in thousands/millions as the locale writes them: "1,1 mn kr" (sv), "1.1 M SEK" (en)."""
    return format_money(value, currency, compact=True)


@register.simple_tag
def money_range(value, low, high, currency: str = "", compact: bool = False) -> str:
    """An amount with its interval, "1,1 mn kr (0,8-1,4 mn kr)"; the amount alone without both bounds."""
    return format_money_range(value, low, high, currency, compact=compact)


@register.simple_tag
def money_interval(low, high, currency: str = "", compact: bool = False) -> str:
    """An interval with the unit once: `800 000-1 400 000 kr`, `0,8-1,4 mn kr` (compact)."""
    return format_money_interval(low, high, currency, compact=compact)
