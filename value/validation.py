"""Validation of revenue and churn rows, shared by the file import and the API so both accept the same input."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from accounts.models import Organization
from customers.models import Customer
from imports.parsers import parse_date, parse_decimal

MAX_AMOUNT = Decimal("999999999999.99")
MAX_REASON = 200
_MONTH_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MONTH_FIRST_RE = re.compile(r"^(\d{1,2})[-/.](\d{4})$")


@dataclass(frozen=True)
class RevenueRow:
    customer_id: int
    month: dt.date
    amount: Decimal


@dataclass(frozen=True)
class ChurnRow:
    customer_id: int
    date: dt.date
    reason: str | None  # None: leave an existing reason alone


@dataclass(frozen=True)
class FieldError:
    index: int  # the caller's row key (spreadsheet row number or list index)
    field: str
    message: str


def parse_month(value: str) -> dt.date:
    """YYYY-MM (also YYYY/MM, MM/YYYY) or a full date on the first day of the month."""
    text = str(value).strip()
    year = month = None
    if m := _MONTH_RE.match(text):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := _MONTH_FIRST_RE.match(text):
        month, year = int(m.group(1)), int(m.group(2))
    if year is not None:
        if not 1 <= month <= 12 or year < 1900:
            raise ValueError(_('"%(value)s" is not a month (use YYYY-MM).') % {"value": value})
        return dt.date(year, month, 1)
    try:
        day = parse_date(text)
    except ValueError:
        raise ValueError(_('"%(value)s" is not a month (use YYYY-MM).') % {"value": value})
    if day.day != 1:
        raise ValueError(
            _('"%(value)s" is not the first day of a month: give the month as YYYY-MM.') % {"value": value}
        )
    return day


def parse_amount(value: str) -> Decimal:
    amount = parse_decimal(str(value))
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(_("Amount is too large."))
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def customer_ids(organization: Organization, external_ids: set[str]) -> dict[str, int]:
    """external id -> customer pk, for the organization's customers among `external_ids`."""
    return dict(
        Customer.objects.for_org(organization)
        .filter(external_id__in=[e for e in external_ids if e])
        .values_list("external_id", "pk")
    )


class RowValidator:
    """Validates rows given as {column: str}; keeps seen keys so duplicates are caught across batches."""

    def __init__(self, organization: Organization):
        self.organization = organization
        self.seen: dict[tuple, int] = {}

    def _customer(self, raw: str, lookup: dict[str, int], index: int, errors: list[FieldError]) -> int | None:
        external_id = str(raw or "").strip()
        if not external_id:
            errors.append(FieldError(index, "customer", _("Customer id is missing.")))
            return None
        pk = lookup.get(external_id)
        if pk is None:
            errors.append(FieldError(index, "customer", _('No customer with id "%(id)s".') % {"id": external_id}))
        return pk

    def _duplicate(self, key: tuple, index: int, field: str, errors: list[FieldError]) -> bool:
        if key in self.seen:
            errors.append(
                FieldError(
                    index,
                    field,
                    _("Same customer and %(field)s as row %(row)s.") % {"field": field, "row": self.seen[key]},
                )
            )
            return True
        self.seen[key] = index
        return False

    def revenue(self, rows: list[tuple[int, dict]]) -> tuple[list[RevenueRow], list[FieldError]]:
        lookup = customer_ids(self.organization, {str(r.get("customer") or "").strip() for _i, r in rows})
        valid: list[RevenueRow] = []
        errors: list[FieldError] = []
        for index, values in rows:
            row_errors: list[FieldError] = []
            pk = self._customer(values.get("customer"), lookup, index, row_errors)
            month = amount = None
            try:
                month = parse_month(values.get("month") or "")
            except ValueError as exc:
                row_errors.append(FieldError(index, "month", str(exc)))
            try:
                if str(values.get("amount") or "").strip() == "":
                    raise ValueError(_("Amount is missing."))
                amount = parse_amount(values["amount"])
            except ValueError as exc:
                row_errors.append(FieldError(index, "amount", str(exc)))
            currency = str(values.get("currency") or "").strip().upper()
            if currency and currency != self.organization.currency:
                row_errors.append(
                    FieldError(
                        index,
                        "currency",
                        _("Amounts must be in %(currency)s, the organization's currency.")
                        % {"currency": self.organization.currency},
                    )
                )
            if not row_errors and not self._duplicate((pk, month), index, "month", row_errors):
                valid.append(RevenueRow(customer_id=pk, month=month, amount=amount))
            errors.extend(row_errors)
        return valid, errors

    def churn(self, rows: list[tuple[int, dict]]) -> tuple[list[ChurnRow], list[FieldError]]:
        lookup = customer_ids(self.organization, {str(r.get("customer") or "").strip() for _i, r in rows})
        valid: list[ChurnRow] = []
        errors: list[FieldError] = []
        for index, values in rows:
            row_errors: list[FieldError] = []
            pk = self._customer(values.get("customer"), lookup, index, row_errors)
            date = None
            try:
                if not str(values.get("date") or "").strip():
                    raise ValueError(_("Date is missing."))
                date = parse_date(str(values["date"]))
            except ValueError as exc:
                row_errors.append(FieldError(index, "date", str(exc)))
            reason = values.get("reason")
            if reason is not None:
                reason = str(reason).strip()
                if len(reason) > MAX_REASON:
                    row_errors.append(
                        FieldError(index, "reason", _("Reason is longer than %(n)s characters.") % {"n": MAX_REASON})
                    )
            if not row_errors and not self._duplicate((pk, date), index, "date", row_errors):
                valid.append(ChurnRow(customer_id=pk, date=date, reason=reason))
            errors.extend(row_errors)
        return valid, errors
