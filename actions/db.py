"""Database helpers: a median aggregate that works on PostgreSQL (tests, production) and SQLite (demo)."""

from __future__ import annotations

import statistics

from django.db.models import Aggregate, FloatField


class Median(Aggregate):
    """The median of a numeric expression (NULLs ignored)."""

    function = "percentile_cont"
    name = "Median"
    output_field = FloatField()
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite has no ordered-set aggregates; `cx_median` is registered on each connection (actions.apps).
        return super().as_sql(compiler, connection, function="cx_median", template="%(function)s(%(expressions)s)")


class _SqliteMedian:
    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("cx_median", 1, _SqliteMedian)
