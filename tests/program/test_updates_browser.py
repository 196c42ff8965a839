"""A CX manager opens a proven improvement, tells its customers what changed, and lands on the update's page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from program.models import CustomerUpdate, CustomerUpdateRecipient
from tests.conftest import signed_in_page
from tests.program.test_updates_send import case_for, customer, make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cx_manager_tells_the_customers_of_a_win_from_the_improvement_page(live_server, chromium, cast_a):
    world = make_world(cast_a)
    case_for(world, customer(world, name="Sven Svensson", language="sv"))
    case_for(world, customer(world, name="Bob Brown", language="en"))
    case_for(world, customer(world, name="Nils Nej", language="sv", may_contact=False))
    session = signed_in_page(chromium, live_server, cast_a.cx_manager.user, viewport={"width": 1280, "height": 900})
    page = session.page

    page.goto(live_server.url + reverse("actions:improvement_detail", args=[world.action.pk]))
    panel = page.locator("[data-testid=customer-updates]")
    assert "2 customers whose cases are linked to this action can be told what changed." in panel.inner_text()
    panel.get_by_role("link", name="Tell the customers").click()
    page.wait_for_url(f"**{reverse('program:improvement_tell', args=[world.action.pk])}")
    assert page.locator("[data-testid=audience-count]").inner_text() == "2"
    assert "No consent to be contacted" in page.locator("[data-testid=audience-left-out]").inner_text()

    swedish = page.get_by_label("Message in Swedish")
    assert world.action.title in swedish.input_value()  # prefilled
    swedish.fill("Du berättade om teknikerbesöket. Nu får du ett sms en timme innan.")
    page.get_by_label("Re-survey after (days)").fill("30")
    page.get_by_role("button", name="Send to 2 customers").click()

    page.get_by_text("The message is on its way to 2 customers.").wait_for()
    update = CustomerUpdate.objects.get(action=world.action)
    assert page.url.endswith(reverse("program:customer_update_detail", args=[update.pk]))
    recipients = page.locator("[data-testid=recipients]").inner_text()
    assert "Sven Svensson" in recipients and "Bob Brown" in recipients and "Nils Nej" not in recipients
    # No invitation is held for the 30 days: each re-survey is due then and decided on that day.
    assert recipients.count("Due ") == 2 and "Decided on its day, under the contact rules" in recipients
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.context.close()

    assert update.messages["sv"].startswith("Du berättade om teknikerbesöket")
    assert update.resurvey_after_days == 30
    assert CustomerUpdateRecipient.objects.filter(update=update).count() == 2
    assert session.errors == []


def test_the_update_pages_have_no_serious_or_critical_accessibility_violations(live_server, chromium, cast_a):
    from program.updates.services import customer_update_send
    from tests.a11y.test_axe import axe_violations, describe

    world = make_world(cast_a)
    case_for(world, customer(world, name="Sven Svensson", language="sv"))
    case_for(world, customer(world, name="Nils Nej", language="sv", may_contact=False))
    update = customer_update_send(ctx=world.ctx(), action=world.action, messages={"sv": "Vi har ändrat det."})
    case_for(world, customer(world, name="Bob Brown", language="en"))  # someone left to tell
    session = signed_in_page(chromium, live_server, cast_a.cx_manager.user, bypass_csp=True)
    pages = {
        "improvement page with the panel": reverse("actions:improvement_detail", args=[world.action.pk]),
        "tell the customers": reverse("program:improvement_tell", args=[world.action.pk]),
        "update": reverse("program:customer_update_detail", args=[update.pk]),
        "updates": reverse("program:customer_update_list"),
    }
    found = {}
    for name, url in pages.items():
        assert session.page.goto(live_server.url + url).status == 200, name
        found[name] = axe_violations(session.page)
    session.page.context.close()
    blocking = {name: violations for name, violations in found.items() if violations}
    assert blocking == {}, describe(blocking)
    assert session.errors == []
