"""The number filters of every template: `{{ value|num:1 }}`, rounded half away from zero, in the page's locale,
and money: `{{ amount|money:"SEK" }}` (full), `{{ amount|money_compact:"SEK" }}` ("1,1 mn kr") and
`{% money_range amount low high "SEK" compact=True %}` ("1,1 mn kr (0,8-1,4 mn kr)"); scores in their measure's
format: `{{ nps|score }}` ("+32"), `{{ mean|score:"csat|mean" }}` ("4,21"), and changes: `{{ delta|signed:1 }}`."""

from __future__ import annotations

from django import template

from core.money import format_money, format_money_interval, format_money_range
from core.numbers import format_number, round_half_away
from core.scales import MEASURE_NPS, MEASURE_TOP_BOX, measure_of

register = template.Library()

DASH = "\u2013"


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


# -- scores: NPS signed and whole, means and shares in their measure's format --------------------------------------


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
