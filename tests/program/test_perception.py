"""The perception gap end to end on PostgreSQL: creating a perception survey, staff answers through the real ingestion
path, the gap against an independent recomputation from the raw scores, suppression, blind spots, the importance
comparison, and proof that staff answers never reach a customer figure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from scipy import stats

from accounts.models import Role
from accounts.scoping import OrgContext, context_for_membership
from audit.models import AuditEvent
from kpis import rollups
from kpis.models import JourneyRollup, RelationshipRollup, Rollup, SegmentRollup
from program.models import Audience, PerceptionItem, PerceptionSurvey, importance_code, perceived_code
from program.perception import selectors, serializers
from program.perception.services import PerceptionError, perception_survey_create
from program.perception.stats import BLIND_SPOT, HIDDEN_STRENGTH, INSUFFICIENT, NO_CLEAR_GAP
from surveys.builder import services as builder
from surveys.ingestion.services import response_submit, responses_sweep_unprocessed
from surveys.models import Answer, Question, Survey, SurveyLink
from tests.factories import CustomerFactory, JourneyFactory, StageFactory, TouchpointFactory
from value.models import ValueSnapshot

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# Recent, so the customers' answers count when the survey picks each touchpoint's metric (the last 12 months).
TODAY = dt.date.today() - dt.timedelta(days=10)


@dataclass
class World:
    cast: object
    journey: object
    touchpoints: list
    ctx: OrgContext

    @property
    def org(self):
        return self.cast.org


def make_world(cast, names=("Web order", "Technician visit", "First invoice")) -> World:
    org = cast.org
    journey = JourneyFactory(organization=org, name="Onboarding")
    stage = StageFactory(journey=journey, organization=org, position=1, name="Install")
    tps = [
        TouchpointFactory(stage=stage, journey=journey, organization=org, name=name, position=i)
        for i, name in enumerate(names, start=1)
    ]
    ctx = context_for_membership(cast.cx_manager, user=cast.cx_manager.user)
    return World(cast=cast, journey=journey, touchpoints=tps, ctx=ctx)


def plant_customers(org, tp, metric: str, values, *, end: dt.date, days: int = 30) -> None:
    """Rollup rows of `values` (raw customer scores) spread over the `days` ending on `end`, as the aggregation
    stores them: per day n, sum, sum of squares and the 0-10 distribution."""
    by_day: dict[dt.date, list[float]] = {}
    for i, v in enumerate(values):
        by_day.setdefault(end - dt.timedelta(days=i % days), []).append(float(v))
    for day, vs in by_day.items():
        counts = {f"c{k}": sum(1 for v in vs if v == k) for k in range(11)}
        Rollup.objects.create(
            organization=org,
            touchpoint=tp,
            day=day,
            metric=metric,
            n=len(vs),
            total=sum(vs),
            total_sq=sum(v * v for v in vs),
            promoters=sum(1 for v in vs if v >= 9) if metric == "nps" else 0,
            passives=sum(1 for v in vs if 7 <= v < 9) if metric == "nps" else 0,
            detractors=sum(1 for v in vs if v < 7) if metric == "nps" else 0,
            **counts,
        )


def staff_respond(perception: PerceptionSurvey, rows: list[dict[str, int]], *, on: dt.date) -> list:
    """Staff responses through the real ingestion service (the public page and the API call the same)."""
    survey = Survey.objects.get(pk=perception.survey_id)
    made = []
    for i, answers in enumerate(rows):
        moment = timezone.make_aware(dt.datetime.combine(on, dt.time(9 + i % 8, 0)), perception.organization.zone)
        response, _created = response_submit(
            organization=perception.organization,
            survey=survey,
            version=survey.current_version,
            answers=answers,
            language="en",
            submitted_at=moment,
        )
        made.append(response)
    return made


def rng_scores(seed: int, n: int, mean: float, sd: float, low: int, high: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.round(rng.normal(mean, sd, n)), low, high)


def welch(predicted: np.ndarray, actual: np.ndarray) -> tuple[float, float, float, float]:
    """(difference, t, Welch-Satterthwaite df, two-sided p) of predicted - actual: scipy's Welch t test on the raw
    scores."""
    result = stats.ttest_ind(predicted, actual, equal_var=False)
    return float(predicted.mean() - actual.mean()), float(result.statistic), float(result.df), float(result.pvalue)


def t_half_width(values: np.ndarray) -> float:
    """Half-width of the 95 % t interval of the mean of the raw scores."""
    return float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


# -- creating a perception survey ---------------------------------------------------------------------------------


def test_creating_a_perception_survey_asks_each_touchpoint_on_its_customer_scale_in_every_language(cast_a):
    world = make_world(cast_a, names=("Web order", "Technician visit", "First invoice", "Chat", "Quiz"))
    org = world.org
    org.languages, org.default_language, org.primary_metric = ["sv", "en"], "sv", "nps"
    org.save()
    web, visit, invoice, chat, quiz = world.touchpoints
    recent = timezone.localdate() - dt.timedelta(days=20)
    old = timezone.localdate() - dt.timedelta(days=400)
    plant_customers(org, web, "csat", [4] * 50, end=recent)
    plant_customers(org, web, "nps", [8] * 5, end=recent)  # fewer, but the primary metric wins when answered
    plant_customers(org, visit, "ces", [5] * 40, end=recent)
    plant_customers(org, visit, "nps", [7] * 80, end=old)  # older than a year: not counted
    plant_customers(org, invoice, "overall:1-10", [6] * 30, end=recent)
    plant_customers(org, chat, "resolved:yes", [1] * 60, end=recent)  # yes/no: never compared
    quiz.is_active = False
    quiz.save()

    perception = perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.LEADERSHIP)

    survey = perception.survey
    assert survey.kind == Survey.Kind.LEADERSHIP and survey.journey_id == world.journey.pk
    assert survey.languages == ["sv", "en"] and survey.default_language == "sv"
    assert survey.status == Survey.Status.PUBLISHED and survey.current_version.is_published
    assert not survey.touchpoints.exists()  # never chosen to invite customers at a touchpoint
    assert SurveyLink.objects.filter(survey=survey, touchpoint__isnull=True, is_active=True).count() == 1
    items = {i.touchpoint_id: i.metric for i in PerceptionItem.objects.filter(perception=perception)}
    assert items == {web.pk: "nps", visit.pk: "ces", invoice.pk: "overall:1-10", chat.pk: "nps"}
    assert [i.position for i in perception.items.order_by("position")] == [1, 2, 3, 4]
    questions = {q.code: q for q in survey.current_version.questions.all()}
    assert set(questions) == {perceived_code(tp) for tp in items} | {importance_code(tp) for tp in items}
    scales = {tp: (questions[perceived_code(tp)].scale_min, questions[perceived_code(tp)].scale_max) for tp in items}
    assert scales == {web.pk: (0, 10), visit.pk: (1, 7), invoice.pk: (1, 10), chat.pk: (0, 10)}
    for q in questions.values():
        assert q.kind == Question.Kind.RATING and not q.required
        assert set(q.text) == {"sv", "en"} and all(q.text.values())
        if q.code.startswith("importance-"):
            assert (q.scale_min, q.scale_max) == (1, 5)
    assert "Technician visit" in questions[perceived_code(visit.pk)].text["en"]
    assert questions[perceived_code(visit.pk)].text["en"].startswith("What score do you think customers give")
    event = AuditEvent.objects.get(action="perception_survey.create")
    assert event.organization_id == org.pk and event.detail["touchpoints"] == list(items)

    frontline = perception_survey_create(
        ctx=world.ctx, journey=world.journey, audience=Audience.FRONTLINE, touchpoint_ids=[visit.pk], name="Agents"
    )
    assert frontline.survey.kind == Survey.Kind.EMPLOYEE and frontline.survey.name == "Agents"
    assert list(frontline.items.values_list("touchpoint_id", flat=True)) == [visit.pk]


def test_only_program_editors_create_and_only_from_their_own_journeys(cast_a, cast_b):
    world = make_world(cast_a)
    other = make_world(cast_b)
    for role in (Role.EXECUTIVE, Role.FRONTLINE):
        ctx = context_for_membership(cast_a.member(role), user=cast_a.member(role).user)
        with pytest.raises(PermissionDenied):
            perception_survey_create(ctx=ctx, journey=world.journey, audience=Audience.LEADERSHIP)
    with pytest.raises(PerceptionError):
        perception_survey_create(ctx=world.ctx, journey=other.journey, audience=Audience.LEADERSHIP)
    with pytest.raises(PerceptionError):  # a touchpoint of another journey
        perception_survey_create(
            ctx=world.ctx, journey=world.journey, audience=Audience.LEADERSHIP, touchpoint_ids=[other.touchpoints[0].pk]
        )
    assert not PerceptionSurvey.objects.exists() and not Survey.objects.exists()


def test_a_touchpoint_without_a_comparable_metric_is_left_out(cast_a):
    world = make_world(cast_a, names=("Web order",))
    world.org.primary_metric = "recommend:yes"
    world.org.save()
    with pytest.raises(PerceptionError):
        perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.LEADERSHIP)


# -- the gap ------------------------------------------------------------------------------------------------------


def _survey_with_customers(world, plan: dict[str, tuple[str, np.ndarray]]):
    """plan: touchpoint name -> (metric, raw customer scores); the customers answered in the 30 days to TODAY."""
    by_name = {tp.name: tp for tp in world.touchpoints}
    for name, (metric, values) in plan.items():
        plant_customers(world.org, by_name[name], metric, values, end=TODAY)
    perception = perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.LEADERSHIP)
    return perception, by_name


def test_the_gap_equals_an_independent_welch_test_on_the_raw_scores(cast_a):
    world = make_world(cast_a)
    customers = {
        "Web order": ("nps", rng_scores(1, 240, 8.3, 1.6, 0, 10)),
        "Technician visit": ("nps", rng_scores(2, 400, 6.4, 2.3, 0, 10)),
        "First invoice": ("csat", rng_scores(3, 90, 3.9, 0.9, 1, 5)),
    }
    perception, tps = _survey_with_customers(world, customers)
    predicted = {
        "Web order": rng_scores(11, 12, 8.4, 1.0, 0, 10),
        "Technician visit": rng_scores(12, 12, 8.9, 0.8, 0, 10),
        "First invoice": rng_scores(13, 12, 4.2, 0.6, 1, 5),
    }
    importance = rng_scores(14, 12, 3.5, 1.0, 1, 5)
    rows = [
        {
            **{perceived_code(tps[name].pk): int(values[i]) for name, values in predicted.items()},
            importance_code(tps["Web order"].pk): int(importance[i]),
        }
        for i in range(12)
    ]
    staff_respond(perception, rows, on=TODAY)

    gap = selectors.perception_gap(ctx=world.ctx, perception=perception)

    assert (gap.start, gap.end) == (TODAY - dt.timedelta(days=89), TODAY)  # 90 days to the last staff answer
    assert gap.responses == 12
    by_tp = gap.by_touchpoint
    for name, (_metric, actual) in customers.items():
        c = by_tp[tps[name].pk].comparison
        diff, t, df, p = welch(predicted[name], actual)
        assert c.predicted.n == 12 and c.actual.n == len(actual)
        assert c.predicted_mean == pytest.approx(predicted[name].mean())
        assert c.actual_mean == pytest.approx(actual.mean())
        assert c.predicted_moe == pytest.approx(t_half_width(predicted[name]))
        assert c.actual_moe == pytest.approx(t_half_width(actual))
        assert c.difference == pytest.approx(diff)
        assert c.t == pytest.approx(t)
        assert c.df == pytest.approx(df)
        assert c.p_value == pytest.approx(p, rel=1e-6, abs=1e-12)
        assert c.significant == (p < 0.05)
        span = 4 if name == "First invoice" else 10
        assert c.gap_share == pytest.approx(100 * diff / span)
    visit = by_tp[tps["Technician visit"].pk].comparison
    assert visit.kind == BLIND_SPOT and visit.p_value < 1e-6
    assert gap.blind_spots[0].touchpoint.name == "Technician visit"
    web_importance = by_tp[tps["Web order"].pk].importance
    assert web_importance.n == 12 and web_importance.mean == pytest.approx(importance.mean())


def test_figures_below_the_minimum_n_are_insufficient_and_fewer_than_three_staff_answers_are_never_shown(cast_a):
    world = make_world(cast_a)
    world.org.min_n = 30
    world.org.save()
    customers = {
        "Web order": ("nps", rng_scores(1, 29, 8.0, 1.5, 0, 10)),  # one short of the minimum
        "Technician visit": ("nps", rng_scores(2, 300, 6.0, 2.0, 0, 10)),
        "First invoice": ("nps", rng_scores(3, 300, 6.0, 2.0, 0, 10)),
    }
    perception, tps = _survey_with_customers(world, customers)
    web, visit, invoice = (tps[n].pk for n in ("Web order", "Technician visit", "First invoice"))
    rows = [{perceived_code(web): 9, perceived_code(visit): 9, perceived_code(invoice): 9} for _ in range(2)]
    rows.append({perceived_code(web): 9, perceived_code(visit): 10})  # the invoice question is optional
    staff_respond(perception, rows, on=TODAY)

    gap = selectors.perception_gap(ctx=world.ctx, perception=perception)
    by_tp = gap.by_touchpoint
    low_customers = by_tp[web].comparison
    assert low_customers.kind == INSUFFICIENT and low_customers.insufficient_reason == "too_few_customers"
    assert low_customers.actual.n == 29 and low_customers.actual_mean is None and low_customers.difference is None
    assert low_customers.predicted_mean == pytest.approx(9.0)  # three staff answers: shown
    two_staff = by_tp[invoice].comparison
    assert two_staff.predicted.n == 2 and two_staff.kind == INSUFFICIENT
    assert two_staff.insufficient_reason == "too_few_staff"
    assert two_staff.predicted_mean is None and two_staff.predicted_moe is None and two_staff.p_value is None
    assert by_tp[visit].comparison.kind == BLIND_SPOT
    assert [g.touchpoint.pk for g in gap.blind_spots] == [visit]


def test_three_leaders_guessing_within_the_customers_own_range_are_no_blind_spot_but_a_real_gap_still_is(cast_a):
    # Three leaders: at the web order their answers (8, 9, 10) are three of the customers' own scores (no true gap),
    # which a normal z test would call a blind spot (p < 0.001); at the technician visit all three predict far
    # above every customer. Welch's t with its ~2 degrees of freedom tells them apart; the ± is Student's t.
    world = make_world(cast_a, names=("Web order", "Technician visit"))
    customers = {
        "Web order": ("nps", np.array([4, 5, 6, 7, 8, 9, 10] * 50, dtype=float)),
        "Technician visit": ("nps", np.array([3, 4, 5, 6] * 60, dtype=float)),
    }
    perception, tps = _survey_with_customers(world, customers)
    web, visit = tps["Web order"].pk, tps["Technician visit"].pk
    answers = {web: [8, 9, 10], visit: [9, 9, 10]}
    importance = [3, 4, 5]
    staff_respond(
        perception,
        [
            {
                perceived_code(web): answers[web][i],
                perceived_code(visit): answers[visit][i],
                importance_code(web): importance[i],
            }
            for i in range(3)
        ],
        on=TODAY,
    )

    gap = selectors.perception_gap(ctx=world.ctx, perception=perception)

    noise = gap.by_touchpoint[web].comparison
    staff = np.array(answers[web], dtype=float)
    actual = customers["Web order"][1]
    diff, t, df, p = welch(staff, actual)
    z = diff / np.sqrt(staff.var(ddof=1) / 3 + actual.var(ddof=1) / len(actual))
    assert 2 * stats.norm.sf(abs(z)) < 0.001 and 100 * diff / 10 >= 10  # the old test's blind spot
    assert noise.t == pytest.approx(t) and noise.df == pytest.approx(df) and noise.p_value == pytest.approx(p)
    assert p > 0.05 and noise.kind == NO_CLEAR_GAP
    assert noise.predicted_moe == pytest.approx(t_half_width(staff))
    assert noise.predicted_moe == pytest.approx(stats.t.ppf(0.975, 2) / np.sqrt(3))  # sd of 8, 9, 10 is 1
    real = gap.by_touchpoint[visit].comparison
    assert real.kind == BLIND_SPOT and real.p_value == pytest.approx(
        welch(np.array([9.0, 9, 10]), customers["Technician visit"][1])[3]
    )
    assert [g.touchpoint.pk for g in gap.blind_spots] == [visit]

    data = serializers.gap_data(gap)
    by_tp = {item["touchpoint"]: item for item in data["items"]}
    assert by_tp[web]["importance"]["mean"] == pytest.approx(4.0)
    assert by_tp[web]["importance"]["margin_of_error"] == pytest.approx(t_half_width(np.array(importance, float)))
    assert by_tp[web]["predicted"]["margin_of_error"] == pytest.approx(t_half_width(staff))
    assert by_tp[web]["df"] == pytest.approx(df) and by_tp[web]["kind"] == "no_clear_gap"
    assert by_tp[visit]["importance"] == {"n": 0, "mean": None, "margin_of_error": None}


def test_blind_spots_are_ranked_by_gap_as_a_share_of_the_scale_and_hidden_strengths_listed(cast_a):
    world = make_world(cast_a, names=("A", "B", "C", "D", "E"))
    customers = {
        "A": ("nps", rng_scores(1, 300, 7.0, 1.5, 0, 10)),  # predicted 9: +2 on 10 points, 20 %
        "B": ("csat", rng_scores(2, 300, 3.0, 0.8, 1, 5)),  # predicted 4: +1 on 4 points, 25 %
        "C": ("nps", rng_scores(3, 300, 7.6, 1.5, 0, 10)),  # predicted 8: significant, but only 4 %
        "D": ("nps", rng_scores(4, 300, 8.5, 1.0, 0, 10)),  # predicted 7: a hidden strength
        "E": ("nps", rng_scores(5, 300, 6.0, 1.5, 0, 10)),  # predicted 6: about right
    }
    perception, tps = _survey_with_customers(world, customers)
    predicted = {"A": 9, "B": 4, "C": 8, "D": 7, "E": 6}
    spread = [-1, 0, 1, 0] * 6  # 24 staff answers around each prediction
    rows = [{perceived_code(tps[name].pk): v + spread[i] for name, v in predicted.items()} for i in range(24)]
    staff_respond(perception, rows, on=TODAY)
    gap = selectors.perception_gap(ctx=world.ctx, perception=perception)
    stored = {
        name: np.array(
            Answer.objects.filter(question__code=perceived_code(tps[name].pk)).values_list("value", flat=True)
        )
        for name in customers
    }
    shares = {}
    for name, (_metric, actual) in customers.items():
        diff, _t, _df, p = welch(stored[name], actual)
        span = 4 if name == "B" else 10
        shares[name] = (100 * diff / span, p)
    expected_blind = sorted(
        (n for n, (share, p) in shares.items() if p < 0.05 and share >= 10), key=lambda n: -shares[n][0]
    )
    expected_hidden = [n for n, (share, p) in shares.items() if p < 0.05 and share <= -10]
    assert expected_blind == ["B", "A"] and expected_hidden == ["D"]  # the planted story holds
    assert shares["C"][1] < 0.05 and 0 < shares["C"][0] < 10 and shares["E"][1] > 0.05
    assert [g.touchpoint.name for g in gap.blind_spots] == expected_blind
    assert [g.touchpoint.name for g in gap.hidden_strengths] == expected_hidden
    assert gap.by_touchpoint[tps["C"].pk].comparison.kind == NO_CLEAR_GAP
    assert gap.by_touchpoint[tps["D"].pk].comparison.kind == HIDDEN_STRENGTH


def test_the_default_window_ends_on_the_last_staff_answer_and_an_explicit_window_is_kept(cast_a):
    world = make_world(cast_a, names=("Web order",))
    tp = world.touchpoints[0]
    plant_customers(world.org, tp, "nps", [6] * 40, end=TODAY, days=10)
    plant_customers(world.org, tp, "nps", [9] * 40, end=TODAY - dt.timedelta(days=120), days=10)
    perception = perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.LEADERSHIP)
    staff_respond(perception, [{perceived_code(tp.pk): 8}] * 3, on=TODAY)
    recent = selectors.perception_gap(ctx=world.ctx, perception=perception).items[0].comparison
    assert recent.actual.n == 40 and recent.actual_mean == pytest.approx(6.0)
    earlier = selectors.perception_gap(
        ctx=world.ctx, perception=perception, start=TODAY - dt.timedelta(days=200), end=TODAY - dt.timedelta(days=100)
    )
    assert earlier.items[0].comparison.actual_mean == pytest.approx(9.0)
    assert earlier.start == TODAY - dt.timedelta(days=200)


def test_leaders_and_frontline_are_compared_with_the_same_customers_side_by_side(cast_a):
    world = make_world(cast_a, names=("Web order",))
    tp = world.touchpoints[0]
    plant_customers(world.org, tp, "nps", rng_scores(1, 100, 6.5, 2.0, 0, 10), end=TODAY)
    leaders = perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.LEADERSHIP)
    frontline = perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.FRONTLINE)
    staff_respond(leaders, [{perceived_code(tp.pk): v} for v in (9, 9, 10, 8)], on=TODAY)
    staff_respond(frontline, [{perceived_code(tp.pk): v} for v in (6, 7, 7, 6, 7)], on=TODAY)
    gap = selectors.perception_gap(ctx=world.ctx, perception=leaders)
    item = gap.items[0]
    assert gap.other.pk == frontline.pk and gap.other_responses == 5
    assert item.comparison.predicted_mean == pytest.approx(9.0)
    assert item.other.predicted_mean == pytest.approx(6.6)
    assert item.other.actual is item.comparison.actual
    back = selectors.perception_gap(ctx=world.ctx, perception=frontline)
    assert back.other.pk == leaders.pk and back.items[0].other.predicted_mean == pytest.approx(9.0)


# -- importance --------------------------------------------------------------------------------------------------


def _snapshot(org, drivers: dict) -> ValueSnapshot:
    return ValueSnapshot.objects.create(
        organization=org, status=ValueSnapshot.Status.DONE, computed_at=timezone.now(), results={"drivers": drivers}
    )


def test_leaders_importance_is_compared_with_the_key_drivers_by_spearman_and_mismatches_are_flagged(cast_a):
    names = ("A", "B", "C", "D", "E", "F")
    world = make_world(cast_a, names=names)
    tps = {tp.name: tp for tp in world.touchpoints}
    for tp in world.touchpoints:
        plant_customers(world.org, tp, "nps", [7] * 40, end=TODAY)
    perception = perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.LEADERSHIP)
    leader_means = {"A": 5, "B": 5, "C": 4, "D": 3, "E": 2, "F": 1}  # A and B top third; D, E, F bottom half
    staff_respond(perception, [{importance_code(tps[n].pk): v for n, v in leader_means.items()}] * 3, on=TODAY)

    gap = selectors.perception_gap(ctx=world.ctx, perception=perception)
    assert gap.importance.status == "no_snapshot" and gap.importance.rows == []

    _snapshot(world.org, {"supported": False, "reason_code": "too_few_pairs", "rows": []})
    gap = selectors.perception_gap(ctx=world.ctx, perception=perception)
    assert gap.importance.status == "unsupported" and gap.importance.reason_code == "too_few_pairs"

    analysis = {"A": (0.05, False), "B": (0.40, True), "C": (0.30, True), "D": (0.10, False), "E": (0.45, True)}
    rows = [
        {"touchpoint_id": tps[n].pk, "metric": "nps", "n": 100, "importance": r, "p_value": 0.01, "is_driver": d}
        for n, (r, d) in analysis.items()
    ]
    rows.append({"touchpoint_id": tps["E"].pk, "metric": "csat", "n": 500, "importance": -0.2, "p_value": 0.01})
    _snapshot(world.org, {"supported": True, "reason_code": "", "rows": rows})  # F is not in the analysis
    gap = selectors.perception_gap(ctx=world.ctx, perception=perception)
    imp = gap.importance
    assert imp.status == "analysed"
    by_tp = {row.touchpoint_id: row for row in imp.rows}
    assert by_tp[tps["E"].pk].analysis == 0.45  # the item's own metric, not the better-answered csat row
    assert by_tp[tps["F"].pk].is_driver is None and by_tp[tps["F"].pk].analysis is None
    flags = {name: by_tp[tps[name].pk].flag for name in names}
    assert flags == {"A": "overrated", "B": "", "C": "", "D": "", "E": "underrated", "F": ""}
    paired = [n for n in names if n in analysis]
    expected = stats.spearmanr([leader_means[n] for n in paired], [analysis[n][0] for n in paired])
    assert imp.correlation.n == 5
    assert imp.correlation.rho == pytest.approx(expected.statistic)
    assert imp.correlation.p_value == pytest.approx(expected.pvalue)
    assert by_tp[tps["A"].pk].leaders_rank == pytest.approx(1.5)  # tied with B


# -- staff answers stay out of every customer figure ----------------------------------------------------------------


def _customer_figures(org) -> dict:
    from value.frames import answer_counts, customer_scores, journey_frame, relationship_frame

    start, end = TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=1)

    def rows(model):
        return sorted(
            tuple(v for k, v in r.items() if k != "id") for r in model.objects.filter(organization=org).values()
        )

    def frame(df: pd.DataFrame) -> list:
        return sorted(map(tuple, df.astype(str).to_numpy().tolist()))

    return {
        "rollups": rows(Rollup),
        "journeys": rows(JourneyRollup),
        "relationship": rows(RelationshipRollup),
        "segments": rows(SegmentRollup),
        "counts": frame(answer_counts(org, start, end)),
        "scores": frame(customer_scores(org, start, end)),
        "relationship_frame": frame(relationship_frame(org, "nps", start, end)),
        "journey_frame": frame(journey_frame(org, "nps", start, end)),
    }


def test_staff_answers_never_enter_customer_rollups_or_the_value_model(cast_a, django_capture_on_commit_callbacks):
    world = make_world(cast_a, names=("Web order",))
    org, tp = world.org, world.touchpoints[0]
    customer_survey = builder.survey_create(
        ctx=world.ctx,
        name="Touchpoint NPS",
        kind=Survey.Kind.TOUCHPOINT,
        languages=["en"],
        default_language="en",
        touchpoints=[tp],
    )
    builder.questions_add_preset(survey=customer_survey, preset="nps_why")
    builder.survey_publish(survey=customer_survey)
    customer_survey.refresh_from_db()
    moment = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(10)))
    for i in range(5):
        response_submit(
            organization=org,
            survey=customer_survey,
            version=customer_survey.current_version,
            answers={"nps": 3 + i},
            touchpoint=tp,
            customer=CustomerFactory(organization=org),
            language="en",
            submitted_at=moment,
        )

    def drain():
        with django_capture_on_commit_callbacks(execute=True):
            responses_sweep_unprocessed(min_age_seconds=0, time_budget_seconds=None)
        rollups.aggregate_dirty()

    drain()
    before = _customer_figures(org)
    assert before["rollups"], "the customer answers are in the rollups"

    perception = perception_survey_create(ctx=world.ctx, journey=world.journey, audience=Audience.LEADERSHIP)
    staff = staff_respond(perception, [{perceived_code(tp.pk): 10, importance_code(tp.pk): 5}] * 4, on=TODAY)
    drain()

    answers = Answer.objects.filter(response__in=staff)
    assert answers.count() == 8 and set(answers.values_list("metric", flat=True)) == {""}
    assert all(r.processed_at for r in Survey.objects.get(pk=perception.survey_id).responses.all())
    assert _customer_figures(org) == before
