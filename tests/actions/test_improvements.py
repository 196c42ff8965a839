"""Improvement actions: from a root cause to the board and roadmap, measured impact and the wins feed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import FeedbackCase, ImprovementAction
from kpis.rollups import rebuild_rollups
from surveys.models import Response
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
    quick_section = page.split('data-testid="horizon-quick_win"')[1].split("</section>")[0]
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
