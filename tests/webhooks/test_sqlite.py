"""The demo's SQLite database runs the same webhook path: the batch INSERT ... SELECT, the claim, the signed POST."""

from __future__ import annotations

import pytest

from tests.sqlite_demo import run_on_fresh_sqlite

SCRIPT = r"""
import json
from django.db import transaction
from accounts.models import Role
from accounts.scoping import OrgContext
from surveys.models import Response
from surveys.signals import responses_processed
from tests.factories import AnswerFactory, CustomerFactory, OrganizationFactory, QuestionFactory, ResponseFactory
from tests.factories import TouchpointFactory, SurveyVersionFactory
from tests.webhooks.conftest import start_receiver
from webhooks import services, sender
from webhooks.models import WebhookDelivery

receiver = start_receiver()
org = OrganizationFactory()
ctx = OrgContext(organization=org, role=Role.ADMIN)
plain = services.endpoint_create(ctx=ctx, url=receiver.url, events=["response.received"])
personal = services.endpoint_create(ctx=ctx, url=receiver.url, events=["response.received"], include_personal_data=True)
receiver.secrets += [plain.secret, personal.secret]
touchpoint = TouchpointFactory(stage__journey__organization=org)
version = SurveyVersionFactory(survey__organization=org)
nps = QuestionFactory(version=version, code="nps", kind="nps", position=1)
why = QuestionFactory(version=version, code="why", kind="text", position=2)
customer = CustomerFactory(organization=org, external_id="C-77")
ids = []
for score in (3, 9, 10):
    response = ResponseFactory(version=version, touchpoint=touchpoint, journey=touchpoint.journey, customer=customer)
    AnswerFactory(response=response, question=nps, value=score, metric="nps")
    AnswerFactory(response=response, question=why, value=None, metric="", text=f"said {score}")
    ids.append(response.pk)
with transaction.atomic():
    responses_processed.send(sender=Response, response_ids=ids, organization_ids=[org.pk])
with transaction.atomic():
    responses_processed.send(sender=Response, response_ids=ids, organization_ids=[org.pk])
sender.deliveries_send_due()
hits = receiver.events()
by_endpoint = {}
for hit in hits:
    delivery = WebhookDelivery.objects.get(pk=int(hit.headers["X-CX-Delivery"]))
    by_endpoint.setdefault(delivery.endpoint_id == personal.pk and "personal" or "plain", []).append(hit.json["data"])
print(json.dumps({
    "rows": WebhookDelivery.objects.count(),
    "delivered": WebhookDelivery.objects.filter(status="delivered").count(),
    "signed": all(h.signature_ok for h in hits),
    "event_ids": sorted({h.json["id"] for h in hits}),
    "plain": sorted(by_endpoint["plain"], key=lambda d: d["response_id"]),
    "personal": sorted(by_endpoint["personal"], key=lambda d: d["response_id"]),
    "ids": ids,
}))
receiver.server.shutdown()
"""


@pytest.mark.django_db
def test_response_events_on_sqlite(tmp_path, monkeypatch):
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true")
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    result = run_on_fresh_sqlite(tmp_path, SCRIPT)
    assert (result["rows"], result["delivered"], result["signed"]) == (6, 6, True)
    assert len(result["event_ids"]) == 3
    first_plain, first_personal = result["plain"][0], result["personal"][0]
    assert first_plain["response_id"] == result["ids"][0]
    assert [(a["question"], a["value"], a["text"]) for a in first_plain["answers"]] == [
        ("nps", 3, None),
        ("why", None, None),
    ]
    assert first_plain["customer"] is None
    assert [a["text"] for a in first_personal["answers"]] == [None, "said 3"]
    assert first_personal["customer"]["external_id"] == "C-77"
    assert first_plain["submitted_at"].endswith("Z") and "T" in first_plain["submitted_at"]
