"""Rounding for display: half away from zero (3.745 -> 3.75, -2.5 -> -3), the one rule every page uses.

Python's round() rounds half to even and Django's number_format cuts digits off; neither is what a reader
expects from a report. Floats go through their shortest repr (str), so 3.7599 stays 3.7599 and not a binary
neighbour such as 3.759899999.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MINUS = "\u2212"
DASH = "\u2013"


def round_half_away(value: float | int | Decimal, decimals: int = 0) -> Decimal:
    """`value` rounded to `decimals` places, half away from zero (Decimal's ROUND_HALF_UP does exactly that)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        return number.quantize(Decimal(1).scaleb(-int(decimals)), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return Decimal(value)


def round_int(value: float | int | Decimal) -> int:
    return int(round_half_away(value, 0))


def format_number(value, decimals: int = 0, *, grouping: bool = False) -> str:
    """Localised text of a number rounded half away from zero (a dash for nothing, and for NaN and infinity)."""
    from django.utils.formats import number_format

    if value is None or value == "":
        return DASH
    decimals = int(decimals)
    try:
        rounded = round_half_away(value, decimals)
    except (TypeError, ValueError, InvalidOperation):  # text that is no number is shown as it is
        return str(value)
    if not rounded.is_finite():  # NaN or an infinity (a ratio over nothing): no figure to write
        return DASH
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.0"
    text = number_format(rounded, decimal_pos=decimals, use_l10n=True, force_grouping=grouping)
    return MINUS + text[1:] if text.startswith("-") else text  # one minus sign, U+2212, for every negative figure
