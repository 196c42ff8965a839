"""Improvement actions: from a root cause to the board and roadmap, measured impact and the wins feed."""

import datetime as dt
import statistics
from statistics import NormalDist

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import FeedbackCase, ImprovementAction
from kpis.rollups import rebuild_rollups
from surveys.models import Answer, Question, Response, Survey, SurveyVersion
from surveys.signals import response_processed
from tests.actions.conftest import bulk_nps, respond
from value.models import ValueSnapshot

pytestmark = pytest.mark.django_db


def value_snapshot(loop, value_per_point=1000.0, supported=True):
    return ValueSnapshot.objects.create(
        organization=loop.org,
        status=ValueSnapshot.Status.DONE,
        computed_at=timezone.now(),
        currency="SEK",
        results={
            "touchpoints": [
                {
                    "touchpoint_id": loop.touchpoint.pk,
                    "supported": supported,
                    "value_per_point": value_per_point if supported else None,
                    "low": value_per_point / 2 if supported else None,
                    "high": value_per_point * 1.5 if supported else None,
                    "n_customers": 400,
                    "reason_code": "" if supported else "too_few_customers",
                    "reason_params": {} if supported else {"n": 12, "min": 100},
                }
            ]
        },
    )


def case_with_root_cause(loop, root_cause, **kwargs) -> FeedbackCase:
    response = respond(loop, nps=2, **kwargs)
    response_processed.send(sender=Response, response=response)
    case = FeedbackCase.objects.get(response=response)
    FeedbackCase.objects.filter(pk=case.pk).update(root_cause=root_cause)
    return case


def test_an_action_created_from_a_recurring_root_cause_links_its_cases(loop_a, client_for):
    late = [case_with_root_cause(loop_a, loop_a.root_causes["late"]) for _ in range(3)]
    parent = case_with_root_cause(loop_a, loop_a.root_causes["technician"])
    other = case_with_root_cause(loop_a, loop_a.root_causes["no_show"])
    c = client_for(loop_a.cast.cx_manager)
    form = c.get(
        reverse("actions:improvement_create") + f"?root_cause={loop_a.root_causes['late'].pk}"
    ).content.decode()
    assert "Fix: Late" in form
    response = c.post(
        reverse("actions:improvement_create"),
        {
            "title": "SMS when the technician is late",
            "status": "idea",
            "horizon": "quick_win",
            "origin": "root_cause",
            "root_cause": loop_a.root_causes["late"].pk,
            "touchpoints": [loop_a.touchpoint.pk],
            "impact_before_days": 90,
            "impact_after_days": 90,
            "link_root_cause_cases": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    action = ImprovementAction.objects.get()
    assert set(action.cases.all()) == set(late)
    assert parent not in action.cases.all() and other not in action.cases.all()
    # A parent cause links the cases of its children too.
    c.post(
        reverse("actions:improvement_create"),
        {
            "title": "Technician programme",
            "status": "idea",
            "horizon": "long",
            "origin": "root_cause",
            "root_cause": loop_a.root_causes["technician"].pk,
            "impact_before_days": 90,
            "impact_after_days": 90,
            "link_root_cause_cases": "on",
        },
    )
    assert ImprovementAction.objects.get(title="Technician programme").cases.count() == 5


def test_an_action_can_start_from_a_touchpoint_gap(loop_a, client_for):
    page = (
        client_for(loop_a.cast.cx_manager)
        .get(reverse("actions:improvement_create") + f"?touchpoint={loop_a.touchpoint.pk}")
        .content.decode()
    )
    assert f"Close the gap at {loop_a.touchpoint.name}" in page


def test_cards_move_on_the_board_with_htmx_and_dates_follow(loop_a, client_for, django_assert_max_num_queries):
    action = ImprovementAction.objects.create(organization=loop_a.org, title="Better booking slots")
    action.touchpoints.add(loop_a.touchpoint)
    for i in range(8):
        ImprovementAction.objects.create(organization=loop_a.org, title=f"Filler {i}", status="approved")
    c = client_for(loop_a.cast.cx_manager)
    c.get(reverse("actions:board"))
    with django_assert_max_num_queries(12):
        c.get(reverse("actions:board"))
    move = reverse("actions:improvement_move", args=[action.pk])
    fragment = c.post(move, {"status": "approved"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert 'id="board"' in fragment.content.decode()
    c.post(move, {"status": "in_progress"}, HTTP_HX_REQUEST="true")
    action.refresh_from_db()
    assert action.status == "in_progress" and action.start_date == timezone.localdate()
    c.post(move, {"status": "done"}, HTTP_HX_REQUEST="true")
    action.refresh_from_db()
    assert action.done_date == timezone.localdate()
    page = c.post(move, {"status": "impact_measured"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Measure the impact" in page
    action.refresh_from_db()
    assert action.status == "done"


@pytest.mark.parametrize("role", ["frontline", "executive"])
def test_only_program_editors_move_cards(loop_a, client_for, role):
    action = ImprovementAction.objects.create(organization=loop_a.org, title="x")
    c = client_for(loop_a.cast.member(role))
    assert c.get(reverse("actions:board")).status_code == 200
    assert c.post(reverse("actions:improvement_move", args=[action.pk]), {"status": "approved"}).status_code == 403
    action.refresh_from_db()
    assert action.status == "idea"


def test_roadmap_groups_by_horizon_with_expected_value_and_payback(loop_a, client_for):
    value_snapshot(loop_a, value_per_point=1000)
    quick = ImprovementAction.objects.create(
        organization=loop_a.org,
        title="SMS reminder",
        horizon="quick_win",
        expected_uplift=5,
        cost=2500,
        start_date=timezone.localdate(),
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
    quick.touchpoints.add(loop_a.touchpoint)
    ImprovementAction.objects.create(organization=loop_a.org, title="New booking system", horizon="long")
    page = client_for(loop_a.cast.executive).get(reverse("actions:roadmap")).content.decode()
    quick_section = page.split('data-testid="horizon-quick_win"')[1].split("</section>")[0].replace("\xa0", " ")
    assert "SMS reminder" in quick_section and "New booking system" not in quick_section
    assert "5,000 SEK" in quick_section or "5 000 SEK" in quick_section or "5000 SEK" in quick_section
    assert "Payback 0.5 yr" in quick_section
    long_section = page.split('data-testid="horizon-long"')[1].split("</section>")[0]
    assert "New booking system" in long_section and "No expected uplift given." in long_section


def test_expected_value_explains_why_when_the_value_model_cannot_support_it(loop_a, client_for):
    value_snapshot(loop_a, supported=False)
    action = ImprovementAction.objects.create(organization=loop_a.org, title="x", expected_uplift=3)
    action.touchpoints.add(loop_a.touchpoint)
    page = (
        client_for(loop_a.cast.cx_manager).get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    )
    assert "Only 12 customers have both a score and revenue data" in page


def done_action(loop, today: dt.date) -> ImprovementAction:
    action = ImprovementAction.objects.create(
        organization=loop.org,
        title="SMS reminder 1 h before the technician arrives",
        status="done",
        start_date=today - dt.timedelta(days=60),
        done_date=today - dt.timedelta(days=40),
        impact_before_days=30,
        impact_after_days=30,
    )
    action.touchpoints.add(loop.touchpoint)
    return action


def test_a_significant_improvement_is_a_success_with_realised_value_and_can_be_published(loop_a, client_for):
    today = timezone.localdate()
    value_snapshot(loop_a, value_per_point=1000)
    action = done_action(loop_a, today)
    # Before (days 61-90 ago): NPS -20 (30 promoters, 40 passives, 50 detractors). After: NPS +40.
    bulk_nps(
        loop_a, touchpoint=loop_a.touchpoint, day=today - dt.timedelta(days=70), scores=[10] * 30 + [8] * 40 + [3] * 50
    )
    bulk_nps(
        loop_a, touchpoint=loop_a.touchpoint, day=today - dt.timedelta(days=20), scores=[10] * 60 + [8] * 40 + [3] * 20
    )
    # Answers inside the action's own period (between start and done) belong to neither window.
    bulk_nps(loop_a, touchpoint=loop_a.touchpoint, day=today - dt.timedelta(days=50), scores=[0] * 50)
    rebuild_rollups(organization_id=loop_a.org.pk)
    c = client_for(loop_a.cast.cx_manager)
    c.post(reverse("actions:improvement_measure", args=[action.pk]))
    action.refresh_from_db()
    assert action.status == "impact_measured"
    assert (action.impact_before_n, action.impact_after_n) == (120, 120)
    assert action.impact_before_nps == pytest.approx(-100 * 20 / 120)
    assert action.impact_after_nps == pytest.approx(100 * 40 / 120)
    assert action.impact_delta == pytest.approx(50.0)
    assert action.impact_significant and action.impact_p_value < 0.001 and action.is_success
    assert float(action.realised_value) == pytest.approx(50.0 * 1000)
    page = c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    assert 'data-testid="success"' in page
    c.post(reverse("actions:improvement_publish", args=[action.pk]), {"story": "Customers knew when we came."})
    for role in ("frontline", "executive", "admin"):
        wins = client_for(loop_a.cast.member(role)).get(reverse("actions:wins")).content.decode()
        assert "SMS reminder 1 h before the technician arrives" in wins and "Customers knew when we came." in wins


def test_a_change_that_is_not_significant_is_not_a_success_and_cannot_be_published(loop_a, client_for):
    today = timezone.localdate()
    action = done_action(loop_a, today)
    # NPS -5 (n = 40) to +5 (n = 40): a 10-point change well inside the noise (p ~ 0.6).
    before, after = [10] * 12 + [8] * 14 + [3] * 14, [10] * 14 + [8] * 14 + [3] * 12
    bulk_nps(loop_a, touchpoint=loop_a.touchpoint, day=today - dt.timedelta(days=70), scores=before)
    bulk_nps(loop_a, touchpoint=loop_a.touchpoint, day=today - dt.timedelta(days=20), scores=after)
    rebuild_rollups(organization_id=loop_a.org.pk)
    c = client_for(loop_a.cast.cx_manager)
    c.post(reverse("actions:improvement_measure", args=[action.pk]))
    action.refresh_from_db()
    assert action.impact_delta == pytest.approx(10.0) and action.impact_significant is False
    assert action.impact_p_value > 0.5
    assert not action.is_success and action.realised_value is None
    page = c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    assert 'data-testid="not-success"' in page and 'data-testid="publish"' not in page
    c.post(reverse("actions:improvement_publish", args=[action.pk]), {"story": "x"})
    action.refresh_from_db()
    assert action.published_at is None
    assert "No published wins yet." in c.get(reverse("actions:wins")).content.decode()


def test_a_large_change_on_too_few_answers_is_not_a_success(loop_a, client_for):
    today = timezone.localdate()
    action = done_action(loop_a, today)
    # NPS -100 to +100 on 12 answers each: p is tiny, but n is below the organization's minimum of 30.
    bulk_nps(loop_a, touchpoint=loop_a.touchpoint, day=today - dt.timedelta(days=70), scores=[2] * 11 + [9])
    bulk_nps(loop_a, touchpoint=loop_a.touchpoint, day=today - dt.timedelta(days=20), scores=[10] * 11 + [3])
    rebuild_rollups(organization_id=loop_a.org.pk)
    client_for(loop_a.cast.cx_manager).post(reverse("actions:improvement_measure", args=[action.pk]))
    action.refresh_from_db()
    assert action.impact_delta > 100 and action.impact_p_value < 0.001
    assert action.impact_significant is False and not action.is_success
    assert "fewer than 30" in action.impact_note


def test_an_action_that_is_not_done_cannot_be_measured(loop_a, client_for):
    action = ImprovementAction.objects.create(organization=loop_a.org, title="x", status="in_progress")
    response = client_for(loop_a.cast.cx_manager).post(
        reverse("actions:improvement_measure", args=[action.pk]), follow=True
    )
    assert "Only a done action can be measured." in response.content.decode()
    action.refresh_from_db()
    assert action.impact_measured_at is None


# -- every scale: a CSAT-only organization -----------------------------------------------------------------------


def csat_survey(loop):
    """The organization's only survey: one CSAT question (no NPS anywhere); CSAT is its primary metric."""
    org = loop.org
    org.primary_metric, org.primary_measure = "csat", ""
    org.save(update_fields=["primary_metric", "primary_measure"])
    survey = Survey.objects.create(organization=org, name="After the visit", kind=Survey.Kind.TOUCHPOINT)
    version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
    question = Question.objects.create(
        organization=org, version=version, position=1, code="csat", kind="csat", text={"en": "How satisfied?"}
    )
    return survey, version, question


def bulk_csat(loop, survey_parts, *, day: dt.date, scores: list[int]) -> None:
    survey, version, question = survey_parts
    moment = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    responses = Response.objects.bulk_create(
        Response(
            organization=loop.org,
            survey=survey,
            version=version,
            touchpoint=loop.touchpoint,
            journey_id=loop.touchpoint.journey_id,
            submitted_at=moment,
            processed_at=moment,
        )
        for _ in scores
    )
    Answer.objects.bulk_create(
        Answer(
            organization=loop.org,
            response=r,
            question=question,
            touchpoint=loop.touchpoint,
            submitted_on=day,
            metric="csat",
            value=score,
        )
        for r, score in zip(responses, scores, strict=True)
    )


# Before: mean 132/40 = 3.3, top-2-box 20/40 = 50 %. After: mean 172/40 = 4.3, top-2-box 35/40 = 87.5 %.
CSAT_BEFORE = [5] * 8 + [4] * 12 + [3] * 8 + [2] * 8 + [1] * 4
CSAT_AFTER = [5] * 20 + [4] * 15 + [3] * 3 + [2] * 1 + [1] * 1


def two_sided_p(z: float) -> float:
    return 2 * (1 - NormalDist().cdf(abs(z)))


def csat_snapshot(loop, *, metric="csat", measure="mean", value_per_point=20000.0):
    snapshot = value_snapshot(loop, value_per_point=value_per_point)
    snapshot.parameters = {"metric": metric, "measure": measure}
    snapshot.save(update_fields=["parameters"])
    return snapshot


def measured_csat_action(loop_a, client_for, *, measure: str = "", before=CSAT_BEFORE, after=CSAT_AFTER):
    today = timezone.localdate()
    parts = csat_survey(loop_a)
    bulk_csat(loop_a, parts, day=today - dt.timedelta(days=70), scores=before)
    bulk_csat(loop_a, parts, day=today - dt.timedelta(days=20), scores=after)
    bulk_csat(loop_a, parts, day=today - dt.timedelta(days=50), scores=[1] * 30)  # during the action: neither
    rebuild_rollups(organization_id=loop_a.org.pk)
    c = client_for(loop_a.cast.cx_manager)
    response = c.post(
        reverse("actions:improvement_create"),
        {
            "title": "Call back every unhappy customer",
            "status": "done",
            "horizon": "quick_win",
            "origin": "other",
            "touchpoints": [loop_a.touchpoint.pk],
            "metric": "csat",
            "measure": measure,
            "expected_uplift": "0.3" if measure == "" else "10",
            "impact_before_days": 30,
            "impact_after_days": 30,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    action = ImprovementAction.objects.get()
    ImprovementAction.objects.filter(pk=action.pk).update(
        start_date=today - dt.timedelta(days=60), done_date=today - dt.timedelta(days=40)
    )
    c.post(reverse("actions:improvement_measure", args=[action.pk]))
    action.refresh_from_db()
    return action, c


def test_a_csat_organizations_action_is_measured_on_mean_csat_from_the_rollups(loop_a, client_for):
    csat_snapshot(loop_a, value_per_point=20000.0)
    action, c = measured_csat_action(loop_a, client_for)
    assert (action.metric, action.measure) == ("csat", "")
    assert (action.impact_metric, action.impact_measure) == ("csat", "mean")
    assert (action.impact_before_n, action.impact_after_n) == (40, 40)
    assert action.impact_before_nps == pytest.approx(132 / 40)
    assert action.impact_after_nps == pytest.approx(172 / 40)
    assert action.impact_delta == pytest.approx(1.0)
    # Welch's z on the raw answers, computed here independently of the rollups.
    se = (statistics.variance(CSAT_BEFORE) / 40 + statistics.variance(CSAT_AFTER) / 40) ** 0.5
    assert action.impact_p_value == pytest.approx(two_sided_p(1.0 / se), rel=1e-6)
    assert action.impact_significant and action.is_success
    # The value model ran on mean CSAT: one CSAT point is worth 20,000 a year at this touchpoint.
    assert float(action.realised_value) == pytest.approx(20000.0, abs=0.01)
    page = c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    assert "CSAT +1.00 (mean)" in page and "CSAT, mean before" in page
    assert ">3.30<" in page and ">4.30<" in page
    assert "CSAT +0.30 (mean)" in page  # the expected uplift, in the same unit
    assert 'data-testid="success"' in page
    c.post(reverse("actions:improvement_publish", args=[action.pk]), {"story": "Unhappy customers got a call."})
    wins = client_for(loop_a.cast.executive).get(reverse("actions:wins")).content.decode()
    card = wins.split('data-testid="wins"')[1].split("</article>")[0]
    assert "CSAT +1.00 (mean)" in card and "3.30 → 4.30" in card and "NPS" not in card


def test_a_top_2_box_action_is_measured_in_percentage_points(loop_a, client_for):
    action, c = measured_csat_action(loop_a, client_for, measure="top_box")
    assert (action.impact_metric, action.impact_measure) == ("csat", "top_box")
    assert action.impact_before_nps == pytest.approx(50.0) and action.impact_after_nps == pytest.approx(87.5)
    assert action.impact_delta == pytest.approx(37.5)
    p1, p2 = 20 / 40, 35 / 40
    z = (p2 - p1) / ((p1 * (1 - p1) / 40 + p2 * (1 - p2) / 40) ** 0.5)
    assert action.impact_p_value == pytest.approx(two_sided_p(z), rel=1e-6)
    assert action.is_success
    page = c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    assert "CSAT top-2-box +37.5 points" in page and "50.0\u00a0%" in page and "87.5\u00a0%" in page
    assert "CSAT top-2-box +10.0 points" in page  # expected uplift
    board = c.get(reverse("actions:board")).content.decode()
    assert "CSAT top-2-box +37.5 points" in board


def test_a_csat_change_that_is_not_significant_is_not_called_a_success(loop_a, client_for):
    # Mean 3.5 -> 3.575 on 40 answers each: far inside the noise.
    before = [5] * 10 + [4] * 10 + [3] * 10 + [2] * 10
    after = [5] * 11 + [4] * 10 + [3] * 10 + [2] * 9
    csat_snapshot(loop_a)
    action, c = measured_csat_action(loop_a, client_for, before=before, after=after)
    assert action.impact_before_nps == pytest.approx(3.5) and action.impact_after_nps == pytest.approx(3.575)
    se = (statistics.variance(before) / 40 + statistics.variance(after) / 40) ** 0.5
    assert action.impact_p_value == pytest.approx(two_sided_p(0.075 / se), rel=1e-6) and action.impact_p_value > 0.5
    assert action.impact_significant is False and not action.is_success and action.realised_value is None
    assert "not statistically significant" in action.impact_note
    page = c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    assert 'data-testid="not-success"' in page and 'data-testid="publish"' not in page
    assert "CSAT +0.08 (mean)" in page  # 0.075 rounded half away from zero


def test_a_value_model_run_on_nps_does_not_price_csat_points(loop_a, client_for):
    value_snapshot(loop_a, value_per_point=1000.0)  # an NPS snapshot (no metric parameter: NPS)
    action, c = measured_csat_action(loop_a, client_for)
    assert action.is_success and action.realised_value is None
    assert "latest run values a point of NPS, not of CSAT, mean" in action.impact_note
    page = c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    expected = page.split('data-testid="expected-value"')[1].split("</dd>")[0]
    assert "latest run values a point of NPS, not of CSAT, mean" in expected and "SEK" not in expected


def test_expected_value_of_a_csat_action_uses_the_csat_value_model(loop_a, client_for):
    csat_snapshot(loop_a, value_per_point=20000.0)
    csat_survey(loop_a)
    c = client_for(loop_a.cast.cx_manager)
    form = c.get(reverse("actions:improvement_create")).context["form"]
    assert form.initial["metric"] == "csat"  # the organization's primary metric
    assert "Measured on" in c.get(reverse("actions:improvement_create")).content.decode()
    c.post(
        reverse("actions:improvement_create"),
        {
            "title": "Shorter queues",
            "status": "idea",
            "horizon": "quick_win",
            "origin": "other",
            "touchpoints": [loop_a.touchpoint.pk],
            "metric": "csat",
            "measure": "",
            "expected_uplift": "0.25",
            "cost": "1000",
            "impact_before_days": 90,
            "impact_after_days": 90,
        },
    )
    action = ImprovementAction.objects.get()
    page = c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    expected = page.split('data-testid="expected-value"')[1].split("</dd>")[0].replace("\xa0", " ")  # amounts: U+00A0
    assert "5,000 SEK" in expected or "5 000 SEK" in expected or "5000 SEK" in expected
    # The same action measured on NPS (no NPS value run exists) shows why there is no value.
    c.post(
        reverse("actions:improvement_edit", args=[action.pk]),
        {
            "title": "Shorter queues",
            "status": "idea",
            "horizon": "quick_win",
            "origin": "other",
            "touchpoints": [loop_a.touchpoint.pk],
            "metric": "nps",
            "measure": "",
            "expected_uplift": "3",
            "impact_before_days": 90,
            "impact_after_days": 90,
        },
    )
    page = c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    assert "NPS +3" in page and "latest run values a point of CSAT, mean, not of NPS" in page


def test_the_action_form_refuses_a_measure_the_scale_does_not_have(loop_a, client_for):
    response = client_for(loop_a.cast.cx_manager).post(
        reverse("actions:improvement_create"),
        {
            "title": "x",
            "status": "idea",
            "horizon": "quick_win",
            "origin": "other",
            "metric": "nps",
            "measure": "top_box",
            "impact_before_days": 90,
            "impact_after_days": 90,
        },
    )
    assert response.status_code == 200 and not ImprovementAction.objects.exists()
    assert "NPS has no top_box figure" in " ".join(response.context["form"].errors["measure"])


def test_an_action_measured_on_a_metric_without_answers_says_which_answers_are_missing(loop_a, client_for):
    today = timezone.localdate()
    action = done_action(loop_a, today)
    ImprovementAction.objects.filter(pk=action.pk).update(metric="ces")
    client_for(loop_a.cast.cx_manager).post(reverse("actions:improvement_measure", args=[action.pk]))
    action.refresh_from_db()
    assert action.impact_delta is None and not action.is_success
    assert "No CES, mean answers at these touchpoints in either period." in action.impact_note


@pytest.mark.parametrize(
    ("metric", "measure", "delta", "text"),
    [
        ("nps", "", 6.4, "NPS +6"),
        ("nps", "", -2.5, "NPS \u22123"),
        ("csat", "", 0.205, "CSAT +0.21 (mean)"),
        ("csat", "top_box", 4.25, "CSAT top-2-box +4.3 points"),
        ("ease:1-4", "top_box", 4.25, "ease (1-4) top-box +4.3 points"),
        ("recommend:yes", "", 2.0, "recommend % yes +2.0 points"),
        ("overall:1-10", "mean", -0.5, "overall (1-10) \u22120.50 (mean)"),
    ],
)
def test_changes_are_shown_with_their_unit(metric, measure, delta, text):
    from actions.valuation import change_text

    assert change_text(metric, measure, delta) == text
