"""A CX manager on a phone-sized screen searches the comments for "faktura", sees the inflected word highlighted,
opens the theme from its chip, and accepts a proposed theme."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import signed_in_page
from tests.voice.test_views import make_voice_world
from voice.models import Theme, ThemeProposal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cx_manager_searches_comments_opens_a_theme_and_accepts_a_proposal(live_server, chromium, cast_a):
    world = make_voice_world(cast_a)
    session = signed_in_page(chromium, live_server, cast_a.cx_manager.user, viewport={"width": 375, "height": 812})
    page = session.page

    page.goto(live_server.url + reverse("voice:comment_list"))
    page.get_by_label("Search the comments").fill("faktura")
    with page.expect_response(lambda r: reverse("voice:comment_list") in r.url and "q=faktura" in r.url):
        page.get_by_role("button", name="Search").click()
    negative = page.locator(f"[data-comment='{world.negative.pk}']")
    negative.wait_for()
    assert negative.locator("mark").first.inner_text() == "Fakturan"
    assert "Negative because of: fel (\u22121.9), dyr (\u22121.2)" in negative.inner_text()
    assert "q=faktura" in page.url  # the search is in the address, so it can be shared and reloaded
    # The explorer fits a 375 px screen: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    negative.locator("[data-testid=theme-chip]").first.click()
    page.wait_for_url(f"**{reverse('voice:theme_detail', args=[world.invoice.pk])}")
    assert page.locator("[data-testid=theme-title]").inner_text().startswith("Invoice")
    page.locator("[data-testid=trend-chart] .main-svg").first.wait_for()  # plotly drew the trend

    page.goto(live_server.url + reverse("voice:proposal_list"))
    proposal = page.locator(f"[data-proposal='{world.proposal.pk}']")
    name = proposal.get_by_label("Name of the new theme")
    assert name.input_value() == "leverans paket"
    name.fill("Delayed delivery")
    proposal.get_by_role("button", name="Accept").click()
    page.get_by_text("Theme “Delayed delivery” added from the proposal.").wait_for()
    assert page.locator("[data-testid=no-proposals]").is_visible()
    page.context.close()

    theme = Theme.objects.get(organization=cast_a.org, name="Delayed delivery")
    assert theme.origin == Theme.Origin.DISCOVERED and theme.keywords["sv"][0] == "leverans"
    assert ThemeProposal.objects.get(pk=world.proposal.pk).status == ThemeProposal.Status.ACCEPTED
    assert session.errors == []


def test_the_voice_pages_have_no_serious_or_critical_accessibility_violations(live_server, chromium, cast_a):
    from tests.a11y.test_axe import axe_violations, describe

    world = make_voice_world(cast_a)
    session = signed_in_page(chromium, live_server, cast_a.cx_manager.user, bypass_csp=True)
    pages = {
        "overview": reverse("voice:overview"),
        "theme page": reverse("voice:theme_detail", args=[world.invoice.pk]),
        "explorer": reverse("voice:comment_list") + "?q=faktura",
        "taxonomy": reverse("voice:taxonomy"),
        "theme form": reverse("voice:theme_edit", args=[world.invoice.pk]),
        "proposals": reverse("voice:proposal_list"),
    }
    found = {}
    for name, url in pages.items():
        assert session.page.goto(live_server.url + url).status == 200, name
        found[name] = axe_violations(session.page)
    session.page.context.close()
    blocking = {name: violations for name, violations in found.items() if violations}
    assert blocking == {}, describe(blocking)
    assert session.errors == []
