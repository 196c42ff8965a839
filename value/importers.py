"""File imports of monthly revenue and churn events (run by the generic runner in `imports.services`).

Both upsert on their natural key, so importing the same file again changes nothing. Both take the common export
shapes as they are: a revenue file may carry a monthly charge and no month (the mapping step asks for the month of
the whole file), a churn file may carry a churn label (Yes/No) and no date (the mapping step asks for the date the
customers left), and unknown customers may be created instead of refused.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.models import Organization
from customers.importers import CUSTOMER_ID_ALIASES, customers_ensure
from imports.models import ImportJob
from imports.registry import Column, ImportContext, ImportHandler, Option, Row, RowError, register
from value.services import churn_event_upsert, revenue_upsert
from value.validation import ChurnRow, FieldError, RevenueRow, RowValidator

_CUSTOMER_COLUMN = Column(
    "external_id",
    required=True,
    aliases=CUSTOMER_ID_ALIASES,
    label=gettext_lazy("Customer id"),
    help=gettext_lazy("The customer's id in your CRM (as in the customer import)."),
    example="C-1001",
)
_CREATE_CUSTOMERS = Option(
    "create_customers",
    Option.BOOL,
    label=gettext_lazy("Create customers that do not exist yet"),
    help=gettext_lazy("Unticked, a row of an unknown customer id is reported as an error."),
)
# The validator speaks the API's field names; the file's column names map onto them.
_TO_FIELD = {"external_id": "customer"}
_TO_COLUMN = {"customer": "external_id"}


def _rows(rows: list[Row]) -> list[tuple[int, dict]]:
    return [(row.number, {_TO_FIELD.get(k, k): v for k, v in row.values.items()}) for row in rows]


def _row_errors(errors: list[FieldError]) -> list[RowError]:
    return [RowError(e.index, _TO_COLUMN.get(e.field, e.field), e.message) for e in errors]


class _ValueHandler(ImportHandler):
    def _validator(self, ctx: ImportContext) -> RowValidator:
        raise NotImplementedError

    def prepare(self, ctx: ImportContext) -> None:
        # One validator per job: it remembers keys already seen, so duplicates across batches are caught.
        ctx.state["validator"] = self._validator(ctx)
        ctx.state["customers_created"] = 0

    def _with_customers(self, rows: list[Any], ctx: ImportContext) -> list[Any]:
        """Create the customers rows name but the organization does not have yet (only when asked to)."""
        new = {r.external_id for r in rows if r.customer_id is None}
        if not new:
            return rows
        lookup, created = customers_ensure(organization=ctx.organization, external_ids=new)
        ctx.state["customers_created"] += created
        return [r if r.customer_id is not None else replace(r, customer_id=lookup[r.external_id]) for r in rows]

    def finish(self, ctx: ImportContext) -> list[str]:
        created = ctx.state.get("customers_created", 0)
        if not created:
            return []
        return [
            ngettext(
                "%(n)s customer that did not exist yet was created (id only).",
                "%(n)s customers that did not exist yet were created (id only).",
                created,
            )
            % {"n": created}
        ]


@register
class RevenueImportHandler(_ValueHandler):
    kind = ImportJob.Kind.REVENUE
    columns = (
        _CUSTOMER_COLUMN,
        Column(
            "month",
            aliases=(
                "period",
                "billing_month",
                "invoice_month",
                "year_month",
                "date",
                "månad",
                "manad",
                "måned",
                "maaned",
                "periode",
                "period_start",
            ),
            label=gettext_lazy("Month"),
            help=gettext_lazy("YYYY-MM (or the first day of the month). No month column: give the file's month."),
            example="2026-10",
        ),
        Column(
            "amount",
            required=True,
            aliases=(
                "revenue",
                "monthly_charge",
                "monthly_charges",
                "monthly_revenue",
                "monthly_fee",
                "mrr",
                "charge",
                "charges",
                "sales",
                "belopp",
                "beløb",
                "beløp",
                "intäkt",
                "intakt",
                "intäkter",
                "omsättning",
                "omsetning",
                "omsætning",
                "månadsavgift",
                "månedspris",
            ),
            label=gettext_lazy("Amount"),
            help=gettext_lazy("Revenue of the month, e.g. 549.00 or 1 234,50. Importing a month again replaces it."),
            example="549.00",
        ),
        Column(
            "currency",
            aliases=("valuta", "currency_code", "valutakod", "valutakode"),
            label=gettext_lazy("Currency"),
            help=gettext_lazy("Optional ISO 4217 code; blank or left out: the organization's currency."),
            example="SEK",
        ),
    )
    options = (
        Option(
            "month",
            Option.MONTH,
            label=gettext_lazy("Month of every row"),
            help=gettext_lazy(
                "For a file without a month column, e.g. a list of monthly charges: YYYY-MM. "
                "A month column, where it has a value, wins."
            ),
        ),
        _CREATE_CUSTOMERS,
    )
    sample_rows = (
        {"external_id": "C-1001", "month": "2026-09", "amount": "549.00", "currency": "SEK"},
        {"external_id": "C-1001", "month": "2026-10", "amount": "549.00", "currency": "SEK"},
        {"external_id": "C-1002", "month": "2026-10", "amount": "2490.00", "currency": "SEK"},
    )

    def check_mapping(self, fields: set[str], options: dict[str, Any]) -> list[str]:
        problems = super().check_mapping(fields, options)
        if "month" not in fields and options.get("month") is None:
            problems.append(_("Choose the month column, or give the month of every row (the file has no month)."))
        return problems

    def mapping_notes(self, organization: Organization) -> list[str]:
        return [
            _(
                "Amounts without a currency are taken as %(currency)s, the organization's currency. Amounts in "
                "another currency are refused row by row (they are not converted)."
            )
            % {"currency": organization.currency}
        ]

    def _validator(self, ctx: ImportContext) -> RowValidator:
        return RowValidator(
            ctx.organization, month=ctx.options.get("month"), create_missing=bool(ctx.options.get("create_customers"))
        )

    def validate_batch(self, rows: list[Row], ctx: ImportContext) -> tuple[list[RevenueRow], list[RowError]]:
        valid, errors = ctx.state["validator"].revenue(_rows(rows))
        return valid, _row_errors(errors)

    def write_batch(self, valid_rows: list[RevenueRow], ctx: ImportContext) -> tuple[int, int]:
        return revenue_upsert(organization=ctx.organization, rows=self._with_customers(valid_rows, ctx))


@register
class ChurnImportHandler(_ValueHandler):
    kind = ImportJob.Kind.CHURN
    columns = (
        _CUSTOMER_COLUMN,
        Column(
            "date",
            aliases=(
                "churn_date",
                "end_date",
                "left_on",
                "date_left",
                "termination_date",
                "cancellation_date",
                "cancelled_on",
                "slutdatum",
                "uppsägningsdatum",
                "sluttdato",
                "oppsigelsesdato",
                "slutdato",
                "opsigelsesdato",
            ),
            label=gettext_lazy("Churn date"),
            help=gettext_lazy("The day the customer left: YYYY-MM-DD (31.12.2026 also works)."),
            example="2026-10-31",
        ),
        Column(
            "churned",
            aliases=(
                "churn",
                "churn_label",
                "churn_flag",
                "churn_value",
                "exited",
                "left",
                "label",
                "attrition",
                "attrition_flag",
                "is_churned",
                "churned_yes_no",
                "uppsagd",
                "sagt_opp",
                "opsagt",
            ),
            label=gettext_lazy("Churn label"),
            help=gettext_lazy(
                "Yes/No, 1/0, true/false, ja/nej/nei, churned/stayed: rows labelled as not churned are skipped."
            ),
            example="Yes",
        ),
        Column(
            "reason",
            aliases=("churn_reason", "reason_for_leaving", "cause", "orsak", "årsak", "årsag", "uppsägningsorsak"),
            label=gettext_lazy("Reason"),
            help=gettext_lazy("Why they left, in a few words (optional)."),
            example="Moved abroad",
        ),
    )
    options = (
        Option(
            "date",
            Option.DATE,
            label=gettext_lazy("The date these customers left"),
            help=gettext_lazy(
                "For a file without a churn date (e.g. a churn label): the date they left, e.g. the export date. "
                "A date column, where it has a value, wins."
            ),
        ),
        _CREATE_CUSTOMERS,
    )
    sample_rows = (
        {"external_id": "C-1001", "date": "2026-10-31", "churned": "Yes", "reason": "Moved abroad"},
        {"external_id": "C-1002", "date": "2026-09-15", "churned": "Yes", "reason": "Price"},
        {"external_id": "C-1003", "date": "2026-08-01", "churned": "Yes", "reason": ""},
    )

    def check_mapping(self, fields: set[str], options: dict[str, Any]) -> list[str]:
        problems = super().check_mapping(fields, options)
        if "date" not in fields and options.get("date") is None:
            if "churned" in fields:
                problems.append(
                    _(
                        "The file has a churn label but no date: give the date these customers left "
                        "(e.g. the export date)."
                    )
                )
            else:
                problems.append(
                    _("Choose the churn date column, or a churn label column and the date these customers left.")
                )
        return problems

    def _validator(self, ctx: ImportContext) -> RowValidator:
        return RowValidator(
            ctx.organization, date=ctx.options.get("date"), create_missing=bool(ctx.options.get("create_customers"))
        )

    def validate_batch(self, rows: list[Row], ctx: ImportContext) -> tuple[list[ChurnRow | None], list[RowError]]:
        valid, errors = ctx.state["validator"].churn(_rows(rows))
        return valid, _row_errors(errors)

    def write_batch(self, valid_rows: list[ChurnRow], ctx: ImportContext) -> tuple[int, int]:
        return churn_event_upsert(organization=ctx.organization, rows=self._with_customers(valid_rows, ctx))

    def finish(self, ctx: ImportContext) -> list[str]:
        warnings = super().finish(ctx)
        stayed = ctx.state["validator"].not_churned
        if stayed:
            warnings.insert(
                0,
                ngettext(
                    "%(n)s row is labelled as not churned: skipped (counted as unchanged).",
                    "%(n)s rows are labelled as not churned: skipped (counted as unchanged).",
                    stayed,
                )
                % {"n": stayed},
            )
        return warnings
