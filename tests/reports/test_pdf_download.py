"""The report's PDF download (page and API): who may have it, in which language, and nothing across organizations."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from reports.models import MonthlyReport
from tests.reports.test_pdf import generate, header_title, last_month, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def report_a(cast_a, django_capture_on_commit_callbacks) -> MonthlyReport:
    cast_a.org.default_language = "sv"
    cast_a.org.save()
    return generate(cast_a.org, django_capture_on_commit_callbacks, month=last_month())


def api_client(membership) -> APIClient:
    _key, raw = api_key_create(ctx=context_for_membership(membership, user=membership.user), name="reports")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE])
def test_report_readers_download_the_stored_pdf_as_an_attachment(report_a, cast_a, client_for, role):
    response = client_for(cast_a.member(role)).get(reverse("reports:report_pdf", args=[report_a.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    expected = f"report-{cast_a.org.slug}-{report_a.month:%Y-%m}-v1-sv.pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{expected}"'
    assert response.content == bytes(MonthlyReport.objects.get(pk=report_a.pk).pdf)


def test_frontline_staff_and_other_organizations_get_no_pdf(report_a, cast_a, cast_b, client_for, client):
    url = reverse("reports:report_pdf", args=[report_a.pk])
    assert client_for(cast_a.frontline).get(url).status_code == 404
    for role in Role.values:
        response = client_for(cast_b.member(role)).get(url)
        assert response.status_code == 404
        assert b"%PDF" not in response.content
    assert client.get(url).status_code == 302  # to the login page


def test_a_pending_report_has_no_pdf(cast_a, client_for):
    pending = MonthlyReport.objects.create(organization=cast_a.org, month=last_month(), version=9)
    assert client_for(cast_a.executive).get(reverse("reports:report_pdf", args=[pending.pk])).status_code == 404


def test_the_pdf_in_another_language_on_request(report_a, cast_a, client_for):
    response = client_for(cast_a.executive).get(reverse("reports:report_pdf", args=[report_a.pk]) + "?lang=en")
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-v1-en.pdf"')
    _reader, pages = pdf_text(response.content)
    assert header_title(report_a, "en") in pages[0]
    assert response.content != bytes(MonthlyReport.objects.get(pk=report_a.pk).pdf)
    # An unknown language falls back to the stored PDF.
    response = client_for(cast_a.executive).get(reverse("reports:report_pdf", args=[report_a.pk]) + "?lang=xx")
    assert response.content == bytes(MonthlyReport.objects.get(pk=report_a.pk).pdf)


def test_the_api_serves_the_pdf_to_its_organizations_key_only(report_a, cast_a, cast_b):
    url = f"/api/v1/reports/{report_a.pk}/pdf/"
    response = api_client(cast_a.admin).get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == bytes(MonthlyReport.objects.get(pk=report_a.pk).pdf)
    assert api_client(cast_a.admin).get(url).status_code == 200  # no Accept header at all

    other = api_client(cast_b.admin).get(url, HTTP_ACCEPT="application/pdf")
    assert other.status_code == 404
    assert b"%PDF" not in other.content
    assert APIClient().get(url).status_code in (401, 403)


def test_the_api_pdf_follows_the_session_role(report_a, cast_a):
    client = APIClient()
    client.force_login(cast_a.frontline.user)
    assert client.get(f"/api/v1/reports/{report_a.pk}/pdf/").status_code == 404
    client.force_login(cast_a.executive.user)
    assert client.get(f"/api/v1/reports/{report_a.pk}/pdf/").status_code == 200


def test_the_pdf_endpoint_is_in_the_openapi_schema(tmp_path):
    call_command("spectacular", "--validate", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/reports/{id}/pdf/:" in schema
    block = schema.split("/api/v1/reports/{id}/pdf/:", 1)[1].split("\n  /", 1)[0]
    assert "application/pdf" in block and "format: binary" in block
