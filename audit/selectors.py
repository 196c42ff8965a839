"""Reading the audit log: only the organization's own events, only for its admins (and its API keys)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from accounts.scoping import OrgContext
from audit.models import AuditEvent


def can_read_audit(ctx: OrgContext) -> bool:
    """Admins, and API keys (the integration that ships the log to a SIEM); their scopes are checked by the API."""
    return ctx.can_manage_org or ctx.api_key is not None


@dataclass(frozen=True)
class AuditFilters:
    actor_id: int | None = None
    action: str = ""
    target_type: str = ""
    target_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str = ""


def audit_actor_choices(*, ctx: OrgContext) -> QuerySet:
    """The organization's members, for the "who" filter (former members are found by name in the free text)."""
    return get_user_model().objects.filter(memberships__organization_id=ctx.org_id).order_by("username")


def audit_event_list(*, ctx: OrgContext, filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    """The organization's events, newest first, narrowed by `filters`. Dates are days in the organization's zone.

    `action` matches one verb, or every verb of an object when it ends with a dot ("customer.").
    `text` matches the actor's and the object's labels (any part, any case) and the object's id (whole).
    """
    if not can_read_audit(ctx):
        raise PermissionDenied
    qs = AuditEvent.objects.for_org(ctx.organization)
    f = filters or AuditFilters()
    if f.actor_id is not None:
        qs = qs.filter(actor_id=f.actor_id)
    if f.action:
        qs = qs.filter(action__startswith=f.action) if f.action.endswith(".") else qs.filter(action=f.action)
    if f.target_type:
        qs = qs.filter(target_type=f.target_type)
    if f.target_id:
        qs = qs.filter(target_id=f.target_id)
    tz = ctx.organization.zone
    if f.date_from is not None:
        qs = qs.filter(at__gte=dt.datetime.combine(f.date_from, dt.time.min, tzinfo=tz))
    if f.date_to is not None:
        qs = qs.filter(at__lt=dt.datetime.combine(f.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    text = f.text.strip()
    if text:
        qs = qs.filter(Q(actor_label__icontains=text) | Q(target_label__icontains=text) | Q(target_id=text))
    return qs.order_by("-at", "-pk")
