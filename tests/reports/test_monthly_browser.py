"""The monthly report in a real browser: an executive opens the latest report from the archive (chart drawn, no
console errors under the CSP), switches to the previous month, and the print layout hides the navigation."""

from __future__ import annotations

import pytest

from reports.models import MonthlyReport
from reports.services import report_generate
from tests.reports.monthly_helpers import MONTH, PREV, build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT = "/tmp/monthly_report.png"  # noqa: S108 (looked at by a person)


@pytest.fixture
def reports(cast_a):
    build(cast_a.org)
    previous = report_generate(organization=cast_a.org, month=PREV, trigger=MonthlyReport.Trigger.SCHEDULE)
    latest = report_generate(organization=cast_a.org, month=MONTH, trigger=MonthlyReport.Trigger.SCHEDULE)
    return latest, previous


def test_executive_opens_the_latest_report_and_switches_to_the_previous_month(live_server, chromium, cast_a, reports):
    latest, previous = reports
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", cast_a.executive.user.username)
    page.fill("input[name=password]", "password")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)

    page.goto(f"{live_server.url}/reports/")
    page.locator("[data-testid=version-link]").first.click()
    page.wait_for_url(f"**/reports/{latest.pk}/")
    body = page.locator("[data-testid=report-body]")
    headline = latest.figures["summary"]["headline"]
    assert f"n={headline['n']}" in body.locator("[data-testid=headline]").inner_text()
    assert body.locator("[data-testid=findings] li").count() == 3
    page.wait_for_selector(".report-chart[data-chart=trend] .main-svg", timeout=15000)
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible()
    assert not page.locator("[data-testid=month-switcher]").is_visible()
    assert body.is_visible()
    page.emulate_media(media="screen")

    page.click("[data-testid=previous-month]")
    page.wait_for_url(f"**/reports/{previous.pk}/")
    assert "n=" in page.locator("[data-testid=headline]").inner_text()
    assert previous.figures["month"] == "2026-09-01"
    assert errors == []
