"""Template filters of the closed loop: durations, shares and money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils.translation import gettext as _

from core.money import format_money, format_money_range
from core.numbers import format_number, round_half_away
from core.templatetags.cx_numbers import money as core_money

register = template.Library()

# The money filter is core's (core/templatetags/cx_numbers.py), offered here under the same name.
register.filter("money", core_money)


@register.filter
def duration(value: dt.timedelta | None) -> str:
    """A short human duration: 45 min, 3 h 20 min, 2 d 4 h."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    if minutes < 60:
        return _("%(m)s min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes} if minutes else _("%(h)s h") % {"h": hours}
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h") % {"d": days, "h": hours} if hours else _("%(d)s d") % {"d": days}


@register.filter
def pct(value: float | None, digits: int = 0) -> str:
    """A share in per cent. A share strictly between 0 and 100 never reads "0 %" or "100 %": it gets up to two
    more decimals (99.6 -> "99.6 %"), and closer still to either end it reads "< 0.01 %" / "> 99.99 %" (with the
    locale's decimal separator), so "100 % with a case" always means every one."""
    if value is None:
        return "–"
    digits = int(digits)
    value = float(value)
    if 0 < value < 100:
        for extra in range(3):
            rounded = float(round_half_away(value, digits + extra))
            if 0 < rounded < 100:
                digits += extra
                break
        else:
            digits += 2
            step = Decimal(1).scaleb(-digits)
            if value < 50:
                return f"< {format_number(step, digits)} %"
            return f"> {format_number(Decimal(100) - step, digits)} %"
    return f"{format_number(value, digits)} %"


MILLION = 1_000_000


@register.filter
def money_range(estimate, per_year: bool = False) -> str:
    """An estimate's value with its range on one scale, through the platform's money formatter (core.money):
    "1.2 M SEK (0.8-1.6 M SEK)" / "1,2 mn kr (0,8-1,6 mn kr)"; amounts below a million in full ("5,000 SEK
    (2,500-7,500 SEK)")."""
    value = getattr(estimate, "value", None)
    if value is None:
        return "\u2013"
    currency = getattr(estimate, "currency", "") or ""
    low, high = getattr(estimate, "low", None), getattr(estimate, "high", None)
    compact = abs(float(value)) >= MILLION
    if low is None or high is None or (low == value and high == value):
        text = format_money(value, currency, compact=compact)
        return _("%(amount)s/yr") % {"amount": text} if per_year else text
    amount, interval = format_money_range(value, low, high, currency, compact=compact).split(" (", 1)
    if per_year:
        amount = _("%(amount)s/yr") % {"amount": amount}
    return f"{amount} ({interval}"


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if mapping else None


_STATUS_KINDS = {"status", "closed", "reopened"}


def _event_value(event, value: str) -> str:
    from actions.models import CaseStatus

    if event.kind in _STATUS_KINDS and value in CaseStatus.values:
        return str(CaseStatus(value).label)
    return value


@register.filter
def event_old(event) -> str:
    """The event's old value, with status codes shown as their labels."""
    return _event_value(event, event.old_value)


@register.filter
def event_new(event) -> str:
    return _event_value(event, event.new_value)
