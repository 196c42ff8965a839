"""The periods the compound-failure view accepts: named limits and one check, for the page's form and the API alike.

Why limits: the view reads the 90 days before the first day and follows churn 180 days past the last, so a day near
the year 1 or 9999 overflowed Python's dates (a 500, before these checks), and every day more is more responses to
read. Nothing is recorded before 2000, a period can reach a year ahead (the last 180 days of follow-up are future
anyway), and three years (one of them a leap year) is enough to compare buckets while keeping the read bounded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils.formats import number_format
from django.utils.translation import gettext as _

EARLIEST_DAY = dt.date(2000, 1, 1)
YEARS_AHEAD = 1  # the last day allowed: today + 1 year
MAX_PERIOD_DAYS = 1_096  # 3 years, one of them a leap year (first and last day included)
# A year: enough poor experiences to see the effect, and most customers' 180 days of churn follow-up are over.
DEFAULT_DAYS = 365


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=DEFAULT_DAYS - 1), today


def latest_day(today: dt.date) -> dt.date:
    """Today + YEARS_AHEAD years (29 February: the 28th)."""
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def day_error(day: dt.date, today: dt.date, show: Callable[[dt.date], str]) -> str | None:
    """Why `day` cannot start or end a period, or None; `show` writes a date (the page's format, ISO in the API)."""
    last = latest_day(today)
    if EARLIEST_DAY <= day <= last:
        return None
    return _("Choose a day from %(first)s to %(last)s.") % {"first": show(EARLIEST_DAY), "last": show(last)}


def period_error(start: dt.date, end: dt.date) -> str | None:
    """Why [start, end] is no period, or None (each day checked with day_error first)."""
    if start > end:
        return _("The end comes before the start.")
    if (end - start).days + 1 > MAX_PERIOD_DAYS:
        return _("Choose a period of at most %(days)s days.") % {
            "days": number_format(MAX_PERIOD_DAYS, force_grouping=True)
        }
    return None


def check_period(start: dt.date, end: dt.date, today: dt.date) -> None:
    """Raise ValueError for a period the form and the API refuse (a caller that skipped them is a bug, and must not
    reach date arithmetic that overflows)."""
    error = day_error(start, today, dt.date.isoformat) or day_error(end, today, dt.date.isoformat)
    error = error or period_error(start, end)
    if error:
        raise ValueError(error)
