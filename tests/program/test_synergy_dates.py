"""The compound-failure period is bounded (program.synergy.periods): days from 2000-01-01 to a year from today, at
most 1,096 days. Out of bounds is a form error on the page (the default period shown) and a 400 with the reason in
the API: never a 500 (before, `start=0001-01-01` overflowed on the 90 days before it, `end=9999-12-31` on the day
after it)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from program.synergy import periods
from program.synergy.forms import default_period
from program.synergy.selectors import compound_failures
from tests.program.test_synergy_compound import make_synergy_world
from tests.program.test_synergy_pages import key_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast_a):
    return make_synergy_world(cast_a)


def _today() -> dt.date:
    return timezone.localdate()


def _cases() -> list[tuple[dict, str]]:
    """(query, expected error fragment); the fragment "" means accepted."""
    today = _today()
    last = periods.latest_day(today)
    return [
        ({"start": "0001-01-01"}, "Choose a day from"),
        ({"end": "9999-12-31"}, "Choose a day from"),
        ({"start": "1999-12-31", "end": "2000-01-10"}, "Choose a day from"),
        ({"start": "2000-01-01", "end": "2000-01-10"}, ""),
        ({"start": last.isoformat(), "end": last.isoformat()}, ""),
        ({"end": (last + dt.timedelta(days=1)).isoformat()}, "Choose a day from"),
        ({"start": "2020-01-01", "end": "2022-12-31"}, ""),  # 1,096 days
        ({"start": "2020-01-01", "end": "2023-01-01"}, "Choose a period of at most 1,096 days."),
        ({"start": "2000-01-01"}, "Choose a period of at most 1,096 days."),  # to today, by default
        ({"start": "2024-05-02", "end": "2024-05-01"}, "The end comes before the start."),
    ]


def test_the_limits_are_named_and_a_year_ahead_is_the_same_day_next_year():
    assert periods.EARLIEST_DAY.isoformat() == "2000-01-01"
    assert periods.MAX_PERIOD_DAYS == 1096
    assert periods.latest_day(dt.date(2026, 3, 5)) == dt.date(2027, 3, 5)
    assert periods.latest_day(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
    assert (dt.date(2022, 12, 31) - dt.date(2020, 1, 1)).days + 1 == periods.MAX_PERIOD_DAYS


def test_the_page_shows_a_form_error_and_the_default_period_never_a_500(world, client_for):
    c = client_for(world.cast.cx_manager)
    default_start, default_end = default_period(_today())
    for query, error in _cases():
        response = c.get(reverse("program:compound"), query)
        assert response.status_code == 200, query
        page = response.content.decode()
        data = response.context["data"]
        if error:
            assert 'data-testid="filter-error"' in page and error in page, query
            assert (data.start, data.end) == (default_start, default_end), query
        else:
            assert 'data-testid="filter-error"' not in page, query
            assert data.start.isoformat() == query["start"], query
    # The date pickers offer only the days allowed.
    page = c.get(reverse("program:compound")).content.decode()
    assert 'min="2000-01-01"' in page and f'max="{periods.latest_day(_today()).isoformat()}"' in page


def test_the_page_writes_the_bounds_in_the_users_date_format(world, client_for):
    c = client_for(world.cast.executive)
    response = c.get(reverse("program:compound"), {"start": "1999-12-31"}, HTTP_ACCEPT_LANGUAGE="da")
    error = response.content.decode().split('data-testid="filter-error"')[1].split("</div>")[0]
    assert "01.01.2000" in error and periods.latest_day(_today()).strftime("%d.%m.%Y") in error


def test_the_api_answers_400_with_the_reason(world):
    api = key_client(world.cast, scopes=["program"])
    for query, error in _cases():
        response = api.get(reverse("program-compound"), query)
        if error:
            assert response.status_code == 400, query
            reasons = [m for messages in response.json().values() for m in messages]
            assert any(error in m for m in reasons), (query, reasons)
            if "Choose a day" in error:
                assert f"2000-01-01 to {periods.latest_day(_today()).isoformat()}" in " ".join(reasons)
        else:
            assert response.status_code == 200, query
            assert response.json()["start"] == query["start"], query


def test_the_selector_refuses_what_the_form_and_the_api_refuse(world):
    today = _today()
    for start, end in [(dt.date(1, 1, 1), today), (today, dt.date(9999, 12, 31)), (dt.date(2020, 1, 1), today)]:
        with pytest.raises(ValueError, match="Choose"):
            compound_failures(ctx=world.ctx(), start=start, end=end)
