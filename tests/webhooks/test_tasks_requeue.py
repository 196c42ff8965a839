"""The webhook sweep never fails on the broker: with the broker down it leaves the due deliveries in their rows (and
says so), and the next sweep with the broker back sends each of them once."""

from __future__ import annotations

import pytest

from tests.outbox.conftest import unreachable_broker
from tests.webhooks.conftest import make_endpoint
from tests.webhooks.test_sender import queued_delivery
from webhooks.models import WebhookDelivery
from webhooks.tasks import sweep_deliveries

pytestmark = pytest.mark.django_db


def test_a_sweep_during_a_broker_outage_leaves_the_due_deliveries_to_the_next_one(cast_a, receiver):
    endpoint = make_endpoint(cast_a, receiver)
    deliveries = [queued_delivery(endpoint, key=str(n)) for n in (1, 2)]
    with unreachable_broker():
        result = sweep_deliveries.apply().get(
            disable_sync_subtasks=False
        )  # beat's sweep, on a worker: the drain cannot be queued
    assert result["due"] == 1
    assert receiver.events() == []
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}

    sweep_deliveries.apply().get(disable_sync_subtasks=False)  # the broker is back (eager here)
    sweep_deliveries.apply().get(disable_sync_subtasks=False)
    assert sorted(r.json["data"]["case_id"] for r in receiver.events()) == [1, 2]
    for delivery in deliveries:
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("delivered", 1)
