"""A CX manager opens the compound-failure page (chart drawn, the 3+ row in the table, filtered by journey), then
records on a billing case that the problem started at the phone sale and sees it on the case and in the Pareto."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import FeedbackCase
from actions.services.rules import alert_rules_evaluate
from tests.actions.conftest import build_loop, respond
from tests.conftest import signed_in_page
from tests.factories import CustomerFactory, StageFactory, TouchpointFactory
from tests.program.test_synergy_compound import make_synergy_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_compound_failures_page_and_origin_on_a_case(live_server, chromium, cast_a):
    world = make_synergy_world(cast_a)
    world.org.min_n = 5
    world.org.save(update_fields=["min_n"])
    tz = world.org.zone
    start = dt.datetime.combine(timezone.localdate(timezone=tz) - dt.timedelta(days=200), dt.time(12), tz)
    for i in range(8):
        c = CustomerFactory(organization=world.org)
        for k, score in enumerate([3, 2, 1, 0]):
            world.respond(c, start + dt.timedelta(days=15 * k, hours=i), touchpoint=world.touchpoints[k % 3], nps=score)
        world.respond(CustomerFactory(organization=world.org), start + dt.timedelta(hours=i), nps=9)

    loop = build_loop(cast_a)
    stage = StageFactory(organization=loop.org, journey__organization=loop.org, journey__name="Sales")
    sales = TouchpointFactory(stage=stage, name="Phone sales order")
    case = alert_rules_evaluate(
        response=respond(loop, nps=2, touchpoint=loop.other_touchpoint, comment="The invoice has the wrong price.")
    )

    session = signed_in_page(chromium, live_server, cast_a.cx_manager.user, viewport={"width": 1280, "height": 900})
    page = session.page
    page.goto(live_server.url + reverse("program:compound"))
    page.locator("[data-testid=compound-chart] .main-svg").first.wait_for()  # plotly drew the chart
    row = page.locator("[data-testid=by-response] tr[data-bucket='3+']")
    assert "8" in row.locator("td").first.inner_text() and "\u2212100.0" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.select_option("#id_journey", label=world.journeys[1].name)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**journey={world.journeys[1].pk}**")
    assert world.journeys[1].name in page.locator("[data-testid=period]").inner_text()

    page.goto(live_server.url + reverse("actions:case_detail", args=[case.pk]))
    page.select_option("#rc_origin_touchpoint", label="Phone sales order")
    page.click("[data-testid=save-root-cause]")
    page.get_by_text("Root cause saved.").wait_for()
    assert page.locator("[data-testid=origin]").inner_text().strip() == "Problem started at: Sales › Phone sales order"
    assert page.input_value("#close_origin_touchpoint") == str(sales.pk)
    page.fill("#close_resolution", "Credited the campaign price.")
    page.select_option("#close_root_cause", label="Technician › Late")
    page.click("[data-testid=close]")
    page.get_by_text("Case closed.").wait_for()

    page.goto(live_server.url + reverse("actions:analytics"))
    page.click("[data-testid=pareto-origin]")
    page.locator("[data-testid=origin-pairs]").wait_for()
    assert "Sales › Phone sales order" in page.locator("[data-testid=origin-pairs]").inner_text()
    page.locator("[data-plotly=pareto-fig] .main-svg").first.wait_for()
    page.context.close()

    case.refresh_from_db()
    assert case.status == FeedbackCase.Status.CLOSED and case.origin_touchpoint == sales
    assert session.errors == []


def test_the_synergy_pages_have_no_serious_or_critical_accessibility_violations(live_server, chromium, cast_a):
    from tests.a11y.test_axe import axe_violations, describe

    world = make_synergy_world(cast_a)
    world.org.min_n = 2
    world.org.save(update_fields=["min_n"])
    tz = world.org.zone
    start = dt.datetime.combine(timezone.localdate(timezone=tz) - dt.timedelta(days=100), dt.time(12), tz)
    customer = CustomerFactory(organization=world.org)
    for i in range(3):
        c = customer if i == 0 else CustomerFactory(organization=world.org)
        for k, score in enumerate([3, 2, 1, 8]):
            world.respond(c, start + dt.timedelta(days=15 * k, hours=i), touchpoint=world.touchpoints[k % 3], nps=score)
    loop = build_loop(cast_a)
    case = alert_rules_evaluate(response=respond(loop, nps=2, touchpoint=loop.other_touchpoint, comment="Wrong price"))

    session = signed_in_page(chromium, live_server, cast_a.cx_manager.user, bypass_csp=True)
    pages = {
        "compound failures": reverse("program:compound"),
        "touchpoint history": reverse("program:customer_history", args=[customer.pk]),
        "case page": reverse("actions:case_detail", args=[case.pk]),
        "analytics by origin": reverse("actions:analytics") + "?pareto=origin",
    }
    found = {}
    for name, url in pages.items():
        assert session.page.goto(live_server.url + url).status == 200, name
        found[name] = axe_violations(session.page)
    session.page.context.close()
    blocking = {name: violations for name, violations in found.items() if violations}
    assert blocking == {}, describe(blocking)
    assert session.errors == []
