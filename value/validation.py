"""Validation of revenue and churn rows, shared by the file import and the API so both accept the same input."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from accounts.models import Organization
from core.currencies import is_currency
from customers.models import Customer
from imports.parsers import parse_churned, parse_date, parse_decimal, parse_month

__all__ = ["ChurnRow", "FieldError", "RevenueRow", "RowValidator", "parse_amount", "parse_month", "split_amount"]

MAX_AMOUNT = Decimal("999999999999.99")
MAX_REASON = 200
# A currency written into the amount cell: "549,00 SEK", "EUR 12.50", "€12", "549 kr".
_AMOUNT_CODE = re.compile(r"^\s*(?P<pre>[A-Za-z]{3})?\s*(?P<num>[^A-Za-z]*?)\s*(?P<post>[A-Za-z]{3}|kr\.?|:-)?\s*$")
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}
_KRONA = frozenset({"SEK", "NOK", "DKK"})


@dataclass(frozen=True)
class RevenueRow:
    customer_id: int | None  # None until `external_id`'s customer is created (imports that create customers)
    month: dt.date
    amount: Decimal
    external_id: str = ""


@dataclass(frozen=True)
class ChurnRow:
    customer_id: int | None  # as for RevenueRow
    date: dt.date
    reason: str | None  # None: leave an existing reason alone
    external_id: str = ""


@dataclass(frozen=True)
class FieldError:
    index: int  # the caller's row key (spreadsheet row number or list index)
    field: str
    message: str


def parse_amount(value: str) -> Decimal:
    amount = parse_decimal(str(value))
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(_("Amount is too large."))
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def split_amount(value: str, organization_currency: str) -> tuple[str, str]:
    """Take a currency written into an amount cell off it: "549,00 SEK" -> ("549,00", "SEK"); "kr" is the
    organization's krona (SEK, NOK or DKK), "€" is EUR. ("549", "") when the cell names none."""
    text = str(value).strip()
    for symbol, code in _SYMBOLS.items():
        if symbol in text:
            return text.replace(symbol, "").strip(), code
    match = _AMOUNT_CODE.match(text)
    if match is None or not (match.group("pre") or match.group("post")) or not re.search(r"\d", match.group("num")):
        return text, ""
    code = (match.group("pre") or match.group("post")).upper().rstrip(".")
    if code in ("KR", ":-"):
        code = organization_currency if organization_currency in _KRONA else "SEK"
    return match.group("num"), code


def customer_ids(organization: Organization, external_ids: set[str]) -> dict[str, int]:
    """external id -> customer pk, for the organization's customers among `external_ids`."""
    return dict(
        Customer.objects.for_org(organization)
        .filter(external_id__in=[e for e in external_ids if e])
        .values_list("external_id", "pk")
    )


class RowValidator:
    """Validates rows given as {field: str}; keeps seen keys so duplicates are caught across batches.

    `month` / `date`: the month or churn date of rows that give none (a file-wide value from the mapping step).
    `create_missing`: an unknown customer id is not an error; the row keeps the id and `customer_id=None`, and the
    writer creates the customer. Amounts are stored in the organization's currency: a row in another one is
    refused (nothing converts currencies), a row without one is taken as the organization's.
    """

    def __init__(
        self,
        organization: Organization,
        *,
        month: dt.date | None = None,
        date: dt.date | None = None,
        create_missing: bool = False,
    ):
        self.organization = organization
        self.month = month
        self.date = date
        self.create_missing = create_missing
        self.seen: dict[tuple, int] = {}
        self.not_churned = 0

    def _customer(
        self, raw: str | None, lookup: dict[str, int], index: int, errors: list[FieldError]
    ) -> tuple[int | None, str]:
        external_id = str(raw or "").strip()
        if not external_id:
            errors.append(FieldError(index, "customer", _("Customer id is missing.")))
            return None, ""
        pk = lookup.get(external_id)
        if pk is None and not self.create_missing:
            errors.append(FieldError(index, "customer", _('No customer with id "%(id)s".') % {"id": external_id}))
        return pk, external_id

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

    def _currency(self, cell_currency: str, column_currency: str, index: int, errors: list[FieldError]) -> None:
        own = self.organization.currency
        for field, code in (("amount", cell_currency), ("currency", column_currency)):
            if not code:
                continue
            if not is_currency(code):
                errors.append(
                    FieldError(index, field, _('"%(code)s" is not an ISO 4217 currency code.') % {"code": code})
                )
            elif code != own:
                errors.append(
                    FieldError(
                        index,
                        field,
                        _(
                            "The amount is in %(currency)s, but revenue is kept in %(own)s, the organization's "
                            "currency, and amounts are not converted: give this row in %(own)s."
                        )
                        % {"currency": code, "own": own},
                    )
                )

    def revenue(self, rows: list[tuple[int, dict]]) -> tuple[list[RevenueRow], list[FieldError]]:
        lookup = customer_ids(self.organization, {str(r.get("customer") or "").strip() for _i, r in rows})
        valid: list[RevenueRow] = []
        errors: list[FieldError] = []
        for index, values in rows:
            row_errors: list[FieldError] = []
            pk, external_id = self._customer(values.get("customer"), lookup, index, row_errors)
            month = amount = None
            try:
                text = str(values.get("month") or "").strip()
                if not text and self.month is None:
                    raise ValueError(_("Month is missing."))
                month = parse_month(text) if text else self.month
            except ValueError as exc:
                row_errors.append(FieldError(index, "month", str(exc)))
            number, cell_currency = split_amount(str(values.get("amount") or ""), self.organization.currency)
            try:
                if not number.strip():
                    raise ValueError(_("Amount is missing."))
                amount = parse_amount(number)
            except ValueError as exc:
                row_errors.append(FieldError(index, "amount", str(exc)))
            self._currency(cell_currency, str(values.get("currency") or "").strip().upper(), index, row_errors)
            key = (pk or external_id, month)
            if not row_errors and not self._duplicate(key, index, "month", row_errors):
                valid.append(RevenueRow(customer_id=pk, month=month, amount=amount, external_id=external_id))
            errors.extend(row_errors)
        return valid, errors

    def churn(self, rows: list[tuple[int, dict]]) -> tuple[list[ChurnRow | None], list[FieldError]]:
        """Rows labelled as not churned (a `churned` value such as No, 0, stayed) come back as None."""
        lookup = customer_ids(self.organization, {str(r.get("customer") or "").strip() for _i, r in rows})
        valid: list[ChurnRow | None] = []
        errors: list[FieldError] = []
        for index, values in rows:
            row_errors: list[FieldError] = []
            pk, external_id = self._customer(values.get("customer"), lookup, index, row_errors)
            churned = True
            if "churned" in values:
                try:
                    label = str(values.get("churned") or "").strip()
                    if not label:
                        raise ValueError(_("Churn label is missing."))
                    churned = parse_churned(label)
                except ValueError as exc:
                    row_errors.append(FieldError(index, "churned", str(exc)))
            date = None
            try:
                text = str(values.get("date") or "").strip()
                if not text and self.date is None:
                    raise ValueError(_("Date is missing."))
                date = parse_date(text) if text else self.date
            except ValueError as exc:
                if churned:  # the day a staying customer did not leave does not matter
                    row_errors.append(FieldError(index, "date", str(exc)))
            reason = values.get("reason")
            if reason is not None:
                reason = str(reason).strip()
                if len(reason) > MAX_REASON:
                    row_errors.append(
                        FieldError(index, "reason", _("Reason is longer than %(n)s characters.") % {"n": MAX_REASON})
                    )
            if not row_errors and not churned:
                self.not_churned += 1
                valid.append(None)
            elif not row_errors and not self._duplicate((pk or external_id, date), index, "date", row_errors):
                valid.append(ChurnRow(customer_id=pk, date=date, reason=reason, external_id=external_id))
            errors.extend(row_errors)
        return valid, errors
