"""The API's common contract (core/api.py, core/api_params.py): bad input is a 400 with a JSON object,
never a 500 (issue 12, defect 9: the four server errors schemathesis found, and their relatives)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from actions.models import CaseStatus, ContactAttempt, FeedbackCase
from customers.models import Customer
from tests.api.test_schemathesis import api_key  # noqa: F401 (the demo organization's key)

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_key):  # noqa: F811
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return client


def test_bad_input_that_used_to_reach_the_database_is_a_400(api):
    # An open case whose customer may be called back (the small demo's cases may all be closed or not callable).
    case = FeedbackCase.objects.filter(customer__isnull=False).exclude(status=CaseStatus.CLOSED).first()
    Customer.objects.filter(pk=case.customer_id).update(may_contact=True)
    attempts = ContactAttempt.objects.count()
    # A contact attempt without `channel` (the model's default hid it from validation, the service refused it).
    r = api.post(f"/api/v1/cases/{case.pk}/contact-attempts/", {"outcome": "reached"}, format="json")
    assert r.status_code == 400 and "channel" in r.json(), r.content
    assert ContactAttempt.objects.count() == attempts
    # A `limit` beyond bigint (it went into SQL LIMIT), and one that is no number (silently the default before).
    for limit in ("99999999999999999999", "abc", "0", "-5"):
        r = api.get("/api/v1/journeys/", {"limit": limit})
        assert r.status_code == 400 and "limit" in r.json(), (limit, r.content)
    assert api.get("/api/v1/journeys/", {"limit": "2"}).json()["results"].__len__() == 2
    # A NUL character in a filter (PostgreSQL refuses it in a text literal).
    for path in ("/api/v1/customers/", "/api/v1/revenue/", "/api/v1/kpi-values/"):
        r = api.get(path, {"customer" if "revenue" in path else "q": "a\x00b"})
        assert r.status_code == 400, (path, r.content)
    # A time zone offset above 15:59 (Python accepts up to 23:59, PostgreSQL does not).
    r = api.get("/api/v1/cases/", {"opened_after": "2026-01-01T10:00:00+16:00"})
    assert r.status_code == 400 and "opened_after" in r.json(), r.content
    assert api.get("/api/v1/cases/", {"opened_after": "2026-01-01T10:00:00+15:59"}).status_code == 200
    # An id beyond bigint in a filter, a fraction for an id, a boolean that is none.
    assert api.get("/api/v1/cases/", {"touchpoint": "1e30"}).status_code == 400
    assert api.get("/api/v1/improvement-actions/", {"touchpoint": "1.5"}).status_code == 400
    assert api.get("/api/v1/journeys/", {"is_archived": "maybe"}).status_code == 400
    # A single-valued parameter given twice.
    assert api.get("/api/v1/journeys/?offset=1&offset=2").status_code == 400
    # Hand-read parameters: an id that is not one, a value outside its enum.
    assert api.get("/api/v1/rollups/", {"touchpoint": "abc"}).status_code == 400
    assert api.get("/api/v1/reports/", {"status": "nonsense"}).status_code == 400
    assert api.get("/api/v1/targets/", {"kpi": "²"}).status_code == 400
    assert api.get("/api/v1/responses/", {"to": ""}).status_code == 400


def test_a_body_of_the_wrong_type_is_refused_not_coerced(api):
    for body in ({"name": "Moving house", "personas": {}}, {"name": "Moving house", "is_archived": 0}, {"name": 7}):
        r = api.post("/api/v1/journeys/", body, format="json")
        assert r.status_code == 400, (body, r.content)
    assert api.post("/api/v1/journeys/", {"name": "Moving house", "personas": []}, format="json").status_code == 201
    kpi = api.get("/api/v1/kpis/").json()["results"][0]["id"]
    target = {"kpi": kpi, "period_start": "2026-01-01", "period_end": "2026-12-31", "value": False}
    assert api.post("/api/v1/targets/", target, format="json").status_code == 400


def test_every_error_is_a_json_object(api):
    not_routed = api.get("/api/v1/kpis/1.5/")
    assert not_routed.status_code == 404 and not_routed["Content-Type"] == "application/json"
    assert not_routed.json() == {"detail": "Not found."}
    options = api.options("/api/v1/customers/by-external-id/nobody/")
    assert options.status_code == 200, options.content
    # A report PDF asked for as PDF still explains its 404 in JSON.
    pdf = api.get("/api/v1/reports/999999/pdf/", HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 404 and pdf["Content-Type"].startswith("application/json"), pdf.content
    # A list sent where rows are expected is a 400 with an object body, not a list.
    r = api.post("/api/v1/kpi-values/", [{"kpi": "nps"}], format="json")
    assert r.status_code == 400 and isinstance(r.json(), dict), r.content


def test_the_schema_documents_the_errors_of_every_operation(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put", "patch") and "requestBody" in operation:
                assert "400" in codes, (method, path)
    assert "409" in schema["paths"]["/api/v1/responses/"]["post"]["responses"]
    assert "409" in schema["paths"]["/api/v1/touchpoint-events/"]["post"]["responses"]


@pytest.mark.parametrize("header", [" ", "   ", "\t"])
def test_an_authorization_header_of_only_spaces_is_not_a_server_error(db, header):
    response = APIClient().get("/api/v1/journeys/", HTTP_AUTHORIZATION=header)
    assert response.status_code in (401, 403)
    assert isinstance(response.json(), dict)
