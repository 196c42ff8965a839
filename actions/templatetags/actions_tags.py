"""Template filters of the closed loop: durations, shares and money."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _

from core.numbers import format_number

register = template.Library()


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
    if value is None:
        return "–"
    return f"{format_number(value, digits)} %"


@register.filter
def money(value, currency: str = "") -> str:
    if value is None:
        return "–"
    text = format_number(value, 0, grouping=True)
    return f"{text} {currency}".strip()


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
