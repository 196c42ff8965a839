"""Survey pages, issue 13: response rates per survey and per invitation batch, the copy-link button, touchpoints
grouped by journey with a search box, and an honest translation badge for a survey without questions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from surveys.builder import selectors as builder_selectors
from surveys.distribution import selectors as distribution_selectors
from surveys.ingestion.services import response_submit
from surveys.models import Invitation, Survey
from tests.factories import CustomerFactory, JourneyFactory, StageFactory, TouchpointFactory
from tests.surveys.factories import admin_ctx, make_invitation, make_survey

pytestmark = pytest.mark.django_db


def answer(invitation: Invitation, nps: int = 9) -> None:
    survey = invitation.survey
    response_submit(
        organization=survey.organization,
        survey=survey,
        version=survey.current_version,
        answers={"nps": nps},
        touchpoint=invitation.touchpoint,
        customer=invitation.customer,
        invitation=invitation,
        language="en",
    )


@pytest.fixture
def invited(cast_a, survey_a, tp_a):
    """Survey A: 4 e-mails sent at tp_a (3 answered), 1 held and unsent, 2 API invitations without touchpoint
    (none answered)."""
    org = cast_a.org
    sent = [make_invitation(survey_a, CustomerFactory(organization=org), touchpoint=tp_a) for _ in range(4)]
    for invitation in sent[:3]:
        answer(invitation)
    make_invitation(survey_a, CustomerFactory(organization=org), touchpoint=tp_a, sent_at=None)
    for _ in range(2):
        make_invitation(survey_a, CustomerFactory(organization=org), channel=Invitation.Channel.API)
    return survey_a


# -- response rates ---------------------------------------------------------------------------------------------


def test_response_rates_count_sent_invitations_and_their_responses(cast_a, invited, tp_a):
    ctx = admin_ctx(cast_a.org)
    rate = distribution_selectors.survey_response_rate(ctx=ctx, survey=invited)
    assert (rate.sent, rate.responses, rate.rate) == (6, 3, 50.0)
    groups = distribution_selectors.response_rates_by_group(ctx=ctx, survey=invited)
    assert [(g.touchpoint_name, g.channel, g.rate.sent, g.rate.responses) for g in groups] == [
        ("Technician visit", "email", 4, 3),
        ("", "api", 2, 0),
    ]
    assert distribution_selectors.ResponseRate().rate is None  # nothing sent: no rate, not 0 %


def test_the_survey_list_shows_each_surveys_response_rate(client_for, cast_a, invited, tp_a):
    quiet = make_survey(cast_a.org, touchpoints=[tp_a], name="Quiet survey")
    with translation.override("en"):
        page = client_for(cast_a.executive).get(reverse("surveys:survey_list")).content.decode()
    rows = dict(re.findall(r'<a href="/surveys/(\d+)/">.*?data-testid="response-rate"(.*?)</td>', page, re.S))
    assert "<strong>50&nbsp;%</strong>" in rows[str(invited.pk)] and "3 of 6 invited" in rows[str(invited.pk)]
    assert "—" in rows[str(quiet.pk)]


def test_the_survey_pages_and_the_invitations_page_show_the_rate(client_for, cast_a, invited):
    c = client_for(cast_a.cx_manager)
    for name in ("survey_detail", "survey_links", "invitation_list"):
        page = c.get(reverse(f"surveys:{name}", args=[invited.pk])).content.decode()
        assert "Response rate" in page and "<strong>50&nbsp;%</strong>" in page, name
    page = c.get(reverse("surveys:invitation_list", args=[invited.pk])).content.decode()
    rows = re.findall(r'<tr data-testid="rate-group">(.*?)</tr>', page, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in rows]
    assert cells == [["Technician visit", "E-mail", "4", "3", "75&nbsp;%"], ["—", "API event", "2", "0", "0&nbsp;%"]]


def test_another_organization_sees_none_of_the_rates(client_for, cast_b, invited, survey_b):
    c = client_for(cast_b.admin)
    assert c.get(reverse("surveys:invitation_list", args=[invited.pk])).status_code == 404
    page = c.get(reverse("surveys:survey_list")).content.decode()
    assert "3 of 6 invited" not in page and invited.name not in page.replace(survey_b.name, "")
    own = c.get(reverse("surveys:invitation_list", args=[survey_b.pk])).content.decode()
    assert 'data-testid="rate-group"' not in own


# -- copy link ----------------------------------------------------------------------------------------------------


def test_each_active_link_has_an_accessible_copy_button(client_for, cast_a, survey_a):
    page = client_for(cast_a.executive).get(reverse("surveys:survey_links", args=[survey_a.pk])).content.decode()
    link = survey_a.links.get(is_active=True)
    button = re.search(rf'<button[^>]*data-copy="link-{link.pk}"[^>]*>', page)[0]
    # Hidden until the script runs (without JavaScript the read-only field selects all on a click).
    assert " hidden" in button and 'data-copied-text="Copied"' in button
    assert f'data-copy-done="link-{link.pk}-copied"' in button
    assert f'<p class="small text-success mb-2" id="link-{link.pk}-copied" role="status" aria-live="polite"' in page
    assert "Copy link" in page and "js/explorer" in page


# -- touchpoints by journey -------------------------------------------------------------------------------------


@pytest.fixture
def many_touchpoints(cast_a):
    """32 touchpoints in four journeys (the settings page used to show them as 32 bare checkboxes)."""
    touchpoints = []
    for j, journey_name in enumerate(["Moving", "Billing", "Repair", "Onboarding"]):
        journey = JourneyFactory(organization=cast_a.org, name=journey_name)
        stage = StageFactory(journey=journey, name=f"Stage {journey_name}")
        touchpoints += [TouchpointFactory(stage=stage, name=f"{journey_name} step {i}") for i in range(8)]
        assert j < 4
    return touchpoints


def test_the_touchpoints_are_grouped_by_journey_with_a_search_box(client_for, cast_a, many_touchpoints):
    page = client_for(cast_a.cx_manager).get(reverse("surveys:survey_create")).content.decode()
    groups = re.findall(r"<fieldset class=\"mb-2\" data-option-group>\s*<legend[^>]*>([^<]+)</legend>", page)
    assert groups == ["Billing", "Moving", "Onboarding", "Repair"]  # journeys in alphabetical order
    assert page.count('name="touchpoints"') == 32
    assert 'data-search="Billing Stage Billing Billing step 0"' in page
    # The search box is shown by the script only: without JavaScript this is a plain list of checkboxes.
    assert re.search(r'<div class="mb-2" data-option-filter-wrapper hidden>', page)
    assert 'data-option-filter="touchpoint-options"' in page and 'id="touchpoint-options"' in page
    assert "Search touchpoints" in page


def test_the_grouped_touchpoints_still_save_and_keep_their_ticks(client_for, cast_a, many_touchpoints):
    c = client_for(cast_a.cx_manager)
    chosen = [many_touchpoints[1], many_touchpoints[20]]
    data = {
        "name": "Two places",
        "kind": "touchpoint",
        "languages": ["sv", "en"],
        "default_language": "en",
        "touchpoints": [tp.pk for tp in chosen],
        "reminder_count": 1,
        "reminder_delay_days": 3,
        "invitation_expiry_days": 14,
    }
    r = c.post(reverse("surveys:survey_create"), data)
    survey = Survey.objects.get(name="Two places")
    assert r.status_code == 302 and set(survey.touchpoints.all()) == set(chosen)
    page = c.get(reverse("surveys:survey_edit", args=[survey.pk])).content.decode()
    assert len(re.findall(r'name="touchpoints" value="\d+"[^>]*checked', page)) == 2


def test_the_explorer_touchpoint_filter_is_grouped_by_journey(client_for, cast_a, many_touchpoints):
    page = client_for(cast_a.cx_manager).get(reverse("surveys:response_list")).content.decode()
    select = re.search(r'<select name="touchpoint".*?</select>', page, re.S)[0]
    assert re.findall(r'<optgroup label="([^"]+)">', select) == ["Billing", "Moving", "Onboarding", "Repair"]
    assert select.count("<option") == 33  # the empty choice and 32 touchpoints


# -- translation badge ------------------------------------------------------------------------------------------


def test_a_survey_without_questions_is_not_complete_in_any_language(client_for, cast_a, tp_a):
    survey = make_survey(cast_a.org, touchpoints=[tp_a], preset=None, publish=False)
    status = builder_selectors.translation_status(survey=survey, questions=[])
    assert not status.complete
    page = client_for(cast_a.cx_manager).get(reverse("surveys:survey_detail", args=[survey.pk])).content.decode()
    badges = page[page.index('data-testid="translations"') : page.index('id="questions"')]
    assert "bi-check-lg" not in badges and "complete" not in badges and "text-bg-success" not in badges
    assert "nothing to translate until the survey has questions" in badges

    full = make_survey(cast_a.org, touchpoints=[tp_a], publish=False, name="With questions")
    assert builder_selectors.translation_status(
        survey=full, questions=builder_selectors.version_questions(version=builder_selectors.draft_version(survey=full))
    ).complete


def test_the_contact_decision_filter_and_the_invite_form_group_touchpoints_by_journey(
    client_for, cast_a, many_touchpoints, tp_a
):
    c = client_for(cast_a.cx_manager)
    page = c.get(reverse("surveys:contact_decision_list")).content.decode()
    select = re.search(r'<select name="touchpoint".*?</select>', page, re.S)[0]
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert [g for g in groups if not g.startswith("Journey")] == ["Billing", "Moving", "Onboarding", "Repair"]

    survey = make_survey(cast_a.org, touchpoints=[many_touchpoints[0], many_touchpoints[9]], name="Two journeys")
    page = c.get(reverse("surveys:invitation_list", args=[survey.pk])).content.decode()
    select = re.search(r'<select name="touchpoint".*?</select>', page, re.S)[0]
    assert re.findall(r'<optgroup label="([^"]+)">', select) == ["Billing", "Moving"]


@pytest.mark.parametrize(
    ("sent", "responses", "en", "sv"),
    [
        (1000, 999, "99.9&nbsp;%", "99,9&nbsp;%"),  # never rounded up to 100 %
        (10_000, 9_999, "&gt;&nbsp;99.9&nbsp;%", "&gt;&nbsp;99,9&nbsp;%"),
        (1000, 1000, "100&nbsp;%", "100&nbsp;%"),
        (2000, 1, "&lt;&nbsp;0.1&nbsp;%", "&lt;&nbsp;0,1&nbsp;%"),  # never rounded down to 0 %
        (1000, 1, "0.1&nbsp;%", "0,1&nbsp;%"),
        (1000, 0, "0&nbsp;%", "0&nbsp;%"),
        (3, 1, "33.3&nbsp;%", "33,3&nbsp;%"),
        (8, 1, "12.5&nbsp;%", "12,5&nbsp;%"),
        (6, 3, "50&nbsp;%", "50&nbsp;%"),  # whole: no decimal
    ],
)
def test_a_response_rate_shows_a_decimal_when_it_is_not_whole_and_never_100_or_0_unless_it_is(sent, responses, en, sv):
    from django.template.loader import render_to_string

    rate = distribution_selectors.ResponseRate(sent=sent, responses=responses)
    for language, expected in (("en", en), ("sv", sv)):
        with translation.override(language):
            badge = render_to_string("surveys/distribution/_response_rate.html", {"rate": rate})
            cell = render_to_string("surveys/distribution/_rate_percent.html", {"rate": rate})
        assert f"<strong>{expected}</strong>" in badge, (language, badge)
        assert cell == expected, (language, cell)
