"""The journey map with its scores in the system Chromium at 1,280 px: every card shows score, n, target and status,
nothing overflows the page, and the links lead to the touchpoint dashboard and the gap dashboard."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kpis import rollups
from kpis.models import Kpi, Target
from tests.conftest import signed_in_page
from tests.kpis.conftest import make_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = timezone.localdate()
SCREENSHOT = "/tmp/journey_map_scores.png"  # noqa: S108 (looked at by a person)


def test_journey_map_with_scores_at_1280_px(chromium, live_server, cast_a):
    world = make_world(cast_a.org)
    good, bad, thin = world.touchpoints
    good.name = "Technician visit with installation of the fibre router and the TV box"
    good.save(update_fields=["name"])
    made = []
    for i in range(40):
        day = TODAY - dt.timedelta(days=i % 50)
        made.append(world.respond(good, day, nps=[10, 9, 9, 7][i % 4], process=False))
        made.append(world.respond(bad, day, nps=[3, 6, 9, 5][i % 4], process=False))
    made.append(world.respond(thin, TODAY, nps=10, process=False))
    rollups.mark_dirty_for_responses(r.pk for r in made)
    rollups.aggregate_dirty()
    kpi = Kpi.objects.create(organization=cast_a.org, code="nps", name="NPS", kind="survey", metric="nps")
    for tp, value in ((good, 30), (bad, 10)):
        Target.objects.create(
            organization=cast_a.org,
            kpi=kpi,
            scope="touchpoint",
            touchpoint=tp,
            journey=tp.journey,
            period_start=TODAY - dt.timedelta(days=200),
            period_end=TODAY + dt.timedelta(days=30),
            value=value,
        )

    session = signed_in_page(chromium, live_server, cast_a.executive.user, viewport={"width": 1280, "height": 900})
    page = session.page
    try:
        page.goto(live_server.url + reverse("journeys:journey_map", args=[world.journey.pk]))
        cards = page.locator("[data-testid=touchpoint-score]")
        cards.first.wait_for()
        assert cards.count() == 3
        good_card = page.locator(f'article[data-touchpoint-id="{good.pk}"]')
        assert good_card.get_attribute("data-status") == "above"
        assert good_card.get_by_test_id("tp-score").inner_text() == "+75"
        assert good_card.get_by_test_id("tp-n").inner_text() == "n=40"
        assert good_card.get_by_test_id("tp-target").inner_text() == "Target: +30"
        assert good_card.get_by_test_id("tp-status").inner_text() == "Target met"
        bad_card = page.locator(f'article[data-touchpoint-id="{bad.pk}"]')
        assert bad_card.get_attribute("data-status") == "below"
        assert bad_card.get_by_test_id("tp-score").inner_text() == "\u221250"
        thin_card = page.locator(f'article[data-touchpoint-id="{thin.pk}"]')
        assert thin_card.get_by_test_id("tp-status").inner_text().startswith("Too few responses (1 of ")
        for card in (good_card, bad_card, thin_card):
            for link in ("tp-dashboard-link", "tp-surveys-link", "tp-cases-link"):
                assert card.get_by_test_id(link).is_visible()
        # Nothing sticks out of the page at 1,280 px (the map scrolls inside itself if it must).
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        # The links of a card stay inside it.
        card_box = good_card.bounding_box()
        for link in ("tp-dashboard-link", "tp-surveys-link", "tp-cases-link"):
            box = good_card.get_by_test_id(link).bounding_box()
            assert box["x"] >= card_box["x"] and box["x"] + box["width"] <= card_box["x"] + card_box["width"] + 0.5
        page.screenshot(path=SCREENSHOT, full_page=True)

        good_card.get_by_test_id("tp-dashboard-link").click()
        page.wait_for_url(f"**{reverse('kpis:touchpoint_dashboard', args=[good.pk])}")
        page.get_by_test_id("touchpoint-score").wait_for()
        page.go_back()
        page.get_by_test_id("gap-dashboard-link").click()
        page.wait_for_url(f"**{reverse('kpis:journey_dashboard')}?journey={world.journey.pk}")
        page.get_by_test_id("gap-chart").wait_for()
        assert session.errors == []
    finally:
        page.context.close()
