"""An admin creates a CSAT organization in the browser: the measure select follows the chosen metric (htmx)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Membership, Organization, Role
from tests.conftest import _make_cast, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_creates_a_csat_organization_and_the_measure_follows_the_metric(live_server, chromium):
    cast = _make_cast("Browser Telecom")
    session = signed_in_page(chromium, live_server, cast.admin.user)
    page, errors = session.page, session.errors

    page.goto(live_server.url + reverse("accounts:organization_create"))
    measure = page.locator("#id_primary_measure option")
    assert measure.all_inner_texts() == ["NPS"]
    page.fill("#id_name", "Kundnöjd AB")
    page.select_option("#id_currency", "SEK")
    page.select_option("#id_timezone", "Europe/Stockholm")
    page.select_option("#id_default_language", "sv")
    page.uncheck("input[name=languages][value=da]")
    with page.expect_response(lambda r: reverse("accounts:measure_options") in r.url):
        page.select_option("#id_primary_metric", "csat")
    expect(measure).to_have_count(2)  # a locator assertion: a string predicate would need eval, which the CSP refuses
    assert measure.all_inner_texts() == ["CSAT, mean", "CSAT, top-2-box %"]
    page.select_option("#id_primary_measure", "top_box")
    page.click("[data-testid=organization-form] button[type=submit]")
    page.wait_for_load_state()
    assert page.get_by_text("Created Kundnöjd AB").is_visible()
    page.context.close()

    org = Organization.objects.get(name="Kundnöjd AB")
    assert (org.primary_metric, org.primary_measure, org.slug) == ("csat", "top_box", "kundnojd-ab")
    assert org.languages == ["sv", "nb", "en"]
    assert Membership.objects.get(organization=org).role == Role.ADMIN
    assert errors == []
