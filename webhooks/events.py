"""What a webhook event looks like: its id, its data, the signed body and headers.

Every body is a JSON envelope: {"id": <event id>, "type": <event type>, "created_at": <ISO 8601, UTC>,
"organization_id": <int>, "data": {...}}. Event ids are derived from what happened (uuid5 of a natural key), so an
event produced twice has the same id, and the (endpoint, event id) unique key keeps the second one out.

Personal data (free-text comments, case resolutions, customer ids) is only in the data of endpoints with
`include_personal_data` on; otherwise those keys are null. Scores, object ids and dates are always there.

Signature: `X-CX-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>`; during a
secret rotation's grace period a second `v1=` (signed with the previous secret) follows. See webhooks/README.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from webhooks.models import EventType

if TYPE_CHECKING:
    from actions.models import FeedbackCase, ImprovementAction
    from reports.models import MonthlyReport
    from webhooks.models import WebhookDelivery

NAMESPACE = uuid.UUID("6f1f6a8e-3c55-4d2b-9a51-0c8e4f0b7d21")
# response.received ids: these 16 hex digits, then the response id in 16 hex digits. The batch insert builds the
# same id in SQL (webhooks.sql), so one rule serves both.
RESPONSE_EVENT_PREFIX = uuid.uuid5(NAMESPACE, EventType.RESPONSE_RECEIVED).hex[:16]

SIGNATURE_HEADER = "X-CX-Signature"
SIGNATURE_VERSION = "v1"


def event_id(event_type: str, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{event_type}:{key}")


def response_event_id(response_id: int) -> uuid.UUID:
    return uuid.UUID(f"{RESPONSE_EVENT_PREFIX}{response_id:016x}")


def iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value.isoformat()


def _customer(customer_id: int | None, external_id: str | None, personal: bool) -> dict | None:
    if not personal or customer_id is None:
        return None
    return {"id": customer_id, "external_id": external_id}


def case_data(case: FeedbackCase, *, personal: bool) -> dict[str, Any]:
    customer = case.customer if case.customer_id else None
    return {
        "case_id": case.pk,
        "response_id": case.response_id,
        "status": case.status,
        "touchpoint_id": case.touchpoint_id,
        # Where the problem started, as staff found it (another touchpoint than the one surveyed, or None).
        "origin_touchpoint_id": case.origin_touchpoint_id,
        "team_id": case.team_id,
        "rule_id": case.rule_id,
        "nps": case.nps,
        "csat": case.csat,
        "opened_at": iso(case.opened_at),
        "due_at": iso(case.due_at),
        "closed_at": iso(case.closed_at),
        "closed_without_contact": case.closed_without_contact,
        "time_to_close_seconds": int(case.time_to_close.total_seconds()) if case.time_to_close else None,
        "root_cause": {"id": case.root_cause_id, "name": case.root_cause.name} if case.root_cause_id else None,
        "resolution": case.resolution if personal else None,
        "customer": _customer(case.customer_id, customer.external_id if customer else None, personal),
    }


def impact_data(action: ImprovementAction) -> dict[str, Any]:
    return {
        "action_id": action.pk,
        "title": action.title,
        "status": action.status,
        "touchpoint_ids": sorted(action.touchpoints.values_list("pk", flat=True)),
        "metric": action.impact_metric,
        "measure": action.impact_measure,
        "measured_at": iso(action.impact_measured_at),
        "before": {
            "start": iso(action.impact_before_start),
            "end": iso(action.impact_before_end),
            "n": action.impact_before_n,
            "value": action.impact_before_nps,
        },
        "after": {
            "start": iso(action.impact_after_start),
            "end": iso(action.impact_after_end),
            "n": action.impact_after_n,
            "value": action.impact_after_nps,
        },
        "delta": action.impact_delta,
        "p_value": action.impact_p_value,
        "significant": bool(action.impact_significant),
        "realised_value": str(action.realised_value) if action.realised_value is not None else None,
    }


def report_data(report: MonthlyReport) -> dict[str, Any]:
    return {
        "report_id": report.pk,
        "month": report.month.strftime("%Y-%m"),
        "version": report.version,
        "journey_id": report.journey_id,
        "trigger": report.trigger,
        "language": report.language,
        "generated_at": iso(report.generated_at),
        "url": settings.SITE_URL.rstrip("/") + reverse("reports:report_detail", args=[report.pk]),
    }


def body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes POSTed for a delivery (the same on every attempt)."""
    envelope = {
        "id": str(delivery.event_id),
        "type": delivery.event_type,
        "created_at": iso(delivery.created_at),
        "organization_id": delivery.organization_id,
        "data": delivery.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, timestamp: int, payload: bytes) -> str:
    message = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: list[str], timestamp: int, payload: bytes) -> str:
    parts = [f"t={timestamp}"] + [f"{SIGNATURE_VERSION}={sign(s, timestamp, payload)}" for s in secrets]
    return ",".join(parts)


def verify(header: str, payload: bytes, secret: str, *, now: int, tolerance: int = 300) -> bool:
    """Check a signature header the way a receiver should (reference implementation, see README)."""
    fields = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in fields if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = sign(secret, int(stamps[0]), payload)
    return any(hmac.compare_digest(expected, v) for k, v in fields if k == SIGNATURE_VERSION)
