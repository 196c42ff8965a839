"""Every API error has the one shape (core.api.error_body, documented as the schema's Error component): a JSON object
with `detail` (a string) for the request as a whole, or each field's name with its messages (issue 16).

One case per kind of error, whoever raises it: DRF (validation, authentication, permission, routing, method,
throttling), a service's Django ValidationError, the ingestion API (idempotency, body size), a view's own conflict,
and Django's error views for what no DRF view answers (an unknown /api/ URL, a server error).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from actions.models import FeedbackCase
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import Loop, build_loop, respond
from tests.conftest import api_key_for
from tests.factories import StageFactory, TouchpointFactory

pytestmark = pytest.mark.django_db

RESPONSES = "/api/v1/responses/"
BATCH = "/api/v1/responses/batch/"


@dataclass
class World:
    loop: Loop
    api: APIClient  # an API key of the loop's organization (acts as a CX manager)
    settings: object
    monkeypatch: pytest.MonkeyPatch

    def response_body(self, **overrides) -> dict:
        loop = self.loop
        body = {"survey": loop.survey.pk, "touchpoint": loop.touchpoint.pk, "answers": {"nps": 9}, "language": "en"}
        return {**body, **overrides}


@pytest.fixture
def world(cast_a, settings, monkeypatch) -> World:
    loop = build_loop(cast_a)
    return World(loop=loop, api=_raising_nothing(api_key_for(loop.org)[1]), settings=settings, monkeypatch=monkeypatch)


def _raising_nothing(client: APIClient) -> APIClient:
    """Answer a server error as a client sees it (a 500), not by raising it into the test."""
    client.raise_request_exception = False
    return client


def _messages(value: object) -> bool:
    """A field's messages: a non-empty list of strings, or (a nested object's fields) an object of messages."""
    if isinstance(value, list):
        return bool(value) and all(isinstance(message, str) for message in value)
    if isinstance(value, dict):
        return bool(value) and all(isinstance(message, str) or _messages(message) for message in value.values())
    return False


def _validation(w: World):
    return w.api.post("/api/v1/journeys/", {"name": 7}, format="json")


def _unauthenticated(w: World):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Api-Key cxk_nope")
    return client.get("/api/v1/journeys/")


def _forbidden(w: World):
    return api_key_for(w.loop.org, read_only=True)[1].post("/api/v1/journeys/", {"name": "Moving"}, format="json")


def _not_found_in_a_viewset(w: World):
    return w.api.get("/api/v1/journeys/999999999/")


def _not_found_without_a_route(w: World):
    return w.api.get("/api/v1/no-such-thing/")


def _file_not_found_asked_for_as_a_file(w: World):
    return w.api.get("/api/v1/reports/999999999/pdf/", HTTP_ACCEPT="application/pdf")


def _method_not_allowed(w: World):
    return w.api.delete(RESPONSES)


def _throttled(w: World):
    w.settings.SURVEYS_API_THROTTLE_RATES = {"responses": "1/min", "responses_batch": "1/min"}
    w.api.post(RESPONSES, w.response_body(), format="json")
    return w.api.post(RESPONSES, w.response_body(), format="json")


def _service_refusal(w: World):
    """A Django ValidationError without fields (closing a case without a root cause): one `detail`."""
    response = respond(w.loop, nps=2, comment="Slow technician")
    response_processed.send(sender=Response, response=response)
    case = FeedbackCase.objects.get(response=response)
    return w.api.post(f"/api/v1/cases/{case.pk}/close/", {"resolution": "x"}, format="json")


def _service_refusal_of_a_field(w: World):
    """A Django ValidationError naming its field (a private webhook target): that field's messages."""
    body = {"url": "http://169.254.169.254/latest/", "events": ["case.opened"]}
    return w.api.post("/api/v1/webhooks/endpoints/", body, format="json")


def _idempotency_conflict(w: World):
    w.api.post(RESPONSES, w.response_body(), format="json", HTTP_IDEMPOTENCY_KEY="evt-1")
    return w.api.post(RESPONSES, w.response_body(answers={"nps": 1}), format="json", HTTP_IDEMPOTENCY_KEY="evt-1")


def _too_long_idempotency_key(w: World):
    return w.api.post(RESPONSES, w.response_body(), format="json", HTTP_IDEMPOTENCY_KEY="k" * 101)


def _too_long_idempotency_key_of_a_batch(w: World):
    items = {"items": [w.response_body()]}
    return w.api.post(BATCH, items, format="json", HTTP_IDEMPOTENCY_KEY="k" * 100)


def _refused_submission(w: World):
    return w.api.post(RESPONSES, w.response_body(answers={"nps": 12}), format="json")


def _body_too_large(w: World):
    w.settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    return w.api.post(RESPONSES, w.response_body(answers={"nps": 9, "why": "x" * 3000}), format="json")


def _conflict_of_a_view(w: World):
    stage = StageFactory(organization=w.loop.org, journey__organization=w.loop.org)
    TouchpointFactory(stage=stage)
    return w.api.delete(f"/api/v1/stages/{stage.pk}/")


def _rows_refused_with_their_errors(w: World):
    return w.api.post("/api/v1/revenue/", [], format="json")


def _server_error(w: World):
    def fail(**kwargs):
        raise RuntimeError("a bug")

    w.monkeypatch.setattr("surveys.ingestion.selectors.response_list", fail)
    return w.api.get(RESPONSES)


CASES: dict[str, tuple[Callable, int]] = {
    "validation": (_validation, 400),
    "unauthenticated": (_unauthenticated, 401),
    "forbidden": (_forbidden, 403),
    "not found in a viewset": (_not_found_in_a_viewset, 404),
    "not found without a route": (_not_found_without_a_route, 404),
    "file not found, asked for as a file": (_file_not_found_asked_for_as_a_file, 404),
    "method not allowed": (_method_not_allowed, 405),
    "throttled": (_throttled, 429),
    "service refusal": (_service_refusal, 400),
    "service refusal of a field": (_service_refusal_of_a_field, 400),
    "idempotency conflict": (_idempotency_conflict, 409),
    "too long idempotency key": (_too_long_idempotency_key, 400),
    "too long idempotency key of a batch": (_too_long_idempotency_key_of_a_batch, 400),
    "refused submission": (_refused_submission, 400),
    "body too large": (_body_too_large, 413),
    "conflict of a view": (_conflict_of_a_view, 409),
    "rows refused with their errors": (_rows_refused_with_their_errors, 400),
    "server error": (_server_error, 500),
}


@pytest.mark.parametrize("kind", CASES)
def test_every_kind_of_api_error_has_the_one_shape(world, kind):
    make, status = CASES[kind]
    response = make(world)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict) and body, body
    if "detail" in body:
        assert isinstance(body["detail"], str) and body["detail"], body
    else:
        assert all(_messages(messages) for messages in body.values()), body


def test_an_idempotency_key_is_refused_by_name_when_too_long_never_cut(world):
    """The single and the batch endpoint name the header; the batch's limit leaves room for the `#<index>` suffix."""
    single = _too_long_idempotency_key(world)
    batch = _too_long_idempotency_key_of_a_batch(world)
    assert "at most 100 characters" in single.json()["idempotency_key"][0]
    longest = 100 - len(f"#{world.settings.SURVEYS_API_BATCH_MAX_ITEMS - 1}")
    assert f"at most {longest} characters" in batch.json()["idempotency_key"][0]
    assert not Response.objects.filter(idempotency_key__startswith="k").exists()
