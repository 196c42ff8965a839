"""Monthly report pages and API: archive, report page from the snapshot, month switcher, generate on demand with
the pending state, versions and what changed; who may see them, and nothing of another organization."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reports.models import MonthlyReport
from reports.services import report_generate
from tests.reports.monthly_helpers import MONTH, PREV, build, late_answers

pytestmark = pytest.mark.django_db

READERS = ["admin", "cx_manager", "executive"]


@pytest.fixture
def rw(cast_a):
    return build(cast_a.org)


@pytest.fixture
def report(cast_a, rw):
    return report_generate(organization=cast_a.org, month=MONTH, trigger=MonthlyReport.Trigger.SCHEDULE)


def _detail(report):
    return reverse("reports:report_detail", args=[report.pk])


@pytest.mark.parametrize("role", READERS)
def test_readers_see_the_archive_and_the_report(client_for, cast_a, report, role):
    c = client_for(cast_a.member(role))
    archive = c.get(reverse("reports:archive"))
    assert archive.status_code == 200
    assert _detail(report).encode() in archive.content
    page = c.get(_detail(report))
    assert page.status_code == 200
    assert b'data-testid="report-body"' in page.content
    assert b'id="report-chart-trend"' in page.content  # the chart's figure for charts.js (json_script)


@pytest.mark.parametrize("name,args", [("reports:archive", []), ("reports:report_detail", None), ("reports:month", [])])
def test_frontline_staff_get_no_report(client_for, cast_a, report, name, args):
    url = reverse(name, args=[report.pk] if args is None else args)
    assert client_for(cast_a.frontline).get(url).status_code == 403
    response = client_for(cast_a.frontline).post(reverse("reports:generate"), {"month": "2026-10"})
    assert response.status_code == 403
    assert MonthlyReport.objects.count() == 1


def test_another_organizations_report_is_not_found(client_for, cast_a, cast_b, report, rw):
    c = client_for(cast_b.admin)
    for name in ("reports:report_detail", "reports:report_status", "reports:report_changes"):
        assert c.get(reverse(name, args=[report.pk])).status_code == 404
    assert cast_a.org.name.encode() not in c.get(reverse("reports:archive")).content
    response = c.post(reverse("reports:generate"), {"month": "2026-10", "journey": rw.world.journey.pk})
    assert response.status_code == 404
    assert not MonthlyReport.objects.filter(organization=cast_b.org).exists()


def test_the_page_reads_the_snapshot_not_the_live_figures(
    client_for, cast_a, rw, report, django_assert_max_num_queries
):
    n_before = report.figures["summary"]["headline"]["n"]
    late_answers(rw)
    c = client_for(cast_a.executive)
    with django_assert_max_num_queries(12):
        page = c.get(_detail(report))
    assert f"n={n_before}".encode() in page.content
    assert f"n={n_before + 30}".encode() not in page.content


def test_the_page_renders_in_the_users_language_from_the_same_snapshot(client_for, cast_a, report):
    c = client_for(cast_a.executive)
    english = c.get(_detail(report), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Monthly CX report" in english
    assert report.language == cast_a.org.default_language


def test_month_switcher_goes_to_the_latest_version_of_the_previous_month(client_for, cast_a, report):
    older = report_generate(organization=cast_a.org, month=PREV, trigger=MonthlyReport.Trigger.ON_DEMAND)
    newer = report_generate(organization=cast_a.org, month=PREV, trigger=MonthlyReport.Trigger.ON_DEMAND)
    c = client_for(cast_a.executive)
    page = c.get(_detail(report)).content.decode()
    prev_url = reverse("reports:month") + "?month=2026-09"
    assert prev_url in page
    response = c.get(prev_url)
    assert response.status_code == 302 and response.url == _detail(newer)
    assert older.version == 1 and newer.version == 2
    empty = c.get(reverse("reports:month") + "?month=2026-05")
    assert empty.status_code == 200 and b'data-testid="generate-form"' in empty.content


def test_generate_on_demand_runs_as_a_task_and_the_page_polls_until_ready(
    client_for, cast_a, rw, django_capture_on_commit_callbacks
):
    c = client_for(cast_a.cx_manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = c.post(reverse("reports:generate"), {"month": "2026-10", "journey": rw.world.journey.pk})
    report = MonthlyReport.objects.get()
    assert response.status_code == 302 and response.url == _detail(report)
    assert report.status == MonthlyReport.Status.PENDING and report.journey == rw.world.journey
    assert report.created_by == cast_a.cx_manager.user
    pending = c.get(_detail(report))
    assert b'data-testid="report-pending"' in pending.content
    assert b"hx-trigger" in pending.content
    poll = c.get(reverse("reports:report_status", args=[report.pk]), HTTP_HX_REQUEST="true")
    assert b'data-testid="report-pending"' in poll.content
    for callback in callbacks:  # the commit: the task runs (eagerly in tests)
        callback()
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.READY
    poll = c.get(reverse("reports:report_status", args=[report.pk]), HTTP_HX_REQUEST="true")
    assert poll.headers.get("HX-Refresh") == "true"


def test_generate_refuses_the_current_month(client_for, cast_a):
    response = client_for(cast_a.executive).post(reverse("reports:generate"), {"month": "2099-01"})
    assert response.status_code == 302 and response.url == reverse("reports:archive")
    assert not MonthlyReport.objects.exists()


def test_versions_and_what_changed_between_them(client_for, cast_a, rw, report):
    late_answers(rw)
    v2 = report_generate(organization=cast_a.org, month=MONTH, trigger=MonthlyReport.Trigger.ON_DEMAND)
    assert v2.version == 2
    c = client_for(cast_a.executive)
    page = c.get(_detail(v2)).content.decode()
    assert reverse("reports:report_changes", args=[v2.pk]) in page
    changes = c.get(reverse("reports:report_changes", args=[v2.pk]))
    rows = changes.context["rows"]
    changed = {r.label: r for r in rows if r.changed}
    name = cast_a.org.name
    assert changed[f"{name}: n"].before + 30 == changed[f"{name}: n"].after
    assert changed["Responses"].delta == 30
    assert "Detractors" in changed
    assert b'data-changed="1"' in changes.content
    # the other direction, chosen explicitly
    back = c.get(reverse("reports:report_changes", args=[report.pk]), {"from": v2.pk})
    assert {r.label for r in back.context["rows"] if r.changed} == set(changed)


def test_pdf_link_only_when_a_pdf_is_stored(client_for, cast_a, report):
    c = client_for(cast_a.executive)
    assert b'data-testid="pdf-link"' not in c.get(_detail(report)).content
    MonthlyReport.objects.filter(pk=report.pk).update(pdf=b"%PDF-1.7 stored by the PDF step")
    page = c.get(_detail(report))
    assert reverse("reports:report_pdf", args=[report.pk]).encode() in page.content
    assert b"stored by the PDF step" not in page.content


# -- API ----------------------------------------------------------------------------------------------------------


def _api_client(org):
    from rest_framework.test import APIClient

    from accounts.models import Membership, Role
    from accounts.scoping import context_for_membership
    from accounts.services import api_key_create

    admin = Membership.objects.filter(organization=org, role=Role.ADMIN).select_related("user").first()
    _key, raw = api_key_create(ctx=context_for_membership(admin, user=admin.user), name="report test key")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def test_api_lists_reports_and_returns_one_reports_figures(cast_a, report):
    api = _api_client(cast_a.org)
    listing = api.get("/api/v1/reports/").json()
    assert [r["id"] for r in listing["results"]] == [report.pk]
    assert listing["results"][0]["month"] == "2026-10-01"
    assert "figures" not in listing["results"][0]
    assert api.get("/api/v1/reports/", {"month": "2026-09"}).json()["results"] == []
    detail = api.get(f"/api/v1/reports/{report.pk}/").json()
    assert detail["figures"]["summary"]["headline"] == report.figures["summary"]["headline"]
    assert detail["has_pdf"] is False


def test_api_gives_another_organization_nothing(cast_a, cast_b, report):
    api = _api_client(cast_b.org)
    assert api.get("/api/v1/reports/").json()["results"] == []
    assert api.get(f"/api/v1/reports/{report.pk}/").status_code == 404


def test_api_session_roles(cast_a, report):
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_login(cast_a.frontline.user)
    assert c.get("/api/v1/reports/").status_code == 404
    c.force_login(cast_a.executive.user)
    assert c.get(f"/api/v1/reports/{report.pk}/").status_code == 200
    assert c.delete(f"/api/v1/reports/{report.pk}/").status_code in (403, 405)


def test_the_report_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/reports/{id}/" in schema
