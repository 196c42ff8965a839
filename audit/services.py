"""Writing the audit log. `audit_record` is the one entry point; call it inside the transaction of the change."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import connection, transaction
from django.db.models import CharField, Q, Subquery, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce, Left, NullIf
from django.utils import timezone

from audit.context import current_request, request_context
from audit.models import AuditEvent

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.models import Organization
    from accounts.scoping import OrgContext
    from audit.registry import AuditedRead

SYSTEM = "system"
# A list's or export's query string is kept in the event, within reason: a crafted URL must not bloat the log.
MAX_QUERY_KEYS, MAX_QUERY_VALUE = 30, 200


def _actor(ctx: OrgContext | None, user) -> tuple[Any, str]:
    if ctx is not None and ctx.api_key is not None:
        return None, f"API key {ctx.api_key.name} ({ctx.api_key.prefix})"[:200]
    user = user if user is not None else (ctx.user if ctx is not None else None)
    if user is None or not user.is_authenticated:
        return None, SYSTEM
    return user, (user.get_full_name() or user.get_username())[:200]


def _client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    from core.ratelimit import client_ip

    address = client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None  # no REMOTE_ADDR (a unix socket) or a forwarded value that is not an address: not recorded


def _text(value: Any, length: int) -> Any:
    """Cut a value to its column; an expression (a subquery) is cut by the database."""
    if isinstance(value, Combinable):
        return Left(Coalesce(value, Value("")), length)
    return str(value)[:length]


def audit_record(
    *,
    action: str,
    ctx: OrgContext | None = None,
    organization: Organization | int | None = None,
    user=None,
    target=None,
    target_type: str = "",
    target_id: Any = "",
    target_label: Any = "",
    detail: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event. `target` (a model instance) fills type, id and label unless they are given.

    The organization is the context's unless given; the actor is the context's user or API key, else `user`.
    Without `request`, the request being served (audit.context) gives the client address and, when neither `ctx`
    nor `user` is given, the actor and organization; outside any request the actor is "system".
    `target_id` and `target_label` may be expressions (a subquery), evaluated inside the one INSERT; the returned
    event then holds the expressions, not their values.
    """
    request = request if request is not None else current_request()
    if ctx is None and user is None and request is not None:
        ctx = request_context(request)
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
        target_id=_text(target_id, 64),
        target_label=_text(target_label, 200),
        detail=detail or {},
        ip=_client_ip(request),
    )


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dt.date, dt.time)):  # datetimes too
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return str(value)  # Decimal, model instances, lazy strings


def audit_snapshot(instance: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The values of `fields` of a row, JSON-ready; a foreign key gives its id (no query)."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        values[name] = _json_value(getattr(instance, field.attname))
    return values


def audit_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """{"field": {"old": ..., "new": ...}} for every field whose value differs. A creation (old None) lists the
    fields that were set, a deletion (new None) the fields that had a value. Goes into an event's detail as "changes".
    """
    empty: tuple[object, ...] = (None, "", [])
    old_values, new_values = old or {}, new or {}
    changes = {}
    for name in dict.fromkeys([*old_values, *new_values]):
        before, after = old_values.get(name), new_values.get(name)
        if before == after or (old is None and after in empty) or (new is None and before in empty):
            continue
        changes[name] = {"old": before, "new": after}
    return changes


def _query_text(value: str) -> str:
    # PostgreSQL's jsonb cannot hold NUL: a crafted "?q=%00" must not turn a page into a 500.
    return value[:MAX_QUERY_VALUE].replace("\x00", "")


def _query_detail(request: HttpRequest) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key in list(request.GET)[:MAX_QUERY_KEYS]:
        values = [_query_text(v) for v in request.GET.getlist(key)[:MAX_QUERY_KEYS]]
        query[_query_text(key)] = values[0] if len(values) == 1 else values
    return query


def audit_record_read(*, request: HttpRequest, read: AuditedRead, url_kwargs: dict[str, Any]) -> AuditEvent | None:
    """Record that this request read the personal data `read` describes: one INSERT, no query before it.

    The object's id and label come from a subquery of the same statement (scoped to the organization), so a detail
    page costs no extra round trip; a list or export keeps its query string (the filters) instead.
    """
    ctx = request_context(request)
    if ctx is None:
        return None
    model = apps.get_model(read.model)
    detail: dict[str, Any] = {}
    if read.part:
        detail["part"] = read.part
    target_id: Any = ""
    target_label: Any = ""
    if read.kwarg is None:
        detail["query"] = _query_detail(request)
        if url_kwargs:
            detail["url"] = {k: _query_text(str(v)) for k, v in url_kwargs.items() if k != "format"}
    else:
        value = url_kwargs.get(read.kwarg)
        rows = model._base_manager.filter(organization_id=ctx.org_id, **{read.lookup: value})
        target_id = value if read.lookup == "pk" else Subquery(rows.values(text=Cast("pk", CharField()))[:1])
        if read.label:
            label = Coalesce(*(NullIf(name, Value("")) for name in read.label), Value(""))
            target_label = Subquery(rows.values(text=label)[:1])
    return audit_record(
        action=read.action,
        ctx=ctx,
        target_type=model._meta.label_lower,
        target_id=target_id,
        target_label=target_label,
        detail=detail,
        request=request,
    )


@contextmanager
def _trigger_allows(flag: str) -> Iterator[None]:
    """Inside a transaction, let the append-only trigger (migrations 0001, 0002) allow what `flag` names, and only
    for the block: switched off again after it, even when an outer transaction goes on (a nightly run, a test)."""
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [flag])
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [flag])


def audit_purge(*, organization_id: int, before: dt.datetime) -> int:
    """Delete one organization's events older than `before` (its retention policy): the only delete there is."""
    with _trigger_allows("cx.audit_purge"):
        deleted, _ = AuditEvent.objects.filter(organization_id=organization_id, at__lt=before).delete()
    return deleted


def _redacted(value: Any, pattern: re.Pattern, replacement: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [_redacted(v, pattern, replacement) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v, pattern, replacement) for k, v in value.items()}
    return value


def audit_redact(*, organization_id: int, values: Iterable[str], replacement: str) -> int:
    """Mask `values` (an erased person's name, e-mail, ids) wherever the organization's events quote them: in the
    object's label and in the detail (an export's or a search's filters). Who did what, when, to which object id
    stays. Any case; the longest value first, so a full name is masked whole. Returns the number of events changed.
    """
    needles = sorted({v for v in values if v and v.strip()}, key=len, reverse=True)
    if not needles:
        return 0
    pattern = re.compile("|".join(re.escape(v) for v in needles), re.IGNORECASE)
    quoting = Q()
    for needle in needles:
        quoting |= Q(target_label__icontains=needle) | Q(detail__icontains=needle)
    changed = []
    with _trigger_allows("cx.audit_redact"):
        events = AuditEvent.objects.filter(quoting, organization_id=organization_id).select_for_update()
        for event in events.only("pk", "target_label", "detail"):
            label, detail = pattern.sub(replacement, event.target_label), _redacted(event.detail, pattern, replacement)
            if (label, detail) != (event.target_label, event.detail):
                event.target_label, event.detail = label[:200], detail
                changed.append(event)
        AuditEvent.objects.bulk_update(changed, ["target_label", "detail"], batch_size=500)
    return len(changed)
