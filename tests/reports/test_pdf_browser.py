"""In a real browser: an executive opens the monthly report and downloads its PDF from the report page."""

from __future__ import annotations

import io
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from pypdf import PdfReader

from reports.models import MonthlyReport
from tests.reports.test_pdf import NORDIC_NAME, generate, last_month, make_org, seed_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_executive_downloads_the_report_pdf_from_the_report_page(
    live_server, chromium, django_capture_on_commit_callbacks, tmp_path
):
    org, executive = make_org()
    month = last_month()
    seed_month(org, django_capture_on_commit_callbacks, month=month)
    report = generate(org, django_capture_on_commit_callbacks, month=month)

    page = chromium.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", executive.user.username)
    page.fill("input[name=password]", "password")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)

    page.goto(f"{live_server.url}/reports/{report.pk}/")
    with page.expect_download() as download_info:
        page.click("[data-testid=pdf-link]")
    download = download_info.value
    assert download.suggested_filename == f"report-{org.slug}-{month:%Y-%m}-v1-sv.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    pdf = path.read_bytes()
    assert pdf == bytes(MonthlyReport.objects.get(pk=report.pk).pdf)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert NORDIC_NAME in text and "n=40" in text.replace(" ", "")
    with translation.override("sv"):
        assert _("This chart could not be drawn.") not in text
    assert re.search(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20\d\d\b", text)  # the chart's axis
