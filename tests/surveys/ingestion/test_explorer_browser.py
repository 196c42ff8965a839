"""In the browser (issue 13): a CX manager narrows the explorer, sees the totals and score of the set, saves the
filters, applies them again later; copies a survey's public link; finds a touchpoint by searching."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from surveys.distribution.services import link_url, survey_links_ensure
from surveys.ingestion.services import response_submit
from surveys.models import SavedFilter
from tests.conftest import _make_cast, signed_in_page
from tests.factories import JourneyFactory, StageFactory, TouchpointFactory
from tests.surveys.ingestion.conftest import make_program

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def prog():
    prog = make_program(_make_cast("Explorer Telecom"))
    prog.org.min_n = 1
    prog.org.save(update_fields=["min_n"])
    for nps in (10, 9, 2, 3, 6):
        response_submit(
            organization=prog.org,
            survey=prog.survey,
            version=prog.survey.current_version,
            answers={"nps": nps},
            touchpoint=prog.touchpoint,
            language="en",
            submitted_at=dt.datetime(2026, 5, 10, 12, tzinfo=dt.UTC),
        )
    return prog


def test_a_cx_manager_saves_a_filter_and_applies_it_again(live_server, chromium, prog):
    session = signed_in_page(chromium, live_server, prog.cast.cx_manager.user, locale="en-GB")
    page, errors = session.page, session.errors
    explorer = live_server.url + reverse("surveys:response_list")

    page.goto(explorer)
    expect(page.get_by_test_id("total")).to_contain_text("5")
    expect(page.get_by_test_id("score-value")).to_have_text("\u221220")  # 2 promoters, 3 detractors of 5
    expect(page.get_by_test_id("save-filter")).to_have_count(0)  # nothing to save without a filter

    page.locator("summary", has_text="Filters").click()
    with page.expect_response(lambda r: "band=detractor" in r.url):
        page.select_option("#id_band", "detractor")
    expect(page.get_by_test_id("response-row")).to_have_count(3)
    expect(page.get_by_test_id("total")).to_contain_text("3")
    expect(page.get_by_test_id("score-value")).to_have_text("\u2212100")

    page.get_by_label("Name of the saved filter").fill("Detractors")
    page.get_by_label("Share with the organization").check()
    page.get_by_role("button", name="Save filter").click()
    page.wait_for_url("**band=detractor**")
    expect(page.get_by_role("alert")).to_contain_text("Filter “Detractors” saved.")
    saved = SavedFilter.objects.get()
    assert (saved.name, saved.query, saved.shared) == ("Detractors", "band=detractor", True)

    page.goto(explorer)
    expect(page.get_by_test_id("response-row")).to_have_count(5)
    page.get_by_test_id("saved-filters").get_by_role("link", name="Detractors").click()
    page.wait_for_url("**/responses/?band=detractor")
    expect(page.get_by_test_id("response-row")).to_have_count(3)
    expect(page.locator("#id_band")).to_have_value("detractor")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete the saved filter Detractors").click()
    expect(page.get_by_role("alert")).to_contain_text("Filter “Detractors” deleted.")
    expect(page.get_by_test_id("saved-filters")).to_have_count(0)
    assert not SavedFilter.objects.exists()
    page.context.close()
    assert errors == []


def test_the_copy_button_puts_the_public_link_on_the_clipboard(live_server, chromium, prog):
    link = survey_links_ensure(survey=prog.survey)[0]
    url = link_url(link)
    links_page = live_server.url + reverse("surveys:survey_links", args=[prog.survey.pk])

    session = signed_in_page(
        chromium,
        live_server,
        prog.cast.executive.user,
        locale="en-GB",
        permissions=["clipboard-read", "clipboard-write"],
    )
    page, errors = session.page, session.errors
    page.goto(links_page)
    button = page.get_by_role("button", name="Copy link")
    expect(button).to_be_visible()
    button.click()
    expect(page.get_by_role("status").first).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == url
    page.context.close()
    assert errors == []


def test_without_the_clipboard_api_the_link_is_selected_for_copying(live_server, chromium, prog):
    survey_links_ensure(survey=prog.survey)
    links_page = live_server.url + reverse("surveys:survey_links", args=[prog.survey.pk])
    session = signed_in_page(chromium, live_server, prog.cast.executive.user, locale="en-GB")
    page, errors = session.page, session.errors
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined});")
    page.goto(links_page)
    page.get_by_role("button", name="Copy link").click()
    status = page.get_by_role("status").first
    expect(status).not_to_have_text("")
    field = page.locator("input[id^=link-]").first
    selected = field.evaluate("el => [document.activeElement === el, el.selectionStart, el.selectionEnd]")
    assert selected == [True, 0, len(field.input_value())]
    page.context.close()
    assert errors == []


def test_a_touchpoint_is_found_by_searching_instead_of_scrolling(live_server, chromium, prog):
    for journey_name in ("Moving", "Billing", "Repair", "Onboarding"):
        stage = StageFactory(journey=JourneyFactory(organization=prog.org, name=journey_name), name="Visit")
        for i in range(8):
            TouchpointFactory(stage=stage, name=f"{journey_name} step {i}")
    session = signed_in_page(chromium, live_server, prog.cast.cx_manager.user, locale="en-GB")
    page, errors = session.page, session.errors
    page.goto(live_server.url + reverse("surveys:survey_create"))
    options = page.get_by_test_id("touchpoint-options")
    expect(options.locator("input[type=checkbox]:visible")).to_have_count(34)  # 32 + the program's two
    page.get_by_label("Name", exact=True).fill("Invoice survey")
    page.get_by_label("Billing step 3").check()
    page.get_by_test_id("touchpoint-search").fill("repair 5")
    expect(options.locator("input[type=checkbox]:visible")).to_have_count(2)  # the match and the ticked one
    expect(options.locator("legend:visible")).to_have_text(["Billing", "Repair"])
    page.get_by_test_id("touchpoint-search").press("Enter")  # searching never submits the form
    page.get_by_label("Repair step 5").check()
    page.get_by_test_id("touchpoint-search").fill("nothing like this")
    expect(options.get_by_text("No touchpoint matches the search.")).to_be_visible()
    page.get_by_test_id("touchpoint-search").fill("")
    expect(options.locator("input[type=checkbox]:visible")).to_have_count(34)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/surveys/\d+/$"))  # not /surveys/new/, where the page already is
    survey = prog.survey.__class__.objects.get(name="Invoice survey")
    assert sorted(survey.touchpoints.values_list("name", flat=True)) == ["Billing step 3", "Repair step 5"]
    page.context.close()
    assert errors == []
