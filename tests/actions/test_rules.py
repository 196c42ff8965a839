"""Alert rules: which responses open a case, for whom, and never twice for one response."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from actions.models import AlertRule, CaseEvent, FeedbackCase, keyword_pattern, split_keywords
from actions.services.rules import alert_rules_evaluate, customer_revenue_12m
from actions.tasks import notify_case_opened
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond
from tests.factories import CustomerFactory, TeamFactory, TouchpointFactory

pytestmark = pytest.mark.django_db


def send(response):
    response_processed.send(sender=Response, response=response)


def test_a_detractor_opens_a_case_for_the_touchpoints_team_with_its_sla(loop_a):
    response = respond(loop_a, nps=3, comment="The technician never came")
    send(response)
    case = FeedbackCase.objects.get(response=response)
    assert case.team == loop_a.team
    assert case.rule == loop_a.rule
    assert case.touchpoint == loop_a.touchpoint and case.customer == loop_a.customer
    assert case.nps == 3 and case.status == FeedbackCase.Status.NEW and case.assignee is None
    assert case.due_at - case.opened_at == dt.timedelta(hours=48)
    assert case.warn_at - case.opened_at == dt.timedelta(hours=36)
    assert case.organization_id == loop_a.org.pk


def test_the_signal_delivered_twice_opens_one_case(loop_a):
    response = respond(loop_a, nps=1)
    send(response)
    send(response)
    assert FeedbackCase.objects.filter(response=response).count() == 1
    assert CaseEvent.objects.filter(case__response=response, kind=CaseEvent.Kind.CREATED).count() == 1


def test_two_matching_rules_open_one_case_and_the_first_by_priority_wins(loop_a):
    keyword_rule = AlertRule.objects.create(
        organization=loop_a.org, name="Cancellation", keywords="cancel|uppsägning", priority=10
    )
    response = respond(loop_a, nps=2, comment="I will cancel")
    send(response)
    case = FeedbackCase.objects.get(response=response)
    assert case.rule == keyword_rule
    assert "Detractors" in case.events.get(kind=CaseEvent.Kind.CREATED).note


def test_promoters_and_passives_open_no_case(loop_a):
    for score in (7, 8, 9, 10):
        send(respond(loop_a, nps=score))
    assert not FeedbackCase.objects.exists()


def test_a_response_without_the_rules_metric_opens_no_case(loop_a):
    send(respond(loop_a, csat=1))
    assert not FeedbackCase.objects.exists()


def test_csat_rule(loop_a):
    AlertRule.objects.create(organization=loop_a.org, name="Unhappy", csat_max=2)
    send(respond(loop_a, csat=3))
    assert not FeedbackCase.objects.exists()
    send(respond(loop_a, csat=2))
    assert FeedbackCase.objects.get().csat == 2


@pytest.mark.parametrize(
    ("comment", "matches"),
    [
        ("Jag vill göra en UPPSÄGNING nu.", True),
        ("Oppsigelse!", True),
        ("(cancel)", True),
        ("uppsägningstiden är lång", False),  # a longer word, not the keyword
        ("I cancelled the order", False),
        ("Nothing to see", False),
    ],
)
def test_keyword_rule_matches_whole_words_in_any_case(loop_a, comment, matches):
    AlertRule.objects.create(
        organization=loop_a.org, name="Churn words", keywords="uppsägning|oppsigelse|opsigelse|cancel"
    )
    send(respond(loop_a, nps=9, comment=comment))
    assert FeedbackCase.objects.exists() is matches


def test_keyword_with_a_star_matches_word_endings():
    pattern = keyword_pattern(split_keywords("cancel*, opsig*"))
    assert pattern.search("I cancelled")
    assert pattern.search("Opsigelse af abonnement")
    assert not pattern.search("uncancel")
    assert split_keywords(" a | b,c ;\n d ") == ["a", "b", "c", "d"]


def test_any_comment_rule(loop_a):
    AlertRule.objects.create(organization=loop_a.org, name="All comments", requires_comment=True)
    send(respond(loop_a, nps=10))
    assert not FeedbackCase.objects.exists()
    send(respond(loop_a, nps=10, comment="Great service"))
    assert FeedbackCase.objects.count() == 1


def test_conditions_of_one_rule_must_all_hold(loop_a):
    loop_a.rule.keywords = "technician"
    loop_a.rule.save()
    send(respond(loop_a, nps=3, comment="The invoice is wrong"))
    assert not FeedbackCase.objects.exists()
    send(respond(loop_a, nps=3, comment="The Technician was late"))
    assert FeedbackCase.objects.count() == 1


def test_high_value_rule_sums_the_last_twelve_months_of_revenue(loop_a):
    from value.models import CustomerRevenue

    loop_a.rule.delete()
    AlertRule.objects.create(organization=loop_a.org, name="Key accounts", min_revenue_12m=Decimal("10000"))
    rich, poor = loop_a.customer, CustomerFactory(organization=loop_a.org)
    today = timezone.localdate()
    this_month = today.replace(day=1)

    def months_ago(n: int) -> dt.date:
        y, m = divmod(this_month.year * 12 + this_month.month - 1 - n, 12)
        return dt.date(y, m + 1, 1)

    for n in range(12):  # 12 x 900 = 10 800 within the window
        CustomerRevenue.objects.create(organization=loop_a.org, customer=rich, month=months_ago(n), amount=900)
    # Old revenue (13 months ago) does not count: 9 000 + 5 000 would pass, 9 000 alone does not.
    for n in range(10):
        CustomerRevenue.objects.create(organization=loop_a.org, customer=poor, month=months_ago(n), amount=900)
    CustomerRevenue.objects.create(organization=loop_a.org, customer=poor, month=months_ago(12), amount=5000)
    assert customer_revenue_12m(customer_id=rich.pk, as_of=today) == Decimal("10800")
    assert customer_revenue_12m(customer_id=poor.pk, as_of=today) == Decimal("9000")

    send(respond(loop_a, nps=9, customer=poor))
    send(respond(loop_a, nps=9, customer=None))
    assert not FeedbackCase.objects.exists()
    send(respond(loop_a, nps=9, customer=rich))
    assert FeedbackCase.objects.get().customer == rich


def test_scope_limits_a_rule_to_its_touchpoint_journey_or_survey(loop_a):
    loop_a.rule.touchpoint = loop_a.other_touchpoint
    loop_a.rule.save()
    send(respond(loop_a, nps=0))
    assert not FeedbackCase.objects.exists()
    send(respond(loop_a, nps=0, touchpoint=loop_a.other_touchpoint))
    assert FeedbackCase.objects.get().team == loop_a.other_team


def test_a_touchpoint_without_team_falls_back_to_the_rules_default_team(loop_a):
    fallback = TeamFactory(organization=loop_a.org, name="Fallback")
    loop_a.rule.default_team = fallback
    loop_a.rule.save()
    orphan = TouchpointFactory(stage=loop_a.touchpoint.stage, responsible_team=None)
    send(respond(loop_a, nps=4, touchpoint=orphan))
    assert FeedbackCase.objects.get().team == fallback


def test_inactive_rules_and_other_organizations_rules_are_ignored(loop_a, loop_b):
    loop_a.rule.is_active = False
    loop_a.rule.save()
    send(respond(loop_a, nps=0))
    assert not FeedbackCase.objects.exists()  # loop_b's active rule must not fire for org A's response


def test_old_responses_open_no_case(loop_a):
    old = respond(loop_a, nps=0, submitted_at=timezone.now() - dt.timedelta(days=200))
    assert alert_rules_evaluate(response=old) is None
    assert not FeedbackCase.objects.exists()


def test_the_team_is_emailed_once_after_commit(loop_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(respond(loop_a, nps=2))
    case = FeedbackCase.objects.get()
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {loop_a.frontline.user.email, loop_a.lead.user.email}
    assert f"#{case.pk}" in mail.outbox[0].subject and f"/actions/cases/{case.pk}/" in mail.outbox[0].body
    notify_case_opened.delay(case.pk)  # the task running again sends nothing
    assert len(mail.outbox) == 1
    assert case.events.filter(kind=CaseEvent.Kind.NOTIFIED).count() == 1


def test_the_customer_reply_is_in_their_language_and_only_with_consent(loop_a, django_capture_on_commit_callbacks):
    loop_a.rule.notify_team, loop_a.rule.reply_to_customer = False, True
    loop_a.rule.save()
    norwegian = CustomerFactory(organization=loop_a.org, language="nb", may_contact=True, name="Kari Nordmann")
    silent = CustomerFactory(organization=loop_a.org, language="sv", may_contact=False)
    with django_capture_on_commit_callbacks(execute=True):
        send(respond(loop_a, nps=2, customer=norwegian))
        send(respond(loop_a, nps=2, customer=silent))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [norwegian.email]
    assert message.subject.startswith("Takk for tilbakemeldingen") and "Hei Kari Nordmann" in message.body
    assert FeedbackCase.objects.get(customer=norwegian).customer_replied_at is not None
    assert FeedbackCase.objects.get(customer=silent).customer_replied_at is None


def test_the_ingestion_follow_up_opens_the_case_once(loop_a):
    from surveys.ingestion.services import response_process

    response = respond(loop_a, nps=1, comment="Never again")
    Response.objects.filter(pk=response.pk).update(processed_at=None)
    assert response_process(response_id=response.pk) is True
    assert response_process(response_id=response.pk) is False  # already processed: nothing sent again
    case = FeedbackCase.objects.get(response=response)
    assert case.team == loop_a.team and case.events.count() == 1


def test_the_sweep_resending_a_processed_response_changes_nothing(loop_a):
    response = respond(loop_a, nps=1)
    send(response)
    case = FeedbackCase.objects.get(response=response)
    before = list(FeedbackCase.objects.filter(pk=case.pk).values_list())
    send(Response.objects.get(pk=response.pk))  # e.g. the sweep after a crash between send and commit
    assert list(FeedbackCase.objects.filter(pk=case.pk).values_list()) == before
    assert case.events.count() == 1
