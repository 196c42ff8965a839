"""Import handlers: one per `ImportJob.Kind`, looked up by the generic runner in `imports.services`.

The runner does everything that is the same for every kind: it checks and stores the upload, keeps a preview for
the mapping step, reads CSV (encoding and delimiter detected) or XLSX, hands each mapped cell to the handler's
column, cuts the rows into batches, calls the handler, keeps progress and counts on the job, and writes the
row-level error report. A handler only knows its columns, how to validate a batch and how to write one.

Writing a handler for a new kind (e.g. revenue), in `<app>/importers.py` (found automatically at start-up)::

    from imports.models import ImportJob
    from imports.registry import Column, ImportHandler, Option, RowError, register


    @register
    class RevenueImportHandler(ImportHandler):
        kind = ImportJob.Kind.REVENUE
        columns = (
            Column("external_id", required=True, aliases=("CustomerID", "kundnummer"), help=_("Customer id")),
            Column("month", aliases=("period",), help=_("YYYY-MM"), example="2026-10"),
            Column("amount", required=True, aliases=("MonthlyCharges",), example="1234.50"),
        )
        options = (Option("month", Option.MONTH, label=_("Month of every row")),)  # asked on the mapping page
        sample_rows = [{"external_id": "C-1001", "month": "2026-10", "amount": "1234.50"}, ...]  # 3 rows

        def check_mapping(self, fields, options):  # optional: rules beyond "required columns are mapped"
            problems = super().check_mapping(fields, options)
            if "month" not in fields and not options.get("month"):
                problems.append(_("Map a month column or give the month of the whole file."))
            return problems

        def prepare(self, ctx):                    # optional: load lookups once per job
            ctx.state["customers"] = {...}         # ctx.options["month"] is a date (or None)

        def validate_batch(self, rows, ctx):
            valid, errors = [], []
            for row in rows:                       # row.number, row.values["amount"] (stripped str; "" if blank)
                ...                                # on a problem: errors.append(RowError(row.number, "amount", msg))
            return valid, errors                   # a row with any error must not be in `valid`

        def write_batch(self, valid_rows, ctx):
            ...                                    # bulk upsert; runs inside one transaction per batch
            return created, updated                # valid rows that were neither are counted as unchanged

The interface:
- `kind`: an `ImportJob.Kind` value. `label` defaults to the kind's display name.
- `columns`: the kind's fields, as `Column`s. The mapping step offers every field for every file column and
  prefills a column whose header matches a field's name or one of its aliases (case, spaces, `_`, `-` and `.`
  do not matter: `Customer ID`, `customer_id` and `CustomerID` are one name). Columns mapped to nothing are
  ignored with a warning, never an error. Optional fields may stay unmapped: a handler should then leave that
  field alone on existing records (the keys of `row.values` are the mapped fields).
- `options`: `Option`s asked once per file on the mapping page (one month, one date, a yes/no switch); the
  handler reads their parsed values in `ctx.options` (a `date`, a `bool` or None).
- `check_mapping(fields, options) -> [message]`: what keeps the mapping from being confirmed. The default asks
  for every required column.
- `mapping_notes(organization) -> [message]`: remarks the mapping page shows (e.g. the currency assumed).
- `sample_rows`: three example rows (dicts keyed by column name) for the downloadable sample file.
- `prepare(ctx)`: called once before the first batch; put lookups in `ctx.state`.
- `validate_batch(rows, ctx) -> (valid_rows, errors)`: `rows` is a list of `Row`; return whatever objects
  `write_batch` needs for the rows that passed, and `RowError`s (row number, column, message) for the others.
  Validate every column of a row before accepting it: rows are all-or-nothing. `ctx.state` lives for the whole
  job, so duplicates across batches can be caught there. A row that is fine but has nothing to write may be
  returned as None: it counts as unchanged.
- `write_batch(valid_rows, ctx) -> (created, updated)`: write one batch (already inside `transaction.atomic`);
  must be idempotent on the kind's natural key so that importing the same file again creates nothing new.
  Raising aborts the job (rows of earlier batches stay imported); do not raise for row-level problems.
- `finish(ctx) -> [message]`: warnings for the job page once every batch ran (e.g. "120 rows skipped because").
- `batch_size`: rows per batch (default `settings.IMPORT_BATCH_SIZE`).

Shared value parsers (booleans in sv/nb/da/en, languages, e-mail, decimals, dates, months) are in
`imports.parsers`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from accounts.models import Organization
    from imports.models import ImportJob


class ImportFileError(Exception):
    """A problem with the whole file: the job fails with this message (shown to the user as is)."""


class ImportMappingError(Exception):
    """A column mapping that cannot be confirmed: `problems` says why, one message each."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""
    example: str = ""
    label: str = ""  # the field's name on the mapping page (default: `name`)

    @property
    def display(self) -> str:
        return str(self.label or self.name)


@dataclass(frozen=True)
class Option:
    """A value the mapping page asks once for the whole file."""

    MONTH = "month"
    DATE = "date"
    BOOL = "bool"

    name: str
    kind: str
    label: str
    help: str = ""

    def parse(self, value: Any) -> Any:
        """The stored (JSON) form -> the value handlers read: a date, a bool or None. Raise ValueError."""
        from imports.parsers import parse_bool, parse_date, parse_month

        if self.kind == self.BOOL:
            if isinstance(value, bool):
                return value
            return parse_bool(str(value)) if str(value or "").strip() else False
        if value in (None, ""):
            return None
        if isinstance(value, dt.date):
            return value
        return parse_month(str(value)) if self.kind == self.MONTH else parse_date(str(value))

    def dump(self, value: Any) -> Any:
        """The parsed value -> JSON."""
        if isinstance(value, dt.date):
            return value.isoformat()
        return value


@dataclass
class Row:
    """One data row: `number` is the row as a spreadsheet shows it (the header is row 1)."""

    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": str(self.message)}


@dataclass
class ImportContext:
    job: ImportJob
    organization: Organization
    columns: tuple[str, ...]  # the fields mapped to a column of the file, in file order
    options: dict[str, Any] = field(default_factory=dict)  # parsed `Option` values
    state: dict[str, Any] = field(default_factory=dict)


# Columns the error report adds: a corrected report can be uploaded again as it is.
REPORT_ROW_COLUMN = "import_row"
REPORT_ERROR_COLUMN = "import_error"
IGNORED_COLUMNS = frozenset({REPORT_ROW_COLUMN, REPORT_ERROR_COLUMN})


def normalize_header(cell: str) -> str:
    return re.sub(r"[\s\-.]+", "_", str(cell).strip().lstrip("\ufeff").lower()).strip("_")


def compact_header(cell: str) -> str:
    """The letters and digits of a header cell, lower-cased: `Customer ID`, `customer_id` and `CustomerID` meet."""
    return "".join(ch for ch in str(cell).lstrip("\ufeff").lower() if ch.isalnum())


@dataclass
class ColumnMapping:
    """What the mapping step decided: a field (or None) per header cell, and the file-wide option values."""

    fields: list[str | None]
    options: dict[str, Any] = field(default_factory=dict)  # JSON values (ISO dates, booleans)

    def as_json(self) -> dict[str, Any]:
        return {"fields": list(self.fields), "options": dict(self.options)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColumnMapping:
        return cls(fields=list(data.get("fields") or []), options=dict(data.get("options") or {}))

    def ignored(self, header: Sequence[str]) -> list[str]:
        """Header cells that are mapped to nothing (blank cells and the error report's own columns aside)."""
        return [
            str(cell).strip()
            for cell, name in zip(header, self.fields, strict=False)
            if name is None and normalize_header(cell) and normalize_header(cell) not in IGNORED_COLUMNS
        ]


class ImportHandler:
    """Base for handlers; see the module docstring for the contract."""

    kind: str = ""
    columns: Sequence[Column] = ()
    options: Sequence[Option] = ()
    sample_rows: Sequence[dict[str, str]] = ()
    batch_size: int | None = None

    @property
    def label(self) -> str:
        from imports.models import ImportJob

        return str(ImportJob.Kind(self.kind).label)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def guess_mapping(self, header: Sequence[str]) -> list[str | None]:
        """Per header cell, the field whose name or alias it matches (None: no match, or the field is taken)."""
        lookup: dict[str, str] = {}
        for column in self.columns:
            for name in (column.name, *column.aliases):
                lookup.setdefault(compact_header(name), column.name)
        taken: set[str] = set()
        fields: list[str | None] = []
        for cell in header:
            name = None if normalize_header(cell) in IGNORED_COLUMNS else lookup.get(compact_header(cell))
            if name in taken:
                name = None
            if name is not None:
                taken.add(name)
            fields.append(name)
        return fields

    def check_mapping(self, fields: set[str], options: dict[str, Any]) -> list[str]:
        """Messages that keep this mapping from being confirmed (`options` holds parsed values)."""
        missing = [c for c in self.columns if c.required and c.name not in fields]
        if not missing:
            return []
        return [
            _("No column is chosen for the required field(s): %(fields)s.")
            % {"fields": ", ".join(c.display if c.display == c.name else f"{c.display} ({c.name})" for c in missing)}
        ]

    def mapping_notes(self, organization: Organization) -> list[str]:
        return []

    def resolve_mapping(
        self,
        header: Sequence[str],
        *,
        columns: dict[str, str | None] | None = None,
        options: dict | None = None,
        base: Sequence[str | None] | None = None,
    ) -> ColumnMapping:
        """A mapping from names (the API's way): `base` (a saved mapping) or the header's guess, then `columns`
        ({header cell: field or None}) on top. Raise ImportMappingError if it cannot be confirmed."""
        known = {c.name for c in self.columns}
        if base is not None and len(base) == len(header):
            fields = [name if name in known else None for name in base]
        else:
            fields = self.guess_mapping(header)
        problems: list[str] = []
        explicit: set[int] = set()
        by_cell = {normalize_header(cell): i for i, cell in enumerate(header)}
        for cell, name in (columns or {}).items():
            index = by_cell.get(normalize_header(cell))
            if index is None:
                problems.append(_('The file has no column "%(column)s".') % {"column": cell})
            elif name in (None, "", "ignore"):
                fields[index] = None
                explicit.add(index)
            elif name not in known:
                problems.append(
                    _('"%(field)s" is not a field of this import (fields: %(fields)s).')
                    % {"field": name, "fields": ", ".join(c.name for c in self.columns)}
                )
            else:
                fields[index] = name
                explicit.add(index)
        # A field given for one column is no longer guessed for another.
        chosen = {fields[i] for i in explicit}
        for i, name in enumerate(fields):
            if i not in explicit and name in chosen:
                fields[i] = None
        return self.validate_mapping(header, fields, options or {}, problems=problems)

    def validate_mapping(
        self, header: Sequence[str], fields: list[str | None], raw_options: dict, *, problems: list[str] | None = None
    ) -> ColumnMapping:
        """Check a field per header cell and the raw option values; return the mapping or raise ImportMappingError."""
        problems = list(problems or [])
        seen: dict[str, str] = {}
        for cell, name in zip(header, fields, strict=False):
            if name is None:
                continue
            if name in seen:
                column = self.column(name)
                problems.append(
                    _('"%(field)s" is chosen for two columns: "%(first)s" and "%(second)s".')
                    % {"field": column.display if column else name, "first": seen[name], "second": cell}
                )
            else:
                seen[name] = str(cell)
        parsed: dict[str, Any] = {}
        stored: dict[str, Any] = {}
        for option in self.options:
            try:
                parsed[option.name] = option.parse(raw_options.get(option.name))
            except ValueError as exc:
                problems.append(f"{option.label}: {exc}")
                parsed[option.name] = None
            stored[option.name] = option.dump(parsed[option.name])
        problems += self.check_mapping(set(seen), parsed)
        if problems:
            raise ImportMappingError(problems)
        return ColumnMapping(fields=list(fields), options=stored)

    def parsed_options(self, mapping: ColumnMapping) -> dict[str, Any]:
        return {option.name: option.parse(mapping.options.get(option.name)) for option in self.options}

    def prepare(self, ctx: ImportContext) -> None:
        """Load lookups once per job into `ctx.state` (optional)."""

    def validate_batch(self, rows: list[Row], ctx: ImportContext) -> tuple[list[Any], list[RowError]]:
        raise NotImplementedError

    def write_batch(self, valid_rows: list[Any], ctx: ImportContext) -> tuple[int, int]:
        raise NotImplementedError

    def finish(self, ctx: ImportContext) -> list[str]:
        """Warnings for the job once every batch ran (optional)."""
        return []


_registry: dict[str, ImportHandler] = {}


def register(handler_class: type[ImportHandler]) -> type[ImportHandler]:
    """Class decorator: make `handler_class` the handler of its `kind`."""
    if not handler_class.kind:
        raise ValueError(f"{handler_class.__name__} has no kind")
    _registry[str(handler_class.kind)] = handler_class()
    return handler_class


def get_handler(kind: str) -> ImportHandler:
    try:
        return _registry[str(kind)]
    except KeyError:
        raise ImportFileError(_("Imports of this kind are not available yet.")) from None


def available_kinds() -> list[tuple[str, str]]:
    """(kind, label) of every registered handler, in the order of ImportJob.Kind."""
    from imports.models import ImportJob

    return [(k.value, str(k.label)) for k in ImportJob.Kind if k.value in _registry]
