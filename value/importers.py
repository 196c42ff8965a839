"""File imports of monthly revenue and churn events (run by the generic runner in `imports.services`).

Both upsert on their natural key, so importing the same file again changes nothing.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from imports.models import ImportJob
from imports.registry import Column, ImportContext, ImportHandler, Row, RowError, register
from value.services import churn_event_upsert, revenue_upsert
from value.validation import ChurnRow, FieldError, RevenueRow, RowValidator

_CUSTOMER_COLUMN = Column(
    "external_id",
    required=True,
    aliases=("customer", "customer_id", "kundnummer", "kundenummer", "kunde_id", "kund_id"),
    help=gettext_lazy("The customer's id in your CRM (as in the customer import)."),
    example="C-1001",
)
# The validator speaks the API's field names; the file's column names map onto them.
_TO_FIELD = {"external_id": "customer"}
_TO_COLUMN = {"customer": "external_id"}


def _rows(rows: list[Row]) -> list[tuple[int, dict]]:
    return [(row.number, {_TO_FIELD.get(k, k): v for k, v in row.values.items()}) for row in rows]


def _row_errors(errors: list[FieldError]) -> list[RowError]:
    return [RowError(e.index, _TO_COLUMN.get(e.field, e.field), e.message) for e in errors]


class _ValueHandler(ImportHandler):
    def prepare(self, ctx: ImportContext) -> None:
        # One validator per job: it remembers keys already seen, so duplicates across batches are caught.
        ctx.state["validator"] = RowValidator(ctx.organization)


@register
class RevenueImportHandler(_ValueHandler):
    kind = ImportJob.Kind.REVENUE
    columns = (
        _CUSTOMER_COLUMN,
        Column(
            "month",
            required=True,
            aliases=("period", "månad", "måned", "maaned"),
            help=gettext_lazy("YYYY-MM (or the first day of the month)."),
            example="2026-10",
        ),
        Column(
            "amount",
            required=True,
            aliases=("revenue", "belopp", "beløb", "beløp", "intäkt", "omsetning"),
            help=gettext_lazy("Revenue of the month, e.g. 549.00 or 549,00. Importing a month again replaces it."),
            example="549.00",
        ),
        Column(
            "currency",
            aliases=("valuta",),
            help=gettext_lazy("Optional; if given it must be the organization's currency."),
            example="SEK",
        ),
    )
    sample_rows = (
        {"external_id": "C-1001", "month": "2026-09", "amount": "549.00", "currency": "SEK"},
        {"external_id": "C-1001", "month": "2026-10", "amount": "549.00", "currency": "SEK"},
        {"external_id": "C-1002", "month": "2026-10", "amount": "2490.00", "currency": "SEK"},
    )

    def validate_batch(self, rows: list[Row], ctx: ImportContext) -> tuple[list[RevenueRow], list[RowError]]:
        valid, errors = ctx.state["validator"].revenue(_rows(rows))
        return valid, _row_errors(errors)

    def write_batch(self, valid_rows: list[RevenueRow], job: ImportJob) -> tuple[int, int]:
        return revenue_upsert(organization=job.organization, rows=valid_rows)


@register
class ChurnImportHandler(_ValueHandler):
    kind = ImportJob.Kind.CHURN
    columns = (
        _CUSTOMER_COLUMN,
        Column(
            "date",
            required=True,
            aliases=("churn_date", "end_date", "slutdatum", "sluttdato", "slutdato"),
            help=gettext_lazy("The day the customer left: YYYY-MM-DD (31.12.2026 also works)."),
            example="2026-10-31",
        ),
        Column(
            "reason",
            aliases=("churn_reason", "orsak", "årsak", "årsag"),
            help=gettext_lazy("Why they left, in a few words (optional)."),
            example="Moved abroad",
        ),
    )
    sample_rows = (
        {"external_id": "C-1001", "date": "2026-10-31", "reason": "Moved abroad"},
        {"external_id": "C-1002", "date": "2026-09-15", "reason": "Price"},
        {"external_id": "C-1003", "date": "2026-08-01", "reason": ""},
    )

    def validate_batch(self, rows: list[Row], ctx: ImportContext) -> tuple[list[ChurnRow], list[RowError]]:
        valid, errors = ctx.state["validator"].churn(_rows(rows))
        return valid, _row_errors(errors)

    def write_batch(self, valid_rows: list[ChurnRow], job: ImportJob) -> tuple[int, int]:
        return churn_event_upsert(organization=job.organization, rows=valid_rows)
