"""Import handlers: one per `ImportJob.Kind`, looked up by the generic runner in `imports.services`.

The runner does everything that is the same for every kind: it checks and stores the upload, reads CSV (encoding
and delimiter detected) or XLSX, maps the header onto the handler's columns, cuts the rows into batches, calls the
handler, keeps progress and counts on the job, and writes the row-level error report. A handler only knows its
columns, how to validate a batch and how to write one.

Writing a handler for a new kind (e.g. revenue), in `<app>/importers.py` (found automatically at start-up)::

    from imports.models import ImportJob
    from imports.registry import Column, ImportHandler, RowError, register


    @register
    class RevenueImportHandler(ImportHandler):
        kind = ImportJob.Kind.REVENUE
        columns = (
            Column("external_id", required=True, help=_("Customer id in your CRM"), example="C-1001"),
            Column("period", required=True, aliases=("month",), help=_("YYYY-MM"), example="2026-10"),
            Column("amount", required=True, example="1234.50"),
        )
        sample_rows = [{"external_id": "C-1001", "period": "2026-10", "amount": "1234.50"}, ...]  # 3 rows

        def prepare(self, ctx):                    # optional: load lookups once per job
            ctx.state["customers"] = {...}

        def validate_batch(self, rows, ctx):
            valid, errors = [], []
            for row in rows:                       # row.number, row.values["amount"] (stripped str; "" if blank)
                ...                                # on a problem: errors.append(RowError(row.number, "amount", msg))
            return valid, errors                   # a row with any error must not be in `valid`

        def write_batch(self, valid_rows, job):
            ...                                    # bulk upsert; runs inside one transaction per batch
            return created, updated                # valid rows that were neither are counted as unchanged

The interface:
- `kind`: an `ImportJob.Kind` value. `label` defaults to the kind's display name.
- `columns`: `Column`s. Header cells are matched case-insensitively, with spaces/hyphens/dots read as underscores,
  against each column's name and aliases. A missing required column, an unknown column or a column given twice
  fails the whole job with a message that lists the expected columns. Optional columns may be left out: a handler
  should then leave that field alone on existing records (the keys of `row.values` are the columns in the file).
- `sample_rows`: three example rows (dicts keyed by column name) for the downloadable sample file.
- `prepare(ctx)`: called once before the first batch; put lookups in `ctx.state`.
- `validate_batch(rows, ctx) -> (valid_rows, errors)`: `rows` is a list of `Row`; return whatever objects
  `write_batch` needs for the rows that passed, and `RowError`s (row number, column, message) for the others.
  Validate every column of a row before accepting it: rows are all-or-nothing. `ctx.state` lives for the whole
  job, so duplicates across batches can be caught there.
- `write_batch(valid_rows, job) -> (created, updated)`: write one batch (already inside `transaction.atomic`);
  must be idempotent on the kind's natural key so that importing the same file again creates nothing new.
  Raising aborts the job (rows of earlier batches stay imported); do not raise for row-level problems.
- `batch_size`: rows per batch (default `settings.IMPORT_BATCH_SIZE`).

Shared value parsers (booleans in sv/nb/da/en, languages, e-mail, decimals, dates) are in `imports.parsers`.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""
    example: str = ""


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
    columns: tuple[str, ...]  # canonical names of the columns present in the file, in file order
    state: dict[str, Any] = field(default_factory=dict)


# Columns the error report adds: a corrected report can be uploaded again as it is.
REPORT_ROW_COLUMN = "import_row"
REPORT_ERROR_COLUMN = "import_error"
IGNORED_COLUMNS = frozenset({REPORT_ROW_COLUMN, REPORT_ERROR_COLUMN})


def normalize_header(cell: str) -> str:
    return re.sub(r"[\s\-.]+", "_", str(cell).strip().lstrip("\ufeff").lower()).strip("_")


class ImportHandler:
    """Base for handlers; see the module docstring for the contract."""

    kind: str = ""
    columns: Sequence[Column] = ()
    sample_rows: Sequence[dict[str, str]] = ()
    batch_size: int | None = None

    @property
    def label(self) -> str:
        from imports.models import ImportJob

        return str(ImportJob.Kind(self.kind).label)

    def map_header(self, header: Sequence[str]) -> list[str | None]:
        """Return, per header cell, the canonical column name (None for ignored cells); raise on a bad header."""
        lookup: dict[str, str] = {}
        for column in self.columns:
            for name in (column.name, *column.aliases):
                lookup[normalize_header(name)] = column.name
        mapped: list[str | None] = []
        unknown: list[str] = []
        seen: set[str] = set()
        duplicates: list[str] = []
        for cell in header:
            key = normalize_header(cell)
            if not key or key in IGNORED_COLUMNS:
                mapped.append(None)
                continue
            name = lookup.get(key)
            if name is None:
                unknown.append(str(cell).strip())
                mapped.append(None)
            elif name in seen:
                duplicates.append(str(cell).strip())
                mapped.append(None)
            else:
                seen.add(name)
                mapped.append(name)
        missing = [c.name for c in self.columns if c.required and c.name not in seen]
        problems = []
        if missing:
            problems.append(_("Missing required column(s): %(cols)s.") % {"cols": ", ".join(missing)})
        if unknown:
            problems.append(_("Unknown column(s): %(cols)s.") % {"cols": ", ".join(f'"{u}"' for u in unknown)})
        if duplicates:
            problems.append(_("Column(s) given twice: %(cols)s.") % {"cols": ", ".join(duplicates)})
        if problems:
            expected = ", ".join(c.name + ("*" if c.required else "") for c in self.columns)
            problems.append(_("Expected columns (* = required): %(cols)s.") % {"cols": expected})
            raise ImportFileError(" ".join(problems))
        return mapped

    def prepare(self, ctx: ImportContext) -> None:
        """Load lookups once per job into `ctx.state` (optional)."""

    def validate_batch(self, rows: list[Row], ctx: ImportContext) -> tuple[list[Any], list[RowError]]:
        raise NotImplementedError

    def write_batch(self, valid_rows: list[Any], job: ImportJob) -> tuple[int, int]:
        raise NotImplementedError


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
