"""SLA due times in business hours: nights, weekends, holidays and daylight-saving changes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from actions.models import BusinessCalendar, FeedbackCase, Holiday
from actions.sla import WorkingCalendar, add_business_hours, due_times
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

STHLM = ZoneInfo("Europe/Stockholm")
CAL = WorkingCalendar(timezone="Europe/Stockholm")  # Monday-Friday 08-17


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STHLM)


def test_time_inside_the_working_day_is_counted_as_is():
    assert add_business_hours(local(2026, 11, 24, 9, 0), 3, CAL) == local(2026, 11, 24, 12, 0)


def test_friday_afternoon_runs_over_the_weekend_to_monday_morning():
    # Friday 27 Nov 2026 16:00 + 2 h: one hour on Friday, one on Monday.
    assert add_business_hours(local(2026, 11, 27, 16, 0), 2, CAL) == local(2026, 11, 30, 9, 0)


def test_a_case_opened_at_night_starts_counting_at_opening_time():
    assert add_business_hours(local(2026, 11, 24, 22, 30), 1, CAL) == local(2026, 11, 25, 9, 0)
    assert add_business_hours(local(2026, 11, 25, 5, 0), 1, CAL) == local(2026, 11, 25, 9, 0)


def test_a_case_opened_on_saturday_is_due_within_mondays_hours():
    assert add_business_hours(local(2026, 11, 28, 11, 0), 4, CAL) == local(2026, 11, 30, 12, 0)


def test_several_working_days_are_spanned():
    # 20 h from Monday 08:00 with 9-hour days: Monday 9 h, Tuesday 9 h, Wednesday 2 h.
    assert add_business_hours(local(2026, 11, 23, 8, 0), 20, CAL) == local(2026, 11, 25, 10, 0)


def test_holidays_are_skipped():
    calendar = WorkingCalendar(
        timezone="Europe/Stockholm", holidays=frozenset({dt.date(2026, 12, 24), dt.date(2026, 12, 25)})
    )
    # Wednesday 23 Dec 16:00 + 3 h: 1 h on Wednesday, Thursday and Friday are holidays, 2 h on Monday 28 Dec.
    assert add_business_hours(local(2026, 12, 23, 16, 0), 3, calendar) == local(2026, 12, 28, 10, 0)


def test_custom_working_days_and_hours_are_respected():
    calendar = WorkingCalendar(
        timezone="Europe/Oslo", working_days=frozenset({0, 1, 2, 3, 4, 5}), day_start=dt.time(9), day_end=dt.time(13)
    )
    oslo = ZoneInfo("Europe/Oslo")
    # Friday 12:00 + 3 h: 1 h Friday, Saturday is a working day 09-13: 2 h -> Saturday 11:00.
    start = dt.datetime(2026, 11, 27, 12, 0, tzinfo=oslo)
    assert add_business_hours(start, 3, calendar) == dt.datetime(2026, 11, 28, 11, 0, tzinfo=oslo)


def test_daylight_saving_change_over_a_weekend_keeps_local_opening_hours():
    # Clocks go forward on Sunday 29 March 2026; Monday 09:00 local is then 07:00 UTC (not 08:00).
    due = add_business_hours(local(2026, 3, 27, 16, 0), 2, CAL)
    assert due.astimezone(STHLM) == local(2026, 3, 30, 9, 0)
    assert due == dt.datetime(2026, 3, 30, 7, 0, tzinfo=dt.UTC)


def test_wall_clock_sla_ignores_the_calendar_and_warns_at_the_fraction():
    start = local(2026, 11, 27, 16, 0)
    warn, due = due_times(start, 48, warning_fraction=0.75, calendar=None)
    assert due - start == dt.timedelta(hours=48)
    assert warn - start == dt.timedelta(hours=36)


def test_a_calendar_without_working_days_is_refused():
    with pytest.raises(ValueError):
        WorkingCalendar(working_days=frozenset())


@pytest.mark.django_db
def test_a_business_hours_rule_uses_the_organizations_calendar_and_holidays(loop_a):
    org = loop_a.org
    BusinessCalendar.objects.create(
        organization=org, working_days=[0, 1, 2, 3, 4], day_start=dt.time(8), day_end=dt.time(16)
    )
    Holiday.objects.create(organization=org, date=dt.date(2026, 11, 30), name="Company day")
    loop_a.rule.sla_hours, loop_a.rule.sla_business_hours = 4, True
    loop_a.rule.save()
    with time_machine.travel(local(2026, 11, 27, 14, 0), tick=False):  # Friday 14:00
        response = respond(loop_a, nps=2)
        response_processed.send(sender=Response, response=response)
    case = FeedbackCase.objects.get(response=response)
    # 2 h on Friday (14-16), Monday is a holiday, 2 h on Tuesday (08-10).
    assert case.due_at == local(2026, 12, 1, 10, 0)
    # The reminder at 75 % = 3 h: Tuesday 09:00.
    assert case.warn_at == local(2026, 12, 1, 9, 0)
    assert case.sla_business_hours and case.sla_hours == 4
