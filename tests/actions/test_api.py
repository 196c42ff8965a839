"""REST API of cases, root causes and improvement actions: scope per organization and role, consent, claims."""

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from actions.models import CaseEvent, FeedbackCase, ImprovementAction
from actions.services.cases import case_claim
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def open_case(loop, **kwargs) -> FeedbackCase:
    response = respond(loop, **{"nps": 2, "comment": "Slow technician", **kwargs})
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


def key_client(org) -> APIClient:
    from accounts.models import Role
    from accounts.scoping import OrgContext

    _key, raw = api_key_create(ctx=OrgContext(organization=org, role=Role.ADMIN), name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def session_client(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_frontline_session_lists_only_their_teams_cases_and_api_keys_see_all(loop_a):
    mine = open_case(loop_a)
    theirs = open_case(loop_a, touchpoint=loop_a.other_touchpoint)
    ids = {row["id"] for row in session_client(loop_a.frontline).get("/api/v1/cases/").json()["results"]}
    assert ids == {mine.pk}
    assert session_client(loop_a.frontline).get(f"/api/v1/cases/{theirs.pk}/").status_code == 404
    ids = {row["id"] for row in key_client(loop_a.org).get("/api/v1/cases/").json()["results"]}
    assert ids == {mine.pk, theirs.pk}


def test_list_filters(loop_a):
    open_case(loop_a)
    other = open_case(loop_a, touchpoint=loop_a.other_touchpoint)
    client = key_client(loop_a.org)
    rows = client.get("/api/v1/cases/", {"team": loop_a.other_team.pk}).json()["results"]
    assert [r["id"] for r in rows] == [other.pk]
    assert client.get("/api/v1/cases/", {"status": "open"}).json()["count"] == 2
    assert client.get("/api/v1/cases/", {"status": "closed"}).json()["count"] == 0
    assert client.get("/api/v1/cases/", {"overdue": "true"}).json()["count"] == 0
    assert client.get("/api/v1/cases/", {"unassigned": "true"}).json()["count"] == 2


def test_contact_data_is_only_serialized_with_consent(loop_a):
    case = open_case(loop_a)
    client = key_client(loop_a.org)
    customer = client.get(f"/api/v1/cases/{case.pk}/").json()["customer"]
    assert customer["email"] == loop_a.customer.email and customer["phone"] == loop_a.customer.phone
    loop_a.customer.may_contact = False
    loop_a.customer.save()
    body = client.get(f"/api/v1/cases/{case.pk}/").content.decode()
    assert loop_a.customer.email not in body and loop_a.customer.phone not in body
    customer = client.get(f"/api/v1/cases/{case.pk}/").json()["customer"]
    assert customer["email"] is None and customer["phone"] is None and customer["may_contact"] is False
    listing = client.get("/api/v1/cases/").content.decode()
    assert loop_a.customer.email not in listing
    response = client.post(
        f"/api/v1/cases/{case.pk}/contact-attempts/", {"channel": "phone", "outcome": "reached"}, format="json"
    )
    assert response.status_code == 400 and not case.contact_attempts.exists()


def test_claim_over_the_api_gives_409_with_the_holder_to_the_second(loop_a):
    case = open_case(loop_a)
    first = session_client(loop_a.frontline).post(f"/api/v1/cases/{case.pk}/claim/")
    assert first.status_code == 200 and first.json()["assignee"]["id"] == loop_a.frontline.user.pk
    second = session_client(loop_a.lead).post(f"/api/v1/cases/{case.pk}/claim/")
    assert second.status_code == 409
    assert second.json()["assignee"]["id"] == loop_a.frontline.user.pk


def test_update_root_cause_and_close_and_reopen(loop_a):
    case = open_case(loop_a)
    client = session_client(loop_a.frontline)
    client.post(f"/api/v1/cases/{case.pk}/claim/")
    late = loop_a.root_causes["late"]
    response = client.patch(
        f"/api/v1/cases/{case.pk}/",
        {"root_cause": late.pk, "resolution": "Apologised"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["root_cause"] == {"id": late.pk, "name": "Late"}
    response = client.patch(f"/api/v1/cases/{case.pk}/", {"status": "closed"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert response.json()["time_to_close_seconds"] is not None
    response = client.post(f"/api/v1/cases/{case.pk}/reopen/", {"reason": "again"}, content_type="application/json")
    assert response.json()["status"] == "reopened"
    response = client.post(
        f"/api/v1/cases/{case.pk}/close/",
        {"resolution": "Done", "root_cause": late.pk},
        content_type="application/json",
    )
    assert response.json()["status"] == "closed"
    events = client.get(f"/api/v1/cases/{case.pk}/events/").json()
    assert [e["kind"] for e in events][:2] == ["created", "claimed"]
    assert events[-1]["kind"] == "closed"


def test_close_without_a_root_cause_is_a_400(loop_a):
    case = open_case(loop_a)
    response = key_client(loop_a.org).post(f"/api/v1/cases/{case.pk}/close/", {"resolution": "x"}, format="json")
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.is_open


def test_another_organizations_root_cause_or_assignee_is_refused(loop_a, loop_b):
    case = open_case(loop_a)
    client = key_client(loop_a.org)
    response = client.patch(f"/api/v1/cases/{case.pk}/", {"root_cause": loop_b.root_causes["late"].pk}, format="json")
    assert response.status_code == 400
    response = client.patch(f"/api/v1/cases/{case.pk}/", {"assignee": loop_b.frontline.user.pk}, format="json")
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.root_cause is None and case.assignee is None


def test_executives_cannot_change_cases_over_the_api(loop_a):
    case = open_case(loop_a)
    client = session_client(loop_a.cast.executive)
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert client.post(f"/api/v1/cases/{case.pk}/claim/").status_code == 403
    assert (
        client.patch(f"/api/v1/cases/{case.pk}/", {"resolution": "x"}, content_type="application/json").status_code
        == 403
    )
    case.refresh_from_db()
    assert case.assignee is None and case.resolution == ""


def test_a_frontline_user_cannot_change_a_case_claimed_by_a_colleague(loop_a):
    case = open_case(loop_a)
    case_claim(ctx=context_for_membership(loop_a.cast.cx_manager, user=loop_a.cast.cx_manager.user), case=case)
    client = session_client(loop_a.frontline)
    response = client.patch(f"/api/v1/cases/{case.pk}/", {"resolution": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert case.events.filter(kind=CaseEvent.Kind.RESOLUTION).count() == 0


def test_improvement_actions_crud_with_expected_value(loop_a):
    client = key_client(loop_a.org)
    created = client.post(
        "/api/v1/improvement-actions/",
        {
            "title": "SMS reminder before the visit",
            "horizon": "quick_win",
            "touchpoints": [loop_a.touchpoint.pk],
            "expected_uplift": 5,
            "cost": "20000",
            "root_cause": loop_a.root_causes["late"].pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["expected_value"]["supported"] is False and body["expected_value"]["reason"]
    pk = body["id"]
    response = client.patch(f"/api/v1/improvement-actions/{pk}/", {"status": "in_progress"}, format="json")
    assert response.json()["start_date"] is not None
    response = client.patch(f"/api/v1/improvement-actions/{pk}/", {"status": "impact_measured"}, format="json")
    assert response.status_code == 400
    assert client.get("/api/v1/improvement-actions/").json()["count"] == 1
    assert client.delete(f"/api/v1/improvement-actions/{pk}/").status_code == 204
    assert not ImprovementAction.objects.exists()


def test_frontline_and_executives_read_but_do_not_write_improvement_actions(loop_a):
    for member in (loop_a.frontline, loop_a.cast.executive):
        client = session_client(member)
        assert client.get("/api/v1/improvement-actions/").status_code == 200
        response = client.post("/api/v1/improvement-actions/", {"title": "x"}, content_type="application/json")
        assert response.status_code == 403
    assert not ImprovementAction.objects.exists()


def test_root_causes_are_listed_with_their_path(loop_a, loop_b):
    rows = key_client(loop_a.org).get("/api/v1/root-causes/").json()
    paths = {r["path"] for r in rows}
    assert paths == {"Technician", "Technician › Late", "Technician › No-show"}
    assert all(r["id"] not in {rc.pk for rc in loop_b.root_causes.values()} for r in rows)


def test_an_improvement_action_is_priced_in_its_own_metric(loop_a):
    from value.models import ValueSnapshot

    ValueSnapshot.objects.create(
        organization=loop_a.org,
        status=ValueSnapshot.Status.DONE,
        computed_at=timezone.now(),
        currency="SEK",
        parameters={"metric": "nps", "measure": "nps"},
        results={
            "touchpoints": [
                {
                    "touchpoint_id": loop_a.touchpoint.pk,
                    "supported": True,
                    "value_per_point": 1000.0,
                    "low": 500.0,
                    "high": 1500.0,
                    "n_customers": 300,
                }
            ]
        },
    )
    client = key_client(loop_a.org)
    common = {"horizon": "quick_win", "touchpoints": [loop_a.touchpoint.pk], "expected_uplift": 5}
    on_nps = client.post("/api/v1/improvement-actions/", {"title": "A", **common}, format="json").json()
    assert (on_nps["metric"], on_nps["expected_value"]["value"]) == ("nps", 5000.0)
    on_csat = client.post(
        "/api/v1/improvement-actions/", {"title": "B", "metric": "csat", "measure": "top_box", **common}, format="json"
    ).json()
    assert (on_csat["metric"], on_csat["measure"]) == ("csat", "top_box")
    assert on_csat["expected_value"]["supported"] is False and on_csat["expected_value"]["value"] is None
    assert "CSAT" in on_csat["expected_value"]["reason"]
