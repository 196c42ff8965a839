"""REST API for personas, journeys, stages and touchpoints, with an API key and with a session."""

from __future__ import annotations

import pytest

from accounts.models import Role
from journeys.models import Journey, Persona, Stage, Touchpoint
from tests.factories import JourneyFactory, PersonaFactory, StageFactory, TeamFactory, TouchpointFactory
from tests.journeys.helpers import snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

API = "/api/v1"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_api_key_lists_and_retrieves_the_journey_map(api_key_client, cast_a, map_a):
    api = api_key_client(cast_a.admin)
    journeys = api.get(f"{API}/journeys/").json()["results"]
    assert journeys == [
        {
            "id": map_a.journey.pk,
            "name": map_a.journey.name,
            "description": "",
            "owner": cast_a.cx_manager.user.pk,
            "personas": [map_a.persona.pk],
            "is_archived": False,
            "created_at": journeys[0]["created_at"],
            "updated_at": journeys[0]["updated_at"],
        }
    ]
    assert ids(api.get(f"{API}/stages/", {"journey": map_a.journey.pk})) == [map_a.first.pk, map_a.second.pk]
    tp = api.get(f"{API}/touchpoints/{map_a.signup.pk}/").json()
    assert tp["journey"] == map_a.journey.pk and tp["stage"] == map_a.first.pk
    assert tp["channel"] == "web" and tp["is_moment_of_truth"] is True and tp["responsible_team"] == cast_a.team.pk
    assert ids(api.get(f"{API}/personas/")) == [map_a.persona.pk]


def test_touchpoints_are_filterable(api_key_client, cast_a, map_a):
    api = api_key_client(cast_a.cx_manager)
    other = TouchpointFactory(stage=StageFactory(journey=JourneyFactory(organization=cast_a.org)), channel="app")
    assert ids(api.get(f"{API}/touchpoints/", {"journey": map_a.journey.pk})) == [
        map_a.signup.pk,
        map_a.welcome.pk,
        map_a.first_bill.pk,
    ]
    assert ids(api.get(f"{API}/touchpoints/", {"stage": map_a.second.pk})) == [map_a.first_bill.pk]
    assert ids(api.get(f"{API}/touchpoints/", {"channel": "app"})) == [other.pk]
    assert ids(api.get(f"{API}/touchpoints/", {"is_active": "false"})) == [map_a.welcome.pk]
    assert ids(api.get(f"{API}/touchpoints/", {"is_moment_of_truth": "true"})) == [map_a.signup.pk]
    assert api.get(f"{API}/touchpoints/", {"channel": "pigeon"}).status_code == 400


def test_api_key_builds_a_journey_stage_and_touchpoint(api_key_client, cast_a):
    api = api_key_client(cast_a.admin)
    persona = api.post(f"{API}/personas/", {"name": "Commuter", "goals": "Works on the train"}, format="json").json()
    journey = api.post(
        f"{API}/journeys/",
        {"name": "Roaming abroad", "owner": cast_a.cx_manager.user.pk, "personas": [persona["id"]]},
        format="json",
    )
    assert journey.status_code == 201, journey.content
    journey_id = journey.json()["id"]
    first = api.post(f"{API}/stages/", {"journey": journey_id, "name": "Before the trip"}, format="json").json()
    second = api.post(f"{API}/stages/", {"journey": journey_id, "name": "Abroad"}, format="json").json()
    assert (first["position"], second["position"]) == (0, 1)
    response = api.post(
        f"{API}/touchpoints/",
        {
            "stage": second["id"],
            "name": "Welcome SMS",
            "channel": "sms",
            "owner": cast_a.frontline.user.pk,
            "responsible_team": cast_a.team.pk,
            "is_moment_of_truth": True,
            "pain_points": "Arrives late",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    tp = Touchpoint.objects.get(pk=response.json()["id"])
    assert response.json()["journey"] == journey_id
    assert (tp.organization, tp.journey_id, tp.stage_id, tp.position) == (cast_a.org, journey_id, second["id"], 0)
    assert tp.owner == cast_a.frontline.user and tp.responsible_team == cast_a.team and tp.is_moment_of_truth
    assert list(Journey.objects.get(pk=journey_id).personas.values_list("name", flat=True)) == ["Commuter"]


def test_updating_a_touchpoints_stage_moves_its_journey_with_it(api_key_client, cast_a, map_a):
    other = StageFactory(journey=JourneyFactory(organization=cast_a.org), name="Elsewhere")
    api = api_key_client(cast_a.cx_manager)
    response = api.patch(f"{API}/touchpoints/{map_a.welcome.pk}/", {"stage": other.pk, "priority": 80}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["journey"] == other.journey_id
    map_a.welcome.refresh_from_db()
    assert (map_a.welcome.stage, map_a.welcome.journey, map_a.welcome.priority) == (other, other.journey, 80)


def test_journey_update_sets_personas_and_owner(api_key_client, cast_a, map_a):
    new = PersonaFactory(organization=cast_a.org, name="Gamer")
    api = api_key_client(cast_a.cx_manager)
    response = api.patch(
        f"{API}/journeys/{map_a.journey.pk}/", {"personas": [new.pk], "owner": None, "name": "Join us"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["personas"] == [new.pk]
    map_a.journey.refresh_from_db()
    assert map_a.journey.name == "Join us" and map_a.journey.owner is None
    assert list(map_a.journey.personas.all()) == [new]


def test_delete_archives_journeys_and_personas_and_deactivates_touchpoints(api_key_client, cast_a, map_a):
    api = api_key_client(cast_a.cx_manager)
    assert api.delete(f"{API}/journeys/{map_a.journey.pk}/").status_code == 204
    assert api.delete(f"{API}/personas/{map_a.persona.pk}/").status_code == 204
    assert api.delete(f"{API}/touchpoints/{map_a.signup.pk}/").status_code == 204
    map_a.journey.refresh_from_db()
    map_a.persona.refresh_from_db()
    map_a.signup.refresh_from_db()
    assert map_a.journey.is_archived and map_a.persona.is_archived and not map_a.signup.is_active
    assert ids(api.get(f"{API}/journeys/", {"is_archived": "true"})) == [map_a.journey.pk]
    assert ids(api.get(f"{API}/journeys/", {"is_archived": "false"})) == []
    # Restoring is an update.
    api.patch(f"{API}/journeys/{map_a.journey.pk}/", {"is_archived": False}, format="json")
    map_a.journey.refresh_from_db()
    assert not map_a.journey.is_archived


def test_a_stage_is_deleted_only_when_empty(api_key_client, cast_a, map_a):
    api = api_key_client(cast_a.cx_manager)
    assert api.delete(f"{API}/stages/{map_a.first.pk}/").status_code == 409
    empty = StageFactory(journey=map_a.journey, position=5)
    assert api.delete(f"{API}/stages/{empty.pk}/").status_code == 204
    assert list(Stage.objects.filter(journey=map_a.journey).values_list("pk", flat=True).order_by("position")) == [
        map_a.first.pk,
        map_a.second.pk,
    ]


def test_a_stage_cannot_change_journey(api_key_client, cast_a, map_a):
    other = JourneyFactory(organization=cast_a.org)
    api = api_key_client(cast_a.cx_manager)
    response = api.patch(f"{API}/stages/{map_a.first.pk}/", {"journey": other.pk}, format="json")
    assert response.status_code == 400
    assert api.patch(f"{API}/stages/{map_a.first.pk}/", {"name": "Joining"}, format="json").status_code == 200
    map_a.first.refresh_from_db()
    assert map_a.first.journey == map_a.journey and map_a.first.name == "Joining"


def test_another_organizations_related_ids_are_rejected_with_400(api_key_client, cast_a, cast_b, map_a):
    foreign_stage = StageFactory(journey=JourneyFactory(organization=cast_b.org))
    foreign_team = TeamFactory(organization=cast_b.org)
    foreign_persona = PersonaFactory(organization=cast_b.org)
    api = api_key_client(cast_a.cx_manager)
    before = snapshot()
    attempts = [
        ("post", "/touchpoints/", {"stage": foreign_stage.pk, "name": "x"}, "stage"),
        (
            "post",
            "/touchpoints/",
            {"stage": map_a.first.pk, "name": "x", "responsible_team": foreign_team.pk},
            "responsible_team",
        ),
        ("post", "/touchpoints/", {"stage": map_a.first.pk, "name": "x", "owner": cast_b.admin.user.pk}, "owner"),
        ("patch", f"/touchpoints/{map_a.signup.pk}/", {"stage": foreign_stage.pk}, "stage"),
        ("patch", f"/touchpoints/{map_a.signup.pk}/", {"responsible_team": foreign_team.pk}, "responsible_team"),
        ("post", "/stages/", {"journey": foreign_stage.journey_id, "name": "x"}, "journey"),
        ("post", "/journeys/", {"name": "x", "personas": [foreign_persona.pk]}, "personas"),
        ("post", "/journeys/", {"name": "x", "owner": cast_b.admin.user.pk}, "owner"),
        ("patch", f"/journeys/{map_a.journey.pk}/", {"personas": [map_a.persona.pk, foreign_persona.pk]}, "personas"),
    ]
    for method, path, data, field in attempts:
        response = getattr(api, method)(API + path, data, format="json")
        assert response.status_code == 400, (path, data)
        assert field in response.json(), response.json()
    assert snapshot() == before


def test_persona_names_are_unique_within_the_organization(api_key_client, cast_a, map_a):
    api = api_key_client(cast_a.cx_manager)
    response = api.post(f"{API}/personas/", {"name": map_a.persona.name.upper()}, format="json")
    assert response.status_code == 400 and "name" in response.json()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.FRONTLINE])
def test_read_only_members_read_but_cannot_write_through_the_api(api_session_client, cast_a, map_a, role):
    api = api_session_client(cast_a.member(role))
    assert ids(api.get(f"{API}/touchpoints/")) == [map_a.signup.pk, map_a.welcome.pk, map_a.first_bill.pk]
    before = snapshot()
    writes = [
        ("post", "/personas/", {"name": "x"}),
        ("patch", f"/personas/{map_a.persona.pk}/", {"name": "x"}),
        ("delete", f"/personas/{map_a.persona.pk}/", None),
        ("post", "/journeys/", {"name": "x"}),
        ("patch", f"/journeys/{map_a.journey.pk}/", {"name": "x"}),
        ("delete", f"/journeys/{map_a.journey.pk}/", None),
        ("post", "/stages/", {"journey": map_a.journey.pk, "name": "x"}),
        ("put", f"/stages/{map_a.first.pk}/", {"journey": map_a.journey.pk, "name": "x"}),
        ("delete", f"/stages/{map_a.second.pk}/", None),
        ("post", "/touchpoints/", {"stage": map_a.first.pk, "name": "x"}),
        ("patch", f"/touchpoints/{map_a.signup.pk}/", {"name": "x"}),
        ("delete", f"/touchpoints/{map_a.signup.pk}/", None),
    ]
    for method, path, data in writes:
        assert getattr(api, method)(API + path, data, format="json").status_code == 403, path
    assert snapshot() == before


def test_cx_manager_session_can_write(api_session_client, cast_a, map_a):
    api = api_session_client(cast_a.cx_manager)
    response = api.patch(f"{API}/touchpoints/{map_a.signup.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200
    assert not Touchpoint.objects.get(pk=map_a.signup.pk).is_active


def test_anonymous_requests_are_refused(client, map_a):
    assert client.get(f"{API}/journeys/").status_code == 401
    assert client.post(f"{API}/personas/", {"name": "x"}).status_code == 401
    assert not Persona.objects.filter(name="x").exists()


def test_the_schema_documents_the_journey_endpoints(client):
    schema = client.get("/api/schema/").content.decode()
    for path in ["/api/v1/journeys/{id}/", "/api/v1/stages/", "/api/v1/touchpoints/", "/api/v1/personas/{id}/"]:
        assert path in schema
    assert "Archive the journey" in schema and "is_moment_of_truth" in schema
