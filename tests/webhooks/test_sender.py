"""The sender: retries with backoff, failure and auto-disable, exactly once, the sweep, set-based events."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from surveys.models import Answer, Response
from surveys.signals import response_processed, responses_processed
from tests.actions.conftest import build_loop, respond
from tests.webhooks.conftest import admin_ctx, make_endpoint
from webhooks import events, sender, services
from webhooks.models import TEST_EVENT, EventType, WebhookDelivery

pytestmark = pytest.mark.django_db


def a_delivery(endpoint, *, key: str = "1") -> WebhookDelivery:
    services.event_record(
        organization_id=endpoint.organization_id,
        event_type=EventType.CASE_OPENED,
        event_id=events.event_id(EventType.CASE_OPENED, key),
        data={"case_id": int(key)},
    )
    return WebhookDelivery.objects.get(endpoint=endpoint, event_id=events.event_id(EventType.CASE_OPENED, key))


def queued_delivery(endpoint, *, key: str) -> WebhookDelivery:
    """A pending row as event_record stores it, without the after-commit send (the test runs the senders)."""
    return WebhookDelivery.objects.create(
        organization_id=endpoint.organization_id,
        endpoint=endpoint,
        event_type=EventType.CASE_OPENED,
        event_id=events.event_id(EventType.CASE_OPENED, key),
        payload={"case_id": int(key)},
    )


def time_passes(delivery: WebhookDelivery) -> None:
    """Make a waiting retry due now (as if its backoff had elapsed)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))


def test_a_500_is_retried_with_growing_backoff_until_the_receiver_recovers(cast_a, receiver):
    endpoint = make_endpoint(cast_a, receiver)
    delivery = a_delivery(endpoint)
    receiver.reply(500, 503)

    before = timezone.now()
    assert sender.deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "The endpoint answered HTTP 500."
    assert delivery.response_excerpt == "receiver says no"
    first_wait = (delivery.next_attempt_at - before).total_seconds()
    assert 30 * 0.75 - 1 <= first_wait <= 30 * 1.25 + 1
    assert sender.deliveries_send_due() == 0  # not due yet: nothing is sent early

    time_passes(delivery)
    before = timezone.now()
    sender.deliveries_send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 2, 503)
    assert 60 * 0.75 - 1 <= (delivery.next_attempt_at - before).total_seconds() <= 60 * 1.25 + 1

    time_passes(delivery)
    sender.deliveries_send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        "delivered",
        3,
        200,
        "",
    )
    assert delivery.delivered_at is not None
    hits = receiver.events()
    assert len(hits) == 3 and all(h.signature_ok for h in hits)
    # The same delivery id and the same body on every attempt; each attempt signed afresh.
    assert {h.headers["X-CX-Delivery"] for h in hits} == {str(delivery.pk)}
    assert len({h.body for h in hits}) == 1


def test_backoff_doubles_with_jitter_and_is_capped(settings):
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 10
    settings.WEBHOOKS_RETRY_MAX_SECONDS = 100
    rng = random.Random(7)
    delays = [sender.backoff_seconds(n, rng=rng) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        nominal = min(10 * 2 ** (n - 1), 100)
        assert nominal * 0.75 <= delay <= nominal * 1.25
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered, not lock-step


def test_after_the_last_attempt_a_delivery_fails_and_repeated_failures_disable_the_endpoint(cast_a, receiver):
    endpoint = make_endpoint(cast_a, receiver)
    deliveries = [a_delivery(endpoint, key=str(n)) for n in range(3)]
    receiver.reply(*[500] * 20)
    for _round in range(4):  # WEBHOOKS_MAX_ATTEMPTS = 4 in these tests
        for d in deliveries:
            time_passes(d)
        sender.deliveries_send_due()
    statuses = {d.pk: (d.status, d.attempts) for d in WebhookDelivery.objects.all()}
    assert set(statuses.values()) == {("failed", 4)}
    endpoint.refresh_from_db()
    assert not endpoint.active and endpoint.consecutive_failures == 3
    assert endpoint.disabled_reason.startswith("Disabled automatically after 3 deliveries in a row failed.")
    assert "HTTP 500" in endpoint.disabled_reason
    assert AuditEvent.objects.filter(action="webhook.disable", target_id=str(endpoint.pk)).count() == 1

    # A disabled endpoint gets no new events, and what is pending waits.
    assert (
        services.event_record(
            organization_id=cast_a.org.pk, event_type=EventType.CASE_OPENED, event_id=events.event_id("x", "y"), data={}
        )
        == 0
    )


def test_a_success_resets_the_failure_count(cast_a, receiver):
    endpoint = make_endpoint(cast_a, receiver)
    endpoint.consecutive_failures = 2
    endpoint.save()
    a_delivery(endpoint)
    sender.deliveries_send_due()
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.active


def test_retry_now_gives_a_failed_delivery_one_more_attempt(cast_a, receiver, django_capture_on_commit_callbacks):
    endpoint = make_endpoint(cast_a, receiver)
    delivery = a_delivery(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=4, last_error="HTTP 500")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_retry(ctx=admin_ctx(cast_a), delivery=delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 5)
    assert len(receiver.events()) == 1
    assert not services.delivery_retry(ctx=admin_ctx(cast_a), delivery=delivery)  # delivered: nothing to retry


def test_a_test_event_is_sent_at_once_and_tried_only_once(cast_a, receiver, django_capture_on_commit_callbacks):
    endpoint = make_endpoint(cast_a, receiver, events=[EventType.REPORT_PUBLISHED])
    receiver.reply(500)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.test_event_send(ctx=admin_ctx(cast_a), endpoint=endpoint)
    delivery.refresh_from_db()
    assert (delivery.event_type, delivery.status, delivery.attempts) == (TEST_EVENT, "failed", 1)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0  # a test never counts towards disabling
    with django_capture_on_commit_callbacks(execute=True):
        services.test_event_send(ctx=admin_ctx(cast_a), endpoint=endpoint)
    assert [h.json["type"] for h in receiver.events()] == [TEST_EVENT, TEST_EVENT]
    assert receiver.events()[1].signature_ok


def test_a_rotated_secret_and_the_previous_one_both_sign_during_the_grace_period(cast_a, receiver, settings):
    endpoint = make_endpoint(cast_a, receiver)
    old = endpoint.secret
    endpoint = services.endpoint_rotate_secret(ctx=admin_ctx(cast_a), endpoint=endpoint)
    assert endpoint.secret != old
    receiver.secrets = [old]  # a receiver not yet switched over
    a_delivery(endpoint, key="1")
    sender.deliveries_send_due()
    receiver.secrets = [endpoint.secret]  # a receiver already switched over
    a_delivery(endpoint, key="2")
    sender.deliveries_send_due()
    assert [h.signature_ok for h in receiver.events()] == [True, True]
    assert receiver.events()[0].headers["X-CX-Signature"].count("v1=") == 2

    # After the grace period only the new secret signs.
    endpoint.previous_secret_expires_at = timezone.now() - dt.timedelta(seconds=1)
    endpoint.save()
    receiver.secrets = [old]
    a_delivery(endpoint, key="3")
    sender.deliveries_send_due()
    last = receiver.events()[-1]
    assert not last.signature_ok and last.headers["X-CX-Signature"].count("v1=") == 1
    assert AuditEvent.objects.filter(action="webhook.rotate_secret", target_id=str(endpoint.pk)).exists()


def test_the_reference_verifier_accepts_a_real_delivery_and_refuses_tampering(cast_a, receiver):
    endpoint = make_endpoint(cast_a, receiver)
    a_delivery(endpoint)
    sender.deliveries_send_due()
    [hit] = receiver.events()
    header, now = hit.headers["X-CX-Signature"], int(time.time())
    assert events.verify(header, hit.body, endpoint.secret, now=now)
    assert not events.verify(header, hit.body + b" ", endpoint.secret, now=now)
    assert not events.verify(header, hit.body, "whsec_wrong", now=now)
    assert not events.verify(header, hit.body, endpoint.secret, now=now + 301)  # a replay after 5 minutes


# --- exactly once ------------------------------------------------------------------------------------------------


def test_a_re_sent_signal_creates_no_second_delivery(cast_a, receiver, django_capture_on_commit_callbacks):
    loop = build_loop(cast_a)
    make_endpoint(cast_a, receiver, events=[EventType.RESPONSE_RECEIVED, EventType.CASE_OPENED])
    response = respond(loop, nps=3)
    with django_capture_on_commit_callbacks(execute=True):
        response_processed.send(sender=Response, response=response)
    with django_capture_on_commit_callbacks(execute=True):
        response_processed.send(sender=Response, response=response)
        responses_processed.send(sender=Response, response_ids=[response.pk], organization_ids=[cast_a.org.pk])
        from actions.models import FeedbackCase
        from webhooks.receivers import on_case_opened

        on_case_opened(sender=FeedbackCase, case=FeedbackCase.objects.get(response=response))
    assert sorted(h.headers["X-CX-Event"] for h in receiver.events()) == ["case.opened", "response.received"]
    assert WebhookDelivery.objects.count() == 2


def test_two_senders_at_once_deliver_each_event_once(transactional_db, cast_a, receiver):
    endpoint = make_endpoint(cast_a, receiver)
    for n in range(30):
        queued_delivery(endpoint, key=str(n))
    assert receiver.events() == []
    barrier = threading.Barrier(3)
    errors = []

    def drain():
        try:
            barrier.wait()
            sender.deliveries_send_due()
        except Exception as exc:  # pragma: no cover (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    ids = [h.headers["X-CX-Delivery"] for h in receiver.events()]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {("delivered", 1)}


def test_two_tasks_for_the_same_delivery_send_it_once(transactional_db, cast_a, receiver):
    endpoint = make_endpoint(cast_a, receiver)
    delivery = queued_delivery(endpoint, key="1")
    assert receiver.events() == []
    barrier = threading.Barrier(4)
    results = []

    def send():
        try:
            barrier.wait()
            results.append(sender.delivery_send(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [False, False, False, True]
    assert len(receiver.events()) == 1


def test_the_sweep_reopens_a_delivery_whose_worker_died_and_it_is_sent(cast_a, receiver, settings):
    endpoint = make_endpoint(cast_a, receiver)
    delivery = a_delivery(endpoint)
    long_ago = timezone.now() - dt.timedelta(seconds=settings.WEBHOOKS_STALE_SECONDS + 5)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="sending", claimed_at=long_ago, attempts=1)
    assert sender.deliveries_send_due() == 0  # "sending" is someone else's
    result = sender.deliveries_sweep()
    assert (result["reopened"], result["due"]) == (1, 1)
    sender.deliveries_send_due()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_the_sweep_purges_the_old_log_but_keeps_pending_deliveries(cast_a, receiver, settings):
    endpoint = make_endpoint(cast_a, receiver)
    old_done, old_pending = a_delivery(endpoint, key="1"), a_delivery(endpoint, key="2")
    old = timezone.now() - dt.timedelta(days=settings.WEBHOOKS_LOG_RETENTION_DAYS + 1)
    WebhookDelivery.objects.filter(pk=old_done.pk).update(status="delivered", created_at=old)
    WebhookDelivery.objects.filter(pk=old_pending.pk).update(created_at=old)
    assert sender.deliveries_sweep()["purged"] == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [old_pending.pk]


def test_the_sweep_task_sends_what_is_due(cast_a, receiver):
    from webhooks.tasks import sweep_deliveries

    endpoint = make_endpoint(cast_a, receiver)
    a_delivery(endpoint)
    sweep_deliveries.apply()
    assert len(receiver.events()) == 1


def test_the_periodic_sweep_is_declared_for_beat():
    from core.periodic_tasks import declared_tasks

    [entry] = [e for e in declared_tasks() if e["name"] == "webhooks.sweep"]
    assert entry["task"] == "webhooks.sweep" and entry["every_seconds"] <= 60


# --- set-based events --------------------------------------------------------------------------------------------


def bulk_responses(loop, count: int) -> list[int]:
    now = timezone.now()
    responses = Response.objects.bulk_create(
        Response(
            organization=loop.org,
            survey=loop.survey,
            version=loop.version,
            touchpoint=loop.touchpoint,
            journey_id=loop.touchpoint.journey_id,
            submitted_at=now,
            processed_at=now,
        )
        for _ in range(count)
    )
    Answer.objects.bulk_create(
        Answer(
            organization=loop.org,
            response=r,
            question=loop.questions["nps"],
            touchpoint=loop.touchpoint,
            submitted_on=timezone.localdate(now),
            metric="nps",
            value=n % 11,
        )
        for n, r in enumerate(responses)
    )
    return [r.pk for r in responses]


def test_an_organization_without_subscribers_costs_one_query_per_batch(cast_a, cast_b, receiver):
    loop = build_loop(cast_a)
    make_endpoint(cast_b, receiver)  # another organization's endpoint does not count
    ids = bulk_responses(loop, 50)
    with CaptureQueriesContext(connection) as queries:
        assert services.responses_record(response_ids=ids, organization_ids=[cast_a.org.pk]) == 0
    assert len(queries) == 1


def test_a_batch_of_thousands_of_responses_is_one_insert(cast_a, receiver):
    loop = build_loop(cast_a)
    plain = make_endpoint(cast_a, receiver, events=[EventType.RESPONSE_RECEIVED])
    make_endpoint(cast_a, receiver, events=[EventType.RESPONSE_RECEIVED], personal=True)
    make_endpoint(cast_a, receiver, events=[EventType.CASE_OPENED])
    ids = bulk_responses(loop, 3000)
    with CaptureQueriesContext(connection) as queries:
        inserted = services.responses_record(response_ids=ids, organization_ids=[cast_a.org.pk])
    assert inserted == 6000
    assert len(queries) == 2  # the subscribers, then one INSERT ... SELECT
    sample = WebhookDelivery.objects.get(endpoint=plain, event_id=events.response_event_id(ids[7]))
    assert sample.payload["response_id"] == ids[7]
    assert sample.payload["answers"] == [{"question": "nps", "metric": "nps", "value": 7, "choices": [], "text": None}]
    # The batch again (a re-sent signal): nothing new.
    assert services.responses_record(response_ids=ids, organization_ids=[cast_a.org.pk]) == 0
    assert WebhookDelivery.objects.count() == 6000
