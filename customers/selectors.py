"""Reads for customers, scoped by OrgContext, and the rule for who may see a customer's contact data."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from accounts.scoping import OrgContext, get_in_org
from customers.models import Customer
from journeys.models import Persona


def customer_list(*, ctx: OrgContext) -> QuerySet[Customer]:
    return Customer.objects.for_org(ctx.organization).select_related("persona")


def customer_get(*, ctx: OrgContext, pk: int) -> Customer:
    return get_in_org(Customer.objects.select_related("persona"), ctx, pk=pk)


def customer_get_by_external_id(*, ctx: OrgContext, external_id: str) -> Customer:
    return get_in_org(Customer.objects.select_related("persona"), ctx, external_id=external_id)


def customer_external_id_taken(*, ctx: OrgContext, external_id: str, exclude_pk: int | None = None) -> bool:
    qs = Customer.objects.for_org(ctx.organization).filter(external_id=external_id)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def customer_search(queryset: QuerySet[Customer], *, ctx: OrgContext, query: str) -> QuerySet[Customer]:
    """Match name, external id, e-mail or phone (phone ignoring spaces and dashes).

    Frontline users may not see contact data of customers who did not consent to be contacted, so for them an
    e-mail or phone match only finds consenting customers (otherwise the search would reveal the address).
    """
    query = query.strip()
    if not query:
        return queryset
    contact = Q(email__icontains=query)
    digits = re.sub(r"[\s\-().\/]", "", query)
    if len(re.sub(r"\D", "", digits)) >= 3 and re.fullmatch(r"\+?\d+", digits):
        contact |= Q(phone__contains=digits)
    if not customer_contact_visible_to_all(ctx=ctx):
        contact &= Q(may_contact=True)
    return queryset.filter(Q(name__icontains=query) | Q(external_id__icontains=query) | contact)


def customer_contact_visible_to_all(*, ctx: OrgContext) -> bool:
    """Admins, CX managers, executives and API keys see every customer's e-mail and phone."""
    return not ctx.is_frontline


def customer_contact_visible(*, ctx: OrgContext, customer: Customer) -> bool:
    """Frontline staff see contact data only of customers who consented to be contacted back."""
    return customer_contact_visible_to_all(ctx=ctx) or customer.may_contact


def customer_segment_list(*, ctx: OrgContext) -> list[str]:
    return list(
        Customer.objects.for_org(ctx.organization)
        .exclude(segment="")
        .order_by("segment")
        .values_list("segment", flat=True)
        .distinct()
    )


def persona_choices(*, ctx: OrgContext) -> QuerySet[Persona]:
    return Persona.objects.for_org(ctx.organization).order_by("name")
