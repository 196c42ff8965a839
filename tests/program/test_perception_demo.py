"""The demo's perception surveys tell their story: leaders have a clear blind spot where customers score onboarding
worst and are about right where customers score it best; frontline staff are closer to the truth."""

from __future__ import annotations

import importlib
import random

import pytest

from accounts.models import Organization, Role
from accounts.scoping import OrgContext
from program.models import Audience, PerceptionSurvey
from program.perception import selectors
from program.perception.stats import BLIND_SPOT, NO_CLEAR_GAP
from surveys.models import Answer

pytestmark = pytest.mark.django_db

# Small, but enough customers that a few onboarding touchpoints reach the minimum n in the 90-day window.
SMALL = {"customers": 1200, "months": 4}
# The steps the perception seed reads (organization, journeys, customer responses, rollups), then the perception
# seed itself; the value, cases, voice, reports and other program steps take minutes and are not read by it.
STEPS = ["base", "surveys", "kpis", "program_perception"]


@pytest.fixture
def demo() -> Organization:
    from demo.seed import SeedContext

    sc = SeedContext(rng=random.Random(20261125), log=lambda message: None, **SMALL)
    for step in STEPS:
        importlib.import_module(f"demo.seed.{step}").seed(sc)
    return Organization.objects.get(pk=sc.organization.pk)


def test_the_demo_has_a_leadership_blind_spot_where_customers_score_worst_and_frontline_closer_to_the_truth(demo):
    ctx = OrgContext(organization=demo, role=Role.EXECUTIVE)
    leaders = PerceptionSurvey.objects.get(organization=demo, audience=Audience.LEADERSHIP)
    frontline = PerceptionSurvey.objects.get(organization=demo, audience=Audience.FRONTLINE)
    assert leaders.journey.name == "Onboarding"
    staff = Answer.objects.filter(response__survey__in=[leaders.survey, frontline.survey])
    assert staff.count() > 0 and not staff.exclude(metric="").exists()  # stored as staff answers

    gap = selectors.perception_gap(ctx=ctx, perception=leaders)
    assert gap.responses == 12 and gap.other.pk == frontline.pk and gap.other_responses == 20
    compared = [g for g in gap.items if g.comparison.sufficient]
    assert len(compared) >= 2, [(g.touchpoint.name, g.comparison.actual.n) for g in gap.items]
    worst = min(compared, key=lambda g: g.comparison.actual_mean)
    best = max(compared, key=lambda g: g.comparison.actual_mean)
    assert gap.blind_spots and gap.blind_spots[0].touchpoint == worst.touchpoint
    assert worst.comparison.kind == BLIND_SPOT and worst.comparison.p_value < 0.001
    assert worst.comparison.gap_share >= 15
    assert best.comparison.kind == NO_CLEAR_GAP and abs(best.comparison.difference) < 0.2
    assert all(g.comparison.difference > 0 for g in compared if g is not best)  # leaders predict high everywhere

    own = selectors.perception_gap(ctx=ctx, perception=frontline)
    leader_error = sum(abs(g.comparison.difference) for g in compared) / len(compared)
    frontline_error = sum(abs(g.comparison.difference) for g in own.items if g.comparison.sufficient) / len(compared)
    assert frontline_error < leader_error / 2
    assert not own.blind_spots or own.blind_spots[0].comparison.gap_share < worst.comparison.gap_share
