"""SLA due times, in wall-clock hours or in an organization's business hours (pure functions, no Django).

A business-hours SLA only counts time inside the working windows of the calendar: working weekdays, between the
day's start and end (local time of the organization), skipping holidays. Windows are turned into UTC instants
before any arithmetic, so a daylight-saving change between two working days does not shift the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# A calendar without a reachable working window would loop forever; ten years is far beyond any SLA.
MAX_DAYS_SCANNED = 3660


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: str = "Europe/Stockholm"
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    day_start: dt.time = dt.time(8, 0)
    day_end: dt.time = dt.time(17, 0)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.working_days:
            raise ValueError("A business calendar needs at least one working day.")
        if self.day_end <= self.day_start:
            raise ValueError("The working day must end after it starts.")

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The working window of a day as two UTC instants."""
        tz = ZoneInfo(self.timezone)
        start = dt.datetime.combine(day, self.day_start, tzinfo=tz).astimezone(dt.UTC)
        end = dt.datetime.combine(day, self.day_end, tzinfo=tz).astimezone(dt.UTC)
        return start, end


def add_business_hours(start: dt.datetime, hours: float, calendar: WorkingCalendar) -> dt.datetime:
    """The instant `hours` of working time after `start` (an aware datetime); returned in UTC."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    remaining = dt.timedelta(hours=hours)
    current = start.astimezone(dt.UTC)
    day = current.astimezone(ZoneInfo(calendar.timezone)).date()
    for _ in range(MAX_DAYS_SCANNED):
        if calendar.is_working_day(day):
            window_start, window_end = calendar.window(day)
            if current < window_start:
                current = window_start
            if current < window_end:
                available = window_end - current
                # A remainder of zero lands exactly at the current instant (e.g. an SLA of 0 hours).
                if remaining <= available:
                    return current + remaining
                remaining -= available
                current = window_end
        day += dt.timedelta(days=1)
    raise ValueError("No working time found within ten years; check the business calendar.")


def due_times(
    start: dt.datetime, hours: float, *, warning_fraction: float, calendar: WorkingCalendar | None
) -> tuple[dt.datetime, dt.datetime]:
    """(warn_at, due_at): the reminder instant (a fraction of the SLA) and the due instant.

    Without a calendar the SLA runs around the clock.
    """
    if calendar is None:
        return start + dt.timedelta(hours=hours * warning_fraction), start + dt.timedelta(hours=hours)
    return (
        add_business_hours(start, hours * warning_fraction, calendar),
        add_business_hours(start, hours, calendar),
    )
