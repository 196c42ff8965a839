"""The one money formatter of the platform: amounts as each locale writes them.

Full amounts keep every krona: "1 234 567 kr" (sv, nb), "1.234.567 kr." (da), "1,234,567 SEK" (en). Compact amounts
scale to thousands, millions or billions with the locale's own abbreviation: "1,1 mn kr" (sv), "1,1 mill. kr" (nb),
"1,1 mio. kr." (da), "1.1 M SEK" (en). The krone/krona sign is used only for the locale's own currency (SEK in
Swedish, NOK in Norwegian, DKK in Danish); every other currency is written with its ISO code ("1 234 EUR"). Numbers
come from `core.numbers.format_number` (rounded half away from zero, the locale's separators, U+2212 for a minus);
the unit is joined with a non-breaking space so an amount never breaks across lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.utils import translation

from core.numbers import format_number, round_half_away

DASH = "\u2013"
NBSP = "\u00a0"

# The currency each language writes with its own sign.
LOCAL_CURRENCY = {"sv": ("SEK", "kr"), "nb": ("NOK", "kr"), "da": ("DKK", "kr.")}

# (threshold, abbreviation) per language, largest first: how a finance page of that country shortens amounts.
COMPACT_UNITS = {
    "en": ((10**9, "B"), (10**6, "M"), (10**3, "k")),
    "sv": ((10**9, "md"), (10**6, "mn"), (10**3, "tn")),
    "nb": ((10**9, "mrd."), (10**6, "mill."), (10**3, "tusen")),
    "da": ((10**9, "mia."), (10**6, "mio."), (10**3, "t.")),
}


def money_language(locale: str | None = None) -> str:
    """One of en/sv/nb/da for `locale` (default: the active language); other languages write money as English."""
    code = (locale or translation.get_language() or "en").lower().replace("_", "-").split("-")[0]
    code = {"no": "nb", "nn": "nb"}.get(code, code)
    return code if code in COMPACT_UNITS else "en"


def currency_unit(currency: str, locale: str | None = None) -> str:
    """How `currency` is written after an amount in `locale`: "kr" for SEK in Swedish, "kr." for DKK in Danish,
    otherwise the ISO code ("SEK" in English, "EUR" everywhere)."""
    code = (currency or "").strip().upper()
    own = LOCAL_CURRENCY.get(money_language(locale))
    if own is not None and own[0] == code:
        return own[1]
    return code


def _is_non_finite(value) -> bool:
    """NaN or an infinity (float or Decimal): no amount to write."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(float(value)))
    except (InvalidOperation, ValueError, TypeError, OverflowError):
        return False
    return not number.is_finite()


def _decimal(value) -> Decimal | None:
    """`value` as a Decimal; None for nothing, for text that is no number, and for NaN and the infinities."""
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _scaled(number: Decimal, divisor: int) -> tuple[Decimal, int]:
    """`number` / `divisor` rounded as a compact amount is written, with its number of decimals: one while the
    rounded figure is small ("1,1 mn"), none once it has three digits ("123 mn", and 99.95 -> "100 mn"); the
    decimals follow the rounded figure, never the unrounded one."""
    if divisor == 1:
        return round_half_away(number, 0), 0
    scaled = number / divisor
    rounded = round_half_away(scaled, 1)
    if abs(rounded) < 100:
        return rounded, 1
    return round_half_away(scaled, 0), 0


def compact_scale(values: Iterable, locale: str | None = None) -> tuple[int, str]:
    """The (divisor, abbreviation) that suits the largest of `values`: (1, "") below a thousand.

    Chosen from the rounded figure: an amount that rounds to a thousand of a unit is written in the next unit
    ("999 950" is "1,0 mn", not "1 000 tn")."""
    numbers = [abs(n) for n in (_decimal(v) for v in values) if n is not None]
    largest = max(numbers, default=Decimal(0))
    scales = [(1, ""), *reversed(COMPACT_UNITS[money_language(locale)])]  # smallest first
    index = max(i for i, (divisor, _unit) in enumerate(scales) if i == 0 or largest >= divisor)
    if index + 1 < len(scales) and abs(_scaled(largest, scales[index][0])[0]) >= 1000:
        index += 1
    return scales[index]


def _amount(number: Decimal, scale: tuple[int, str], *, compact: bool) -> str:
    divisor, _unit = scale
    if not compact or divisor == 1:
        return format_number(number, 0, grouping=True)
    rounded, decimals = _scaled(number, divisor)
    return format_number(rounded, decimals, grouping=True)


def _join(*parts: str) -> str:
    return NBSP.join(part for part in parts if part)


def format_money(value, currency: str = "", *, compact: bool = False, locale: str | None = None) -> str:
    """`value` as an amount of `currency` in `locale` (default: the active language); a dash for nothing.

    Without a currency only the number is written (for tables whose heading names the currency)."""
    number = _decimal(value)
    if number is None:
        return DASH if value is None or value == "" or _is_non_finite(value) else str(value)
    language = money_language(locale)
    with translation.override(language):
        scale = compact_scale([number], language) if compact else (1, "")
        return _join(_amount(number, scale, compact=compact), scale[1], currency_unit(currency, language))


def format_money_interval(low, high, currency: str = "", *, compact: bool = False, locale: str | None = None) -> str:
    """An interval with its unit once: "0,8-1,4 mn kr" (an en dash; spaced when a bound is negative); a dash
    without both bounds."""
    return _interval(_decimal(low), _decimal(high), None, currency, compact=compact, locale=locale)[1]


def format_money_range(
    value, low, high, currency: str = "", *, compact: bool = False, locale: str | None = None
) -> str:
    """An amount with its interval: "1,1 mn kr (0,8-1,4 mn kr)". Without both bounds, the amount alone.

    The three figures share one scale (that of the largest), so they read against each other."""
    low_n, high_n = _decimal(low), _decimal(high)
    if low_n is None or high_n is None:
        return format_money(value, currency, compact=compact, locale=locale)
    head, interval = _interval(low_n, high_n, _decimal(value), currency, compact=compact, locale=locale)
    return f"{head} ({interval})"


def _interval(
    low: Decimal | None, high: Decimal | None, value: Decimal | None, currency: str, *, compact: bool, locale
) -> tuple[str, str]:
    """(the amount, the interval) on one scale, each with the unit."""
    language = money_language(locale)
    with translation.override(language):
        scale = compact_scale([value, low, high], language) if compact else (1, "")
        unit = _join(scale[1], currency_unit(currency, language))
        head = DASH if value is None else _join(_amount(value, scale, compact=compact), unit)
        if low is None or high is None:
            return head, DASH
        # A spaced dash when a bound is negative: "-0,2 - 1,4" reads as a range, "-0,2-1,4" does not.
        dash = f"{NBSP}{DASH} " if low < 0 or high < 0 else DASH
        low_text, high_text = _amount(low, scale, compact=compact), _amount(high, scale, compact=compact)
        return head, _join(f"{low_text}{dash}{high_text}", unit)
