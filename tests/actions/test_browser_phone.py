"""Issue 13 on a phone (375 x 812, a real Chromium): the inbox's tabs and filters fit without sideways scrolling and
filter with htmx (the URL follows); the case page's call button is on the first screen; tap targets are at least
44 px; a team lead assigns cases in bulk; after closing, "next case" opens the next case of the same list."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from actions.models import FeedbackCase
from surveys.models import Response
from surveys.signals import response_processed
from tests.a11y.test_axe import axe_violations, describe
from tests.actions.conftest import build_loop, respond
from tests.conftest import _make_cast, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# bypass_csp only so the test can inject the vendored axe-core (the pages' own scripts run under the CSP as usual).
PHONE = {
    "viewport": {"width": 375, "height": 812},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "bypass_csp": True,
}

# Every control a thumb uses inside the page (the site's top bar is not part of these pages).
SMALL_TARGETS = """(selector) => [...document.querySelectorAll(selector)]
  .filter((el) => el.offsetParent !== null && !el.closest('.visually-hidden'))
  .map((el) => [el.outerHTML.slice(0, 90), el.getBoundingClientRect().height])
  .filter(([, h]) => h > 0 && h < 43.5)"""
CONTROLS = (
    "#main .btn, #main select, #main input:not([type=hidden]):not([type=checkbox]), #main textarea,"
    " #main [data-testid=inbox-tabs] .nav-link, #main .cx-select"
)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def open_case(loop, **kwargs) -> FeedbackCase:
    response = respond(loop, **{"nps": 2, "comment": "Technician was late", **kwargs})
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


@pytest.fixture
def phone_loop(db):
    loop = build_loop(_make_cast("Phone Nordic"))
    lead = loop.lead.user
    lead.first_name, lead.last_name = "Lena", "Lead"
    lead.save()
    agent = loop.frontline.user
    agent.first_name, agent.last_name = "Frida", "Frontline"
    agent.save()
    return loop


def test_inbox_filters_and_tabs_fit_a_phone_and_bulk_assign_works(live_server, chromium, phone_loop):
    loop = phone_loop
    detractor = open_case(loop, nps=1, comment="A very long comment about the router " * 5)
    other = open_case(loop, nps=5, comment="Invoice", touchpoint=loop.other_touchpoint)
    third = open_case(loop, nps=3, comment="Nobody called")
    FeedbackCase.objects.filter(pk=other.pk).update(team=loop.team)  # the lead's team, another touchpoint
    session = signed_in_page(chromium, live_server, loop.lead.user, **PHONE)
    page = session.page
    page.goto(live_server.url + reverse("actions:inbox") + "?tab=team")
    assert no_sideways_scroll(page)
    # Every tab is on the screen (none hidden off its right edge).
    for name in ("mine", "queue", "team", "closed"):
        box = page.locator(f"[data-testid=tab-{name}]").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375 and box["height"] >= 44, name
    page.click("[data-testid=filters-toggle]")
    assert no_sideways_scroll(page)
    assert page.evaluate(SMALL_TARGETS, CONTROLS) == []
    page.screenshot(path="/tmp/inbox_filters_phone.png", full_page=True)  # noqa: S108
    violations = axe_violations(page)  # filters open, bulk assignment shown
    assert violations == [], describe({"inbox": violations})

    # A filter applies with htmx and the address follows (shareable).
    with page.expect_response(lambda r: "touchpoint=" in r.url):
        page.select_option("#filter_touchpoint", str(loop.other_touchpoint.pk))
    expect(page.locator(f'[data-case="{detractor.pk}"]')).to_have_count(0)  # no string predicate: the CSP refuses eval
    assert page.locator("[data-testid=case-card]").count() == 1
    assert f"touchpoint={loop.other_touchpoint.pk}" in page.url
    # The tabs, the filter badge and "Clear filters" follow the htmx filter (out-of-band swaps): a tab keeps it.
    assert page.locator("[data-testid=filter-count]").inner_text() == "1"
    assert page.locator("[data-testid=clear-filters]").is_visible()
    page.click("[data-testid=tab-closed]")
    page.wait_for_url("**tab=closed**")
    assert f"touchpoint={loop.other_touchpoint.pk}" in page.url
    assert page.locator("[data-testid=filter-count]").inner_text() == "1"
    assert page.locator("#filter_status").count() == 0  # no status filter among closed cases
    page.goto(live_server.url + reverse("actions:inbox") + "?tab=team")

    # Bulk assignment: two cases to Frida, by her name.
    page.check("[data-testid=select-all]")  # static/js/actions.js ticks every case of the page
    assert page.locator("[data-testid=select-case]:checked").count() == 3
    page.uncheck(f"[data-case='{other.pk}'] [data-testid=select-case]")
    page.select_option("#bulk_target", label="Frida Frontline")
    page.click("[data-testid=bulk-assign-submit]")
    assert page.get_by_text("2 cases assigned.").is_visible()
    assert no_sideways_scroll(page)
    assert set(FeedbackCase.objects.filter(assignee=loop.frontline.user).values_list("pk", flat=True)) == {
        detractor.pk,
        third.pk,
    }
    assert session.errors == []


def test_the_case_page_puts_the_call_button_first_and_offers_the_next_case(live_server, chromium, phone_loop):
    loop = phone_loop
    first = open_case(loop, nps=2, comment="The technician came three hours late and left the socket unfinished. " * 4)
    second = open_case(loop, nps=4, comment="Second one")
    open_case(loop, nps=1, comment="Elsewhere", touchpoint=loop.other_touchpoint)
    session = signed_in_page(chromium, live_server, loop.frontline.user, **PHONE)
    page = session.page
    page.goto(live_server.url + reverse("actions:inbox") + f"?tab=queue&touchpoint={loop.touchpoint.pk}&sort=opened")
    page.click(f"[data-case='{first.pk}'] a")
    call = page.locator("[data-testid=call]")
    box = call.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 812 and box["height"] >= 44
    assert call.get_attribute("href") == f"tel:{loop.customer.phone}"
    assert page.locator("[data-testid=email]").get_attribute("href") == f"mailto:{loop.customer.email}"
    assert page.locator("[data-testid=last-scores]").is_visible()
    assert no_sideways_scroll(page)
    assert page.evaluate(SMALL_TARGETS, CONTROLS) == []
    page.screenshot(path="/tmp/case_top_phone.png")  # noqa: S108
    violations = axe_violations(page)
    assert violations == [], describe({"case page": violations})

    page.click("[data-testid=claim]")
    page.fill("#close_resolution", "Apologised; new visit booked.")
    page.select_option("#close_root_cause", label="Technician › Late")
    page.click("[data-testid=close]")
    assert page.get_by_text("Case closed.").is_visible()
    next_case = page.locator("[data-testid=next-case]")
    assert next_case.is_visible() and next_case.bounding_box()["height"] >= 44
    next_case.click()
    page.wait_for_url(f"**/cases/{second.pk}/**")
    # Still the same list: the back button returns to the filtered inbox.
    assert f"touchpoint%3D{loop.touchpoint.pk}" in page.url
    page.click("[data-testid=back-to-inbox]")
    assert f"touchpoint={loop.touchpoint.pk}" in page.url and "sort=opened" in page.url
    assert session.errors == []
