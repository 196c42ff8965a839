"""Changes to targets, alert rules, the business calendar and journey weights are recorded with old and new values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from accounts.scoping import context_for_membership
from actions.services.config import alert_rule_delete, alert_rule_save, business_calendar_save
from audit.middleware import AuditMiddleware
from audit.models import AuditEvent
from journeys.weights import touchpoint_set_score_weight
from kpis import services as kpi_services
from kpis.models import Kpi

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def events(org, prefix: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(organization=org, action__startswith=prefix).order_by("pk"))


def test_a_target_change_through_the_api_records_old_and_new_values_and_the_key(loop_a, api_key_client):
    nps = Kpi.objects.create(organization=loop_a.org, code="nps", name="NPS", kind="survey", metric="nps")
    api = api_key_client(loop_a.org)
    body = {
        "kpi": nps.pk,
        "scope": "touchpoint",
        "touchpoint": loop_a.touchpoint.pk,
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "value": 20,
    }
    target_id = api.post("/api/v1/targets/", body, format="json", REMOTE_ADDR="10.9.8.7").json()["id"]
    patched = api.patch(f"/api/v1/targets/{target_id}/", {"value": 28, "reason": "Stretch"}, format="json")
    assert patched.status_code == 200
    assert api.delete(f"/api/v1/targets/{target_id}/").status_code == 204

    created, changed, deleted = events(loop_a.org, "kpi_target.")
    assert [e.action for e in (created, changed, deleted)] == [
        "kpi_target.create",
        "kpi_target.change",
        "kpi_target.delete",
    ]
    assert {e.target_id for e in (created, changed, deleted)} == {str(target_id)}
    assert created.detail["changes"]["value"] == {"old": None, "new": 20.0}
    assert created.detail["changes"]["period_end"] == {"old": None, "new": "2026-12-31"}
    assert "note" not in created.detail["changes"] and "stage" not in created.detail["changes"]  # left empty
    assert created.ip == "10.9.8.7"
    assert changed.detail == {"kpi": nps.pk, "reason": "Stretch", "changes": {"value": {"old": 20.0, "new": 28.0}}}
    assert deleted.detail["changes"]["value"] == {"old": 28.0, "new": None}
    assert all(e.actor is None and e.actor_label.startswith("API key ") for e in (created, changed, deleted))
    assert "NPS" in changed.target_label


def test_saving_a_target_unchanged_records_nothing(loop_a):
    nps = Kpi.objects.create(organization=loop_a.org, code="nps", name="NPS", kind="survey", metric="nps")
    ctx = context_for_membership(loop_a.cast.cx_manager, user=loop_a.cast.cx_manager.user)
    year = {"period_start": dt.date(2026, 1, 1), "period_end": dt.date(2026, 12, 31)}
    target = kpi_services.target_create(ctx=ctx, kpi=nps, scope="organization", value=30, **year)
    kpi_services.target_update(ctx=ctx, target=target, value=30)
    [created] = events(loop_a.org, "kpi_target.")
    assert created.actor == loop_a.cast.cx_manager.user and created.ip is None


def test_an_alert_rule_edited_on_its_page_records_each_changed_field(loop_a, client_for):
    rule = loop_a.rule
    c = client_for(loop_a.cast.cx_manager)
    response = c.post(
        reverse("actions:rule_edit", args=[rule.pk]),
        {"name": "Detractors", "is_active": "on", "priority": 100, "nps_max": 4, "sla_hours": 24, "notify_team": "on"},
    )
    assert response.status_code == 302
    [changed] = events(loop_a.org, "alert_rule.")
    assert changed.action == "alert_rule.change"
    assert changed.detail == {
        "changes": {"nps_max": {"old": 6, "new": 4}, "sla_hours": {"old": 48, "new": 24}},
    }
    assert (changed.actor, changed.target_label) == (loop_a.cast.cx_manager.user, "Detractors")


def test_creating_and_deleting_a_rule_and_changing_the_calendar_are_recorded(loop_a):
    ctx = context_for_membership(loop_a.cast.admin, user=loop_a.cast.admin.user)
    fields = {"name": "Churn", "keywords": "cancel", "default_team": loop_a.team}
    rule = alert_rule_save(ctx=ctx, rule=None, fields=fields)
    rule_id = rule.pk
    alert_rule_delete(ctx=ctx, rule=rule)
    created, deleted = events(loop_a.org, "alert_rule.")
    assert created.action == "alert_rule.create" and created.target_id == deleted.target_id == str(rule_id)
    assert created.detail["changes"]["keywords"] == {"old": None, "new": "cancel"}
    assert created.detail["changes"]["default_team"] == {"old": None, "new": loop_a.team.pk}
    assert deleted.detail["changes"]["name"] == {"old": "Churn", "new": None}

    business_calendar_save(ctx=ctx, working_days=[0, 1, 2, 3, 4], day_start=dt.time(8), day_end=dt.time(17))
    business_calendar_save(ctx=ctx, working_days=[0, 1, 2, 3], day_start=dt.time(8), day_end=dt.time(16))
    business_calendar_save(ctx=ctx, working_days=[0, 1, 2, 3], day_start=dt.time(8), day_end=dt.time(16))
    first, second = events(loop_a.org, "business_calendar.")
    assert first.detail["changes"]["day_end"] == {"old": None, "new": "17:00:00"}
    assert second.detail["changes"] == {
        "working_days": {"old": [0, 1, 2, 3, 4], "new": [0, 1, 2, 3]},
        "day_end": {"old": "17:00:00", "new": "16:00:00"},
    }


def test_a_weight_changed_during_a_request_names_the_requests_user_and_address(loop_a):
    touchpoint, admin = loop_a.touchpoint, loop_a.cast.admin
    request = RequestFactory().post("/journeys/", REMOTE_ADDR="10.0.0.5")
    request.user = admin.user
    request.org = context_for_membership(admin, user=admin.user)

    def view(request):
        touchpoint_set_score_weight(touchpoint=touchpoint, weight=2.5)
        return HttpResponse()

    AuditMiddleware(view)(request)
    touchpoint_set_score_weight(touchpoint=touchpoint, weight=2.5)  # unchanged: nothing recorded
    touchpoint_set_score_weight(touchpoint=touchpoint, weight=None)  # outside a request: "system"
    in_request, outside = events(loop_a.org, "touchpoint.")
    assert (in_request.actor, in_request.ip) == (admin.user, "10.0.0.5")
    assert in_request.detail["changes"] == {"score_weight": {"old": None, "new": 2.5}}
    assert (outside.actor, outside.actor_label, outside.ip) == (None, "system", None)
    assert outside.detail["changes"] == {"score_weight": {"old": 2.5, "new": None}}
