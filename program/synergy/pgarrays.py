"""Whole columns of a PostgreSQL query in one go: `array_agg` per column, sent by COPY ... (FORMAT binary), read by
numpy in place.

Why: through psycopg2 every value of every row becomes a Python object (a timestamp a timezone-aware datetime), which
for a million rows costs seconds before any arithmetic starts. Aggregated into arrays and sent in binary, a column is
a run of fixed-width big-endian values that numpy reads without a Python object per value, and a timestamp is an
integer number of microseconds since 2000-01-01 (UTC), with no conversion on either side. PostgreSQL and psycopg2
only: program.synergy.frames reads through the ORM elsewhere (SQLite demo) and gets the same columns.

The binary COPY format and the array wire format are PostgreSQL's (documented under COPY, "Binary Format", and
array_send in src/backend/utils/adt/arrayfuncs.c): per row a 16-bit field count, then per field a 32-bit length (-1:
NULL) and the bytes; an array is its number of dimensions, a has-NULLs flag, the element type OID, per dimension its
size and lower bound, then per element a 32-bit length and the value.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import numpy as np
from django.db import connection

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
# Element types read here, by OID (pg_type): fixed-width ones, so every element of an array has the same width.
INT4, INT8, FLOAT8, TIMESTAMPTZ = 23, 20, 701, 1184
ELEMENT_TYPES = {INT4: ">i4", INT8: ">i8", FLOAT8: ">f8", TIMESTAMPTZ: ">i8"}
NATIVE = {INT4: np.int64, INT8: np.int64, FLOAT8: np.float64, TIMESTAMPTZ: np.int64}
# 2000-01-01T00:00:00Z, PostgreSQL's epoch for timestamps, in milliseconds since 1970-01-01.
PG_EPOCH_MS = 946_684_800_000

ARRAY, TEXT = "array", "text"


class CopyFormatError(ValueError):
    """The COPY stream is not what was asked for (a NULL element, an unexpected type): a bug, never user input."""


def available() -> bool:
    """Whether this connection can COPY to the client this way (PostgreSQL through psycopg2, as STACK.md fixes)."""
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return not is_psycopg3


class _Messages:
    """A file-like sink for psycopg2's copy_expert: keeps each message as it comes (one per row), without copying
    it into one growing buffer (a column of a million values is one message of 12 MB)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.parts.append(data)


def ms_from_timestamps(microseconds: np.ndarray) -> np.ndarray:
    """Milliseconds since 1970 (floored, as pandas' as_unit("ms") of the same instant) from PostgreSQL's binary
    timestamps."""
    return np.floor_divide(microseconds, 1000) + PG_EPOCH_MS


def _array(buf: memoryview, pos: int, end: int) -> np.ndarray:
    ndim, has_nulls, oid = struct.unpack_from(">iiI", buf, pos)
    pos += 12
    if oid not in ELEMENT_TYPES:
        raise CopyFormatError(f"array elements of type {oid} are not read here")
    if ndim == 0:
        return np.zeros(0, dtype=NATIVE[oid])
    if ndim != 1 or has_nulls:
        raise CopyFormatError("only one-dimensional arrays without NULL elements are read here")
    (count,) = struct.unpack_from(">i", buf, pos)
    pos += 8  # size and lower bound
    width = np.dtype(ELEMENT_TYPES[oid]).itemsize
    layout = np.dtype([("length", ">i4"), ("value", ELEMENT_TYPES[oid])])
    if pos + count * layout.itemsize != end:
        raise CopyFormatError("array length does not match its elements")
    elements = np.frombuffer(buf, dtype=layout, count=count, offset=pos)
    if count and not (elements["length"] == width).all():
        raise CopyFormatError(f"array elements are not all {width} bytes wide")
    return elements["value"].astype(NATIVE[oid])  # a native-order copy: the message can then be freed


def _rows(parts: list[bytes], kinds: Sequence[str]) -> list[list]:
    rows: list[list] = []
    for index, part in enumerate(parts):
        buf = memoryview(part)
        pos = 0
        if index == 0:
            if bytes(buf[: len(SIGNATURE)]) != SIGNATURE:
                raise CopyFormatError("not a binary COPY stream")
            (extension,) = struct.unpack_from(">i", buf, len(SIGNATURE) + 4)
            pos = len(SIGNATURE) + 8 + extension
        while pos < len(buf):
            (fields,) = struct.unpack_from(">h", buf, pos)
            pos += 2
            if fields == -1:  # the trailer
                return rows
            if fields != len(kinds):
                raise CopyFormatError(f"{fields} fields in a row, {len(kinds)} expected")
            row: list = []
            for kind in kinds:
                (length,) = struct.unpack_from(">i", buf, pos)
                pos += 4
                if length == -1:
                    row.append(None)
                    continue
                end = pos + length
                row.append(_array(buf, pos, end) if kind == ARRAY else bytes(buf[pos:end]).decode())
                pos = end
            rows.append(row)
        parts[index] = b""  # free each message once read
    raise CopyFormatError("the COPY stream ended without its trailer")


def copy_rows(sql: str, params: Sequence, kinds: Sequence[str]) -> list[list]:
    """Run `sql` (a SELECT whose fields are `kinds`: ARRAY of int4 / int8 / float8 / timestamptz without NULL
    elements, or TEXT) through COPY ... TO STDOUT (FORMAT binary); each row as a list of numpy arrays, str and None
    (NULL, as array_agg over no row gives). The arrays of a row must be equally long (columns of the same rows)."""
    with connection.cursor() as cursor:
        statement = cursor.mogrify(sql, params)  # psycopg2 binds parameters on the client for execute() too
        if isinstance(statement, bytes):
            statement = statement.decode()
        sink = _Messages()
        cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH (FORMAT binary)", sink)
    rows = _rows(sink.parts, kinds)
    for row in rows:  # columns of one query: one value per row of it each
        if len({len(f) for f in row if isinstance(f, np.ndarray)}) > 1:
            raise CopyFormatError("the arrays of a row differ in length")
    return rows
