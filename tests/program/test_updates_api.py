"""The "you said, we did" API: send and read per role and key; another organization's key gets 404 / nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from program.models import CustomerUpdate, CustomerUpdateRecipient
from tests.program.test_updates_send import MESSAGES, case_for, customer, make_world, send

pytestmark = pytest.mark.django_db

LIST = "/api/v1/program/customer-updates/"


def detail(pk: int) -> str:
    return f"{LIST}{pk}/"


def session(membership) -> APIClient:
    client = APIClient()
    client.force_login(membership.user)
    return client


def key_client(cast, *, read_only: bool = False, scopes: list[str] | None = None) -> APIClient:
    _key, raw = api_key_create(
        ctx=context_for_membership(cast.admin, user=cast.admin.user), name="updates", read_only=read_only, scopes=scopes
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def world(cast_a):
    world = make_world(cast_a)
    for language in ("sv", "sv", "en"):
        case_for(world, customer(world, language=language))
    return world


def payload(world, **extra) -> dict:
    return {"action": world.action.pk, "messages": {"sv": MESSAGES["sv"], "en": MESSAGES["en"]}, **extra}


def test_a_program_key_sends_and_reads_an_update_with_its_recovery(world, cast_a):
    client = key_client(cast_a, scopes=["program"])
    response = client.post(LIST, payload(world, resurvey_after_days=21), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["recipients"] == 3 and body["sent"] == 0 and body["resurvey_after_days"] == 21
    assert body["action"] == world.action.pk and body["messages"] == {"en": MESSAGES["en"], "sv": MESSAGES["sv"]}
    recovery = body["recovery"]
    assert recovery["n"] == 0 and recovery["enough"] is False and recovery["min_pairs"] == max(world.org.min_n, 5)
    # Nobody is counted before their e-mail went out.
    assert (recovery["waiting"], recovery["pending_send"], recovery["not_sent"]) == (0, 3, 0)
    assert recovery["mean_change"] is None and recovery["comparison"]["n"] == 0
    assert body["resurvey"] == {"due": 3, "invited": 0, "not_invited": {}}
    assert body["created_by"] is None  # an API key, not a person

    listed = client.get(LIST).json()
    assert [u["id"] for u in listed["results"]] == [body["id"]]
    assert client.get(LIST, {"action": world.action.pk}).json()["count"] == 1
    assert client.get(LIST, {"action": world.action.pk + 999}).json()["count"] == 0
    one = client.get(detail(body["id"])).json()
    assert one["recovery"]["metric"] == "nps" and one["recipients"] == 3

    again = client.post(LIST, payload(world), format="json")
    assert again.status_code == 400 and "Nobody can be told" in again.json()["detail"]
    assert CustomerUpdateRecipient.objects.count() == 3


def test_the_api_refuses_a_missing_language_an_unknown_one_and_an_action_that_is_not_a_win(world, cast_a):
    client = key_client(cast_a)
    missing = client.post(LIST, {"action": world.action.pk, "messages": {"sv": "Hej"}}, format="json")
    assert missing.status_code == 400 and "Missing: English" in missing.json()["detail"]
    unknown = client.post(LIST, payload(world, messages={"sv": "a", "en": "b", "xx": "c"}), format="json")
    assert unknown.status_code == 400 and "messages" in unknown.json()
    days = client.post(LIST, payload(world, resurvey_after_days=0), format="json")
    assert days.status_code == 400 and "resurvey_after_days" in days.json()
    world.action.impact_significant = False
    world.action.save(update_fields=["impact_significant"])
    not_a_win = client.post(LIST, payload(world), format="json")
    assert not_a_win.status_code == 400 and "not a significant improvement" in not_a_win.json()["detail"]
    assert not CustomerUpdate.objects.exists()


@pytest.mark.parametrize(
    ("role", "read", "write"), [("admin", 200, 201), ("executive", 200, 403), ("frontline", 403, 403)]
)
def test_roles_read_and_send_as_on_the_pages(world, role, read, write):
    client = session(world.loop.cast.member(role))
    assert client.get(LIST).status_code == read
    assert client.post(LIST, payload(world), format="json").status_code == write


def test_a_read_only_key_reads_but_does_not_send(world, cast_a):
    update = send(world)
    client = key_client(cast_a, read_only=True)
    assert client.get(detail(update.pk)).status_code == 200
    assert client.post(LIST, payload(world), format="json").status_code == 403
    assert key_client(cast_a, scopes=["voice"]).get(LIST).status_code == 403


def test_another_organizations_key_and_members_get_404_and_nothing(world, cast_b):
    update = send(world)
    make_world(cast_b, title="Beta action")
    for client in (key_client(cast_b), session(cast_b.cx_manager)):
        assert client.get(detail(update.pk)).status_code == 404
        assert client.get(LIST).json()["results"] == []
        refused = client.post(LIST, payload(world), format="json")
        assert refused.status_code == 400 and "action" in refused.json()  # the id does not exist for them
    assert CustomerUpdate.objects.count() == 1
