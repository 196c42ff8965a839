"""Model instances from hand-written SELECTs: the ORM's row building without its SQL compiler.

For the few hot reads (a submission's look-ups) where compiling the ORM query costs more than running it. The
caller writes the SQL with `reader.columns(alias)` for each model it joins and builds instances with
`reader.build(row, offset)`; values go through the same converters the ORM applies (JSON fields, for example).
Used only where `bench_submissions --in-process 1000` shows plain ORM costs the submission targets (README
"Benchmark figures"); everything else reads through the ORM.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import Model

_CAST = re.compile(r"::[a-z0-9_]+(\[\])?")


class RowReader:
    def __init__(self, model: type[Model]):
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self._pk_index = self.fields.index(model._meta.pk)
        self._converters: dict[str, list] = {}

    def columns(self, alias: str) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{alias}.{quote(f.column)}" for f in self.fields)

    def _converters_for(self) -> list:
        key = connection.vendor
        if key not in self._converters:
            found = []
            for index, f in enumerate(self.fields):
                col = f.get_col(self.model._meta.db_table)
                funcs = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
                if funcs:
                    found.append((index, col, funcs))
            self._converters[key] = found
        return self._converters[key]

    def build(self, row, offset: int = 0) -> Model | None:
        """The instance in row[offset:offset + width], or None when its primary key is NULL (an outer join)."""
        values = list(row[offset : offset + self.width])
        if values[self._pk_index] is None:
            return None
        for index, col, funcs in self._converters_for():
            value = values[index]
            for func in funcs:
                value = func(value, col, connection)
            values[index] = value
        return self.model.from_db(connection.alias, self.attnames, values)

    def in_org_by_ids(self, *, organization_id: int, ids) -> dict:
        """{pk: instance} of the organization's rows among `ids` (one query, no ORM compilation)."""
        ids = list(dict.fromkeys(ids))
        if not ids:
            return {}
        table = connection.ops.quote_name(self.model._meta.db_table)
        query = (
            f"SELECT {self.columns(table)} FROM {table} "  # noqa: S608 (names from the model, values as parameters)
            f"WHERE {table}.organization_id = %s AND {table}.id IN ({', '.join(['%s'] * len(ids))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, [organization_id, *ids])
            rows = cursor.fetchall()
        return {obj.pk: obj for obj in (self.build(row) for row in rows)}


def execute_prepared(cursor, name: str, query: str, params) -> None:
    """Run `query` (with %s placeholders) as a statement prepared once per database connection.

    On PostgreSQL the hot statements then skip parsing and planning, which cost several times their execution
    (0.7 ms planning vs 0.1 ms running for a submission's token look-up). Other databases run the query as is.
    Prepared statements live in the session, so this does not suit a transaction-pooling proxy (pgbouncer in
    transaction mode); the project connects to PostgreSQL directly.
    """
    if connection.vendor != "postgresql":
        cursor.execute(query, params)
        return
    raw = connection.connection
    state = getattr(connection, "_cx_prepared", None)
    if state is None or state[0] is not raw:
        state = connection._cx_prepared = (raw, set())
    if name not in state[1]:
        parts = query.split("%s")
        numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))
        cursor.execute(f"PREPARE {name} AS {numbered}")
        state[1].add(name)
    # EXECUTE's arguments are expressions of their own: a list becomes ARRAY[...] with an inferred type (text[]
    # for NULLs only), so each argument gets the cast that follows its placeholder in the query.
    casts = [_CAST.match(part) for part in query.split("%s")[1:]]
    placeholders = ", ".join("%s" + (m.group(0) if m else "") for m in casts)
    cursor.execute(f"EXECUTE {name}({placeholders})" if params else f"EXECUTE {name}", params)
