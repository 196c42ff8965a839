"""Alert rules: which responses open a case, for whom, and never twice for one response."""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.models import AlertRule, CaseEvent, FeedbackCase, keyword_pattern, split_keywords
from actions.services import rules
from actions.services.rules import alert_rules_evaluate, customer_revenue_12m
from actions.tasks import notify_case_opened
from surveys.models import Response, Survey
from surveys.signals import response_processed
from tests.actions.conftest import make_survey, respond
from tests.factories import CustomerFactory, StageFactory, TeamFactory, TouchpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


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


def test_each_team_member_is_emailed_once_after_commit(loop_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send(respond(loop_a, nps=2))
    case = FeedbackCase.objects.get()
    assert sorted(m.to for m in mail.outbox) == sorted([[loop_a.frontline.user.email], [loop_a.lead.user.email]])
    for message in mail.outbox:
        assert f"#{case.pk}" in message.subject and f"/actions/cases/{case.pk}/" in message.body
    with django_capture_on_commit_callbacks(execute=True):
        notify_case_opened.delay(case.pk)  # the task running again sends nothing
        send(Response.objects.get(pk=case.response_id))  # nor does the follow-up delivered again
    assert len(mail.outbox) == 2
    case.refresh_from_db()
    assert case.team_notified_at is not None
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


# -- the batch evaluation (SQL) against the reference (rule_matches, one response at a time) -----------------------


class _Rollback(Exception):
    pass


def case_snapshot() -> list[tuple]:
    """What a user of the inbox sees of each case: response, rule, team, customer, scores, the 'also matched' note."""
    return sorted(
        (c.response_id, c.rule_id, c.team_id, c.customer_id, c.nps, c.csat, c.events.get(kind="created").note)
        for c in FeedbackCase.objects.all()
    )


def cases_opened_by(evaluate) -> list[tuple]:
    """The cases `evaluate()` opens; everything it wrote is rolled back afterwards."""
    snapshot: list[tuple] = []
    try:
        with transaction.atomic():
            evaluate()
            snapshot = case_snapshot()
            raise _Rollback
    except _Rollback:
        pass
    return snapshot


def months_before(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


COMMENTS = [
    "",
    "   ",
    "Jag vill göra en UPPSÄGNING nu.",
    "uppsägningstiden är lång",
    "Jag ska SÄGA UPP avtalet",
    "I cancelled it",
    "CANCELLATION!",
    "uncancel",
    "cancel_me",
    "x-cancel",
    "Ærlig talt: ØDELAGT router",
    "ødelagte ting",
    "Påminnelse kom aldrig",
    "påminnelsen kom sent",
    "TEKNIKERN kom aldrig",
    "teknik",
    "Faktura fel",
    "bra",
]


@pytest.mark.parametrize("path", ["sql", "python fallback"])
def test_a_batch_opens_exactly_the_cases_the_python_evaluation_opens(loop_a, loop_b, path, monkeypatch):
    from value.models import CustomerRevenue

    if path == "python fallback":
        # A database whose regular expressions do not know Nordic letters: keyword rules are evaluated in Python.
        monkeypatch.setattr(rules, "_regex_collation", lambda: None)
    org = loop_a.org
    far = TouchpointFactory(stage=StageFactory(organization=org, journey__organization=org), name="Far away")
    other_survey, _version, _questions = make_survey(org)
    made = {
        "churn": AlertRule.objects.create(
            organization=org, name="Churn", keywords="uppsägning|säga upp|oppsigelse|cancel*", priority=10
        ),
        "nordic": AlertRule.objects.create(
            organization=org, name="Nordic", keywords="ødelagt, ærlig; påminnelse", priority=40
        ),
        "invoice": AlertRule.objects.create(
            organization=org, name="Invoice CSAT", csat_max=2, touchpoint=loop_a.other_touchpoint, priority=50
        ),
        "key_accounts": AlertRule.objects.create(
            organization=org, name="Key accounts", min_revenue_12m=Decimal("10000"), priority=20
        ),
        "far_comments": AlertRule.objects.create(
            organization=org, name="Far comments", requires_comment=True, journey=far.journey, priority=30
        ),
        "technician": AlertRule.objects.create(
            organization=org, name="Technician", keywords="tekniker*", journey=loop_a.touchpoint.journey, priority=5
        ),
        "other_survey": AlertRule.objects.create(
            organization=org, name="Other survey", nps_max=9, survey=other_survey, priority=60
        ),
        "inactive": AlertRule.objects.create(
            organization=org, name="Inactive", requires_comment=True, is_active=False, priority=1
        ),
    }
    b_words = AlertRule.objects.create(organization=loop_b.org, name="B keywords", keywords="bra|fel", priority=1)
    today = timezone.localdate()
    rich = loop_a.customer
    exact, poor = CustomerFactory(organization=org), CustomerFactory(organization=org)
    for n in range(12):  # 12 x 900 = 10,800 in the window: above 10,000
        CustomerRevenue.objects.create(organization=org, customer=rich, month=months_before(today, n), amount=900)
    for n in range(3):  # 3 x 3,333.33 + 0.01 = 10,000.00 exactly: not above
        CustomerRevenue.objects.create(
            organization=org, customer=exact, month=months_before(today, n), amount=Decimal("3333.33")
        )
    CustomerRevenue.objects.create(
        organization=org, customer=exact, month=months_before(today, 3), amount=Decimal("0.01")
    )
    CustomerRevenue.objects.create(organization=org, customer=poor, month=months_before(today, 12), amount=50000)

    rng = random.Random(7)
    now = timezone.now()
    responses = []
    for i in range(160):
        loop = loop_b if i % 8 == 0 else loop_a
        touchpoint = rng.choice([loop.touchpoint, loop.other_touchpoint, far]) if loop is loop_a else loop.touchpoint
        response = respond(
            loop,
            nps=rng.choice([None, 0, 1, 6, 7, 9, 10]),
            csat=rng.choice([None, 1, 2, 3, 5]),
            comment=rng.choice(COMMENTS),
            touchpoint=touchpoint,
            customer=rng.choice([rich, exact, poor, None]) if loop is loop_a else None,
            submitted_at=now - dt.timedelta(days=rng.choice([0, 0, 0, 29, 31, 200]), minutes=1),
        )
        if loop is loop_a and i % 5 == 0:
            Response.objects.filter(pk=response.pk).update(survey=other_survey)
        responses.append(response)
    # Staff surveys open no case, whatever they say.
    staff_survey, _version, _questions = make_survey(org)
    staff_survey.kind = Survey.Kind.EMPLOYEE
    staff_survey.save(update_fields=["kind"])
    for comment in ("Jag vill göra en UPPSÄGNING nu.", "Ærlig talt"):
        staff = respond(loop_a, nps=0, comment=comment, customer=rich)
        Response.objects.filter(pk=staff.pk).update(survey=staff_survey)
        responses.append(staff)
    ids = [r.pk for r in responses]

    by_batch = cases_opened_by(
        lambda: rules.alert_rules_evaluate_batch(
            response_ids=ids, organization_ids=[loop_a.org.pk, loop_b.org.pk], now=now
        )
    )
    by_python = cases_opened_by(
        lambda: [alert_rules_evaluate(response=r, now=now) for r in Response.objects.order_by("pk")]
    )
    assert by_batch == by_python
    # The table exercises every kind of condition (so the comparison can fail), and never an inactive rule.
    opened_by = {rule_id for _response, rule_id, *_rest in by_batch}
    expected = {r.pk for key, r in made.items() if key != "inactive"} | {loop_a.rule.pk, loop_b.rule.pk, b_words.pk}
    assert opened_by == expected
    # Each organization's rules open cases for its own responses only.
    org_of_response = dict(Response.objects.values_list("pk", "organization_id"))
    org_of_rule = dict(AlertRule.objects.values_list("pk", "organization_id"))
    assert all(org_of_response[r] == org_of_rule[rule] for r, rule, *_rest in by_batch)
    recent = set(Response.objects.filter(submitted_at__gte=now - dt.timedelta(days=30)).values_list("pk", flat=True))
    assert {response_id for response_id, *_rest in by_batch} <= recent
    assert not {response_id for response_id, *_rest in by_batch} & {r.pk for r in responses[-2:]}
    assert len(by_batch) == len({response_id for response_id, *_rest in by_batch})  # one case per response


def test_the_batch_reads_revenue_months_in_local_time_as_the_python_rule_does(loop_a):
    from value.models import CustomerRevenue

    loop_a.rule.delete()
    rule = AlertRule.objects.create(organization=loop_a.org, name="Key accounts", min_revenue_12m=Decimal("10000"))
    now = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    submitted = dt.datetime(2026, 2, 28, 23, 30, tzinfo=dt.UTC)  # 1 March, 00:30 in Stockholm
    march_only = CustomerFactory(organization=loop_a.org)  # revenue in March 2026: inside the local window
    last_march = CustomerFactory(organization=loop_a.org)  # March 2025: inside a window read in UTC only
    CustomerRevenue.objects.create(
        organization=loop_a.org, customer=march_only, month=dt.date(2026, 3, 1), amount=20000
    )
    CustomerRevenue.objects.create(
        organization=loop_a.org, customer=last_march, month=dt.date(2025, 3, 1), amount=20000
    )
    made = [respond(loop_a, nps=9, customer=c, submitted_at=submitted) for c in (march_only, last_march)]
    matches = rules.alert_rules_match_batch(response_ids=[r.pk for r in made], rules=[rule], now=now)
    assert [m.response_id for m in matches] == [made[0].pk]
    assert [alert_rules_evaluate(response=r, now=now) is not None for r in made] == [True, False]


letters = "abeåäöæøéüABEÅÄÖÆØÉÜ"
keyword = st.builds(
    lambda word, star: word + ("*" if star else ""),
    st.text(alphabet=letters + "_-' .", min_size=1, max_size=4),
    st.booleans(),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    keywords=st.lists(keyword, min_size=1, max_size=3),
    comments=st.lists(st.text(alphabet=letters + "0123456789 _-.,!'*?\n", max_size=16), min_size=1, max_size=8),
)
def test_keywords_match_in_the_database_exactly_as_the_python_pattern(loop_a, keywords, comments):
    now = timezone.now()
    try:
        with transaction.atomic():
            rule = AlertRule.objects.create(organization=loop_a.org, name="Words", keywords="|".join(keywords))
            made = [respond(loop_a, comment=c, customer=None) for c in comments]
            in_sql = rules.alert_rules_match_batch(response_ids=[r.pk for r in made], rules=[rule], now=now)
            in_python = [r.pk for r in made if rules.rule_matches(rule, rules.response_facts(r), rules._Revenue(r))]
            assert [m.response_id for m in in_sql] == in_python, (keywords, comments)
            raise _Rollback
    except _Rollback:
        pass


def test_a_resent_batch_opens_no_second_case(loop_a):
    made = [respond(loop_a, nps=n) for n in (1, 5, 9)]
    ids = [r.pk for r in made]
    first = rules.alert_rules_evaluate_batch(response_ids=ids)
    again = rules.alert_rules_evaluate_batch(response_ids=ids)
    assert len(first) == 2 and again == []
    assert FeedbackCase.objects.count() == 2
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.CREATED).count() == 2


def test_a_batch_costs_one_query_without_rules_and_two_without_a_match(loop_a, django_assert_num_queries):
    made = [respond(loop_a, nps=9, comment="Bra") for _ in range(50)]
    ids = [r.pk for r in made]
    rules.alert_rules_match_batch(response_ids=ids[:1], rules=[loop_a.rule], now=timezone.now())  # probe, once
    with django_assert_num_queries(2):
        assert rules.alert_rules_evaluate_batch(response_ids=ids, organization_ids=[loop_a.org.pk]) == []
    AlertRule.objects.all().delete()
    with django_assert_num_queries(1):
        assert rules.alert_rules_evaluate_batch(response_ids=ids, organization_ids=[loop_a.org.pk]) == []


def test_the_not_blank_pattern_knows_every_whitespace_character():
    pattern = rules._not_blank_pattern()
    spaces = pattern[2:-1]
    assert set(spaces) == {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert {" ", "\t", "\n", "\u00a0", "\u3000"} <= set(spaces)
