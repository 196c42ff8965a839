"""Reads of personal data are recorded by the audit middleware: one event per successful GET, none otherwise."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from actions.models import FeedbackCase
from audit.models import AuditEvent
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

AUDIT_MIDDLEWARE = "audit.middleware.AuditMiddleware"


def reads(org, action: str | None = None):
    qs = AuditEvent.objects.filter(organization=org)
    if action is not None:
        qs = qs.filter(action=action)
    return list(qs.order_by("pk"))


def open_case(loop) -> FeedbackCase:
    response = respond(loop, nps=2, comment="Technician was two hours late")
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


def test_viewing_a_customer_records_who_saw_whom(loop_a, client_for):
    customer, admin = loop_a.customer, loop_a.cast.admin
    response = client_for(admin).get(reverse("customers:customer_detail", args=[customer.pk]), REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    [event] = reads(loop_a.org, "customer.view")
    assert (event.actor, event.actor_label) == (admin.user, admin.user.get_username())
    assert (event.target_type, event.target_id, event.target_label) == (
        "customers.customer",
        str(customer.pk),
        customer.name,
    )
    assert event.ip == "10.1.2.3"
    assert event.detail == {}


def test_another_organizations_404_and_anonymous_visits_record_nothing(loop_a, loop_b, client_for):
    url = reverse("customers:customer_detail", args=[loop_a.customer.pk])
    assert client_for(loop_b.cast.admin).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert reads(loop_a.org) == []
    assert reads(loop_b.org, "customer.view") == []


def test_a_customer_without_a_name_is_labelled_by_its_external_id(loop_a, client_for):
    customer = loop_a.customer
    customer.name = ""
    customer.save(update_fields=["name"])
    client_for(loop_a.cast.cx_manager).get(reverse("customers:customer_detail", args=[customer.pk]))
    [event] = reads(loop_a.org, "customer.view")
    assert event.target_label == customer.external_id


def test_exporting_responses_records_the_filters_of_the_export(loop_a, client_for):
    respond(loop_a, nps=9, comment="Fine")
    c = client_for(loop_a.cast.executive)
    csv = c.get(reverse("surveys:response_export_csv"), {"survey": loop_a.survey.pk, "band": "promoter"})
    assert csv.status_code == 200
    b"".join(csv.streaming_content)
    xlsx = c.get(reverse("surveys:response_export_xlsx"), {"survey": loop_a.survey.pk})
    assert xlsx.status_code == 200
    events = reads(loop_a.org, "responses.export")
    assert [e.detail for e in events] == [
        {"part": "csv", "query": {"survey": str(loop_a.survey.pk), "band": "promoter"}},
        {"part": "xlsx", "query": {"survey": str(loop_a.survey.pk)}},
    ]
    assert {e.target_type for e in events} == {"surveys.response"}
    assert {e.actor for e in events} == {loop_a.cast.executive.user}


def test_viewing_a_case_and_a_response_records_them_labelled_by_customer(loop_a, client_for):
    case = open_case(loop_a)
    c = client_for(loop_a.cast.frontline)
    assert c.get(reverse("actions:case_detail", args=[case.pk])).status_code == 200
    assert client_for(loop_a.cast.admin).get(reverse("surveys:response_detail", args=[case.response_id])).status_code
    [case_view] = reads(loop_a.org, "case.view")
    assert (case_view.target_type, case_view.target_id) == ("actions.feedbackcase", str(case.pk))
    assert case_view.target_label == loop_a.customer.name
    assert case_view.actor == loop_a.cast.frontline.user
    [response_view] = reads(loop_a.org, "response.view")
    assert (response_view.target_id, response_view.target_label) == (str(case.response_id), loop_a.customer.name)


def test_a_frontline_user_refused_another_teams_case_records_nothing(loop_a, client_for):
    case = open_case(loop_a)
    response = client_for(loop_a.other_frontline).get(reverse("actions:case_detail", args=[case.pk]))
    assert response.status_code in (403, 404)
    assert reads(loop_a.org, "case.view") == []


def test_api_key_reads_are_recorded_with_the_keys_name_and_organization(loop_a, loop_b, api_key_client):
    api = api_key_client(loop_a.org)
    customer = loop_a.customer
    assert api.get(f"/api/v1/customers/{customer.pk}/").status_code == 200
    assert api.get(f"/api/v1/customers/by-external-id/{customer.external_id}/").status_code == 200
    assert api.get("/api/v1/customers/", {"q": "customer"}).status_code == 200
    assert api.get(f"/api/v1/customers/{loop_b.customer.pk}/").status_code == 404
    views = reads(loop_a.org, "customer.view")
    assert [(e.target_id, e.target_label) for e in views] == [(str(customer.pk), customer.name)] * 2
    assert all(e.actor is None and e.actor_label.startswith("API key ") for e in views)
    [listing] = reads(loop_a.org, "customer.list")
    assert listing.detail == {"query": {"q": "customer"}}
    assert reads(loop_b.org) == []


def test_writes_and_failed_reads_are_not_recorded_as_reads(loop_a, api_key_client):
    api = api_key_client(loop_a.org)
    created = api.post("/api/v1/customers/", {"external_id": "NEW-1", "name": "Nina New"}, format="json")
    assert created.status_code == 201
    assert api.get("/api/v1/customers/999999999/").status_code == 404
    assert reads(loop_a.org, "customer.view") == reads(loop_a.org, "customer.list") == []


def _queries(client: Client, url: str) -> list[str]:
    client.get(url)  # warm up: first-request work (session, caches) is not what is measured
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def _without_audit(settings) -> None:
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != AUDIT_MIDDLEWARE]


def _audit_inserts(queries: list[str]) -> list[str]:
    return [q for q in queries if "audit_auditevent" in q]


@pytest.mark.parametrize("url_name", ["customers:customer_detail", "journeys:journey_list"])
def test_an_audited_page_costs_exactly_one_insert_and_other_pages_nothing(loop_a, settings, url_name):
    url = reverse(url_name, args=[loop_a.customer.pk] if "customer" in url_name else [])
    user = loop_a.cast.admin.user
    with_audit = Client()
    with_audit.force_login(user)
    measured = _queries(with_audit, url)
    _without_audit(settings)
    plain = Client()  # a new client: the handler loads the middleware list once
    plain.force_login(user)
    baseline = _queries(plain, url)
    assert _audit_inserts(baseline) == []
    if url_name == "customers:customer_detail":
        assert len(measured) == len(baseline) + 1
        [insert] = _audit_inserts(measured)
        assert insert.startswith('INSERT INTO "audit_auditevent"')
    else:
        assert len(measured) == len(baseline) and _audit_inserts(measured) == []


def test_an_audited_api_read_costs_exactly_one_insert(loop_a, settings, api_key_client):
    api = api_key_client(loop_a.org)
    url = f"/api/v1/customers/by-external-id/{loop_a.customer.external_id}/"
    measured = _queries(api, url)
    _without_audit(settings)
    plain = APIClient()
    plain.credentials(**api._credentials)
    baseline = _queries(plain, url)
    assert len(measured) == len(baseline) + 1
    [insert] = _audit_inserts(measured)
    assert insert.startswith('INSERT INTO "audit_auditevent"') and _audit_inserts(baseline) == []


def test_lists_naming_customers_keep_their_filters_and_the_survey(loop_a, client_for):
    c = client_for(loop_a.cast.admin)
    assert c.get(reverse("surveys:invitation_list", args=[loop_a.survey.pk])).status_code == 200
    assert c.get(reverse("surveys:contact_decision_list"), {"page": 2}).status_code == 200
    invitations, decisions = reads(loop_a.org, "customer.list")
    assert invitations.detail == {"part": "invitations", "query": {}, "url": {"pk": str(loop_a.survey.pk)}}
    assert decisions.detail == {"part": "contact_decisions", "query": {"page": "2"}}


def test_a_query_string_with_nul_characters_is_recorded_without_them(loop_a, client_for):
    response = client_for(loop_a.cast.admin).get(reverse("customers:customer_list") + "?q=an%00na&x%00=1")
    assert response.status_code == 200
    [listing] = reads(loop_a.org, "customer.list")
    assert listing.detail == {"query": {"q": "anna", "x": "1"}}


@pytest.mark.parametrize(
    ("meta", "recorded"),
    [
        ({}, None),  # no REMOTE_ADDR: gunicorn on a unix socket
        ({"REMOTE_ADDR": ""}, None),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "not-an-address"}, None),
        ({"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}, "203.0.113.9"),
    ],
)
def test_an_address_that_is_not_one_is_not_recorded_and_the_page_still_answers(
    loop_a, client_for, settings, meta, recorded
):
    settings.SURVEYS_NUM_PROXIES = 1 if "HTTP_X_FORWARDED_FOR" in meta else 0
    client = client_for(loop_a.cast.admin)
    url = reverse("customers:customer_detail", args=[loop_a.customer.pk])
    environ = {k: v for k, v in meta.items() if k != "REMOTE_ADDR"}
    if "REMOTE_ADDR" in meta:
        environ["REMOTE_ADDR"] = meta["REMOTE_ADDR"]
        response = client.get(url, **environ)
    else:
        request = client._base_environ()
        request.pop("REMOTE_ADDR", None)
        client._base_environ = lambda **kw: {**request, **kw}
        response = client.get(url)
    assert response.status_code == 200
    [event] = reads(loop_a.org, "customer.view")
    assert event.ip == recorded
