"""A CX manager opens the program's health: sees the stage the program is in, the maturity profile drawn, and follows
a "Fix this" link to the page where a criterion is fixed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from program.health import services
from tests.conftest import signed_in_page
from tests.program.test_health_views import mapped_program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cx_manager_sees_the_stage_the_profile_and_follows_a_fix_link(live_server, chromium, cast_a):
    mapped_program(cast_a)
    services.health_snapshots_refresh(organization=cast_a.org)
    session = signed_in_page(chromium, live_server, cast_a.cx_manager.user, viewport={"width": 1280, "height": 900})
    page = session.page
    page.goto(live_server.url + reverse("program:health"))

    stage = page.locator("[data-testid=health-stage]")
    assert stage.inner_text().strip() == "Insight"
    page.locator("[data-testid=profile-chart] .main-svg").first.wait_for()  # plotly drew the profile
    assert page.locator("[data-testid=profile-chart] .scatterlayer .trace").count() == 4  # one line per stage
    assert page.locator("[data-testid=next-steps] li").count() == 3
    # Nothing is wider than the page at 1,280 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    row = page.locator("[data-criterion=benchmarks]")
    assert row.get_attribute("data-status") == "not_met"
    row.get_by_role("link", name="Fix this").click()
    page.wait_for_url(f"**{reverse('kpis:kpi_list')}")
    assert page.url.endswith(reverse("kpis:kpi_list"))
    page.context.close()
    assert session.errors == []


def test_the_health_pages_have_no_serious_or_critical_accessibility_violations(live_server, chromium, cast_a):
    from tests.a11y.test_axe import axe_violations, describe

    mapped_program(cast_a)
    services.health_snapshots_refresh(organization=cast_a.org)
    found = {}
    for membership in (cast_a.cx_manager, cast_a.frontline):
        session = signed_in_page(chromium, live_server, membership.user, bypass_csp=True)
        for name, url in {"health": reverse("program:health"), "settings": reverse("program:settings")}.items():
            assert session.page.goto(live_server.url + url).status == 200, name
            found[f"{name} ({membership.role})"] = axe_violations(session.page)
        session.page.context.close()
        assert session.errors == []
    blocking = {name: violations for name, violations in found.items() if violations}
    assert blocking == {}, describe(blocking)
