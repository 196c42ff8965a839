"""Spreadsheet-safe output shared by every export: CSV injection neutralised, CSV streamed with a BOM.

A cell a user typed that starts like a formula is made inert (OWASP CSV injection); numbers pass unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Make a user-supplied string inert in a spreadsheet (OWASP CSV injection); numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(header_cells: list[str], body: Iterable[list[object]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A BOM so that Excel opens UTF-8 (å, ä, ö, æ, ø) correctly.
    yield "\ufeff" + writer.writerow([neutralise(h) for h in header_cells])
    for cells in body:
        yield writer.writerow([_csv_cell(c) for c in cells])


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()  # ISO 8601 with the offset: 2026-05-10T14:00:00+02:00
    return value
