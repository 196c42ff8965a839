"""Into the loop: alert rules on the analysed comment (a theme, negative sentiment), the root cause suggested to a
case from its comment's themes, confirming or changing it on the case page, and the suggestions' accuracy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import include, path, reverse
from django.utils import timezone

import voice.signals_loop  # noqa: F401  (connects the receivers, as VoiceConfig.ready does)
from actions.models import AlertRule, CaseEvent, FeedbackCase, RootCause
from actions.services.cases import case_close, case_set_root_cause
from actions.services.rules import alert_rules_evaluate, alert_rules_match_batch
from cxplatform import urls as root_urls
from surveys.models import Answer, Response
from surveys.signals import response_processed
from tests.actions.conftest import Loop, build_loop, respond
from voice.loop import after_analysis
from voice.models import CaseSuggestion, CommentAnalysis, CommentTheme, Theme
from voice.suggestions import suggestion_accuracy

# The root URLs with voice's (which include its case URLs), whether or not the root URLs have them yet.
urlpatterns = [
    *(p for p in root_urls.urlpatterns if getattr(p, "namespace", None) != "voice"),
    path("voice/", include("voice.urls")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__), pytest.mark.sqlite]


@pytest.fixture
def loop(cast_a) -> Loop:
    built = build_loop(cast_a)
    # The "NPS <= 6" rule of the closed-loop fixture would open cases of its own in the drain.
    built.rule.is_active = False
    built.rule.save(update_fields=["is_active"])
    return built


@pytest.fixture
def themes(loop) -> dict[str, Theme]:
    org = loop.org
    billing = RootCause.objects.create(organization=org, name="Billing")
    invoice = Theme.objects.create(organization=org, name="Invoice", root_cause=billing)
    return {
        "invoice": invoice,
        "late_fee": Theme.objects.create(
            organization=org, name="Late fee", parent=invoice, root_cause=loop.root_causes["late"]
        ),
        "wrong_amount": Theme.objects.create(organization=org, name="Wrong amount", parent=invoice),
        "technician": Theme.objects.create(organization=org, name="Technician", root_cause=loop.root_causes["no_show"]),
        "delivery": Theme.objects.create(organization=org, name="Delivery"),
    }


def send(response: Response) -> None:
    """The drain's follow-up of one response (alert rules, statistics, ...)."""
    response_processed.send(sender=Response, response=response)


def analyse(
    response: Response,
    *,
    label: str = "neutral",
    themes: dict[Theme, float | None] | None = None,
    sentences: list[dict] | None = None,
    drivers: list | None = None,
) -> CommentAnalysis:
    """The done analysis of the response's comment, as the voice worker writes it."""
    answer = Answer.objects.get(response=response, metric="", text__gt="")
    submitted_on = timezone.localdate(response.submitted_at)
    # The drain has added the pending row (voice.receivers) when the response went through it.
    analysis, _created = CommentAnalysis.objects.update_or_create(
        answer=answer,
        defaults={
            "organization_id": response.organization_id,
            "response": response,
            "survey_id": response.survey_id,
            "touchpoint_id": response.touchpoint_id,
            "journey_id": response.journey_id,
            "customer_id": response.customer_id,
            "submitted_on": submitted_on,
            "month": submitted_on.replace(day=1),
            "status": CommentAnalysis.Status.DONE,
            "language": "en",
            "masked_text": answer.text,
            "sentiment_label": label,
            "sentiment": {"negative": -0.6, "mixed": -0.1, "positive": 0.6}.get(label, 0.0),
            "sentences": sentences or [],
            "drivers": drivers or [],
            "analysed_at": timezone.now(),
        },
    )
    for theme, sentiment in (themes or {}).items():
        CommentTheme.objects.create(
            organization_id=response.organization_id, analysis=analysis, theme=theme, sentiment=sentiment
        )
    return analysis


def analysed(response: Response, **kwargs) -> CommentAnalysis:
    """Analyse and follow up, as voice.services does for each analysed chunk."""
    analysis = analyse(response, **kwargs)
    after_analysis(response_ids=[response.pk], organization_ids=[response.organization_id])
    return analysis


def theme_rule(loop: Loop, *themes: Theme, **fields) -> AlertRule:
    name = fields.pop("name", "Theme rule")
    rule = AlertRule.objects.create(organization=loop.org, name=name, on_themes=True, **fields)
    rule.themes.set(themes)
    return rule


# -- alert rules on the analysed comment ------------------------------------------------------------------------


def test_a_theme_rule_opens_a_case_only_when_the_analysed_comment_has_the_theme(loop, themes):
    rule = theme_rule(loop, themes["invoice"], name="Invoice complaints", sla_hours=24)
    other = respond(loop, nps=9, comment="The parcel came late")
    send(other)
    analysed(other, themes={themes["delivery"]: -0.5})
    assert not FeedbackCase.objects.exists()

    response = respond(loop, nps=9, comment="Why is my invoice this high?")
    send(response)
    assert not FeedbackCase.objects.exists()  # the drain waits for the analysis
    analysed(response, themes={themes["invoice"]: -0.4})
    case = FeedbackCase.objects.get()
    assert case.response == response and case.rule == rule and case.team == loop.team
    assert case.due_at - case.opened_at == dt.timedelta(hours=24)


def test_a_theme_covers_its_sub_themes_but_not_the_other_way_round(loop, themes):
    theme_rule(loop, themes["invoice"])
    fee = respond(loop, nps=9, comment="A late fee again")
    analysed(fee, themes={themes["late_fee"]: -0.5})
    assert FeedbackCase.objects.filter(response=fee).exists()

    sub_rule = theme_rule(loop, themes["wrong_amount"], name="Wrong amount", priority=1)
    general = respond(loop, nps=9, comment="The invoice")
    analysed(general, themes={themes["invoice"]: None})
    assert FeedbackCase.objects.get(response=general).rule != sub_rule


@pytest.mark.parametrize(
    ("label", "sentences", "opens"),
    [
        ("negative", [], True),
        ("mixed", [{"text": "Nice tech.", "label": "positive"}, {"text": "Awful bill.", "label": "negative"}], True),
        ("mixed", [{"text": "Nice tech.", "label": "positive"}, {"text": "The bill.", "label": "neutral"}], False),
        ("positive", [], False),
        ("neutral", [], False),
    ],
)
def test_a_negative_sentiment_rule_opens_a_case_for_negative_comments(loop, label, sentences, opens):
    AlertRule.objects.create(organization=loop.org, name="Unhappy words", negative_sentiment=True)
    response = respond(loop, nps=8, comment="Some words")
    send(response)
    analysed(response, label=label, sentences=sentences)
    assert FeedbackCase.objects.filter(response=response).exists() is opens


def test_a_rule_with_nps_and_a_theme_needs_both(loop, themes):
    rule = theme_rule(loop, themes["technician"], nps_max=6)
    happy = respond(loop, nps=9, comment="The technician was late but nice")
    analysed(happy, themes={themes["technician"]: -0.2})
    detractor_elsewhere = respond(loop, nps=3, comment="The parcel")
    analysed(detractor_elsewhere, themes={themes["delivery"]: -0.6})
    assert not FeedbackCase.objects.exists()
    detractor = respond(loop, nps=3, comment="The technician never came")
    analysed(detractor, themes={themes["technician"]: -0.8})
    case = FeedbackCase.objects.get()
    assert case.response == detractor and case.rule == rule and case.nps == 3


def test_the_rules_text_conditions_hold_on_one_comment(loop, themes):
    theme_rule(loop, themes["invoice"], negative_sentiment=True)
    praised = respond(loop, nps=9, comment="The invoice was clear")
    analysed(praised, label="positive", themes={themes["invoice"]: 0.5})
    assert not FeedbackCase.objects.exists()
    complaint = respond(loop, nps=9, comment="The invoice is a disgrace")
    analysed(complaint, label="negative", themes={themes["invoice"]: -0.7})
    assert FeedbackCase.objects.get().response == complaint


def test_the_drain_alone_does_not_fire_text_rules(loop, themes):
    text_rules = [
        theme_rule(loop, themes["invoice"], nps_max=6),
        AlertRule.objects.create(organization=loop.org, name="Negative", negative_sentiment=True, csat_max=5),
    ]
    response = respond(loop, nps=2, csat=1, comment="Bad invoice")
    send(response)
    assert not FeedbackCase.objects.exists()
    assert alert_rules_evaluate(response=response) is None
    assert alert_rules_match_batch(response_ids=[response.pk], rules=text_rules, now=timezone.now()) == []
    # The comment is analysed but not negative and without the theme: still nothing.
    analysed(response, label="neutral", themes={themes["delivery"]: None})
    assert not FeedbackCase.objects.exists()


def test_a_rule_without_a_text_condition_still_fires_in_the_drain(loop, themes):
    loop.rule.is_active = True
    loop.rule.save(update_fields=["is_active"])
    theme_rule(loop, themes["invoice"], priority=1)
    response = respond(loop, nps=2, comment="Bad invoice")
    send(response)
    assert FeedbackCase.objects.get(response=response).rule == loop.rule
    analysed(response, label="negative", themes={themes["invoice"]: -0.5})
    assert FeedbackCase.objects.get(response=response).rule == loop.rule  # one case per response


def test_evaluation_after_analysis_is_idempotent(loop, themes):
    theme_rule(loop, themes["invoice"])
    response = respond(loop, nps=9, comment="Invoice")
    analysed(response, label="negative", themes={themes["invoice"]: -0.5})
    after_analysis(response_ids=[response.pk], organization_ids=[loop.org.pk])
    after_analysis(response_ids=[response.pk], organization_ids=[loop.org.pk])
    assert FeedbackCase.objects.count() == 1
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.CREATED).count() == 1
    assert CaseSuggestion.objects.count() == 1


def test_the_first_matching_text_rule_by_priority_opens_the_case_and_names_the_others(loop, themes):
    theme_rule(loop, themes["invoice"], name="Invoice", priority=50)
    first = AlertRule.objects.create(organization=loop.org, name="Negative", negative_sentiment=True, priority=5)
    response = respond(loop, nps=9, comment="Invoice")
    analysed(response, label="negative", themes={themes["invoice"]: -0.5})
    case = FeedbackCase.objects.get()
    assert case.rule == first
    assert "Invoice" in case.events.get(kind=CaseEvent.Kind.CREATED).note


def test_old_responses_internal_surveys_and_other_scopes_open_nothing(loop, themes):
    theme_rule(loop, themes["invoice"], touchpoint=loop.touchpoint)
    old = respond(
        loop,
        nps=9,
        comment="Invoice",
        submitted_at=timezone.now() - dt.timedelta(days=settings.ACTIONS_MAX_RESPONSE_AGE_DAYS + 1),
    )
    analysed(old, themes={themes["invoice"]: -0.5})
    elsewhere = respond(loop, nps=9, comment="Invoice", touchpoint=loop.other_touchpoint)
    analysed(elsewhere, themes={themes["invoice"]: -0.5})
    assert not FeedbackCase.objects.exists()
    loop.survey.kind = "employee"
    loop.survey.save(update_fields=["kind"])
    staff = respond(loop, nps=9, comment="Invoice")
    analysed(staff, themes={themes["invoice"]: -0.5})
    assert not FeedbackCase.objects.exists()


def test_another_organizations_rules_do_not_see_the_chunk(loop, themes, cast_b):
    other = build_loop(cast_b)
    other_theme = Theme.objects.create(organization=other.org, name="Invoice")
    theme_rule(other, other_theme)
    response = respond(loop, nps=9, comment="Invoice")
    analysed(response, themes={themes["invoice"]: -0.5})
    assert not FeedbackCase.objects.exists()


def test_a_chunk_without_text_rules_costs_one_query(loop, themes, django_assert_num_queries):
    response = respond(loop, nps=9, comment="Invoice")
    analyse(response, label="negative", themes={themes["invoice"]: -0.5})
    with django_assert_num_queries(2):  # the text rules (none), the cases to suggest to (none)
        after_analysis(response_ids=[response.pk], organization_ids=[loop.org.pk])


# -- suggested root cause ---------------------------------------------------------------------------------------


def test_the_case_gets_the_root_cause_of_the_most_specific_theme(loop, themes):
    theme_rule(loop, themes["invoice"])
    response = respond(loop, nps=9, comment="Invoice with a late fee, and the technician never came")
    analysed(
        response,
        label="negative",
        # The technician is the more negative theme, but the late fee is a sub-theme: more specific.
        themes={themes["invoice"]: -0.3, themes["late_fee"]: -0.3, themes["technician"]: -0.9},
    )
    suggestion = CaseSuggestion.objects.get(case__response=response)
    assert suggestion.theme == themes["late_fee"]
    assert suggestion.root_cause == loop.root_causes["late"]
    assert suggestion.outcome == CaseSuggestion.Outcome.PENDING
    assert suggestion.organization_id == loop.org.pk


def test_among_equally_specific_themes_the_most_negative_wins_and_a_sub_theme_inherits_its_parents(loop, themes):
    theme_rule(loop, themes["invoice"], themes["technician"])
    first = respond(loop, nps=9, comment="Invoice and technician")
    analysed(first, label="negative", themes={themes["invoice"]: -0.2, themes["technician"]: -0.8})
    assert CaseSuggestion.objects.get(case__response=first).root_cause == loop.root_causes["no_show"]
    second = respond(loop, nps=9, comment="Wrong amount")
    analysed(second, label="negative", themes={themes["wrong_amount"]: -0.5})
    suggestion = CaseSuggestion.objects.get(case__response=second)
    assert suggestion.theme == themes["invoice"] and suggestion.root_cause.name == "Billing"


def test_no_suggestion_without_a_mapped_theme(loop, themes):
    theme_rule(loop, themes["delivery"])
    response = respond(loop, nps=9, comment="Parcel")
    analysed(response, label="negative", themes={themes["delivery"]: -0.5})
    assert FeedbackCase.objects.filter(response=response).exists()
    assert not CaseSuggestion.objects.exists()


def test_no_suggestion_of_a_retired_root_cause(loop, themes):
    theme_rule(loop, themes["technician"])
    RootCause.objects.filter(pk=loop.root_causes["no_show"].pk).update(is_active=False)
    response = respond(loop, nps=9, comment="Technician")
    analysed(response, label="negative", themes={themes["technician"]: -0.5})
    assert FeedbackCase.objects.filter(response=response).exists()
    assert not CaseSuggestion.objects.exists()


def test_a_case_the_drain_opened_gets_its_suggestion_once_the_comment_is_analysed(loop, themes):
    loop.rule.is_active = True
    loop.rule.save(update_fields=["is_active"])
    response = respond(loop, nps=2, comment="The technician never came")
    send(response)
    case = FeedbackCase.objects.get(response=response)
    assert not CaseSuggestion.objects.exists()
    analysed(response, label="negative", themes={themes["technician"]: -0.8})
    assert CaseSuggestion.objects.get().case == case


def test_a_case_opened_after_the_analysis_gets_its_suggestion(loop, themes):
    response = respond(loop, nps=2, comment="The technician never came")
    analysed(response, label="negative", themes={themes["technician"]: -0.8})
    assert not FeedbackCase.objects.exists()
    loop.rule.is_active = True
    loop.rule.save(update_fields=["is_active"])
    send(response)  # e.g. a rule created since, a re-sent batch
    suggestion = CaseSuggestion.objects.get()
    assert suggestion.case.response == response and suggestion.root_cause == loop.root_causes["no_show"]


# -- case page: confirm or choose another -----------------------------------------------------------------------


@pytest.fixture
def suggested_case(loop, themes) -> FeedbackCase:
    theme_rule(loop, themes["technician"])
    response = respond(loop, nps=4, comment="The technician never came, terrible")
    analysed(
        response,
        label="negative",
        themes={themes["technician"]: -0.8},
        drivers=[["terrible", -3.0], ["never", -1.0]],
    )
    return FeedbackCase.objects.get(response=response)


def test_the_case_page_shows_themes_sentiment_and_the_suggestion(loop, suggested_case, client_for):
    page = client_for(loop.frontline).get(reverse("actions:case_detail", args=[suggested_case.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="theme-chip">Technician<' in html
    assert "Negative" in html and 'data-testid="driver">terrible<' in html
    assert 'data-testid="suggested-root-cause">Technician › No-show<' in html
    assert reverse("voice:case_suggestion_confirm", args=[suggested_case.pk]) in html
    assert 'href="#rc_root_cause"' in html  # "Choose another" leads to the case's own root-cause select


def test_the_voice_panel_costs_the_same_queries_whatever_the_number_of_themes(loop, themes, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    theme_rule(loop, themes["invoice"], themes["technician"])
    # Anonymous: the second case's customer history would list the first one.
    one = respond(loop, nps=9, comment="Invoice", customer=None)
    analysed(one, label="negative", themes={themes["invoice"]: -0.5})
    many = respond(loop, nps=9, comment="Everything", customer=None)
    analysed(many, label="negative", themes={t: -0.5 for t in themes.values()})
    client = client_for(loop.cast.cx_manager)
    client.get(reverse("actions:inbox"))  # the session's first request writes it (and an audit event)
    counts = []
    for response in (one, many):
        case = FeedbackCase.objects.get(response=response)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("actions:case_detail", args=[case.pk])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_case_page_without_a_comment_has_no_voice_panel(loop, client_for):
    loop.rule.is_active = True
    loop.rule.save(update_fields=["is_active"])
    send(respond(loop, nps=2))
    case = FeedbackCase.objects.get()
    page = client_for(loop.frontline).get(reverse("actions:case_detail", args=[case.pk]))
    assert page.status_code == 200 and b'data-testid="case-voice"' not in page.content


def test_confirming_sets_the_root_cause_with_its_event_and_the_outcome(loop, suggested_case, client_for):
    url = reverse("voice:case_suggestion_confirm", args=[suggested_case.pk])
    reply = client_for(loop.frontline).post(url, {"from": "tab=queue"})
    assert reply.status_code == 302
    assert reply.url == reverse("actions:case_detail", args=[suggested_case.pk]) + "?from=tab%3Dqueue"
    suggested_case.refresh_from_db()
    assert suggested_case.root_cause == loop.root_causes["no_show"]
    event = suggested_case.events.get(kind=CaseEvent.Kind.ROOT_CAUSE)
    assert event.actor == loop.frontline.user and event.new_value == "Technician › No-show"
    suggestion = CaseSuggestion.objects.get()
    assert suggestion.outcome == CaseSuggestion.Outcome.CONFIRMED
    assert suggestion.decided_by == loop.frontline.user and suggestion.decided_at is not None
    page = client_for(loop.frontline).get(reverse("actions:case_detail", args=[suggested_case.pk]))
    assert b'data-testid="confirm-suggestion"' not in page.content  # nothing left to confirm


def test_choosing_another_root_cause_counts_as_changed_and_the_suggested_one_as_confirmed(
    loop, suggested_case, client_for
):
    client = client_for(loop.frontline)
    url = reverse("actions:case_root_cause", args=[suggested_case.pk])
    client.post(url, {"root_cause": loop.root_causes["late"].pk})
    suggestion = CaseSuggestion.objects.get()
    assert suggestion.outcome == CaseSuggestion.Outcome.CHANGED and suggestion.decided_by == loop.frontline.user
    client.post(url, {"root_cause": loop.root_causes["no_show"].pk})
    suggestion.refresh_from_db()
    assert suggestion.outcome == CaseSuggestion.Outcome.CONFIRMED


def test_closing_with_another_root_cause_counts_as_changed(loop, suggested_case):
    from accounts.scoping import context_for_membership

    ctx = context_for_membership(loop.cast.cx_manager, user=loop.cast.cx_manager.user)
    case_close(ctx=ctx, case=suggested_case, resolution="Called", root_cause=loop.root_causes["technician"])
    assert CaseSuggestion.objects.get().outcome == CaseSuggestion.Outcome.CHANGED


@pytest.mark.parametrize("who", ["other_team", "other_org"])
def test_frontline_of_another_team_and_other_organizations_get_404(loop, suggested_case, cast_b, client_for, who):
    member = loop.other_frontline if who == "other_team" else cast_b.admin
    url = reverse("voice:case_suggestion_confirm", args=[suggested_case.pk])
    assert client_for(member).post(url).status_code == 404
    assert CaseSuggestion.objects.get().outcome == CaseSuggestion.Outcome.PENDING
    suggested_case.refresh_from_db()
    assert suggested_case.root_cause is None


def test_executives_cannot_confirm(loop, suggested_case, client_for):
    url = reverse("voice:case_suggestion_confirm", args=[suggested_case.pk])
    assert client_for(loop.cast.executive).post(url).status_code == 403
    assert CaseSuggestion.objects.get().outcome == CaseSuggestion.Outcome.PENDING


def test_a_case_without_a_suggestion_has_nothing_to_confirm(loop, client_for):
    loop.rule.is_active = True
    loop.rule.save(update_fields=["is_active"])
    send(respond(loop, nps=2))
    url = reverse("voice:case_suggestion_confirm", args=[FeedbackCase.objects.get().pk])
    assert client_for(loop.frontline).post(url).status_code == 404


# -- accuracy ---------------------------------------------------------------------------------------------------


def test_accuracy_counts_confirmed_and_changed_suggestions(loop, themes):
    from accounts.scoping import context_for_membership

    theme_rule(loop, themes["technician"], themes["late_fee"])
    cases = []
    for theme in ("technician", "technician", "technician", "late_fee", "late_fee"):
        response = respond(loop, nps=9, comment=f"About the {theme}")
        analysed(response, label="negative", themes={themes[theme]: -0.5})
        cases.append(FeedbackCase.objects.get(response=response))
    ctx = context_for_membership(loop.cast.cx_manager, user=loop.cast.cx_manager.user)
    no_show, late = loop.root_causes["no_show"], loop.root_causes["late"]
    case_set_root_cause(ctx=ctx, case=cases[0], root_cause=no_show)  # confirmed
    case_set_root_cause(ctx=ctx, case=cases[1], root_cause=no_show)  # confirmed
    case_set_root_cause(ctx=ctx, case=cases[2], root_cause=late)  # changed
    case_set_root_cause(ctx=ctx, case=cases[3], root_cause=no_show)  # changed
    # cases[4] undecided

    figures = suggestion_accuracy(ctx)
    assert (figures["decided"], figures["confirmed"], figures["changed"]) == (4, 2, 2)
    assert figures["accuracy"] == pytest.approx(0.5)
    rows = {row.theme.name: row for row in figures["per_theme"]}
    assert (rows["Technician"].decided, rows["Technician"].confirmed) == (3, 2)
    assert rows["Technician"].accuracy == pytest.approx(2 / 3)
    assert (rows["Late fee"].decided, rows["Late fee"].changed, rows["Late fee"].accuracy) == (1, 1, 0)

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert suggestion_accuracy(ctx, start=tomorrow)["decided"] == 0
    assert suggestion_accuracy(ctx, end=timezone.localdate())["decided"] == 4

    html = render_to_string("voice/includes/case_suggestion_accuracy.html", {"accuracy": figures})
    assert 'data-testid="suggestion-accuracy-value">50\xa0%<' in html.replace("&nbsp;", "\xa0")
    assert html.count('data-testid="suggestion-accuracy-row"') == 2


def test_accuracy_is_scoped_to_the_organization_and_the_frontline_users_cases(loop, themes, cast_b):
    from accounts.scoping import context_for_membership

    theme_rule(loop, themes["technician"])
    response = respond(loop, nps=9, comment="Technician")
    analysed(response, label="negative", themes={themes["technician"]: -0.5})
    admin = context_for_membership(loop.cast.admin, user=loop.cast.admin.user)
    case_set_root_cause(ctx=admin, case=FeedbackCase.objects.get(), root_cause=loop.root_causes["no_show"])
    assert suggestion_accuracy(admin)["decided"] == 1
    other_org = context_for_membership(cast_b.admin, user=cast_b.admin.user)
    assert suggestion_accuracy(other_org)["decided"] == 0
    other_team = context_for_membership(loop.other_frontline, user=loop.other_frontline.user)
    assert suggestion_accuracy(other_team)["decided"] == 0


# -- the rule form ----------------------------------------------------------------------------------------------


def test_a_rule_with_themes_only_saves_and_is_evaluated_after_the_analysis(loop, themes, client_for):
    client = client_for(loop.cast.cx_manager)
    form = client.get(reverse("actions:rule_create")).content.decode()
    assert "Invoice › Late fee" in form
    reply = client.post(
        reverse("actions:rule_create"),
        {"name": "Late fees", "priority": 100, "themes": [themes["late_fee"].pk], "sla_hours": 48},
    )
    assert reply.status_code == 302
    rule = AlertRule.objects.get(name="Late fees")
    assert rule.on_themes and list(rule.themes.all()) == [themes["late_fee"]] and not rule.negative_sentiment
    listing = client.get(reverse("actions:rule_list")).content.decode()
    assert "Invoice › Late fee" in listing

    client.post(
        reverse("actions:rule_edit", args=[rule.pk]),
        {"name": "Late fees", "priority": 100, "negative_sentiment": "on", "sla_hours": 48},
    )
    rule.refresh_from_db()
    assert not rule.on_themes and not rule.themes.exists() and rule.negative_sentiment


def test_a_rule_without_any_condition_is_refused(loop, client_for):
    reply = client_for(loop.cast.cx_manager).post(
        reverse("actions:rule_create"), {"name": "Everything", "priority": 100, "sla_hours": 48}
    )
    assert reply.status_code == 200 and "Set at least one condition." in reply.content.decode()
    assert not AlertRule.objects.filter(name="Everything").exists()


def test_the_rule_form_offers_only_the_organizations_active_themes(loop, themes, cast_b, client_for):
    Theme.objects.create(organization=cast_b.org, name="Beta only theme")
    themes["delivery"].status = Theme.Status.ARCHIVED
    themes["delivery"].save(update_fields=["status"])
    client = client_for(loop.cast.cx_manager)
    form = client.get(reverse("actions:rule_create")).content.decode()
    assert "Beta only theme" not in form and ">Delivery<" not in form and ">Technician<" in form
    other = Theme.objects.get(organization=cast_b.org)
    reply = client.post(
        reverse("actions:rule_create"), {"name": "Sneaky", "priority": 100, "themes": [other.pk], "sla_hours": 48}
    )
    assert reply.status_code == 200 and not AlertRule.objects.filter(name="Sneaky").exists()


def test_through_the_real_drain_and_analysis(loop, themes):
    """The drain adds the pending analysis and opens nothing; the analysis opens the case and suggests its cause."""
    services = pytest.importorskip("voice.services")
    for key, words in (("technician", ["technician"]), ("invoice", ["invoice"])):
        themes[key].keywords = {"en": words}
        themes[key].save(update_fields=["keywords"])
    rule = theme_rule(loop, themes["technician"], negative_sentiment=True)
    happy = respond(loop, nps=10, comment="The technician was wonderful, friendly and very helpful.")
    angry = respond(loop, nps=8, comment="The technician never came. A terrible, awful waste of my day.")
    for response in (happy, angry):
        send(response)
    assert CommentAnalysis.objects.filter(response__in=[happy, angry], status="pending").count() == 2
    assert not FeedbackCase.objects.exists()

    services.analyse_responses_now([happy.pk, angry.pk], stats=False)
    case = FeedbackCase.objects.get()
    assert case.response == angry and case.rule == rule
    suggestion = CaseSuggestion.objects.get(case=case)
    assert suggestion.theme == themes["technician"] and suggestion.root_cause == loop.root_causes["no_show"]
