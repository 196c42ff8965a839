"""The health page, its Recompute button, the program settings and the health API, per role and across
organizations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from audit.actions import HEALTH_RECOMPUTE, PROGRAM_SETTINGS_CHANGE
from audit.models import AuditEvent
from program.health import services
from program.health.months import local_today, month_start
from program.health.rules import HISTORY_MONTHS, RULES
from program.models import HealthSnapshot, ProgramSettings
from tests.program.test_health_criteria import World

pytestmark = pytest.mark.django_db

ROLES = ["admin", "cx_manager", "frontline", "executive"]
API = "/api/v1/program/health/"


def key_client(cast, **options) -> APIClient:
    _key, raw = api_key_create(ctx=context_for_membership(cast.admin, user=cast.admin.user), name="health", **options)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def mapped_program(cast) -> World:
    """A program past Engagement: one mapped journey, surveyed and owned touchpoints, an owner and a steering group."""
    world = World(cast.org, 2, min_n=1)
    for tp in world.tps:
        tp.owner = cast.cx_manager.user
        tp.save()
        world.respond(tp, timezone.now() - dt.timedelta(days=1))
    row = ProgramSettings.objects.create(organization=cast.org, owner=cast.cx_manager.user)
    row.steering_group.set([cast.admin.user, cast.executive.user])
    return world


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_health_page(cast_a, client_for, role):
    services.health_snapshots_refresh(organization=cast_a.org)
    response = client_for(cast_a.member(role)).get(reverse("program:health"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="health-stage" data-stage="engagement"' in html
    assert 'data-plotly="profile-figure"' in html
    assert html.count("data-criterion=") == len(RULES)
    assert ('data-testid="fix-link"' in html) == (role in ("admin", "cx_manager"))  # readers cannot fix
    assert ('data-testid="recompute"' in html) == (role in ("admin", "cx_manager"))
    assert len(response.context["table"]) == HISTORY_MONTHS


def test_the_page_shows_stage_blockers_next_steps_and_the_no_history_note(cast_a, client_for):
    mapped_program(cast_a)
    services.health_snapshots_refresh(organization=cast_a.org)
    response = client_for(cast_a.cx_manager).get(reverse("program:health"))
    context = response.context
    # Engagement: surveyed, owned, mapped, owner: 4 of 4 applicable (no invitations) -> reached; now in Insight.
    assert context["summary"]["stage"] == "insight" and context["summary"]["reached"] == ["engagement"]
    assert context["stage_label"] == "Insight"
    assert [b["code"] for b in context["blockers"]] and all(b["stage"] == "insight" for b in context["blockers"])
    assert len(context["next_steps"]) == 3 and context["next_steps"][0]["url"]
    html = response.content.decode()
    assert "Active touchpoints with an accountable owner: 2 of 2." in html
    assert "Touchpoint owners, Journeys mapped, Program owner and steering group" in html  # said once
    assert html.count('data-testid="today-only-note"') == 1


def test_without_a_snapshot_the_page_assesses_now_without_storing(cast_a, client_for):
    response = client_for(cast_a.executive).get(reverse("program:health"))
    assert response.status_code == 200 and response.context["current"]["stored"] is False
    assert HealthSnapshot.objects.count() == 0


def test_the_page_reads_snapshots_in_a_bounded_number_of_queries(cast_a, client_for, django_assert_max_num_queries):
    mapped_program(cast_a)
    services.health_snapshots_refresh(organization=cast_a.org)
    client = client_for(cast_a.cx_manager)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("program:health")).status_code == 200


def test_recompute_stores_this_month_and_is_audited(cast_a, client_for, django_capture_on_commit_callbacks):
    client = client_for(cast_a.cx_manager)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("program:health_recompute"))
    assert response.status_code == 302 and response.url == reverse("program:health")
    assert len(callbacks) == 1  # queued once the request commits
    assert HealthSnapshot.objects.for_org(cast_a.org).count() == HISTORY_MONTHS  # first time: the backfill
    event = AuditEvent.objects.get(organization=cast_a.org, action=HEALTH_RECOMPUTE)
    assert event.actor_id == cast_a.cx_manager.user_id
    page = client.get(reverse("program:health"))
    assert page.context["pending"] is False and page.context["current"]["stored"] is True


@pytest.mark.parametrize("role", ["frontline", "executive"])
def test_readers_cannot_recompute(cast_a, client_for, role):
    assert client_for(cast_a.member(role)).post(reverse("program:health_recompute")).status_code == 403
    assert not HealthSnapshot.objects.exists() and not AuditEvent.objects.filter(action=HEALTH_RECOMPUTE).exists()


def test_the_waiting_notice_polls_until_the_recomputation_has_stored(cast_a, client_for):
    from audit.services import audit_record

    client = client_for(cast_a.cx_manager)
    services.health_snapshots_refresh(organization=cast_a.org)
    poll = {"HTTP_HX_REQUEST": "true"}
    url = reverse("program:health") + "?poll=1"
    assert client.get(url, **poll).headers.get("HX-Refresh") == "true"  # nothing pending: refresh
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    audit_record(action=HEALTH_RECOMPUTE, ctx=ctx)  # asked, the worker has not stored yet
    assert client.get(url, **poll).status_code == 204
    assert 'data-testid="health-pending"' in client.get(reverse("program:health")).content.decode()
    services.health_snapshot_upsert(organization=cast_a.org, month=local_today(cast_a.org))
    assert client.get(url, **poll).headers.get("HX-Refresh") == "true"


# --- settings -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_settings_and_only_editors_get_the_form(cast_a, client_for, role):
    row = ProgramSettings.objects.create(organization=cast_a.org, owner=cast_a.cx_manager.user)
    row.steering_group.set([cast_a.executive.user])
    response = client_for(cast_a.member(role)).get(reverse("program:settings"))
    assert response.status_code == 200
    html = response.content.decode()
    assert ('data-testid="settings-form"' in html) == (role in ("admin", "cx_manager"))
    if role in ("frontline", "executive"):
        assert cast_a.cx_manager.user.get_username() in html and cast_a.executive.user.get_username() in html


def test_an_editor_saves_owner_and_steering_group_audited_and_health_follows(
    cast_a, client_for, django_capture_on_commit_callbacks
):
    World(cast_a.org, 1)
    data = {
        "owner": cast_a.cx_manager.user_id,
        "steering_group": [cast_a.admin.user_id, cast_a.executive.user_id],
        "steering_cadence": "Monthly, first Tuesday",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast_a.admin).post(reverse("program:settings"), data)
    assert response.status_code == 302
    row = ProgramSettings.objects.get(organization=cast_a.org)
    assert row.owner_id == cast_a.cx_manager.user_id and row.updated_by_id == cast_a.admin.user_id
    assert set(row.steering_group.values_list("pk", flat=True)) == {cast_a.admin.user_id, cast_a.executive.user_id}
    event = AuditEvent.objects.get(organization=cast_a.org, action=PROGRAM_SETTINGS_CHANGE)
    assert event.detail["changes"]["owner"] == {"old": None, "new": cast_a.cx_manager.user_id}
    assert event.detail["changes"]["steering_group"]["new"] == sorted([cast_a.admin.user_id, cast_a.executive.user_id])
    snapshot = HealthSnapshot.objects.get(organization=cast_a.org, month=month_start(local_today(cast_a.org)))
    assert next(c for c in snapshot.criteria if c["code"] == "program_owner")["status"] == "met"
    # Saving the same again changes nothing, so nothing is audited.
    client_for(cast_a.admin).post(reverse("program:settings"), data)
    assert AuditEvent.objects.filter(action=PROGRAM_SETTINGS_CHANGE).count() == 1


def test_the_settings_form_rejects_a_user_of_another_organization(cast_a, cast_b, client_for):
    client = client_for(cast_a.cx_manager)
    response = client.post(reverse("program:settings"), {"owner": cast_b.cx_manager.user_id})
    assert response.status_code == 400 and "owner" in response.context["form"].errors
    response = client.post(
        reverse("program:settings"), {"steering_group": [cast_a.admin.user_id, cast_b.admin.user_id]}
    )
    assert response.status_code == 400 and "steering_group" in response.context["form"].errors
    assert not ProgramSettings.objects.exists()
    assert cast_b.admin.user.get_username() not in client.get(reverse("program:settings")).content.decode()


def test_the_settings_service_refuses_a_non_member_too(cast_a, cast_b):
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    with pytest.raises(ValueError):
        services.program_settings_update(ctx=ctx, owner=None, steering_group=[cast_b.admin.user], steering_cadence="")


@pytest.mark.parametrize("role", ["frontline", "executive"])
def test_readers_cannot_change_the_settings(cast_a, client_for, role):
    response = client_for(cast_a.member(role)).post(reverse("program:settings"), {"owner": cast_a.admin.user_id})
    assert response.status_code == 403 and not ProgramSettings.objects.exists()


def test_another_organizations_user_sees_only_their_own_program(cast_a, cast_b, client_for):
    mapped_program(cast_a)
    services.health_snapshots_refresh(organization=cast_a.org)
    client = client_for(cast_b.admin)
    response = client.get(reverse("program:health"))
    assert response.context["summary"]["stage"] == "engagement"  # Beta's own (empty) program, not Alpha's Insight
    assert response.context["current"]["stored"] is False
    settings_page = client.get(reverse("program:settings")).content.decode()
    assert cast_a.cx_manager.user.get_username() not in settings_page
    assert cast_a.org.name not in response.content.decode() + settings_page


# --- API ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_health_api(cast_a, role):
    mapped_program(cast_a)
    services.health_snapshots_refresh(organization=cast_a.org)
    client = APIClient()
    client.force_login(cast_a.member(role).user)
    response = client.get(API)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["stage"] == "insight" and body["reached"] == ["engagement"] and body["stored"] is True
    assert [c["code"] for c in body["criteria"]] == [r.code for r in RULES]
    owners = next(c for c in body["criteria"] if c["code"] == "touchpoint_owners")
    assert owners["status"] == "met" and owners["value"] == 1 and owners["sentence"]
    assert len(body["history"]) == HISTORY_MONTHS and body["history"][-1]["month"] == body["month"]
    assert len(body["next_steps"]) == 3 and all(step["url"] for step in body["next_steps"])
    assert body["still_needed"] >= 1 and {b["code"] for b in body["blockers"]} <= {
        c["code"] for c in body["criteria"] if c["stage"] == "insight" and c["status"] == "not_met"
    }


def test_the_health_api_is_read_only(cast_a):
    client = APIClient()
    client.force_login(cast_a.executive.user)
    assert client.post(API, {}).status_code == 403
    client.force_login(cast_a.cx_manager.user)
    assert client.post(API, {}).status_code == 405


def test_an_api_key_reads_its_own_organizations_health_only(cast_a, cast_b):
    mapped_program(cast_a)
    services.health_snapshots_refresh(organization=cast_a.org)
    own = key_client(cast_a, read_only=True, scopes=["program"]).get(API)
    assert own.status_code == 200 and own.json()["stage"] == "insight"
    other = key_client(cast_b).get(API)
    assert other.status_code == 200
    assert other.json()["stage"] == "engagement" and other.json()["history"] == []
    assert key_client(cast_a, scopes=["voice"]).get(API).status_code == 403
    assert APIClient().get(API).status_code in (401, 403)
