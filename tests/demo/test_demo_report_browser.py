"""The issue's scenario on the demo itself: the demo's executive opens the latest monthly report from the menu,
switches to the month before, and downloads that month's PDF."""

from __future__ import annotations

import datetime as dt
import io
from io import StringIO

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from accounts.models import Organization
from reports.figures import add_months, month_start
from reports.models import MonthlyReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def squeeze(text: str) -> str:
    """Without spaces (thousands separators in sv/nb/da are no-break spaces)."""
    return text.replace(" ", "").replace("\xa0", "").replace("\u202f", "")


def test_the_demo_executive_reads_this_months_report_then_last_months_pdf(live_server, chromium, tmp_path):
    call_command("seed_demo", customers=300, months=4, stdout=StringIO())
    org = Organization.objects.get(name="Nordlys Bredband AB")
    this_month = month_start(dt.date.today())  # the seed ends its history today, as seed_demo does
    latest_month, previous_month = add_months(this_month, -1), add_months(this_month, -2)
    reports = {r.month: r for r in MonthlyReport.objects.filter(organization=org).defer("pdf")}
    assert set(reports) == {latest_month, previous_month}
    assert all(r.status == MonthlyReport.Status.READY for r in reports.values())

    page = chromium.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "exec")
    page.fill("input[name=password]", "demo-password-1")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)

    # The menu's "Reports" entry leads to the newest complete month.
    page.locator("nav.navbar a.dropdown-toggle", has=page.locator("i.bi-file-earmark-bar-graph")).click()
    page.locator("nav.navbar a[href='/reports/month/']").click()
    page.wait_for_url(f"**/reports/{reports[latest_month].pk}/")
    headline = reports[latest_month].figures["summary"]["headline"]
    assert f"n={headline['n']}" in squeeze(page.locator("[data-testid=headline]").inner_text())

    page.click("[data-testid=previous-month]")
    page.wait_for_url(f"**/reports/{reports[previous_month].pk}/")
    with page.expect_download() as download_info:
        page.click("[data-testid=pdf-link]")
    path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(path)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)
    assert "Nordlys Bredband AB" in text
    assert f"n={reports[previous_month].figures['summary']['headline']['n']}" in squeeze(text)
    assert errors == []
