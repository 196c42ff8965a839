"""Ingestion API: single and batch submission, idempotency, invitations, limits, junk input, listing, isolation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from surveys.models import Answer, Invitation, Response
from tests.surveys.ingestion.factories import InvitationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

URL = "/api/v1/responses/"
BATCH_URL = "/api/v1/responses/batch/"


def payload(prog, **overrides):
    data = {
        "survey": prog.survey.pk,
        "touchpoint": prog.touchpoint.pk,
        "customer_external_id": prog.customer.external_id,
        "answers": {"nps": 9, "why": "Quick and friendly"},
        "language": "sv",
        "channel": "web",
    }
    data.update(overrides)
    return data


def test_an_api_key_submits_a_response(prog_a):
    r = prog_a.api().post(URL, payload(prog_a), format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    response = Response.objects.get(pk=body["id"])
    assert response.source == "api"
    assert response.customer_id == prog_a.customer.pk
    assert response.journey_id == prog_a.journey.pk
    assert {a["question"]: a["value"] for a in body["answers"] if a["value"] is not None} == {"nps": 9.0}
    assert Answer.objects.get(response=response, question__code="why").text == "Quick and friendly"


def test_the_idempotency_key_header_makes_a_retry_return_the_first_response(prog_a):
    api = prog_a.api()
    first = api.post(URL, payload(prog_a), format="json", HTTP_IDEMPOTENCY_KEY="evt-42")
    again = api.post(URL, payload(prog_a), format="json", HTTP_IDEMPOTENCY_KEY="evt-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Response.objects.count() == 1


def test_the_idempotency_key_field_works_like_the_header(prog_a):
    api = prog_a.api()
    api.post(URL, payload(prog_a, idempotency_key="k1"), format="json")
    r = api.post(URL, payload(prog_a, idempotency_key="k1"), format="json")
    assert r.status_code == 200
    assert Response.objects.count() == 1


def test_invalid_answers_are_a_400_naming_the_question(prog_a):
    r = prog_a.api().post(URL, payload(prog_a, answers={"nps": 12, "bogus": 1}), format="json")
    assert r.status_code == 400
    assert set(r.json()["answers"]) == {"nps", "bogus"}
    assert not Response.objects.exists()


def test_rows_of_another_organization_are_unknown(prog_a, prog_b):
    api = prog_a.api()
    cases = [
        ({"survey": prog_b.survey.pk}, "survey"),
        ({"touchpoint": prog_b.touchpoint.pk}, "touchpoint"),
        ({"customer_external_id": prog_b.customer.external_id}, "customer_external_id"),
        ({"customer_external_id": "", "customer": prog_b.customer.pk}, "customer"),
        ({"version": prog_b.survey.current_version_id}, "version"),
    ]
    for override, field in cases:
        r = api.post(URL, payload(prog_a, **override), format="json")
        assert r.status_code == 400, (field, r.content)
        assert field in r.json()
    assert not Response.objects.exists()


def test_an_invitation_is_single_use_through_the_api(prog_a):
    invitation = InvitationFactory(survey=prog_a.survey, customer=prog_a.customer, touchpoint=prog_a.touchpoint)
    api = prog_a.api()
    data = payload(prog_a, invitation_token=invitation.token, customer_external_id="", touchpoint=None)
    first = api.post(URL, data, format="json")
    assert first.status_code == 201
    assert first.json()["customer"] == prog_a.customer.pk
    replay = api.post(URL, data, format="json")
    assert replay.status_code == 409
    assert Response.objects.count() == 1
    assert Invitation.objects.get(pk=invitation.pk).used_at is not None


def test_a_replay_with_the_same_key_after_an_invitation_was_used_returns_the_response(prog_a):
    invitation = InvitationFactory(survey=prog_a.survey)
    api = prog_a.api()
    data = payload(prog_a, invitation_token=invitation.token)
    first = api.post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    replay = api.post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    assert (first.status_code, replay.status_code) == (201, 200)
    assert first.json()["id"] == replay.json()["id"]


def test_an_expired_invitation_is_gone(prog_a):
    invitation = InvitationFactory(survey=prog_a.survey, expires_at=timezone.now() - dt.timedelta(days=1))
    r = prog_a.api().post(URL, payload(prog_a, invitation_token=invitation.token), format="json")
    assert r.status_code == 410
    assert not Response.objects.exists()


def test_another_organizations_invitation_token_is_unknown(prog_a, prog_b):
    invitation = InvitationFactory(survey=prog_b.survey)
    r = prog_a.api().post(URL, payload(prog_a, invitation_token=invitation.token), format="json")
    assert r.status_code == 400
    assert "invitation_token" in r.json()
    assert Invitation.objects.get(pk=invitation.pk).used_at is None


def test_a_batch_stores_valid_items_and_reports_each_one(prog_a):
    api = prog_a.api()
    api.post(URL, payload(prog_a, idempotency_key="old"), format="json")
    items = [
        payload(prog_a, idempotency_key="b1"),
        payload(prog_a, answers={"nps": 11}),
        payload(prog_a, idempotency_key="old"),
        "not an object",
        payload(prog_a, survey="abc"),
        payload(prog_a, idempotency_key="b2", answers={"nps": 3}),
    ]
    r = api.post(BATCH_URL, {"items": items}, format="json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["created"], body["duplicates"], body["errors"]) == (2, 1, 3)
    statuses = [item["status"] for item in body["results"]]
    assert statuses == ["created", "error", "duplicate", "error", "error", "created"]
    assert "nps" in body["results"][1]["errors"]["answers"]
    assert "survey" in body["results"][4]["errors"]
    assert Response.objects.count() == 3


def test_a_batch_retried_with_the_same_header_key_creates_nothing(prog_a):
    api = prog_a.api()
    items = [payload(prog_a), payload(prog_a, answers={"nps": 2})]
    first = api.post(BATCH_URL, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="upload-7")
    again = api.post(BATCH_URL, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY="upload-7")
    assert first.json()["created"] == 2
    assert again.json()["duplicates"] == 2
    assert Response.objects.count() == 2


@override_settings(SURVEYS_API_BATCH_MAX_ITEMS=3)
def test_a_batch_over_the_limit_is_refused_whole(prog_a):
    r = prog_a.api().post(BATCH_URL, {"items": [payload(prog_a)] * 4}, format="json")
    assert r.status_code == 400
    assert not Response.objects.exists()


@pytest.mark.parametrize("body", [{"items": []}, {"items": "x"}, [], {"nothing": 1}])
def test_a_batch_without_a_list_of_items_is_a_400(prog_a, body):
    assert prog_a.api().post(BATCH_URL, body, format="json").status_code == 400


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2000)
def test_an_oversized_body_is_a_413(prog_a):
    big = payload(prog_a, answers={"nps": 9, "why": "x" * 3000})
    r = prog_a.api().post(URL, big, format="json")
    assert r.status_code == 413
    assert prog_a.api().post(BATCH_URL, {"items": [big]}, format="json").status_code == 413
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b'{"survey": 1,}', "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        (b'{"survey": NaN}', "application/json"),
        (b"survey=1&answers=x", "application/x-www-form-urlencoded"),
        (b"<xml/>", "text/xml"),
    ],
)
def test_malformed_bodies_are_4xx(prog_a, body, content_type):
    r = prog_a.api().generic("POST", URL, body, content_type=content_type)
    assert 400 <= r.status_code < 500, r.status_code
    r = prog_a.api().generic("POST", BATCH_URL, body, content_type=content_type)
    assert 400 <= r.status_code < 500, r.status_code


@pytest.mark.parametrize(
    "override",
    [
        {"survey": None},
        {"survey": "1; DROP TABLE"},
        {"survey": 10**30},
        {"survey": -1},
        {"survey": True},
        {"touchpoint": [1]},
        {"customer": {"id": 1}},
        {"answers": None},
        {"answers": []},
        {"answers": "nps=9"},
        {"answers": {"nps": {"$gt": 0}}},
        {"answers": {"why": "\x00"}},
        {"answers": {str(i): 1 for i in range(500)}},
        {"language": "x" * 10_000},
        {"language": "sv\x00"},
        {"channel": "carrier pigeon"},
        {"submitted_at": "yesterday"},
        {"submitted_at": "2999-01-01T00:00:00Z"},
        {"submitted_at": "1066-10-14T09:00:00Z"},
        {"idempotency_key": "k" * 101},
        {"invitation_token": "t" * 1000},
        {"customer_external_id": "\x00"},
    ],
)
def test_junk_fields_are_a_400_and_store_nothing(prog_a, override):
    r = prog_a.api().post(URL, payload(prog_a, **override), format="json")
    assert r.status_code == 400, (override, r.status_code, r.content[:300])
    assert not Response.objects.exists()


def test_a_huge_number_is_a_400(prog_a):
    body = f'{{"survey": {prog_a.survey.pk}, "answers": {{"nps": 1e400}}, "language": "sv"}}'
    r = prog_a.api().generic("POST", URL, body, content_type="application/json")
    assert r.status_code == 400
    assert not Response.objects.exists()


def test_an_overlong_idempotency_header_is_a_400(prog_a):
    r = prog_a.api().post(URL, payload(prog_a), format="json", HTTP_IDEMPOTENCY_KEY="k" * 101)
    assert r.status_code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["survey", "touchpoint", "customer", "answers", "language", "submitted_at"]),
    value=json_values,
)
def test_any_json_value_in_any_field_is_never_a_5xx(prog_a, field, value):
    r = prog_a.api().post(URL, payload(prog_a, **{field: value}), format="json")
    assert r.status_code < 500


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answers=st.dictionaries(st.sampled_from(["nps", "csat", "ces", "effort", "plan", "extras", "why"]), json_values))
def test_any_answers_are_stored_valid_or_refused_with_a_400(prog_a, answers):
    r = prog_a.api().post(URL, payload(prog_a, answers=answers), format="json")
    assert r.status_code in (201, 400), r.content
    if r.status_code == 201:
        for answer in Answer.objects.filter(response_id=r.json()["id"], value__isnull=False):
            assert 0 <= answer.value <= 10


def test_the_list_is_scoped_and_filtered(prog_a, prog_b):
    api = prog_a.api()
    old = payload(prog_a, submitted_at="2026-01-10T12:00:00+01:00")
    assert api.post(URL, old, format="json").status_code == 201
    other_tp = payload(prog_a, touchpoint=prog_a.other_touchpoint.pk, customer_external_id="")
    assert api.post(URL, other_tp, format="json").status_code == 201
    assert prog_b.api().post(URL, payload(prog_b), format="json").status_code == 201

    def ids(**params):
        r = api.get(URL, params)
        assert r.status_code == 200, r.content
        return len(r.json()["results"])

    assert ids() == 2
    assert ids(touchpoint=prog_a.touchpoint.pk) == 1
    assert ids(journey=prog_a.other_touchpoint.journey_id) == 1
    assert ids(customer=prog_a.customer.external_id) == 1
    assert ids(**{"from": "2026-01-10", "to": "2026-01-10"}) == 1
    assert ids(**{"to": "2026-01-09"}) == 0
    assert ids(touchpoint=prog_b.touchpoint.pk) == 0
    assert api.get(URL, {"from": "not-a-date"}).status_code == 400
    assert len(prog_b.api().get(URL).json()["results"]) == 1


def test_the_list_costs_the_same_number_of_queries_for_any_page_size(prog_a, django_assert_max_num_queries):
    api = prog_a.api()
    for i in range(30):
        api.post(URL, payload(prog_a, answers={"nps": i % 11, "csat": 3, "why": f"r{i}"}), format="json")
    with django_assert_max_num_queries(6):
        r = api.get(URL, {"page_size": 30})
    assert len(r.json()["results"]) == 30


def test_reading_another_organizations_response_is_a_404(prog_a, prog_b):
    r = prog_b.api().post(URL, payload(prog_b), format="json")
    pk = r.json()["id"]
    assert prog_a.api().get(f"{URL}{pk}/").status_code == 404
    assert prog_b.api().get(f"{URL}{pk}/").status_code == 200


def test_a_revoked_or_missing_key_is_refused(prog_a):
    client = APIClient()
    assert client.post(URL, payload(prog_a), format="json").status_code in (401, 403)
    client.credentials(HTTP_AUTHORIZATION="Api-Key cxk_nope")
    assert client.post(URL, payload(prog_a), format="json").status_code == 401
    assert client.get(URL).status_code == 401
    assert not Response.objects.exists()


@pytest.mark.parametrize("role", ["frontline", "executive"])
def test_read_only_roles_cannot_submit_through_the_api(prog_a, role):
    client = APIClient()
    client.force_login(prog_a.cast.member(role).user)
    assert client.post(URL, payload(prog_a), format="json").status_code == 403
    assert client.post(BATCH_URL, {"items": [payload(prog_a)]}, format="json").status_code == 403
    assert not Response.objects.exists()


def test_a_frontline_session_lists_only_its_teams_touchpoints(prog_a):
    api = prog_a.api()
    api.post(URL, payload(prog_a), format="json")
    api.post(URL, payload(prog_a, touchpoint=prog_a.other_touchpoint.pk), format="json")
    client = APIClient()
    client.force_login(prog_a.cast.frontline.user)
    results = client.get(URL).json()["results"]
    assert [r["touchpoint"] for r in results] == [prog_a.touchpoint.pk]


@override_settings(SURVEYS_API_THROTTLE_RATES={"responses": "3/min", "responses_batch": "1/min"})
def test_submissions_are_throttled_per_api_key(prog_a, prog_b):
    api = prog_a.api()
    codes = [api.post(URL, payload(prog_a, answers={"nps": i}), format="json").status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    assert prog_b.api().post(URL, payload(prog_b), format="json").status_code == 201
    assert api.post(BATCH_URL, {"items": [payload(prog_a)]}, format="json").status_code == 200
    assert api.post(BATCH_URL, {"items": [payload(prog_a)]}, format="json").status_code == 429


def test_a_batch_cannot_reach_into_another_organization(prog_a, prog_b):
    items = [
        payload(prog_a, survey=prog_b.survey.pk),
        payload(prog_a, touchpoint=prog_b.touchpoint.pk),
        payload(prog_a, customer_external_id=prog_b.customer.external_id),
    ]
    body = prog_a.api().post(BATCH_URL, {"items": items}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["error", "error", "error"]
    assert not Response.objects.exists()


def test_the_same_batch_key_in_two_organizations_stores_both(prog_a, prog_b):
    a = prog_a.api().post(BATCH_URL, {"items": [payload(prog_a)]}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    b = prog_b.api().post(BATCH_URL, {"items": [payload(prog_b)]}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert (a.json()["created"], b.json()["created"]) == (1, 1)
    assert set(Response.objects.values_list("organization_id", flat=True)) == {prog_a.org.pk, prog_b.org.pk}


def test_the_written_out_reply_equals_the_documented_serializer(prog_a):
    # response_out() replaces ResponseOutSerializer on the hot path; the schema documents the serializer.
    from surveys.ingestion.api import ResponseOutSerializer, response_out

    reply = prog_a.api().post(URL, payload(prog_a, answers={"nps": 7, "csat": 4, "why": "Ok"}), format="json")
    assert reply.status_code == 201
    stored = (
        Response.objects.select_related("customer").prefetch_related("answers__question").get(pk=reply.json()["id"])
    )
    Response.objects.filter(pk=stored.pk).update(processed_at=timezone.now())
    stored.refresh_from_db(fields=["processed_at"])
    assert response_out(stored) == dict(ResponseOutSerializer(stored).data)
    anonymous = prog_a.api().post(URL, payload(prog_a, customer_external_id=""), format="json").json()
    stored = Response.objects.prefetch_related("answers__question").get(pk=anonymous["id"])
    assert response_out(stored) == dict(ResponseOutSerializer(stored).data) == anonymous


def test_batch_keys_sharing_a_long_prefix_are_two_batches_and_a_too_long_key_is_a_400(prog_a):
    """Regression: the batch endpoint cut its header to 80 characters, so a different batch whose key shared the
    first 80 characters was answered "duplicate" and stored nothing."""
    api = prog_a.api()
    prefix = "nightly-export-" + "x" * 70  # 85 characters
    first = api.post(BATCH_URL, {"items": [payload(prog_a)]}, format="json", HTTP_IDEMPOTENCY_KEY=prefix + "-a")
    second = api.post(
        BATCH_URL, {"items": [payload(prog_a, answers={"nps": 3})]}, format="json", HTTP_IDEMPOTENCY_KEY=prefix + "-b"
    )
    assert (first.json()["created"], second.json()["created"]) == (1, 1)
    assert Response.objects.count() == 2

    # The longest header leaves room for "#<index>" of the largest batch; one character more is refused, not cut.
    from django.conf import settings as django_settings

    longest = 100 - len(f"#{django_settings.SURVEYS_API_BATCH_MAX_ITEMS - 1}")
    ok = api.post(BATCH_URL, {"items": [payload(prog_a)]}, format="json", HTTP_IDEMPOTENCY_KEY="k" * longest)
    assert ok.status_code == 200 and ok.json()["created"] == 1
    too_long = api.post(
        BATCH_URL, {"items": [payload(prog_a)]}, format="json", HTTP_IDEMPOTENCY_KEY="k" * (longest + 1)
    )
    assert too_long.status_code == 400
    assert "idempotency_key" in too_long.json()
    assert Response.objects.count() == 3
