"""The audit page and API: admins of the organization (and its API keys) see its events, filtered; no one else does."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from audit.services import audit_record
from tests.conftest import api_key_for

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

STOCKHOLM = dt.timezone(dt.timedelta(hours=1))  # Europe/Stockholm in winter


def rows(response) -> list[str]:
    return [r["data-action"] for r in _parse(response)]


def _parse(response) -> list[dict]:
    from html.parser import HTMLParser

    found: list[dict] = []

    class Rows(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("data-testid") == "audit-row":
                found.append(attrs)

    Rows().feed(response.content.decode())
    return found


@pytest.fixture
def history(cast_a, cast_b):
    """Events of org A by several actors on several days (Stockholm time), and one of org B."""
    org = cast_a.org
    at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=STOCKHOLM)
    made = {
        "view_anna": audit_record(
            action="customer.view",
            organization=org,
            user=cast_a.frontline.user,
            target_type="customers.customer",
            target_id=11,
            target_label="Anna Andersson",
            at=at,
        ),
        "export": audit_record(
            action="responses.export",
            organization=org,
            user=cast_a.executive.user,
            target_type="surveys.response",
            detail={"query": {"survey": "3"}, "part": "csv"},
            at=at + dt.timedelta(days=1),
        ),
        # 00:30 in Stockholm on the 23rd is still the 22nd in UTC: the day filter must use the organization's zone.
        "view_bo": audit_record(
            action="customer.view",
            organization=org,
            user=cast_a.cx_manager.user,
            target_type="customers.customer",
            target_id=12,
            target_label='=HYPERLINK("http://evil")',
            at=dt.datetime(2026, 11, 23, 0, 30, tzinfo=STOCKHOLM),
        ),
        "rule": audit_record(
            action="alert_rule.change",
            organization=org,
            user=cast_a.admin.user,
            target_type="actions.alertrule",
            target_id=5,
            target_label="Detractors",
            detail={"changes": {"nps_max": {"old": 6, "new": 4}}},
            at=at + dt.timedelta(days=4),
        ),
        "other_org": audit_record(
            action="customer.view",
            organization=cast_b.org,
            user=cast_b.admin.user,
            target_type="customers.customer",
            target_id=99,
            target_label="Secret Customer of B",
            at=at,
        ),
    }
    return made


def admin_client(cast) -> Client:
    c = Client()
    c.force_login(cast.admin.user)
    return c


def test_an_admin_sees_the_organizations_events_newest_first_in_its_time_zone(cast_a, history):
    response = admin_client(cast_a).get(reverse("audit:event_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert rows(response) == ["alert_rule.change", "customer.view", "responses.export", "customer.view"]
    assert "Secret Customer of B" not in page
    assert "Anna Andersson" in page and "nps_max: 6 → 4" in page
    assert 'datetime="2026-11-23T00:30:00+01:00"' in page  # shown in Stockholm time, not UTC


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "customer.view"}, ["view_bo", "view_anna"]),
        ({"action": "alert_rule."}, ["rule"]),
        ({"target_type": "surveys.response"}, ["export"]),
        ({"target_type": "customers.customer", "target_id": "11"}, ["view_anna"]),
        ({"q": "anna"}, ["view_anna"]),
        ({"q": "12"}, ["view_bo"]),
        ({"date_from": "2026-11-21", "date_to": "2026-11-22"}, ["export"]),
        ({"date_from": "2026-11-23", "date_to": "2026-11-23"}, ["view_bo"]),
    ],
)
def test_filters_narrow_the_list(cast_a, history, query, expected):
    response = admin_client(cast_a).get(reverse("audit:event_list"), query)
    assert [r["data-action"] for r in _parse(response)] == [history[k].action for k in expected]
    shown = AuditEvent.objects.filter(pk__in=[history[k].pk for k in expected])
    assert shown.count() == len(expected)


def test_the_who_filter_offers_only_the_organizations_members(cast_a, cast_b, history):
    c = admin_client(cast_a)
    response = c.get(reverse("audit:event_list"), {"actor": cast_a.executive.user.pk})
    assert rows(response) == ["responses.export"]
    foreign = c.get(reverse("audit:event_list"), {"actor": cast_b.admin.user.pk})
    assert rows(foreign) == [] and "Secret Customer of B" not in foreign.content.decode()


def test_pages_of_fifty(cast_a):
    for n in range(55):
        audit_record(action="customer.view", organization=cast_a.org, target_label=f"Customer {n:02d}")
    c = admin_client(cast_a)
    first = c.get(reverse("audit:event_list"))
    second = c.get(reverse("audit:event_list"), {"page": 2})
    assert len(_parse(first)) == 50 and len(_parse(second)) == 5
    assert "Customer 54" in first.content.decode() and "Customer 04" in second.content.decode()


def test_the_csv_export_streams_the_filtered_events_formula_safe_and_is_recorded(cast_a, history):
    c = admin_client(cast_a)
    response = c.get(reverse("audit:event_export_csv"), {"action": "customer.view"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Cache-Control"] == "no-store, private"
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    assert table[0][:3] == ["When", "Who", "Action"]
    assert [r[6] for r in table[1:]] == ['\'=HYPERLINK("http://evil")', "Anna Andersson"]
    assert table[1][0] == "2026-11-23 00:30:00+01:00"
    [export] = AuditEvent.objects.filter(organization=cast_a.org, action="audit.export")
    assert export.actor == cast_a.admin.user
    assert export.detail == {"part": "csv", "query": {"action": "customer.view"}}


@pytest.mark.parametrize("role", [Role.CX_MANAGER, Role.FRONTLINE, Role.EXECUTIVE])
def test_other_roles_are_refused_the_page_the_export_and_the_api(cast_a, history, role):
    c = Client()
    c.force_login(cast_a.member(role).user)
    assert c.get(reverse("audit:event_list")).status_code == 403
    assert c.get(reverse("audit:event_export_csv")).status_code == 403
    assert c.get("/api/v1/audit-events/").status_code == 403
    assert c.get(f"/api/v1/audit-events/{history['view_anna'].pk}/").status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_another_organizations_admin_and_api_key_see_nothing_of_this_one(cast_a, cast_b, history):
    c = admin_client(cast_b)
    page = c.get(reverse("audit:event_list"), {"q": "Anna"})
    assert page.status_code == 200 and rows(page) == []
    export = b"".join(c.get(reverse("audit:event_export_csv")).streaming_content).decode()
    assert "Anna Andersson" not in export and "Detractors" not in export
    assert c.get(f"/api/v1/audit-events/{history['view_anna'].pk}/").status_code == 404
    _key, api = api_key_for(cast_b.org)
    listed = api.get("/api/v1/audit-events/").json()["results"]
    assert {e["target_label"] for e in listed} >= {"Secret Customer of B"}
    assert not {e["target_label"] for e in listed} & {"Anna Andersson", "Detractors"}
    assert api.get(f"/api/v1/audit-events/{history['rule'].pk}/").status_code == 404


def test_the_api_lists_filters_and_pages_with_a_cursor(cast_a, history):
    _key, api = api_key_for(cast_a.org)
    everything = api.get("/api/v1/audit-events/", {"page_size": 2}).json()
    assert [e["action"] for e in everything["results"]][:2] != []
    assert everything["next"] and "cursor=" in everything["next"]
    views = api.get("/api/v1/audit-events/", {"action": "customer.view", "date_to": "2026-11-22"}).json()["results"]
    assert [(e["target_id"], e["target_label"], e["actor_label"]) for e in views] == [
        ("11", "Anna Andersson", cast_a.frontline.user.get_username())
    ]
    [rule] = api.get("/api/v1/audit-events/", {"q": "Detractors"}).json()["results"]
    assert rule["detail"] == {"changes": {"nps_max": {"old": 6, "new": 4}}}
    assert rule["action_label"] == "Changed an alert rule"
    bad = api.get("/api/v1/audit-events/", {"date_from": "2026-11-30", "date_to": "2026-11-01"})
    assert bad.status_code == 400 and "date_to" in bad.json()


def test_the_admins_session_reads_the_api_too(cast_a, history):
    c = admin_client(cast_a)
    results = c.get("/api/v1/audit-events/", {"target_type": "actions.alertrule"}).json()["results"]
    assert [e["target_label"] for e in results] == ["Detractors"]


def test_an_event_recorded_now_is_listed_today(cast_a):
    audit_record(action="customer.view", organization=cast_a.org, target_label="Today")
    today = timezone.localdate(timezone=dt.timezone(dt.timedelta(hours=1))).isoformat()
    response = admin_client(cast_a).get(reverse("audit:event_list"), {"date_from": today, "date_to": today})
    assert "Today" in response.content.decode()


def test_an_api_key_limited_to_other_areas_is_refused_and_one_with_the_audit_scope_reads(cast_a, history):
    _key, customers_only = api_key_for(cast_a.org, scopes=["customers"])
    assert customers_only.get("/api/v1/audit-events/").status_code == 403
    _key, audit_only = api_key_for(cast_a.org, scopes=["audit"], read_only=True)
    listed = audit_only.get("/api/v1/audit-events/", {"action": "alert_rule.change"})
    assert listed.status_code == 200 and [e["target_label"] for e in listed.json()["results"]] == ["Detractors"]
    assert audit_only.delete(f"/api/v1/audit-events/{history['rule'].pk}/").status_code in (403, 405)
    assert AuditEvent.objects.filter(pk=history["rule"].pk).exists()
