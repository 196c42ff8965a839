"""The one database-specific expression of the frames, spelled for PostgreSQL and for the SQLite demo."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from django.db import connection

from value.analysis.common import month_start
from value.frames import MonthStartBefore

DAYS = [dt.date(2026, 2, 15), dt.date(2026, 1, 1), dt.date(2024, 2, 29), dt.date(2026, 12, 31)]


class _Compiler:
    """Compiles the expression's one argument to a placeholder, as Django's compiler does for a value."""

    def __init__(self, day: dt.date):
        self.day = day

    def compile(self, _node):
        return "%s", [self.day.isoformat()]


@pytest.mark.parametrize("day", DAYS)
def test_the_sqlite_spelling_gives_the_first_day_eleven_months_back(day):
    sql, params = MonthStartBefore("date", 11).as_sqlite(_Compiler(day), None)
    (found,) = sqlite3.connect(":memory:").execute("SELECT " + sql.replace("%s", "?"), params).fetchone()
    assert dt.date.fromisoformat(found) == month_start(day, 11)


@pytest.mark.django_db
@pytest.mark.parametrize("day", DAYS)
def test_the_postgresql_spelling_gives_the_same_day(day):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    sql, params = MonthStartBefore("date", 11).as_postgresql(_Compiler(day), connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + sql.replace("%s", "%s::date"), params)
        assert cursor.fetchone()[0] == month_start(day, 11)
