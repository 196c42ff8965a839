"""A CX manager opens the owner scorecards in a real browser: the index, then one owner's scorecard, then another
month. The screenshot is kept at /tmp/scorecard.png."""

import pytest
from django.urls import reverse

from tests.conftest import _make_cast
from tests.reports.test_scorecards import build_scorecard_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOT = "/tmp/scorecard.png"  # noqa: S108 (looked at by a person)


def test_cx_manager_opens_the_index_and_one_scorecard(live_server, chromium):
    sw = build_scorecard_world(_make_cast("Scorecard Telecom"))
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(live_server.url + reverse("accounts:login"))
    page.fill("input[name=username]", sw.cast.cx_manager.user.username)
    page.fill("input[name=password]", "password")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login" not in url)

    page.goto(live_server.url + reverse("reports:scorecard_index"))
    rows = page.locator("[data-testid=owner-row]")
    assert rows.count() == 2
    # The default period is the last full month: the one the world's answers are in.
    assert page.locator("select[name=month]").input_value() == sw.start.strftime("%Y-%m")
    frontline = page.locator(f"[data-testid=owner-row][data-member='{sw.cast.frontline.pk}']")
    assert frontline.locator("[data-testid=met]").inner_text() == "1"
    assert frontline.locator("[data-testid=open-actions]").inner_text() == "1"

    manager = page.locator(f"[data-testid=owner-row][data-member='{sw.cast.cx_manager.pk}']")
    assert manager.locator("[data-testid=overdue]").inner_text() == "1"
    manager.locator("a").click()
    page.wait_for_url(lambda url: f"/members/{sw.cast.cx_manager.pk}/" in url)
    assert sw.cast.cx_manager.user.username in page.locator("[data-testid=scorecard-title]").inner_text()
    touchpoint = page.locator(f"[data-testid=touchpoints] tr[data-touchpoint='{sw.bad.pk}']")
    assert touchpoint.get_attribute("data-status") in ("below", "near", "above")
    assert touchpoint.locator("[data-testid=score]").inner_text().strip() not in ("", "–")
    assert page.locator("[data-testid=kpis] [data-testid=compensation]").count() == 1
    assert page.locator("[data-testid=overdue-case]").count() == 1
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.goto(live_server.url + reverse("reports:team_leaderboard"))
    assert page.locator("[data-testid=team-row]").count() == 1
    page.go_back()

    # Another month: no answers there, so every touchpoint is below the minimum n.
    options = page.locator("select[name=month] option")
    page.select_option("select[name=month]", options.nth(1).get_attribute("value"))
    page.click("[data-testid=period-form] button[type=submit]")
    page.wait_for_url(lambda url: "month=" in url)
    assert "insufficient" in touchpoint.locator("[data-testid=score]").inner_text()
    assert errors == []
