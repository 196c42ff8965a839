"""Model instances from hand-written SELECTs: the ORM's row building without its SQL compiler.

For the few hot reads (a submission's look-ups) where compiling the ORM query costs more than running it. The
caller writes the SQL with `reader.columns(alias)` for each model it joins and builds instances with
`reader.build(row, offset)`; values go through the same converters the ORM applies (JSON fields, for example).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


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
