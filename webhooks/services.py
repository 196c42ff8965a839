"""Writes of the webhooks app: endpoints (audited), events turned into delivery rows, manual sends and retries.

Event recording never talks to the network: it inserts delivery rows in the caller's transaction and, after the
commit, queues the sender (webhooks.sender). An organization without a subscribed endpoint costs one indexed query.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from core.tasks import enqueue_coalesced
from webhooks import events, sql
from webhooks.models import TEST_EVENT, EventType, WebhookDelivery, WebhookEndpoint, generate_secret
from webhooks.ssrf import UnsafeTarget, check_url

if TYPE_CHECKING:
    from django.http import HttpRequest

    from accounts.scoping import OrgContext


EDITABLE = ("url", "description", "events", "include_personal_data", "active")


def _redacted(url: str) -> str:
    """The URL's scheme, host and port only: many receivers (chat tools) put a secret token in the path or query,
    and the audit log keeps what it is given for good."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/..." if parts.path.strip("/") or parts.query else url


def _label(endpoint: WebhookEndpoint) -> str:
    return endpoint.description or _redacted(endpoint.url)


# --- endpoints ---------------------------------------------------------------------------------------------------


def _clean(*, url: str, events_: list[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    try:
        check_url(url)
    except UnsafeTarget as exc:
        raise ValidationError({"url": str(exc)}) from None
    unknown = sorted(set(events_) - set(EventType.values))
    if unknown:
        raise ValidationError({"events": _("Unknown events: %(events)s") % {"events": ", ".join(unknown)}})
    if not events_:
        raise ValidationError({"events": _("Choose at least one event.")})
    return url, [e for e in EventType.values if e in events_]


def endpoint_create(
    *,
    ctx: OrgContext,
    url: str,
    events: list[str],
    description: str = "",
    include_personal_data: bool = False,
    request: HttpRequest | None = None,
) -> WebhookEndpoint:
    """A new active endpoint with a fresh secret; the URL must resolve to public addresses only."""
    url, events = _clean(url=url, events_=events)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization=ctx.organization,
            url=url,
            description=description.strip(),
            events=events,
            include_personal_data=include_personal_data,
            created_by=ctx.user if ctx.user is not None and ctx.user.is_authenticated else None,
        )
        audit_record(
            action="webhook.create",
            ctx=ctx,
            target=endpoint,
            target_label=_label(endpoint),
            detail={"url": _redacted(url), "events": events, "include_personal_data": include_personal_data},
            request=request,
        )
    return endpoint


def endpoint_update(
    *, ctx: OrgContext, endpoint: WebhookEndpoint, request: HttpRequest | None = None, **changes: Any
) -> WebhookEndpoint:
    """Change URL, description, events, personal data or active; re-enabling clears the failure count."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    merged = {field: changes.get(field, getattr(endpoint, field)) for field in EDITABLE}
    merged["url"], merged["events"] = _clean(url=merged["url"], events_=list(merged["events"]))
    merged["description"] = (merged["description"] or "").strip()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        diff = {
            field: {"old": getattr(endpoint, field), "new": value}
            for field, value in merged.items()
            if getattr(endpoint, field) != value
        }
        if "url" in diff:
            diff["url"] = {"old": _redacted(diff["url"]["old"]), "new": _redacted(diff["url"]["new"])}
        if not diff:
            return endpoint
        for field, value in merged.items():
            setattr(endpoint, field, value)
        if "active" in diff and endpoint.active:
            endpoint.consecutive_failures, endpoint.disabled_at, endpoint.disabled_reason = 0, None, ""
        endpoint.save()
        audit_record(
            action="webhook.update",
            ctx=ctx,
            target=endpoint,
            target_label=_label(endpoint),
            detail=diff,
            request=request,
        )
    return endpoint


def endpoint_delete(*, ctx: OrgContext, endpoint: WebhookEndpoint, request: HttpRequest | None = None) -> None:
    """Delete the endpoint and its delivery log (pending deliveries are dropped)."""
    with transaction.atomic():
        audit_record(
            action="webhook.delete",
            ctx=ctx,
            target=endpoint,
            target_label=_label(endpoint),
            detail={"url": _redacted(endpoint.url), "events": endpoint.events},
            request=request,
        )
        endpoint.delete()


def endpoint_rotate_secret(
    *, ctx: OrgContext, endpoint: WebhookEndpoint, request: HttpRequest | None = None
) -> WebhookEndpoint:
    """A new secret; the old one keeps signing (as a second v1 signature) for WEBHOOKS_SECRET_GRACE_HOURS."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + dt.timedelta(hours=settings.WEBHOOKS_SECRET_GRACE_HOURS)
        endpoint.secret = generate_secret()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
        audit_record(
            action="webhook.rotate_secret",
            ctx=ctx,
            target=endpoint,
            target_label=_label(endpoint),
            detail={"previous_valid_until": events.iso(endpoint.previous_secret_expires_at)},
            request=request,
        )
    return endpoint


def endpoint_secret_viewed(*, ctx: OrgContext, endpoint: WebhookEndpoint, request: HttpRequest | None = None) -> None:
    audit_record(action="webhook.secret_view", ctx=ctx, target=endpoint, target_label=_label(endpoint), request=request)


# --- manual sends ------------------------------------------------------------------------------------------------


def test_event_send(*, ctx: OrgContext, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` delivery, sent right after the commit (also to a disabled endpoint, to check a fix)."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            organization_id=endpoint.organization_id,
            endpoint=endpoint,
            event_type=TEST_EVENT,
            event_id=uuid.uuid4(),
            payload={
                "endpoint_id": endpoint.pk,
                "message": "Test event sent from the CX platform.",
            },
        )
        _send_after_commit([delivery.pk])
    return delivery


def delivery_retry(*, ctx: OrgContext, delivery: WebhookDelivery) -> bool:
    """Give a failed delivery one more attempt now. False if it was not failed (any more)."""
    with transaction.atomic():
        reopened = WebhookDelivery.objects.filter(pk=delivery.pk, status=WebhookDelivery.Status.FAILED).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
        )
        if reopened:
            _send_after_commit([delivery.pk])
    return bool(reopened)


# --- events ------------------------------------------------------------------------------------------------------


def subscribed_endpoints(
    *, organization_ids: list[int] | None, event_type: str, created_before: dt.datetime | None = None
) -> list[WebhookEndpoint]:
    """Active endpoints of these organizations (None: all) that subscribe to the event (one indexed query)."""
    candidates = WebhookEndpoint.objects.filter(active=True)
    if organization_ids is not None:
        candidates = candidates.filter(organization_id__in=organization_ids)
    if created_before is not None:
        candidates = candidates.filter(created_at__lte=created_before)
    # The events list is filtered here: JSON containment is not portable to SQLite, and the rows are few.
    candidates = candidates.only("pk", "organization_id", "events", "include_personal_data")
    return [endpoint for endpoint in candidates if endpoint.subscribes(event_type)]


def event_record(
    *,
    organization_id: int,
    event_type: str,
    event_id: uuid.UUID,
    data: Any,
    now: dt.datetime | None = None,
    subscribed_before: dt.datetime | None = None,
) -> int:
    """One delivery per subscribed endpoint (none twice for the same event id); queue the sender after commit.

    `data` is the event's data, or a function (personal: bool) -> data, called once per flavour needed. Returns the
    number of subscribed endpoints (a row that already existed is left as it is).
    """
    endpoints = subscribed_endpoints(
        organization_ids=[organization_id], event_type=event_type, created_before=subscribed_before
    )
    if not endpoints:
        return 0
    now = now or timezone.now()
    flavours: dict[bool, Any] = {}
    rows = []
    for endpoint in endpoints:
        if callable(data):
            if endpoint.include_personal_data not in flavours:
                flavours[endpoint.include_personal_data] = data(endpoint.include_personal_data)
            payload = flavours[endpoint.include_personal_data]
        else:
            payload = data
        rows.append(
            WebhookDelivery(
                organization_id=organization_id,
                endpoint=endpoint,
                event_type=event_type,
                event_id=event_id,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
        )
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    kick_after_commit()
    return len(rows)


def responses_record(*, response_ids: list[int], organization_ids: list[int]) -> int:
    """response.received for a processed batch: one INSERT ... SELECT, nothing at all without a subscriber."""
    endpoints = subscribed_endpoints(organization_ids=organization_ids, event_type=EventType.RESPONSE_RECEIVED)
    if not endpoints:
        return 0
    inserted = sql.insert_response_deliveries(
        response_ids=sorted(response_ids), endpoint_ids=[e.pk for e in endpoints], now=timezone.now()
    )
    if inserted:
        kick_after_commit()
    return inserted


def report_published_record(*, report_id: int) -> int:
    """report.published for a READY version (scheduled or on demand), to endpoints that existed when it was ready."""
    from reports.models import MonthlyReport

    report = MonthlyReport.objects.filter(pk=report_id, status=MonthlyReport.Status.READY).first()
    if report is None or report.trigger not in MonthlyReport.Trigger.values:
        return 0
    return event_record(
        organization_id=report.organization_id,
        event_type=EventType.REPORT_PUBLISHED,
        event_id=events.event_id(EventType.REPORT_PUBLISHED, str(report.pk)),
        data=lambda personal: events.report_data(report),
        subscribed_before=report.generated_at,
    )


def reports_published_catch_up(*, now: dt.datetime, within: dt.timedelta) -> int:
    """The sweep's safety net: `report_ready` is sent after commit, so a crash in between loses the signal.

    Records report.published for READY versions generated within `within` (idempotent: the unique key keeps out
    what was recorded already). Costs one query when no endpoint subscribes to the event.
    """
    from reports.models import MonthlyReport

    endpoints = subscribed_endpoints(organization_ids=None, event_type=EventType.REPORT_PUBLISHED)
    if not endpoints:
        return 0
    recent = MonthlyReport.objects.filter(
        organization_id__in={e.organization_id for e in endpoints},
        status=MonthlyReport.Status.READY,
        generated_at__gte=now - within,
    ).values_list("pk", flat=True)
    count = 0
    for report_id in recent:
        with transaction.atomic():
            count += report_published_record(report_id=report_id)
    return count


def personal_data_erase(*, organization_id: int, customer_id: int) -> int:
    """Strip a customer's personal data from the delivery log and the unsent deliveries (GDPR erasure).

    Only endpoints with personal data on ever got it: their rows that name the customer lose the customer, the
    comments and the case resolution. The ids of responses and cases stay (they are not personal data on their own).
    Returns the number of rows changed.
    """
    rows = WebhookDelivery.objects.filter(
        organization_id=organization_id, endpoint__include_personal_data=True, payload__customer__id=customer_id
    )
    changed = []
    for delivery in rows.only("pk", "payload"):
        data = delivery.payload
        data["customer"] = None
        if "resolution" in data:
            data["resolution"] = None
        for answer in data.get("answers") or []:
            answer["text"] = None
        changed.append(delivery)
    WebhookDelivery.objects.bulk_update(changed, ["payload"], batch_size=500)
    return len(changed)


# --- queueing the sender -----------------------------------------------------------------------------------------


def kick_after_commit() -> None:
    """After the commit, queue one drain of due deliveries; a broker outage is left to the sweep."""
    from webhooks.tasks import send_due_deliveries

    enqueue_coalesced(send_due_deliveries)


def _send_after_commit(delivery_ids: list[int]) -> None:
    """After the commit, queue one send per delivery; after a failed publish the rest are left to the sweep."""
    from webhooks.tasks import send_delivery

    def publish() -> None:
        # Inside the callback the helper publishes at once and says whether it could.
        for pk in delivery_ids:
            if not enqueue_coalesced(send_delivery, args=(pk,), after_commit=False):
                return

    transaction.on_commit(publish)
