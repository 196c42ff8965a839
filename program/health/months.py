"""Calendar months of the health profile, in the organization's time zone."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import Organization


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month_start(month), 1) - dt.timedelta(days=1)


def local_today(organization: Organization, now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(organization.zone).date()


def as_of_for(month: dt.date, today: dt.date) -> dt.date:
    """A past month is assessed as of its last day, the current month as of today."""
    return today if month_start(month) == month_start(today) else month_end(month)
