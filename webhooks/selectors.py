"""Reads of the webhooks app, scoped to the caller's organization: admins (and API keys) only."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet

from accounts.scoping import OrgContext, get_in_org
from webhooks.models import WebhookDelivery, WebhookEndpoint


def can_manage(ctx: OrgContext) -> bool:
    """Organization admins, and API keys (which act for the organization as integrations)."""
    return ctx.can_manage_org or ctx.api_key is not None


def _require(ctx: OrgContext) -> None:
    if not can_manage(ctx):
        raise PermissionDenied


def endpoint_list(*, ctx: OrgContext) -> QuerySet[WebhookEndpoint]:
    _require(ctx)
    return (
        WebhookEndpoint.objects.for_org(ctx.organization)
        .annotate(
            pending_count=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.PENDING)),
            failed_count=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)),
        )
        .order_by("pk")
    )


def endpoint_get(*, ctx: OrgContext, pk) -> WebhookEndpoint:
    _require(ctx)
    return get_in_org(WebhookEndpoint.objects.all(), ctx, pk=pk)


def delivery_list(
    *, ctx: OrgContext, endpoint: WebhookEndpoint | None = None, status: str = "", event_type: str = ""
) -> QuerySet[WebhookDelivery]:
    _require(ctx)
    rows = WebhookDelivery.objects.for_org(ctx.organization).select_related("endpoint")
    if endpoint is not None:
        rows = rows.filter(endpoint=endpoint)
    if status:
        rows = rows.filter(status=status)
    if event_type:
        rows = rows.filter(event_type=event_type)
    return rows.order_by("-created_at", "-pk")


def delivery_get(*, ctx: OrgContext, pk) -> WebhookDelivery:
    _require(ctx)
    return get_in_org(WebhookDelivery.objects.select_related("endpoint"), ctx, pk=pk)
