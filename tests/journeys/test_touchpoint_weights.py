"""Touchpoint weights: a journey set to "weighted by touchpoint weights" scores sum(w_i * score_i) / sum(w_i) over
its weighted touchpoints that meet the minimum n, on the journey gap dashboard and the overview alike; the default
(respondent-weighted) and a journey survey's figure stay exactly as they were. Only CX managers and admins of the
journey's organization set the weights and the method."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.http import QueryDict
from django.urls import reverse

from accounts.scoping import OrgContext
from core.metrics import Z95
from journeys.models import Journey, Touchpoint
from kpis import rollups
from kpis.dashboards import filters_from, journey_gap, organization_overview
from kpis.scores import change_between
from tests.kpis.conftest import make_world

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

DAY = dt.date(2026, 3, 5)
BEFORE = dt.date(2026, 2, 5)


def _filters(ctx):
    q = QueryDict(mutable=True)
    q.update({"period": "custom", "start": "2026-03-01", "end": "2026-03-31"})
    return filters_from(ctx=ctx, params=q, today=dt.date(2026, 4, 2))[0]


def _february(ctx):
    q = QueryDict(mutable=True)
    q.update({"period": "custom", "start": "2026-02-01", "end": "2026-02-28"})
    return filters_from(ctx=ctx, params=q, today=dt.date(2026, 4, 2))[0]


def _nps(scores):
    n = len(scores)
    p = sum(s >= 9 for s in scores) / n
    d = sum(s < 7 for s in scores) / n
    value = 100 * (p - d)
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    return value, se


# Three touchpoints: 1.1 and 1.2 in stage 1, 2.1 in stage 2.
MARCH = {
    0: [10] * 6 + [9] * 2 + [3] * 2,  # 10 answers: +60
    1: [10] * 2 + [8] * 3 + [0] * 5,  # 10 answers: -30
    2: [9] * 30 + [2] * 10,  # 40 answers: +50
}
FEBRUARY = {0: [10] * 5 + [0] * 5, 1: [8] * 10, 2: [10] * 20 + [0] * 20}


@pytest.fixture
def world(cast_a):
    cast_a.org.min_n = 10
    cast_a.org.save(update_fields=["min_n"])
    world = make_world(cast_a.org)
    for answers, day in ((MARCH, DAY), (FEBRUARY, BEFORE)):
        for i, scores in answers.items():
            for s in scores:
                world.respond(world.touchpoints[i], day, nps=s)
    rollups.aggregate_dirty()
    return world


def _set_weights(world, weights, method=Journey.ScoreMethod.WEIGHTS):
    for tp, w in zip(world.touchpoints, weights, strict=True):
        Touchpoint.objects.filter(pk=tp.pk).update(score_weight=w)
    Journey.objects.filter(pk=world.journey.pk).update(score_method=method)
    return Journey.objects.get(pk=world.journey.pk)


def _ctx(cast):
    return OrgContext(organization=cast.org, role="cx_manager")


def _hand(weights, answers):
    parts = [(w, *_nps(answers[i])) for i, w in enumerate(weights) if w]
    total = sum(w for w, _, _ in parts)
    value = sum(w * v for w, v, _ in parts) / total
    se = math.sqrt(sum((w * s) ** 2 for w, _, s in parts)) / total
    return value, se


def test_the_weighted_journey_score_equals_a_hand_computation(world, cast_a):
    weights = [3.0, 1.0, None]  # 2.1 has no weight: left out
    journey = _set_weights(world, weights)
    ctx = _ctx(cast_a)
    gap = journey_gap(ctx=ctx, journey=journey, filters=_filters(ctx))
    value, se = _hand(weights, MARCH)
    assert value == pytest.approx((3 * 60 + 1 * -30) / 4)  # +37.5
    assert (gap.source, gap.weighting) == ("touchpoints", "weights")
    assert gap.assessment.score.value == pytest.approx(value)
    assert gap.assessment.score.moe == pytest.approx(Z95 * se)
    assert gap.assessment.score.n == 20  # the answers of the touchpoints that count
    before, before_se = _hand(weights, FEBRUARY)
    change = gap.assessment.change
    assert change.delta == pytest.approx(value - before)
    assert change.z == pytest.approx((value - before) / math.sqrt(se**2 + before_se**2))
    # Readers that compare two months with kpis.scores.change_between (the monthly report) get the same test.
    previous = journey_gap(ctx=ctx, journey=journey, filters=_february(ctx)).assessment.score
    same = change_between(previous, gap.assessment.score)
    assert previous.value == pytest.approx(before)
    assert same.delta == pytest.approx(change.delta) and same.z == pytest.approx(change.z)
    # The overview's journey row is the same figure.
    row = organization_overview(ctx=ctx, filters=_filters(ctx)).journeys[0]
    assert (row.source, row.weighting) == ("touchpoints", "weights")
    assert row.assessment.score.value == pytest.approx(value)
    assert row.assessment.change.delta == pytest.approx(change.delta)


def test_touchpoints_below_the_minimum_n_are_left_out_of_the_weighted_score(world, cast_a):
    cast_a.org.min_n = 20  # only 2.1 (40 answers) is shown
    cast_a.org.save(update_fields=["min_n"])
    journey = _set_weights(world, [5.0, 5.0, 1.0])
    ctx = _ctx(cast_a)
    gap = journey_gap(ctx=ctx, journey=journey, filters=_filters(ctx))
    assert gap.assessment.score.value == pytest.approx(50.0)
    assert gap.assessment.score.n == 40


def test_the_default_stays_respondent_weighted_whatever_the_weights(world, cast_a):
    ctx = _ctx(cast_a)
    default = journey_gap(ctx=ctx, journey=world.journey, filters=_filters(ctx))
    everyone = [s for scores in MARCH.values() for s in scores]
    assert default.weighting == "respondents"
    assert default.assessment.score.value == pytest.approx(_nps(everyone)[0])
    # Weights alone change nothing while the journey keeps the default method.
    journey = _set_weights(world, [3.0, 1.0, 2.0], method=Journey.ScoreMethod.RESPONDENTS)
    same = journey_gap(ctx=ctx, journey=journey, filters=_filters(ctx))
    assert same.assessment.score == default.assessment.score
    assert same.assessment.change == default.assessment.change
    row = organization_overview(ctx=ctx, filters=_filters(ctx)).journeys[0]
    assert row.weighting == "respondents" and row.assessment.score.value == pytest.approx(_nps(everyone)[0])


def test_weighted_without_any_weight_falls_back_and_says_so(world, cast_a, client_for):
    journey = _set_weights(world, [None, None, None])
    ctx = _ctx(cast_a)
    gap = journey_gap(ctx=ctx, journey=journey, filters=_filters(ctx))
    assert gap.weighting == "respondents" and gap.weights_requested
    page = client_for(cast_a.cx_manager).get(
        reverse("kpis:journey_dashboard"),
        {"journey": journey.pk, "period": "custom", "start": "2026-03-01", "end": "2026-03-31"},
    )
    assert "no touchpoint has a weight yet" in page.content.decode()


def test_a_journey_survey_still_wins_over_weighted_touchpoints(world, cast_a):
    journey = _set_weights(world, [3.0, 1.0, None])
    for s in [10] * 12:
        world.respond(None, DAY, nps=s, journey=journey)
    rollups.aggregate_dirty()
    ctx = _ctx(cast_a)
    gap = journey_gap(ctx=ctx, journey=journey, filters=_filters(ctx))
    assert gap.source == "survey" and gap.assessment.score.value == 100
    row = organization_overview(ctx=ctx, filters=_filters(ctx)).journeys[0]
    assert row.source == "survey" and row.assessment.score.value == 100


def test_the_pages_say_which_method_each_journey_uses_and_the_default(world, cast_a, client_for):
    journey = _set_weights(world, [3.0, 1.0, None])
    c = client_for(cast_a.executive)
    params = {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}
    html = c.get(reverse("kpis:journey_dashboard"), {"journey": journey.pk, **params}).content.decode()
    assert "Touchpoints' scores weighted by their weights" in html
    assert "Default: respondent-weighted." in html
    assert '<span class="fs-3 fw-semibold" data-testid="score">+38</span>' in html  # +37.5 rounded half away
    html = c.get(reverse("kpis:overview"), params).content.decode()
    assert "touchpoints by weight" in html and "by default the sum of their responses" in html


# -- the forms ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "cx_manager"])
def test_editors_set_a_touchpoint_weight_and_the_journey_method(client_for, cast_a, role):
    world = make_world(cast_a.org)
    tp = world.touchpoints[0]
    c = client_for(getattr(cast_a, role))
    page = c.get(reverse("journeys:touchpoint_edit", args=[tp.pk])).content.decode()
    assert "Weight in the journey score" in page and "Empty: left out of a weighted journey score." in page
    r = c.post(
        reverse("journeys:touchpoint_edit", args=[tp.pk]),
        {
            "stage": tp.stage_id,
            "name": tp.name,
            "channel": "web",
            "priority": 50,
            "is_active": "on",
            "score_weight": "2.5",
        },
    )
    assert r.status_code == 302
    tp.refresh_from_db()
    assert tp.score_weight == 2.5
    detail = c.get(reverse("journeys:touchpoint_detail", args=[tp.pk])).content.decode()
    assert "2.5" in detail and "not used: the journey is respondent-weighted, the default" in detail
    page = c.get(reverse("journeys:journey_edit", args=[world.journey.pk])).content.decode()
    assert "Respondent-weighted (default)" in page
    r = c.post(
        reverse("journeys:journey_edit", args=[world.journey.pk]),
        {"name": world.journey.name, "description": "", "owner": "", "personas": [], "score_method": "weights"},
    )
    assert r.status_code == 302
    world.journey.refresh_from_db()
    assert world.journey.score_method == "weights"
    # A post without the field (an older client) keeps the method; an empty weight clears the weight.
    c.post(reverse("journeys:journey_edit", args=[world.journey.pk]), {"name": "Renamed", "description": ""})
    world.journey.refresh_from_db()
    assert (world.journey.name, world.journey.score_method) == ("Renamed", "weights")
    c.post(
        reverse("journeys:touchpoint_edit", args=[tp.pk]),
        {
            "stage": tp.stage_id,
            "name": tp.name,
            "channel": "web",
            "priority": 50,
            "is_active": "on",
            "score_weight": "",
        },
    )
    tp.refresh_from_db()
    assert tp.score_weight is None


def test_a_new_touchpoint_and_journey_take_their_weight_and_method(client_for, cast_a):
    world = make_world(cast_a.org)
    c = client_for(cast_a.cx_manager)
    c.post(
        reverse("journeys:touchpoint_create", args=[world.stages[0].pk]),
        {"stage": world.stages[0].pk, "name": "Weighted", "channel": "web", "priority": 50, "score_weight": "4"},
    )
    assert Touchpoint.objects.get(name="Weighted").score_weight == 4
    c.post(reverse("journeys:journey_create"), {"name": "Weighed journey", "score_method": "weights"})
    c.post(reverse("journeys:journey_create"), {"name": "Plain journey"})
    assert Journey.objects.get(name="Weighed journey").score_method == "weights"
    assert Journey.objects.get(name="Plain journey").score_method == "respondents"


def test_a_negative_weight_is_refused(client_for, cast_a):
    world = make_world(cast_a.org)
    tp = world.touchpoints[0]
    r = client_for(cast_a.cx_manager).post(
        reverse("journeys:touchpoint_edit", args=[tp.pk]),
        {"stage": tp.stage_id, "name": tp.name, "channel": "web", "priority": 50, "score_weight": "-1"},
    )
    assert r.status_code == 200 and r.context["form"].errors["score_weight"]
    tp.refresh_from_db()
    assert tp.score_weight is None


@pytest.mark.parametrize("role", ["executive", "frontline"])
def test_read_only_roles_cannot_set_weights_or_the_method(client_for, cast_a, role):
    world = make_world(cast_a.org)
    tp = world.touchpoints[0]
    c = client_for(getattr(cast_a, role))
    r = c.post(
        reverse("journeys:touchpoint_edit", args=[tp.pk]),
        {"stage": tp.stage_id, "name": tp.name, "channel": "web", "priority": 50, "score_weight": "9"},
    )
    assert r.status_code == 403
    r = c.post(reverse("journeys:journey_edit", args=[world.journey.pk]), {"name": "x", "score_method": "weights"})
    assert r.status_code == 403
    tp.refresh_from_db()
    world.journey.refresh_from_db()
    assert tp.score_weight is None and world.journey.score_method == "respondents"


def test_another_organizations_admin_cannot_reach_the_weight_forms(client_for, cast_a, cast_b):
    world = make_world(cast_a.org)
    tp = world.touchpoints[0]
    c = client_for(cast_b.admin)
    assert c.get(reverse("journeys:touchpoint_edit", args=[tp.pk])).status_code == 404
    r = c.post(
        reverse("journeys:touchpoint_edit", args=[tp.pk]),
        {"stage": tp.stage_id, "name": tp.name, "channel": "web", "priority": 50, "score_weight": "9"},
    )
    assert r.status_code == 404
    r = c.post(reverse("journeys:journey_edit", args=[world.journey.pk]), {"name": "x", "score_method": "weights"})
    assert r.status_code == 404
    tp.refresh_from_db()
    world.journey.refresh_from_db()
    assert tp.score_weight is None and world.journey.score_method == "respondents"
