"""Each criterion of the program's health on a fixture where it is met and one where it is not (and, where the rule
says so, not applicable). Expected figures are counted by hand from what each test creates.

The builders here (`World`, `respond`, ...) are shared by the other test_health* modules."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import FeedbackCase, ImprovementAction, ImprovementStatus, Origin, RootCause
from kpis.models import Benchmark, Kpi, KpiValue, Target
from program.health import rules
from program.health.measures import action, engagement, insight, integration
from program.health.months import local_today
from program.health.window import Window
from program.models import PerceptionSurvey, ProgramSettings
from reports.models import MonthlyReport, ReportDelivery
from surveys.models import Invitation, Survey
from tests.factories import (
    AnswerFactory,
    JourneyFactory,
    MembershipFactory,
    QuestionFactory,
    ResponseFactory,
    StageFactory,
    SurveyFactory,
    SurveyVersionFactory,
    TouchpointFactory,
    UserFactory,
)
from value.models import ValueSnapshot
from voice.models import CommentAnalysis, CommentTheme, Theme

pytestmark = pytest.mark.django_db
_ids = itertools.count(9_000_000)


def today(org) -> dt.date:
    return local_today(org)


def at(org, day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=org.zone)


def days_ago(org, n: int, hour: int = 12) -> dt.datetime:
    return at(org, today(org) - dt.timedelta(days=n), hour)


def window(org, as_of: dt.date | None = None) -> Window:
    return Window(organization=org, as_of=as_of or today(org))


class World:
    """One journey with one stage and `n` active touchpoints, and a published customer NPS survey on `surveyed`."""

    def __init__(self, org, n: int = 4, *, surveyed: int | None = None, min_n: int = 2):
        self.org = org
        org.min_n = min_n
        org.save(update_fields=["min_n"])
        self.journey = JourneyFactory(organization=org)
        self.stage = StageFactory(journey=self.journey)
        self.tps = [TouchpointFactory(stage=self.stage) for _ in range(n)]
        self.survey = SurveyFactory(organization=org, kind=Survey.Kind.TOUCHPOINT, status=Survey.Status.PUBLISHED)
        self.version = SurveyVersionFactory(survey=self.survey, published_at=timezone.now() - dt.timedelta(days=200))
        self.question = QuestionFactory(version=self.version)
        self.survey.current_version = self.version
        self.survey.save(update_fields=["current_version"])
        self.survey.touchpoints.set(self.tps[: n if surveyed is None else surveyed])

    def respond(self, tp, when: dt.datetime, score: int = 9, *, version=None, question=None):
        version = version or self.version
        response = ResponseFactory(version=version, touchpoint=tp, journey=self.journey, submitted_at=when)
        AnswerFactory(response=response, question=question or self.question, value=score)
        return response


def internal_survey(org, kind=Survey.Kind.LEADERSHIP):
    survey = SurveyFactory(organization=org, kind=kind, status=Survey.Status.PUBLISHED)
    version = SurveyVersionFactory(survey=survey, published_at=timezone.now() - dt.timedelta(days=200))
    question = QuestionFactory(version=version)
    return survey, version, question


def case_for(response, **fields) -> FeedbackCase:
    opened = fields.pop("opened_at", response.submitted_at)
    due = fields.pop("due_at", opened + dt.timedelta(hours=48))
    return FeedbackCase.objects.create(
        organization=response.organization,
        response=response,
        touchpoint=response.touchpoint,
        opened_at=opened,
        warn_at=due - dt.timedelta(hours=4),
        due_at=due,
        **fields,
    )


# --- engagement ---------------------------------------------------------------------------------------------------


def test_survey_coverage_counts_surveyed_touchpoints_with_enough_recent_customer_responses(cast_a):
    org = cast_a.org
    world = World(org, 4, surveyed=3)
    a, b, c, d = world.tps
    for tp in (a, b, c, d):  # d answers too, but has no published survey of its own
        world.respond(tp, days_ago(org, 3))
        world.respond(tp, days_ago(org, 80))
    result = engagement.survey_coverage(window(org))
    assert result["status"] == "met" and result["value"] == pytest.approx(3 / 4)
    assert result["evidence"] == {"covered": 3, "total": 4, "min_n": 2, "days": 90}
    assert result["url"] == reverse("surveys:survey_list")


def test_survey_coverage_ignores_old_and_staff_responses(cast_a):
    org = cast_a.org
    world = World(org, 4)
    _, staff_version, staff_question = internal_survey(org)
    a, b, c, _d = world.tps
    world.respond(a, days_ago(org, 1))
    world.respond(a, days_ago(org, 2))
    world.respond(b, days_ago(org, 1))
    world.respond(b, days_ago(org, 95))  # outside the 90 days
    world.respond(c, days_ago(org, 1))
    world.respond(c, days_ago(org, 1), version=staff_version, question=staff_question)  # a leader, not a customer
    result = engagement.survey_coverage(window(org))
    assert result["status"] == "not_met" and result["value"] == pytest.approx(1 / 4)


def test_survey_coverage_window_ends_at_the_as_of_date(cast_a):
    org = cast_a.org
    world = World(org, 1)
    world.respond(world.tps[0], days_ago(org, 1))
    world.respond(world.tps[0], days_ago(org, 2))
    assert engagement.survey_coverage(window(org))["status"] == "met"
    earlier = today(org) - dt.timedelta(days=3)
    assert engagement.survey_coverage(window(org, earlier))["status"] == "not_met"


def _invitations(world, n: int, used: int, *, survey=None, sent_days_ago: int = 5):
    org = world.org
    for i in range(n):
        Invitation.objects.create(
            organization=org,
            survey=survey or world.survey,
            touchpoint=world.tps[0],
            sent_at=days_ago(org, sent_days_ago),
            expires_at=timezone.now() + dt.timedelta(days=10),
            used_at=days_ago(org, sent_days_ago - 1) if i < used else None,
        )


def test_response_rate_met_not_met_and_not_applicable(cast_a, cast_b):
    world = World(cast_a.org, 1)
    _invitations(world, 10, 2)  # 20 %: exactly the bar
    _invitations(world, 5, 5, sent_days_ago=120)  # too old to count
    staff, _, _ = internal_survey(cast_a.org)
    _invitations(world, 5, 0, survey=staff)  # staff invitations do not count
    result = engagement.response_rate(window(cast_a.org))
    assert result["status"] == "met" and result["value"] == pytest.approx(0.2)
    assert result["evidence"]["sent"] == 10 and result["evidence"]["answered"] == 2

    other = World(cast_b.org, 1)
    _invitations(other, 10, 1)
    assert engagement.response_rate(window(cast_b.org))["status"] == "not_met"
    Invitation.objects.filter(organization=cast_b.org).update(sent_at=None)
    assert engagement.response_rate(window(cast_b.org))["status"] == "not_applicable"


def test_touchpoint_owners_share(cast_a):
    world = World(cast_a.org, 5)
    for tp in world.tps[:4]:
        tp.owner = cast_a.cx_manager.user
        tp.save()
    TouchpointFactory(stage=world.stage, is_active=False)  # inactive: not counted
    result = engagement.touchpoint_owners(window(cast_a.org))
    assert result["status"] == "met" and result["value"] == pytest.approx(0.8)
    world.tps[0].owner = None
    world.tps[0].save()
    result = engagement.touchpoint_owners(window(cast_a.org))
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.6)


def test_journeys_mapped_needs_every_active_journey_with_stages_and_touchpoints(cast_a):
    org = cast_a.org
    assert engagement.journeys_mapped(window(org))["status"] == "not_met"  # no journey at all
    World(org, 1)
    JourneyFactory(organization=org, is_archived=True)  # archived: not counted
    result = engagement.journeys_mapped(window(org))
    assert result["status"] == "met" and result["evidence"] == {"mapped": 1, "total": 1}
    StageFactory(journey=JourneyFactory(organization=org))  # a stage, no touchpoint
    result = engagement.journeys_mapped(window(org))
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.5)


def test_program_owner_needs_an_owner_and_two_steering_members_of_the_organization(cast_a, cast_b):
    org = cast_a.org
    assert engagement.program_owner(window(org))["value"] == 0
    row = ProgramSettings.objects.create(organization=org, owner=cast_a.cx_manager.user)
    row.steering_group.set([cast_a.executive.user, cast_b.admin.user])  # bob's admin is no member here
    result = engagement.program_owner(window(org))
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.75)
    assert result["evidence"] == {"has_owner": True, "steering": 1, "min_steering": 2}
    row.steering_group.add(cast_a.admin.user)
    result = engagement.program_owner(window(org))
    assert result["status"] == "met" and result["value"] == 1
    row.owner = cast_b.cx_manager.user
    row.save()
    assert engagement.program_owner(window(org))["status"] == "not_met"


# --- insight ------------------------------------------------------------------------------------------------------


def _kpi(org, code="nps", **fields) -> Kpi:
    fields.setdefault("kind", Kpi.Kind.SURVEY)
    fields.setdefault("metric", "nps" if fields["kind"] == Kpi.Kind.SURVEY else "")
    return Kpi.objects.create(organization=org, code=code, name=code, **fields)


def _target(kpi, *, touchpoint=None, journey=None, stage=None, start=None, end=None, comp=False) -> Target:
    scope = "touchpoint" if touchpoint else "stage" if stage else "journey" if journey else "organization"
    if touchpoint is not None:
        journey = touchpoint.journey
    if stage is not None:
        journey = stage.journey
    today_ = today(kpi.organization)
    return Target.objects.create(
        organization=kpi.organization,
        kpi=kpi,
        scope=scope,
        journey=journey,
        stage=stage,
        touchpoint=touchpoint,
        period_start=start or today_ - dt.timedelta(days=30),
        period_end=end or today_ + dt.timedelta(days=30),
        value=20,
        linked_to_compensation=comp,
    )


def test_targets_on_the_touchpoint_its_stage_or_its_journey(cast_a):
    org = cast_a.org
    world = World(org, 3)
    second = StageFactory(journey=world.journey)
    tp4 = TouchpointFactory(stage=second)
    other_journey = JourneyFactory(organization=org)
    tp5 = TouchpointFactory(stage=StageFactory(journey=other_journey))
    kpi = _kpi(org)
    _target(kpi, touchpoint=world.tps[0])
    _target(kpi, stage=second)  # tp4
    _target(kpi, journey=other_journey)  # tp5
    _target(kpi)  # organization-wide: no touchpoint's own target
    old = today(org) - dt.timedelta(days=400)
    _target(kpi, touchpoint=world.tps[1], start=old, end=old + dt.timedelta(days=30))  # expired
    result = insight.targets(window(org))
    assert result["evidence"] == {"covered": 3, "total": 5}
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.6)
    _target(kpi, touchpoint=world.tps[2])
    assert insight.targets(window(org))["status"] == "met"
    assert tp4.pk and tp5.pk


def _benchmark(kpi, *, journey=None, touchpoint=None, end=None) -> Benchmark:
    end = end or today(kpi.organization) - dt.timedelta(days=10)
    return Benchmark.objects.create(
        organization=kpi.organization,
        kpi=kpi,
        source_name="Telia",
        journey=journey,
        touchpoint=touchpoint,
        period_start=end - dt.timedelta(days=90),
        period_end=end,
        value=12,
    )


def test_benchmarks_of_the_touchpoint_or_its_journey_and_recent(cast_a):
    org = cast_a.org
    world = World(org, 4)
    kpi = _kpi(org)
    _benchmark(kpi)  # organization-wide: compares no touchpoint
    _benchmark(kpi, touchpoint=world.tps[0])
    _benchmark(kpi, touchpoint=world.tps[1], end=today(org) - dt.timedelta(days=400))  # too old
    result = insight.benchmarks(window(org))
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.25)
    _benchmark(kpi, journey=world.journey)
    result = insight.benchmarks(window(org))
    assert result["status"] == "met" and result["value"] == 1


def _value_snapshot(org, *, supported: int, unsupported: int = 1, drivers: int = 0, computed_at=None, status="done"):
    rows = [{"touchpoint_id": i, "supported": i < supported} for i in range(supported + unsupported)]
    return ValueSnapshot.objects.create(
        organization=org,
        status=status,
        computed_at=computed_at or timezone.now(),
        results={"touchpoints": rows, "drivers": {"n_drivers": drivers}},
    )


def test_value_model_and_key_drivers_read_the_latest_done_snapshot_up_to_the_as_of_date(cast_a):
    org = cast_a.org
    w = window(org)
    assert insight.value_model(w)["status"] == "not_met" and insight.value_model(w)["evidence"]["computed_on"] is None
    _value_snapshot(org, supported=2, drivers=3, computed_at=days_ago(org, 40))
    _value_snapshot(org, supported=0, drivers=0, computed_at=days_ago(org, 1))  # the latest: nothing supported
    _value_snapshot(org, supported=5, drivers=5, status="failed")  # failed runs do not count
    w = window(org)
    assert insight.value_model(w)["status"] == "not_met" and insight.key_drivers(w)["status"] == "not_met"
    w = window(org, today(org) - dt.timedelta(days=10))  # before the latest run
    value, drivers = insight.value_model(w), insight.key_drivers(w)
    assert value["status"] == "met" and value["value"] == 2 and value["evidence"]["touchpoints"] == 3
    assert drivers["status"] == "met" and drivers["value"] == 3


def _comment(org, response, *, day: dt.date, themes=()) -> CommentAnalysis:
    analysis = CommentAnalysis.objects.create(
        answer_id=next(_ids),
        organization=org,
        response=response,
        survey_id=response.survey_id,
        touchpoint=response.touchpoint,
        submitted_on=day,
        month=day.replace(day=1),
        status=CommentAnalysis.Status.DONE,
        masked_text="text",
    )
    for theme in themes:
        CommentTheme.objects.create(organization=org, analysis=analysis, theme=theme)
    return analysis


def test_themes_coverage_met_not_met_and_not_applicable(cast_a):
    org = cast_a.org
    world = World(org, 1)
    response = world.respond(world.tps[0], days_ago(org, 1))
    assert insight.themes_coverage(window(org))["status"] == "not_applicable"  # no theme set up
    invoice = Theme.objects.create(organization=org, name="Invoice")
    day = today(org) - dt.timedelta(days=5)
    for i in range(5):
        _comment(org, response, day=day, themes=[invoice] if i < 3 else [])
    _comment(org, response, day=today(org) - dt.timedelta(days=100))  # outside the window
    result = insight.themes_coverage(window(org))
    assert result["status"] == "met" and result["value"] == pytest.approx(0.6)
    CommentTheme.objects.filter(organization=org).first().delete()
    result = insight.themes_coverage(window(org))
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.4)
    invoice.status = Theme.Status.ARCHIVED
    invoice.save()
    assert insight.themes_coverage(window(org))["status"] == "not_applicable"


def test_perception_gap_needs_three_responses_in_the_last_twelve_months(cast_a):
    org = cast_a.org
    world = World(org, 1)
    survey, version, question = internal_survey(org)
    PerceptionSurvey.objects.create(organization=org, survey=survey, journey=world.journey)
    for n in (10, 200, 400):  # the last one is more than a year ago
        world.respond(None, days_ago(org, n), version=version, question=question)
    result = insight.perception_gap(window(org))
    assert result["status"] == "not_met" and result["value"] == 2
    world.respond(None, days_ago(org, 3), version=version, question=question)
    result = insight.perception_gap(window(org))
    assert result["status"] == "met" and result["value"] == 3 and result["evidence"]["surveys"] == 1


# --- action -------------------------------------------------------------------------------------------------------


def test_detractor_followup_counts_customer_detractors_with_a_case(cast_a):
    org = cast_a.org
    world = World(org, 1)
    tp = world.tps[0]
    detractors = [world.respond(tp, days_ago(org, 2 + i), score=i) for i in range(5)]  # scores 0..4
    promoter = world.respond(tp, days_ago(org, 2), score=10)
    case_for(promoter)  # a promoter's case does not count
    _, staff_version, staff_question = internal_survey(org)
    world.respond(tp, days_ago(org, 2), score=1, version=staff_version, question=staff_question)  # staff answer
    world.respond(tp, days_ago(org, 120), score=2)  # outside the window
    for r in detractors[:3]:
        case_for(r)
    result = action.detractor_followup(window(org))
    assert result["evidence"] == {"with_case": 3, "detractors": 5, "days": 90}
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.6)
    case_for(detractors[3])
    result = action.detractor_followup(window(org))
    assert result["status"] == "met" and result["value"] == pytest.approx(0.8)
    six = world.respond(tp, days_ago(org, 1), score=6)  # 6 is still a detractor
    assert action.detractor_followup(window(org))["evidence"]["detractors"] == 6
    assert six.pk


def test_case_sla_counts_first_contact_by_the_due_time(cast_a):
    org = cast_a.org
    world = World(org, 1)
    tp = world.tps[0]

    def case(contact_after_hours, **fields):
        response = world.respond(tp, days_ago(org, 5), score=2)
        c = case_for(response, **fields)
        if contact_after_hours is not None:
            c.first_contact_at = c.opened_at + dt.timedelta(hours=contact_after_hours)
            c.save()
        return c

    for _ in range(3):
        case(10)  # in time
    case(60)  # late (due after 48 h)
    case(None)  # never contacted, overdue
    case(None, closed_without_contact=True)  # may not be contacted: left out
    case(None, due_at=timezone.now() + dt.timedelta(hours=5))  # not due yet: left out
    result = action.case_sla(window(org))
    assert result["evidence"] == {"in_sla": 3, "cases": 5, "days": 90}
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.6)
    for _ in range(5):
        case(1)
    result = action.case_sla(window(org))
    assert result["evidence"]["cases"] == 10
    assert result["status"] == "met" and result["value"] == pytest.approx(rules.CASE_SLA_MIN)


def test_root_causes_on_closed_cases(cast_a):
    org = cast_a.org
    world = World(org, 1)
    cause = RootCause.objects.create(organization=org, name="Late")
    cases = []
    for _ in range(5):
        c = case_for(world.respond(world.tps[0], days_ago(org, 10), score=3))
        c.status, c.closed_at = FeedbackCase.Status.CLOSED, days_ago(org, 8)
        c.save()
        cases.append(c)
    case_for(world.respond(world.tps[0], days_ago(org, 10), score=3), root_cause=cause)  # open: not counted
    case_for(  # closed without contact (no consent): nobody could ask for the cause, not counted
        world.respond(world.tps[0], days_ago(org, 10), score=3),
        status=FeedbackCase.Status.CLOSED,
        closed_at=days_ago(org, 9),
        closed_without_contact=True,
    )
    FeedbackCase.objects.filter(pk__in=[c.pk for c in cases[:3]]).update(root_cause=cause)
    result = action.root_causes(window(org))
    assert result["evidence"] == {"with_root_cause": 3, "closed": 5, "days": 90}
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.6)
    FeedbackCase.objects.filter(pk=cases[3].pk).update(root_cause=cause)
    result = action.root_causes(window(org))
    assert result["status"] == "met" and result["value"] == pytest.approx(0.8)


def test_improvement_actions_from_root_causes_or_gaps_in_the_last_six_months(cast_a):
    org = cast_a.org
    ImprovementAction.objects.create(organization=org, title="Misc", origin=Origin.OTHER)
    old = ImprovementAction.objects.create(organization=org, title="Old", origin=Origin.ROOT_CAUSE)
    ImprovementAction.objects.filter(pk=old.pk).update(created_at=days_ago(org, 200))
    assert action.improvement_actions(window(org))["status"] == "not_met"
    ImprovementAction.objects.create(organization=org, title="Gap", origin=Origin.TOUCHPOINT_GAP)
    result = action.improvement_actions(window(org))
    assert result["status"] == "met" and result["value"] == 1


def _done_action(org, *, done_days_ago: int, late_days: int = 0, **fields) -> ImprovementAction:
    done = today(org) - dt.timedelta(days=done_days_ago)
    fields.setdefault("due_date", done - dt.timedelta(days=late_days))
    fields.setdefault("status", ImprovementStatus.DONE)
    return ImprovementAction.objects.create(organization=org, title="Action", done_date=done, **fields)


def test_actions_delivered_on_time(cast_a):
    org = cast_a.org
    _done_action(org, done_days_ago=20)
    _done_action(org, done_days_ago=30, late_days=-5)  # early
    _done_action(org, done_days_ago=40, late_days=10)  # late
    _done_action(org, done_days_ago=50, late_days=3)  # late
    _done_action(org, done_days_ago=60, due_date=None)  # no due date: cannot be on time or late
    _done_action(org, done_days_ago=400, late_days=30)  # more than a year ago
    result = action.actions_on_time(window(org))
    assert result["evidence"] == {"on_time": 2, "done": 4, "days": 365}
    assert result["status"] == "not_met"
    _done_action(org, done_days_ago=10)
    _done_action(org, done_days_ago=11)
    _done_action(org, done_days_ago=12)
    result = action.actions_on_time(window(org))
    assert result["status"] == "met" and result["value"] == pytest.approx(5 / 7)


# --- integration --------------------------------------------------------------------------------------------------


def test_compensation_needs_a_target_in_force_linked_to_pay(cast_a):
    org = cast_a.org
    kpi = _kpi(org)
    old = today(org) - dt.timedelta(days=400)
    _target(kpi, comp=True, start=old, end=old + dt.timedelta(days=90))
    _target(kpi, comp=False)
    assert integration.compensation(window(org))["status"] == "not_met"
    _target(kpi, comp=True)
    result = integration.compensation(window(org))
    assert result["status"] == "met" and result["value"] == 1


def test_impact_measured_among_actions_past_their_after_period(cast_a):
    org = cast_a.org
    measured = {"status": ImprovementStatus.IMPACT_MEASURED, "impact_measured_at": days_ago(org, 5)}
    _done_action(org, done_days_ago=120, **measured)
    _done_action(org, done_days_ago=150)
    _done_action(org, done_days_ago=100)
    _done_action(org, done_days_ago=10)  # its 90-day after-period has not ended: not yet measurable
    result = integration.impact_measured(window(org))
    assert result["evidence"] == {"measured": 1, "eligible": 3, "days": 365}
    assert result["status"] == "not_met"
    _done_action(org, done_days_ago=200, **measured)
    result = integration.impact_measured(window(org))
    assert result["status"] == "not_met" and result["value"] == pytest.approx(0.5)
    _done_action(org, done_days_ago=210, **measured)
    result = integration.impact_measured(window(org))
    assert result["status"] == "met" and result["value"] == pytest.approx(0.6)


def test_realised_value_in_the_last_twelve_months(cast_a):
    org = cast_a.org
    _done_action(org, done_days_ago=500, impact_measured_at=days_ago(org, 400), realised_value=Decimal("9000"))
    _done_action(org, done_days_ago=120, impact_measured_at=days_ago(org, 5), realised_value=Decimal("0"))
    result = integration.realised_value(window(org))
    assert result["status"] == "not_met" and result["value"] == 0
    _done_action(org, done_days_ago=130, impact_measured_at=days_ago(org, 20), realised_value=Decimal("1234.50"))
    result = integration.realised_value(window(org))
    assert result["status"] == "met" and result["value"] == pytest.approx(1234.5)
    assert result["evidence"]["currency"] == org.currency


def _deliveries(org, users, read: int, *, sent_days_ago: int = 20, month=None):
    month = month or (today(org) - dt.timedelta(days=40)).replace(day=1)
    report = MonthlyReport.objects.create(organization=org, month=month, status=MonthlyReport.Status.READY)
    for i, user in enumerate(users):
        ReportDelivery.objects.create(
            organization=org,
            report=report,
            user=user,
            email=user.email,
            language="en",
            state=ReportDelivery.State.SENT,
            sent_at=days_ago(org, sent_days_ago),
            read_at=days_ago(org, sent_days_ago - 1) if i < read else None,
        )
    return report


def test_reports_read_met_not_met_and_not_applicable(cast_a):
    org = cast_a.org
    assert integration.reports_read(window(org))["status"] == "not_applicable"
    users = [UserFactory() for _ in range(4)]
    for user in users:
        MembershipFactory(organization=org, user=user)
    recent = _deliveries(org, users, read=1)
    _deliveries(org, users, read=4, sent_days_ago=150, month=(today(org) - dt.timedelta(days=180)).replace(day=1))
    result = integration.reports_read(window(org))
    assert result["evidence"] == {"read": 1, "sent": 4, "days": 92}
    assert result["status"] == "not_met"
    unread = ReportDelivery.objects.filter(report=recent, read_at__isnull=True).order_by("pk").first()
    ReportDelivery.objects.filter(pk=unread.pk).update(read_at=timezone.now())
    result = integration.reports_read(window(org))
    assert result["status"] == "met" and result["value"] == pytest.approx(0.5)


def test_operational_kpis_need_imported_values_in_the_last_90_days(cast_a):
    org = cast_a.org
    world = World(org, 1)
    survey_kpi = _kpi(org, "nps")
    imported = _kpi(org, "delivery_delay", kind=Kpi.Kind.IMPORTED)
    KpiValue.objects.create(
        organization=org, kpi=imported, touchpoint=world.tps[0], day=today(org) - dt.timedelta(days=100), value=3
    )
    assert integration.operational_kpis(window(org))["status"] == "not_met"
    assert survey_kpi.pk
    KpiValue.objects.create(
        organization=org, kpi=imported, touchpoint=world.tps[0], day=today(org) - dt.timedelta(days=3), value=2
    )
    result = integration.operational_kpis(window(org))
    assert result["status"] == "met" and result["value"] == 1
    # Windows end at the as-of date: four days ago neither value was of the 90 days before; fifty days ago one was.
    assert integration.operational_kpis(window(org, today(org) - dt.timedelta(days=4)))["status"] == "not_met"
    assert integration.operational_kpis(window(org, today(org) - dt.timedelta(days=50)))["status"] == "met"
