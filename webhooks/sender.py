"""Sending webhook deliveries: claim a due row, POST it signed, record the outcome, retry with backoff.

Each endpoint gets each event once, from three parts:
1. one row per (endpoint, event id), enforced by a unique key (webhooks.models);
2. a send claims its row first with a conditional UPDATE (pending -> sending; SKIP LOCKED on PostgreSQL), so two
   workers, a task delivered twice or the sweep racing a task never send the same row at the same time;
3. the outcome is written right after the response, conditional on the claim still being ours.
A worker that dies between 2 and 3 leaves the row "sending"; after WEBHOOKS_STALE_SECONDS the sweep makes it
pending again, so that case is at-least-once: receivers should ignore an X-CX-Delivery or event id they have seen.

A failed attempt (network error, SSRF refusal, timeout, non-2xx, any redirect) is retried at exponential backoff
with jitter until WEBHOOKS_MAX_ATTEMPTS; then the delivery is failed. WEBHOOKS_DISABLE_AFTER_FAILURES failed
deliveries in a row disable the endpoint, with the reason shown on its page.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from webhooks import events, transport
from webhooks.models import TEST_EVENT, WebhookDelivery, WebhookEndpoint
from webhooks.ssrf import UnsafeTarget, check_url

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status
USER_AGENT = "CX-Platform-Webhooks/1"
# Reports this recent get their report.published event from the sweep if the after-commit signal was lost.
REPORT_CATCH_UP = dt.timedelta(days=1)


def backoff_seconds(attempt: int, *, rng: random.Random | None = None) -> float:
    """Delay before the attempt after `attempt` (1-based): base * 2^(attempt-1), capped, times 0.75-1.25."""
    base = settings.WEBHOOKS_RETRY_BASE_SECONDS * 2 ** max(attempt - 1, 0)
    return min(base, settings.WEBHOOKS_RETRY_MAX_SECONDS) * (rng or random).uniform(0.75, 1.25)


# --- claiming ----------------------------------------------------------------------------------------------------


def _sendable() -> Q:
    # A disabled endpoint keeps its pending deliveries (they go once it is enabled again), test events excepted.
    # A subquery, not a join: an UPDATE with a join would become "id IN (SELECT ...)", and PostgreSQL would not
    # re-check the status of a row that a concurrent claim changed while this one waited for its lock.
    return Q(endpoint__in=WebhookEndpoint.objects.filter(active=True).values("pk")) | Q(event_type=TEST_EVENT)


def claim_next(*, now: dt.datetime | None = None) -> int | None:
    """Claim the due pending delivery that waited longest; its id, or None. Autocommits (outside any transaction)."""
    now = now or timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    table, endpoints = WebhookDelivery._meta.db_table, WebhookEndpoint._meta.db_table
    lock = " FOR UPDATE OF d SKIP LOCKED" if connection.vendor == "postgresql" else ""
    statement = (
        f"UPDATE {table} SET status = %s, claimed_at = %s, last_attempt_at = %s, attempts = attempts + 1 "  # noqa: S608
        f"WHERE status = %s AND id = (SELECT d.id FROM {table} d JOIN {endpoints} e ON e.id = d.endpoint_id "
        f"WHERE d.status = %s AND d.next_attempt_at <= %s AND (e.active OR d.event_type = %s) "
        f"ORDER BY d.next_attempt_at, d.id LIMIT 1{lock}) RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [Status.SENDING, stamp, stamp, Status.PENDING, Status.PENDING, stamp, TEST_EVENT])
        row = cursor.fetchone()
    return row[0] if row else None


def claim(*, delivery_id: int, now: dt.datetime | None = None) -> bool:
    """Claim one delivery if it is pending and due (conditional UPDATE: one of two racing claims wins)."""
    now = now or timezone.now()
    return bool(
        WebhookDelivery.objects.filter(
            _sendable(), pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now
        ).update(status=Status.SENDING, claimed_at=now, last_attempt_at=now, attempts=F("attempts") + 1)
    )


# --- one attempt -------------------------------------------------------------------------------------------------


def headers_for(delivery: WebhookDelivery, body: bytes, *, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-CX-Event": delivery.event_type,
        "X-CX-Delivery": str(delivery.pk),
        "X-CX-Timestamp": str(timestamp),
        events.SIGNATURE_HEADER: events.signature_header(delivery.endpoint.signing_secrets(), timestamp, body),
    }


def attempt(*, delivery_id: int) -> WebhookDelivery:
    """POST a claimed delivery once and record the outcome (no transaction is held during the request)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    body = events.body(delivery)
    try:
        target = check_url(delivery.endpoint.url)
    except UnsafeTarget as exc:
        outcome = transport.Outcome(status=None, body_excerpt="", duration_ms=0, error=str(exc)[:500])
    else:
        outcome = transport.post(target, body, headers_for(delivery, body, timestamp=int(time.time())))
    _record(delivery, outcome)
    delivery.refresh_from_db()
    return delivery


def _error_of(outcome: transport.Outcome) -> str:
    if outcome.error:
        return outcome.error
    if outcome.status is not None and 300 <= outcome.status < 400:
        return _("Redirect to %(location)s not followed (webhooks never follow redirects).") % {
            "location": outcome.location or "?"
        }
    return _("The endpoint answered HTTP %(status)s.") % {"status": outcome.status}


def _record(delivery: WebhookDelivery, outcome: transport.Outcome) -> None:
    now = timezone.now()
    ours = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING, attempts=delivery.attempts)
    common = {
        "last_status_code": outcome.status,
        "response_excerpt": outcome.body_excerpt,
        "duration_ms": outcome.duration_ms,
        "claimed_at": None,
    }
    endpoint_rows = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    if outcome.ok:
        with transaction.atomic():
            if ours.update(status=Status.DELIVERED, delivered_at=now, last_error="", **common) and not delivery.is_test:
                endpoint_rows.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
        return
    error = _error_of(outcome)
    # A test event is tried once: the person who pressed the button is waiting for the answer.
    final = delivery.is_test or delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS
    logger.info("webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error)
    with transaction.atomic():
        if final:
            updated = ours.update(status=Status.FAILED, last_error=error[:500], **common)
            if updated and not delivery.is_test:
                _count_failure(delivery.endpoint_id, error)
        else:
            ours.update(
                status=Status.PENDING,
                next_attempt_at=now + dt.timedelta(seconds=backoff_seconds(delivery.attempts)),
                last_error=error[:500],
                **common,
            )


def _count_failure(endpoint_id: int, error: str) -> None:
    """One more delivery failed for good; at the limit the endpoint is disabled (and that is audited)."""
    limit = settings.WEBHOOKS_DISABLE_AFTER_FAILURES
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if limit and endpoint.active and endpoint.consecutive_failures >= limit:
        endpoint.active = False
        endpoint.disabled_at = timezone.now()
        endpoint.disabled_reason = (
            _("Disabled automatically after %(count)s deliveries in a row failed. Last error: %(error)s")
            % {"count": endpoint.consecutive_failures, "error": error}
        )[:300]
        fields += ["active", "disabled_at", "disabled_reason"]
        audit_record(
            action="webhook.disable",
            organization=endpoint.organization_id,
            target=endpoint,
            target_label=endpoint.description or f"webhook endpoint {endpoint.pk}",
            detail={"reason": endpoint.disabled_reason},
        )
    endpoint.save(update_fields=[*fields, "updated_at"])


# --- entry points of the tasks -----------------------------------------------------------------------------------


def delivery_send(*, delivery_id: int) -> bool:
    """Send one delivery now if it is pending and due; True if this call made the attempt."""
    if not claim(delivery_id=delivery_id):
        return False
    attempt(delivery_id=delivery_id)
    return True


def deliveries_send_due(*, max_seconds: float = 50, max_count: int = 1000) -> int:
    """Send due deliveries one claim at a time until none is due, the time budget or the count is spent."""
    deadline = time.monotonic() + max_seconds
    sent = 0
    while sent < max_count and time.monotonic() < deadline:
        delivery_id = claim_next()
        if delivery_id is None:
            break
        try:
            attempt(delivery_id=delivery_id)
        except Exception:  # a bug must not stop the drain; the sweep re-claims the row later
            logger.exception("webhook delivery %s: the attempt failed unexpectedly", delivery_id)
        sent += 1
    return sent


def deliveries_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Re-open deliveries whose worker died mid-send, purge the old log, record report events a crash lost, and say
    whether deliveries are due."""
    now = now or timezone.now()
    stuck = WebhookDelivery.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - dt.timedelta(seconds=settings.WEBHOOKS_STALE_SECONDS)
    )
    given_up = stuck.filter(attempts__gte=settings.WEBHOOKS_MAX_ATTEMPTS).update(
        status=Status.FAILED, claimed_at=None, last_error=_("The worker sending it stopped; no attempts left.")
    )
    reopened = stuck.update(status=Status.PENDING, claimed_at=None, next_attempt_at=now)
    purged, _detail = WebhookDelivery.objects.filter(
        status__in=[Status.DELIVERED, Status.FAILED],
        created_at__lt=now - dt.timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS),
    ).delete()
    from webhooks.services import reports_published_catch_up

    reports_published_catch_up(now=now, within=REPORT_CATCH_UP)
    due = WebhookDelivery.objects.filter(
        _sendable(), status=Status.PENDING, next_attempt_at__lte=max(now, timezone.now())
    ).exists()
    return {"reopened": reopened, "failed": given_up, "purged": purged, "due": int(due)}
