"""The demo's closed loop: cases in every state through the real engine, and a real, significant win."""

import pytest
from django.utils import timezone

from accounts.models import Organization
from accounts.scoping import OrgContext
from actions.models import (
    AlertRule,
    CaseEvent,
    ContactAttempt,
    FeedbackCase,
    Horizon,
    ImprovementAction,
    ImprovementStatus,
    RootCause,
)
from core.metrics import nps_difference
from demo.services import demo_create
from kpis.selectors import touchpoint_nps

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    # Small and short (the shape does not depend on the size); rolled back with the test.
    return demo_create(customers=400, months=6, log=lambda _msg: None)


def test_the_demo_has_cases_in_every_state_opened_by_its_rules(demo):
    org = Organization.objects.get(pk=demo.organization.pk)
    cases = FeedbackCase.objects.filter(organization=org)
    statuses = set(cases.values_list("status", flat=True))
    assert statuses == set(FeedbackCase.Status.values)
    assert not cases.filter(rule__isnull=True).exists()
    assert cases.open().filter(due_at__lt=timezone.now()).exists()  # some are overdue
    assert cases.filter(escalation_level__gt=0).exists()
    assert ContactAttempt.objects.filter(organization=org, outcome=ContactAttempt.Outcome.NO_ANSWER).exists()
    assert cases.filter(closed_without_contact=True, customer__may_contact=False).exists()
    assert not cases.filter(contact_attempts__isnull=False, customer__may_contact=False).exists()
    closed = cases.filter(status="closed", closed_without_contact=False)
    assert closed.exists() and not closed.filter(root_cause__isnull=True).exists()
    # Every case has a timeline that starts with its opening.
    assert CaseEvent.objects.filter(case__organization=org, kind="created").count() == cases.count()
    assert AlertRule.objects.filter(organization=org, keywords__icontains="uppsägning").exists()
    assert RootCause.objects.filter(organization=org, parent__name="Technician", name="Late").exists()


def test_the_demo_has_actions_across_horizons_and_a_measured_significant_win(demo):
    org = Organization.objects.get(pk=demo.organization.pk)
    actions = ImprovementAction.objects.filter(organization=org)
    assert set(actions.values_list("horizon", flat=True)) == set(Horizon.values)
    assert {"idea", "approved", "in_progress", "done", "impact_measured", "dropped"} <= set(
        actions.values_list("status", flat=True)
    )
    win = actions.get(title="SMS reminder 1 h before the technician arrives")
    assert win.status == ImprovementStatus.IMPACT_MEASURED and win.is_success and win.published_at is not None
    assert actions.filter(cases__isnull=False).exists()  # actions from recurring root causes link their cases
    # The stored measurement is what the rollups say today.
    ctx = OrgContext(organization=org, role="cx_manager")
    tp = win.touchpoints.get()
    before = touchpoint_nps(ctx=ctx, touchpoint_id=tp.pk, start=win.impact_before_start, end=win.impact_before_end)
    after = touchpoint_nps(ctx=ctx, touchpoint_id=tp.pk, start=win.impact_after_start, end=win.impact_after_end)
    assert (before.n, after.n) == (win.impact_before_n, win.impact_after_n)
    diff = nps_difference(before, after)
    assert diff.significant and diff.delta == pytest.approx(win.impact_delta)
