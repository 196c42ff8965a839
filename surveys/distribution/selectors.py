"""Reads for distribution (links, invitations, contact decisions), always through an OrgContext."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from accounts.scoping import OrgContext, get_in_org
from customers.models import Customer
from journeys.models import Touchpoint
from surveys.models import ContactDecision, Invitation, Survey, SurveyLink


def link_list(*, ctx: OrgContext, survey: Survey) -> QuerySet[SurveyLink]:
    return (
        SurveyLink.objects.for_org(ctx.organization)
        .filter(survey=survey)
        .select_related("touchpoint", "touchpoint__journey")
        .order_by("-is_active", "touchpoint__journey__name", "touchpoint__position", "-created_at")
    )


def link_get(*, ctx: OrgContext, survey: Survey, pk: int) -> SurveyLink:
    return get_in_org(SurveyLink.objects.select_related("touchpoint", "survey"), ctx, pk=pk, survey=survey)


def survey_touchpoint_get(*, ctx: OrgContext, survey: Survey, pk: int | str) -> Touchpoint:
    """One of the survey's own touchpoints (another organization's, or one the survey does not cover: 404)."""
    return get_in_org(survey.touchpoints.all(), ctx, pk=pk)


def invitation_list(*, ctx: OrgContext, survey: Survey) -> QuerySet[Invitation]:
    return (
        Invitation.objects.for_org(ctx.organization)
        .filter(survey=survey)
        .select_related("customer", "touchpoint")
        .order_by("-created_at", "-pk")
    )


def customers_by_external_ids(*, ctx: OrgContext, external_ids: list[str]) -> QuerySet[Customer]:
    return (
        Customer.objects.for_org(ctx.organization).filter(external_id__in=external_ids).select_related("organization")
    )


def customers_in_segment(*, ctx: OrgContext, segment: str) -> QuerySet[Customer]:
    return Customer.objects.for_org(ctx.organization).filter(segment=segment).select_related("organization")


def customer_segments(*, ctx: OrgContext) -> list[str]:
    return list(
        Customer.objects.for_org(ctx.organization)
        .exclude(segment="")
        .values_list("segment", flat=True)
        .distinct()
        .order_by("segment")
    )


def contact_decision_list(
    *,
    ctx: OrgContext,
    decision: str = "",
    reason: str = "",
    touchpoint_id: int | None = None,
    customer: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[ContactDecision]:
    qs = ContactDecision.objects.for_org(ctx.organization).select_related("customer", "touchpoint", "survey")
    if decision:
        qs = qs.filter(decision=decision)
    if reason:
        qs = qs.filter(reason=reason)
    if touchpoint_id:
        qs = qs.filter(touchpoint_id=touchpoint_id)
    if customer:
        term = customer.strip()
        qs = qs.filter(Q(customer_external_id__iexact=term) | Q(customer__name__icontains=term))
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-created_at", "-pk")


def customer_get(*, ctx: OrgContext, pk: int) -> Customer:
    return get_in_org(Customer.objects.all(), ctx, pk=pk)


def contact_decisions_for_customer(*, ctx: OrgContext, customer: Customer, limit: int = 50) -> list[ContactDecision]:
    return list(
        ContactDecision.objects.for_org(ctx.organization)
        .filter(customer=customer)
        .select_related("touchpoint", "survey", "invitation")
        .order_by("-created_at", "-pk")[:limit]
    )
