"""The production path: a real Celery worker on Redis sends what a commit queued, and the sweep sends the retries."""

from __future__ import annotations

import os

import pytest
from django.db import transaction

from tests.live_worker import broker_key, publishing_to, redis_or_fail, start_worker, stop_worker, wait_for
from tests.webhooks.conftest import make_endpoint
from webhooks import events, services
from webhooks.models import EventType, WebhookDelivery
from webhooks.tasks import sweep_deliveries

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LIVE_BROKER = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6")


@pytest.fixture
def redis_client():
    client = redis_or_fail(LIVE_BROKER)
    keys = [broker_key(name) for name in ("celery", "unacked", "unacked_index")]
    client.delete(*keys)
    yield client
    client.delete(*keys)


def test_a_worker_sends_after_the_commit_and_the_sweep_sends_the_retry(redis_client, cast_a, receiver, tmp_path):
    endpoint = make_endpoint(cast_a, receiver, events=[EventType.CASE_OPENED])
    receiver.reply(500)
    worker = start_worker(
        app="cxplatform",
        name="webhooks",
        broker=LIVE_BROKER,
        log=tmp_path / "worker.log",
        env={
            "WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
            "WEBHOOKS_ALLOW_HTTP": "true",
            "WEBHOOKS_RETRY_BASE_SECONDS": "1",
        },
    )
    try:
        assert "webhooks.send_due" in worker.log.read_text(), "the worker knows the webhook tasks"
        with publishing_to(LIVE_BROKER):
            with transaction.atomic():
                services.event_record(
                    organization_id=cast_a.org.pk,
                    event_type=EventType.CASE_OPENED,
                    event_id=events.event_id(EventType.CASE_OPENED, "worker"),
                    data={"case_id": 1},
                )
            delivery = WebhookDelivery.objects.get(endpoint=endpoint)
            wait_for(lambda: receiver.events(), 60, "the worker's first attempt")
            wait_for(
                lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="pending", attempts=1).exists(),
                30,
                "the failed attempt to be recorded",
            )

            def swept_and_retried() -> bool:
                sweep_deliveries.delay()  # what beat does every minute
                return len(receiver.events()) == 2

            # The retry is due a second or so later; the sweep queues the sender.
            wait_for(swept_and_retried, 60, "the retry", interval=1.5)
            wait_for(
                lambda: WebhookDelivery.objects.filter(pk=delivery.pk, status="delivered").exists(),
                30,
                "the delivery to be recorded",
            )
    finally:
        stop_worker(worker)
    hits = receiver.events()
    assert len(hits) == 2 and all(h.signature_ok for h in hits)
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 200)
