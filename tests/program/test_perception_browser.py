"""An executive opens the perception-gap page in Chromium: the blind spot is named first and the dot chart is drawn."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import signed_in_page
from tests.program.test_perception_views import gap_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_executive_sees_the_blind_spot_and_the_chart(live_server, chromium, cast_a):
    world = gap_world(cast_a, frontline=True)
    session = signed_in_page(chromium, live_server, cast_a.executive.user, viewport={"width": 1280, "height": 900})
    page = session.page

    page.goto(live_server.url + reverse("program:perception_list"))
    page.get_by_role("link", name=world.leaders.survey.name).click()
    page.wait_for_url(f"**{reverse('program:perception_detail', args=[world.leaders.pk])}")

    blind = page.locator("[data-testid=blind-spot]")
    assert blind.count() == 1
    assert blind.first.inner_text().startswith("Technician visit: Leaders predict 9.0, customers give")
    assert "unlikely to be chance" in blind.first.inner_text()
    chart = page.locator("[data-testid=perception-chart]").first
    chart.locator(".main-svg").first.wait_for()  # plotly drew it
    legend = chart.locator(".legendtext").all_text_contents()
    assert legend == ["Customers (actual)", "Leaders (predicted)", "Frontline staff (predicted)"]
    row = page.locator(f"[data-testid=gap-row][data-touchpoint='{world.touchpoints[1].pk}']")
    assert row.get_attribute("data-kind") == "blind_spot"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # readable at 1,280 px
    page.context.close()
    assert session.errors == []


def test_the_perception_pages_have_no_serious_or_critical_accessibility_violations(live_server, chromium, cast_a):
    from tests.a11y.test_axe import axe_violations, describe

    world = gap_world(cast_a, frontline=True)
    session = signed_in_page(chromium, live_server, cast_a.cx_manager.user, bypass_csp=True)
    pages = {
        "list": reverse("program:perception_list"),
        "gap page": reverse("program:perception_detail", args=[world.leaders.pk]),
        "new survey": reverse("program:perception_create"),
    }
    found = {}
    for name, url in pages.items():
        assert session.page.goto(live_server.url + url).status == 200, name
        found[name] = axe_violations(session.page)
    session.page.context.close()
    blocking = {name: violations for name, violations in found.items() if violations}
    assert blocking == {}, describe(blocking)
    assert session.errors == []
