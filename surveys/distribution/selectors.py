"""Reads for distribution (links, invitations, contact decisions), always through an OrgContext."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

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


@dataclass(frozen=True)
class ResponseRate:
    """Invitations sent and how many of them were answered (anonymous link answers have no denominator)."""

    sent: int = 0
    responses: int = 0

    @property
    def rate(self) -> float | None:
        """Responses per invitation sent, in per cent (None before any invitation went out)."""
        return 100.0 * self.responses / self.sent if self.sent else None


# An invitation counts once it went out (sent_at: e-mailed, or handed to the caller of the API); held and withdrawn
# ones never reached anyone. A response is the one answer an invitation allows.
_SENT = Q(sent_at__isnull=False)
RATE_STATS = {"sent": Count("pk", filter=_SENT), "responses": Count("response", filter=_SENT)}


def _rate(row: Mapping[str, Any]) -> ResponseRate:
    return ResponseRate(sent=row["sent"] or 0, responses=row["responses"] or 0)


def response_rates_by_survey(*, ctx: OrgContext) -> dict[int, ResponseRate]:
    """{survey id: its invitations' response rate} for the organization, in one grouped query."""
    rows = Invitation.objects.for_org(ctx.organization).values("survey_id").annotate(**RATE_STATS).order_by("survey_id")
    return {row["survey_id"]: _rate(row) for row in rows}


def survey_response_rate(*, ctx: OrgContext, survey: Survey) -> ResponseRate:
    return _rate(Invitation.objects.for_org(ctx.organization).filter(survey=survey).aggregate(**RATE_STATS))


@dataclass(frozen=True)
class RateGroup:
    touchpoint_name: str
    channel: str
    channel_label: str
    rate: ResponseRate


def response_rates_by_group(*, ctx: OrgContext, survey: Survey) -> list[RateGroup]:
    """The survey's response rate per batch of invitations: per touchpoint (the event or send it was about) and
    channel (e-mail, SMS, personal link, API), in one grouped query."""
    rows = (
        Invitation.objects.for_org(ctx.organization)
        .filter(survey=survey)
        .values("touchpoint_id", "touchpoint__name", "channel")
        .annotate(**RATE_STATS)
        .order_by("touchpoint__name", "touchpoint_id", "channel")
    )
    labels = dict(Invitation.Channel.choices)
    return [
        RateGroup(
            touchpoint_name=row["touchpoint__name"] or "",
            channel=row["channel"],
            channel_label=str(labels.get(row["channel"], row["channel"])),
            rate=_rate(row),
        )
        for row in rows
    ]


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
