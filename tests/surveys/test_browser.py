"""A Norwegian customer answers on a phone: invitation link, score, the follow-up appears, comment, thank-you."""

import pytest

from surveys.models import Answer, Response
from tests.factories import CustomerFactory, OrganizationFactory, TouchpointFactory
from tests.surveys.factories import make_invitation, make_survey

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_norwegian_customer_answers_an_invitation_on_a_phone(live_server, browser_page):
    org = OrganizationFactory(name="Nordlys Bredband", default_language="sv")
    tp = TouchpointFactory(stage__journey__organization=org, name="Technician visit")
    survey = make_survey(org, touchpoints=[tp], default_language="sv")
    customer = CustomerFactory(organization=org, language="nb", name="Kari Nordmann")
    invitation = make_invitation(survey, customer, touchpoint=tp, language="nb")
    page = browser_page
    requests = []
    page.on("request", lambda r: requests.append(r.url))

    page.goto(f"{live_server.url}/s/i/{invitation.token}/")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.get_by_text("Hvor sannsynlig er det at du vil anbefale Nordlys Bredband").is_visible()
    follow_up = page.locator("#q-why")
    assert follow_up.is_hidden()

    page.locator("label[for='q-nps-9']").click()
    assert follow_up.is_visible()
    page.get_by_label("Hva er den viktigste grunnen til karakteren du ga?").fill(
        "Teknikeren kom presis og var hyggelig."
    )
    page.screenshot(path="/tmp/survey_nb_phone_form.png", full_page=True)  # noqa: S108 (asked for there)
    page.get_by_role("button", name="Send").click()

    page.wait_for_url("**/thanks/**")
    assert page.get_by_role("heading", name="Takk for svaret ditt!").is_visible()
    page.screenshot(path="/tmp/survey_nb_phone.png", full_page=True)  # noqa: S108 (asked for there)

    response = Response.objects.get()
    assert (response.invitation, response.customer, response.language) == (invitation, customer, "nb")
    answers = {a.question.code: a for a in Answer.objects.filter(response=response)}
    assert answers["nps"].value == 9 and answers["why"].text == "Teknikeren kom presis og var hyggelig."
    assert all(url.startswith(live_server.url) for url in requests), requests
