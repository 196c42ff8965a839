"""An Idempotency-Key reused with a different payload is a 409, not the first request's result (issue 12, defect 10).

Every endpoint that reads the key: one response, a batch of responses (header key and per-item keys) and a touchpoint
event. A retry with the same payload still gets the first result, and nothing new is stored in either case.
"""

from __future__ import annotations

import pytest

from surveys.models import ContactDecision, Invitation, Response
from tests.factories import CustomerFactory, JourneyFactory, StageFactory, TouchpointFactory
from tests.surveys.factories import make_survey
from tests.surveys.ingestion.conftest import make_program

pytestmark = pytest.mark.django_db

URL = "/api/v1/responses/"
BATCH_URL = "/api/v1/responses/batch/"
EVENT_URL = "/api/v1/touchpoint-events/"


@pytest.fixture
def prog(cast_a):
    return make_program(cast_a)


def payload(prog, **overrides):
    data = {
        "survey": prog.survey.pk,
        "touchpoint": prog.touchpoint.pk,
        "customer_external_id": prog.customer.external_id,
        "answers": {"nps": 9, "why": "Quick and friendly"},
        "language": "sv",
    }
    return {**data, **overrides}


def test_one_response_same_key_same_payload_is_replayed(prog):
    api = prog.api()
    first = api.post(URL, payload(prog), format="json", HTTP_IDEMPOTENCY_KEY="evt-1")
    # The same payload with its keys in another order is the same request.
    reordered = dict(reversed(list(payload(prog).items())))
    again = api.post(URL, reordered, format="json", HTTP_IDEMPOTENCY_KEY="evt-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Response.objects.count() == 1


def test_one_response_same_key_other_payload_is_a_409(prog):
    api = prog.api()
    first = api.post(URL, payload(prog), format="json", HTTP_IDEMPOTENCY_KEY="evt-2")
    other = api.post(URL, payload(prog, answers={"nps": 1}), format="json", HTTP_IDEMPOTENCY_KEY="evt-2")
    assert other.status_code == 409, other.content
    assert "different request" in other.json()["idempotency_key"][0]
    assert Response.objects.count() == 1
    assert Response.objects.get().answers.get(question__code="nps").value == 9
    assert "id" not in other.json(), "the first response must not be passed off as this request's result"
    assert first.status_code == 201


def test_one_response_body_key_with_other_payload_is_a_409(prog):
    api = prog.api()
    assert api.post(URL, payload(prog, idempotency_key="body-1"), format="json").status_code == 201
    other = api.post(URL, payload(prog, idempotency_key="body-1", language="da"), format="json")
    assert other.status_code == 409
    assert Response.objects.count() == 1


def test_a_response_stored_before_fingerprints_is_still_replayed(prog):
    api = prog.api()
    api.post(URL, payload(prog), format="json", HTTP_IDEMPOTENCY_KEY="legacy")
    Response.objects.update(idempotency_fingerprint="")
    again = api.post(URL, payload(prog, answers={"nps": 2}), format="json", HTTP_IDEMPOTENCY_KEY="legacy")
    assert again.status_code == 200
    assert Response.objects.count() == 1


def test_a_batch_retried_with_the_same_items_is_replayed(prog):
    api = prog.api()
    items = [payload(prog), payload(prog, answers={"nps": 2})]
    first = api.post(BATCH_URL, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="upload-1")
    again = api.post(BATCH_URL, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="upload-1")
    assert (first.json()["created"], again.json()["duplicates"]) == (2, 2)
    assert Response.objects.count() == 2


def test_a_batch_header_key_with_other_items_is_a_409_and_stores_nothing(prog):
    api = prog.api()
    items = [payload(prog), payload(prog, answers={"nps": 2})]
    api.post(BATCH_URL, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="upload-2")
    changed = [payload(prog), payload(prog, answers={"nps": 5}), payload(prog, answers={"nps": 6})]
    r = api.post(BATCH_URL, {"items": changed}, format="json", HTTP_IDEMPOTENCY_KEY="upload-2")
    assert r.status_code == 409, r.content
    assert "idempotency_key" in r.json()
    assert Response.objects.count() == 2, "the third, new item must not be stored under a reused key either"


def test_a_batch_item_whose_own_key_was_used_for_another_response_is_refused_with_409(prog):
    api = prog.api()
    api.post(URL, payload(prog, idempotency_key="item-1"), format="json")
    items = [payload(prog, idempotency_key="item-1", answers={"nps": 0}), payload(prog, idempotency_key="item-2")]
    body = api.post(BATCH_URL, {"items": items}, format="json").json()
    assert [item["status"] for item in body["results"]] == ["error", "created"]
    assert "idempotency_key" in body["results"][0]["errors"]
    assert (body["created"], body["errors"]) == (1, 1)
    assert Response.objects.filter(idempotency_key="item-1").get().answers.get(question__code="nps").value == 9


@pytest.fixture
def event_setup(cast_a):
    journey = JourneyFactory(organization=cast_a.org)
    touchpoint = TouchpointFactory(stage=StageFactory(journey=journey))
    make_survey(cast_a.org, touchpoints=[touchpoint])
    customer = CustomerFactory(organization=cast_a.org, email="kund@example.com", language="sv")
    other = CustomerFactory(organization=cast_a.org, email="annan@example.com", language="sv")
    return touchpoint, customer, other


def test_a_touchpoint_event_same_key_same_event_is_replayed(cast_a, event_setup):
    touchpoint, customer, _other = event_setup
    api = make_program(cast_a).api()
    event = {"customer_external_id": customer.external_id, "touchpoint": touchpoint.pk}
    first = api.post(EVENT_URL, event, format="json", HTTP_IDEMPOTENCY_KEY="crm-1")
    again = api.post(EVENT_URL, event, format="json", HTTP_IDEMPOTENCY_KEY="crm-1")
    assert first.status_code in (200, 201) and again.status_code == 200
    assert again.json()["replayed"] is True and again.json()["decision_id"] == first.json()["decision_id"]


def test_a_touchpoint_event_same_key_other_customer_is_a_409(cast_a, event_setup):
    touchpoint, customer, other = event_setup
    api = make_program(cast_a).api()
    first = api.post(
        EVENT_URL,
        {"customer_external_id": customer.external_id, "touchpoint": touchpoint.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="crm-2",
    )
    decisions, invitations = ContactDecision.objects.count(), Invitation.objects.count()
    reused = api.post(
        EVENT_URL,
        {"customer_external_id": other.external_id, "touchpoint": touchpoint.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="crm-2",
    )
    assert first.status_code in (200, 201)
    assert reused.status_code == 409, reused.content
    assert "idempotency_key" in reused.json()
    assert (ContactDecision.objects.count(), Invitation.objects.count()) == (decisions, invitations)
    assert not Invitation.objects.filter(customer=other).exists()
