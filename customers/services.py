"""Writes for customers (single rows; bulk imports go through customers.importers)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.scoping import OrgContext
from customers.models import Customer
from customers.signals import CONSENT_FLAGS, change_source, consent_changes, send_consent_changed

EDITABLE_FIELDS = frozenset(
    {"external_id", "name", "email", "phone", "language", "country", "segment", "persona", "may_survey", "may_contact"}
)


class DuplicateExternalId(Exception):
    pass


def _check_fields(data: dict[str, Any]) -> None:
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")


def _check_persona(ctx: OrgContext, data: dict[str, Any]) -> None:
    # Forms and serializers already restrict personas to the organization; this guards other callers.
    persona = data.get("persona")
    if persona is not None and persona.organization_id != ctx.org_id:
        raise ValueError("persona of another organization")


def _flags(customer: Customer) -> dict[str, bool]:
    return {flag: getattr(customer, flag) for flag in CONSENT_FLAGS.values()}


def _consent_changed(ctx: OrgContext, customer: Customer, before: dict[str, bool] | None) -> None:
    changes = consent_changes(customer.external_id, before, _flags(customer))
    send_consent_changed(organization_id=customer.organization_id, changes=changes, source=change_source(ctx))


def customer_create(*, ctx: OrgContext, **data: Any) -> Customer:
    _check_fields(data)
    _check_persona(ctx, data)
    try:
        with transaction.atomic():
            customer = Customer.objects.create(organization=ctx.organization, **data)
            _consent_changed(ctx, customer, None)
            return customer
    except IntegrityError:
        raise DuplicateExternalId(data.get("external_id"))


def customer_update(*, ctx: OrgContext, customer: Customer, **data: Any) -> Customer:
    _check_fields(data)
    if customer.organization_id != ctx.org_id:
        raise ValueError("customer of another organization")
    _check_persona(ctx, data)
    before = _flags(customer)
    for field, value in data.items():
        setattr(customer, field, value)
    try:
        with transaction.atomic():
            customer.save(update_fields=[*data, "updated_at"])
            _consent_changed(ctx, customer, before)
    except IntegrityError:
        raise DuplicateExternalId(data.get("external_id"))
    return customer


def customer_upsert(*, ctx: OrgContext, external_id: str, **data: Any) -> tuple[Customer, bool]:
    """Create or update the customer with this external id; return (customer, created)."""
    data.pop("external_id", None)
    with transaction.atomic():
        customer = (
            Customer.objects.for_org(ctx.organization).select_for_update().filter(external_id=external_id).first()
        )
        if customer is None:
            return customer_create(ctx=ctx, external_id=external_id, **data), True
        return customer_update(ctx=ctx, customer=customer, **data), False
