"""Tenant isolation: members and API keys of org B get 404 or empty lists for org A's journeys, and change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from journeys import urls as journey_urls
from tests.journeys.helpers import HX, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

API = "/api/v1"


def object_urls(map_a) -> dict[str, tuple[str, dict]]:
    """Every journeys URL that names an org-A object -> (path, a valid-looking POST body)."""
    j, st, tp, pe = map_a.journey.pk, map_a.first.pk, map_a.signup.pk, map_a.persona.pk
    return {
        "journey_map": (reverse("journeys:journey_map", args=[j]), {}),
        "journey_edit": (reverse("journeys:journey_edit", args=[j]), {"name": "Hijacked"}),
        "journey_archive": (reverse("journeys:journey_archive", args=[j]), {"archived": "1"}),
        "stage_create": (reverse("journeys:stage_create", args=[j]), {"name": "Hijacked"}),
        "stage_edit": (reverse("journeys:stage_edit", args=[st]), {"name": "Hijacked"}),
        "stage_move": (reverse("journeys:stage_move", args=[st]), {"direction": "right"}),
        "stage_delete": (reverse("journeys:stage_delete", args=[map_a.second.pk]), {}),
        "touchpoint_create": (
            reverse("journeys:touchpoint_create", args=[st]),
            {"quick": "1", "name": "Hijacked", "channel": "web"},
        ),
        "touchpoint_detail": (reverse("journeys:touchpoint_detail", args=[tp]), {}),
        "touchpoint_edit": (
            reverse("journeys:touchpoint_edit", args=[tp]),
            {"stage": st, "name": "Hijacked", "channel": "web", "priority": 1},
        ),
        "touchpoint_move": (reverse("journeys:touchpoint_move", args=[tp]), {"direction": "down"}),
        "touchpoint_set_active": (reverse("journeys:touchpoint_set_active", args=[tp]), {"active": "0"}),
        "persona_edit": (reverse("journeys:persona_edit", args=[pe]), {"name": "Hijacked"}),
        "persona_archive": (reverse("journeys:persona_archive", args=[pe]), {"archived": "1"}),
    }


LIST_URLS = {"journey_list", "journey_create", "persona_list", "persona_create"}


def test_the_isolation_table_covers_every_journeys_url(map_a):
    names = {p.name for p in journey_urls.urlpatterns}
    assert names == set(object_urls(map_a)) | LIST_URLS


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CX_MANAGER])
def test_an_editor_of_another_organization_gets_404_everywhere_and_changes_nothing(
    client_for, cast_a, cast_b, map_a, role
):
    c = client_for(cast_b.member(role))
    before = snapshot()
    for name, (url, data) in object_urls(map_a).items():
        assert c.get(url).status_code in (404, 405), name
        assert c.get(url, **HX).status_code in (404, 405), name
        assert c.post(url, data).status_code == 404, name
        assert c.post(url, data, **HX).status_code == 404, name
    assert snapshot() == before


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.FRONTLINE])
def test_a_reader_of_another_organization_cannot_see_org_a_pages(client_for, cast_a, cast_b, map_a, role):
    c = client_for(cast_b.member(role))
    for name in ["journey_map", "touchpoint_detail"]:
        assert c.get(object_urls(map_a)[name][0]).status_code == 404


def test_lists_of_another_organization_do_not_show_org_a(client_for, cast_a, cast_b, map_a):
    c = client_for(cast_b.admin)
    for url in [
        reverse("journeys:journey_list"),
        reverse("journeys:journey_list") + "?archived=1",
        reverse("journeys:persona_list"),
        reverse("journeys:persona_list") + "?archived=1",
        reverse("journeys:journey_create"),
    ]:
        html = c.get(url).content.decode()
        for text in [map_a.journey.name, map_a.persona.name, cast_a.cx_manager.user.username]:
            assert text not in html, (url, text)


def test_org_a_member_sees_org_a_pages(client_for, cast_a, map_a):
    """The counterpart of the tests above: the same URLs work for the owning organization."""
    c = client_for(cast_a.cx_manager)
    for name in ["journey_map", "journey_edit", "stage_edit", "touchpoint_detail", "touchpoint_edit", "persona_edit"]:
        assert c.get(object_urls(map_a)[name][0]).status_code == 200, name


def api_paths(map_a) -> dict[str, str]:
    return {
        "personas": f"{API}/personas/{map_a.persona.pk}/",
        "journeys": f"{API}/journeys/{map_a.journey.pk}/",
        "stages": f"{API}/stages/{map_a.second.pk}/",
        "touchpoints": f"{API}/touchpoints/{map_a.signup.pk}/",
    }


@pytest.mark.parametrize("auth", ["api_key", "session"])
def test_api_clients_of_another_organization_get_empty_lists_and_404(
    api_key_client, api_session_client, cast_a, cast_b, map_a, auth
):
    api = api_key_client(cast_b.admin) if auth == "api_key" else api_session_client(cast_b.cx_manager)
    before = snapshot()
    for resource, detail in api_paths(map_a).items():
        listing = api.get(f"{API}/{resource}/")
        assert listing.status_code == 200 and listing.json()["results"] == [], resource
        assert api.get(detail).status_code == 404, resource
        assert api.patch(detail, {"name": "Hijacked"}, format="json").status_code == 404, resource
        assert api.put(detail, {"name": "Hijacked"}, format="json").status_code == 404, resource
        assert api.delete(detail).status_code == 404, resource
    for params in [{"journey": map_a.journey.pk}, {"stage": map_a.first.pk}]:
        assert api.get(f"{API}/touchpoints/", params).json()["results"] == []
    assert api.get(f"{API}/stages/", {"journey": map_a.journey.pk}).json()["results"] == []
    # Creating into org A's journey or stage is refused as if the id did not exist.
    assert api.post(f"{API}/stages/", {"journey": map_a.journey.pk, "name": "x"}, format="json").status_code == 400
    assert api.post(f"{API}/touchpoints/", {"stage": map_a.first.pk, "name": "x"}, format="json").status_code == 400
    assert snapshot() == before


def test_api_key_of_org_a_sees_org_a(api_key_client, cast_a, map_a):
    api = api_key_client(cast_a.admin)
    for resource, detail in api_paths(map_a).items():
        assert api.get(detail).status_code == 200, resource
        assert len(api.get(f"{API}/{resource}/").json()["results"]) >= 1, resource
