"""Writing the audit log. `audit_record` is the one entry point; call it inside the transaction of the change."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import Organization
    from accounts.scoping import OrgContext

SYSTEM = "system"


def _actor(ctx: OrgContext | None, user) -> tuple[Any, str]:
    if ctx is not None and ctx.api_key is not None:
        return None, f"API key {ctx.api_key.name} ({ctx.api_key.prefix})"
    user = user if user is not None else (ctx.user if ctx is not None else None)
    if user is None or not user.is_authenticated:
        return None, SYSTEM
    return user, (user.get_full_name() or user.get_username())[:200]


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from cxplatform.ratelimit import client_ip

    return client_ip(request) or None


def audit_record(
    *,
    action: str,
    ctx: OrgContext | None = None,
    organization: Organization | int | None = None,
    user=None,
    target=None,
    target_type: str = "",
    target_id: str | int = "",
    target_label: str = "",
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event. `target` (a model instance) fills type, id and label unless they are given.

    The organization is the context's unless given; the actor is the context's user or API key, else `user`, else
    "system".
    """
    if organization is None and ctx is not None:
        organization = ctx.organization
    org_id = organization if isinstance(organization, int) or organization is None else organization.pk
    actor, actor_label = _actor(ctx, user)
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
        target_label = target_label or str(target)
    return AuditEvent.objects.create(
        organization_id=org_id,
        at=at or timezone.now(),
        actor=actor,
        actor_label=actor_label,
        action=action,
        target_type=target_type[:60],
        target_id=str(target_id)[:64],
        target_label=str(target_label)[:200],
        detail=detail or {},
        ip=_client_ip(request),
    )


def audit_purge(*, organization_id: int, before: dt.datetime) -> int:
    """Delete one organization's events older than `before` (its retention policy): the only delete there is."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cx.audit_purge = 'on'")
        deleted, _ = AuditEvent.objects.filter(organization_id=organization_id, at__lt=before).delete()
    return deleted
