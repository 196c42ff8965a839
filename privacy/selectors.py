"""Reads of the privacy app, scoped by OrgContext; every one requires the organization's administrator role."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.scoping import MANAGE_ORG_ROLES, OrgContext, get_in_org
from actions.models import FeedbackCase
from customers.models import Customer
from customers.validation import normalize_phone
from privacy.models import ConsentEvent, ErasureRecord, RetentionPolicy, RetentionRun
from surveys.models import Answer, ContactDecision, Invitation, Response
from value.models import ChurnEvent, CustomerRevenue

MAX_MATCHES = 20
API_SCOPE = "privacy"


def require_privacy_access(ctx: OrgContext, *, write: bool = False) -> None:
    """Administrators, and API keys of the organization (a key limited to other scopes, or read-only for a write,
    is refused)."""
    key = ctx.api_key
    if key is None:
        ctx.require(MANAGE_ORG_ROLES)
        return
    if (key.scopes and API_SCOPE not in key.scopes) or (write and key.read_only):
        raise PermissionDenied


def subjects_find(*, ctx: OrgContext, query: str) -> list[Customer]:
    """The customers one identifier names exactly: external id, row id, e-mail (any case) or phone (any spacing)."""
    require_privacy_access(ctx)
    query = query.strip()
    if not query:
        return []
    match = Q(external_id=query)
    if "@" in query:
        match |= Q(email__iexact=query)
    if query.isdigit() and len(query) < 12:
        match |= Q(pk=int(query))
    if re.fullmatch(r"[+\d][\d\s\-().]{4,}", query):
        with contextlib.suppress(ValueError):
            match |= Q(phone=normalize_phone(query))
    return list(Customer.objects.for_org(ctx.organization).filter(match).order_by("pk")[:MAX_MATCHES])


def subject_get(*, ctx: OrgContext, pk: int) -> Customer:
    require_privacy_access(ctx)
    return get_in_org(Customer.objects.select_related("persona"), ctx, pk=pk)


def subject_summary(*, customer: Customer) -> dict[str, int]:
    """How many rows of each kind the platform holds about the customer (what the page lists before an export)."""
    org_id = customer.organization_id
    cases = FeedbackCase.objects.filter(organization_id=org_id, customer=customer)
    return {
        "responses": Response.objects.filter(organization_id=org_id, customer=customer).count(),
        "comments": Answer.objects.filter(organization_id=org_id, response__customer=customer).exclude(text="").count(),
        "invitations": Invitation.objects.filter(organization_id=org_id, customer=customer).count(),
        "contact_decisions": ContactDecision.objects.filter(organization_id=org_id)
        .filter(Q(customer=customer) | Q(customer_external_id=customer.external_id))
        .count(),
        "feedback_cases": cases.count(),
        "revenue_months": CustomerRevenue.objects.filter(customer=customer).count(),
        "churn_events": ChurnEvent.objects.filter(customer=customer).count(),
        "consent_events": ConsentEvent.objects.filter(customer=customer).count(),
    }


def consent_history(*, ctx: OrgContext, customer: Customer) -> QuerySet[ConsentEvent]:
    require_privacy_access(ctx)
    return ConsentEvent.objects.for_org(ctx.organization).filter(customer=customer).order_by("-at", "-pk")


def retention_policy_get(*, organization_id: int) -> RetentionPolicy:
    """The stored policy, or an unsaved empty one (keep everything)."""
    policy = RetentionPolicy.objects.filter(organization_id=organization_id).first()
    return policy or RetentionPolicy(organization_id=organization_id)


def retention_policy_for(*, ctx: OrgContext) -> RetentionPolicy:
    require_privacy_access(ctx)
    return retention_policy_get(organization_id=ctx.org_id)


def retention_runs(*, ctx: OrgContext, limit: int = 10) -> list[RetentionRun]:
    require_privacy_access(ctx)
    return list(RetentionRun.objects.for_org(ctx.organization).order_by("-started_at", "-pk")[:limit])


def erasure_records(*, ctx: OrgContext, limit: int = 10) -> list[ErasureRecord]:
    require_privacy_access(ctx)
    return list(ErasureRecord.objects.for_org(ctx.organization).order_by("-at", "-pk")[:limit])


def customers_inactive_since(*, organization_id: int, cutoff: dt.datetime) -> QuerySet[Customer]:
    """Customers with nothing since `cutoff`: not created or updated, no response, invitation, case or fact."""
    recent = {
        "response": Response.objects.filter(customer=OuterRef("pk"), submitted_at__gte=cutoff),
        "invitation": Invitation.objects.filter(customer=OuterRef("pk"), created_at__gte=cutoff),
        "case": FeedbackCase.objects.filter(customer=OuterRef("pk")).filter(
            Q(opened_at__gte=cutoff) | Q(closed_at__gte=cutoff)
        ),
        "revenue": CustomerRevenue.objects.filter(customer=OuterRef("pk"), month__gte=cutoff.date().replace(day=1)),
        "churn": ChurnEvent.objects.filter(customer=OuterRef("pk"), date__gte=cutoff.date()),
    }
    qs = Customer.objects.filter(organization_id=organization_id, created_at__lt=cutoff, updated_at__lt=cutoff)
    for sub in recent.values():
        qs = qs.filter(~Exists(sub))
    return qs.order_by("pk")
