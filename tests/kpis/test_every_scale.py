"""Every scale is first-class on the dashboards: a CSAT-only organization sees CSAT (mean or top-2-box), ratings and
yes/no questions have their own metrics, and staff surveys never enter customer figures."""

import datetime as dt
import random
import re
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest
from django.urls import reverse
from django.utils import timezone

from core.scores import Score
from kpis import rollups
from kpis.models import Kpi, Rollup
from surveys.ingestion.services import response_submit
from surveys.models import Answer, Question, Survey, SurveyVersion
from tests.factories import JourneyFactory, StageFactory, TouchpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

TODAY = timezone.localdate()


def share(mask) -> float:
    """Percentage as the rollups compute it (100 x hits / n, not a float mean times 100)."""
    return 100 * int(mask.sum()) / len(mask)


def shown(value: float, decimals: int, suffix: str = "") -> str:
    """What a reader expects: rounded half away from zero (63.25 -> 63.3), in the English locale."""
    text = str(Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    return text + suffix


def _survey(org, kind, questions, journey=None):
    survey = Survey.objects.create(organization=org, name=f"{kind} survey", kind=kind, journey=journey)
    version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
    survey.current_version = version
    survey.status = Survey.Status.PUBLISHED
    survey.save()
    for i, (code, qkind, lo, hi) in enumerate(questions):
        Question.objects.create(
            organization=org,
            version=version,
            position=i,
            code=code,
            kind=qkind,
            text={"en": code},
            scale_min=lo,
            scale_max=hi,
        )
    return survey, version


@pytest.fixture
def csat_org(cast_a):
    """An organization that measures CSAT 1-5, a 1-10 rating and a yes/no question, and no NPS at all."""
    org = cast_a.org
    org.primary_metric, org.primary_measure = "csat", "top_box"
    org.save()
    journey = JourneyFactory(organization=org, name="Delivery")
    stage = StageFactory(journey=journey, organization=org, name="Order", position=0)
    tps = [
        TouchpointFactory(stage=stage, journey=journey, organization=org, name=name, position=i)
        for i, name in enumerate(["Web shop", "Courier"])
    ]
    survey, version = _survey(
        org,
        Survey.Kind.TOUCHPOINT,
        [("csat", "csat", None, None), ("effort", "rating", 1, 10), ("ontime", "yes_no", None, None)],
    )
    survey.touchpoints.set(tps)
    rng = random.Random(3)
    rows = []
    for i in range(400):
        tp = tps[i % 2]
        csat = rng.choice([5, 5, 4, 4, 3, 2, 1]) if tp.name == "Web shop" else rng.choice([5, 4, 3, 3, 2, 1, 1])
        effort, ontime = rng.randint(1, 10), rng.choice(["yes", "no", "ja"])
        day = TODAY - dt.timedelta(days=rng.randrange(0, 80))
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
        response_submit(
            organization=org,
            survey=survey,
            version=version,
            touchpoint=tp,
            language="en",
            submitted_at=at,
            answers={"csat": csat, "effort": effort, "ontime": ontime},
        )
        rows.append({"tp": tp.pk, "csat": csat, "effort": effort, "ontime": 1 if ontime != "no" else 0})
    rollups.rebuild_rollups(organization_id=org.pk)
    return org, journey, tps, survey, pd.DataFrame(rows)


def test_answers_are_stored_under_scale_bearing_metric_keys(csat_org):
    org = csat_org[0]
    assert set(Answer.objects.for_org(org).values_list("metric", flat=True)) == {"csat", "effort:1-10", "ontime:yes"}
    assert set(Rollup.objects.for_org(org).values_list("metric", flat=True)) == {"csat", "effort:1-10", "ontime:yes"}


def test_the_gap_dashboard_opens_on_the_primary_metric_in_top_2_box(client_for, cast_a, csat_org):
    _org, journey, tps, _s, frame = csat_org
    html = (
        client_for(cast_a.cx_manager).get(reverse("kpis:journey_dashboard"), {"journey": journey.pk}).content.decode()
    )
    assert "CSAT, top-2-box %" in html and "NPS" not in re.sub(r"<[^>]+>", " ", html).split("Delivery", 1)[1][:400]
    for tp in tps:
        part = frame[frame["tp"] == tp.pk]
        expected = share(part["csat"] >= 4)
        card = html.split(f'data-touchpoint="{tp.pk}"', 1)[1].split("</article>", 1)[0]
        assert re.search(r'data-testid="score">([^<]+)<', card).group(1) == shown(expected, 1, "\u00a0%")
    journey_part = html.split('data-testid="journey-score"', 1)[1]
    expected = shown(share(frame["csat"] >= 4), 1, "\u00a0%")
    assert re.search(r'data-testid="score">([^<]+)<', journey_part).group(1) == expected


def test_a_kpi_on_the_mean_shows_the_mean_and_ratings_and_yes_no_have_their_own_figures(client_for, cast_a, csat_org):
    org, journey, _tps, _s, frame = csat_org
    c = client_for(cast_a.cx_manager)
    cases = [
        ("csat", "mean", shown(frame["csat"].mean(), 2)),
        ("effort:1-10", "mean", shown(frame["effort"].mean(), 2)),
        ("effort:1-10", "top_box", shown(share(frame["effort"] >= 9), 1, "\u00a0%")),
        ("ontime:yes", "", shown(share(frame["ontime"] == 1), 1, "\u00a0%")),
    ]
    for i, (metric, measure, expected) in enumerate(cases):
        kpi = Kpi.objects.create(
            organization=org, code=f"k{i}", name=f"K{i}", kind="survey", metric=metric, measure=measure
        )
        html = c.get(reverse("kpis:journey_dashboard"), {"journey": journey.pk, "kpi": kpi.pk}).content.decode()
        journey_part = html.split('data-testid="journey-score"', 1)[1]
        assert re.search(r'data-testid="score">([^<]+)<', journey_part).group(1) == expected, (metric, measure)


def test_the_overview_opens_on_the_primary_metric_not_an_empty_nps(client_for, cast_a, csat_org):
    html = client_for(cast_a.executive).get(reverse("kpis:overview")).content.decode()
    assert "CSAT, top-2-box %" in html
    assert "n=0" not in html


def test_a_change_of_scale_is_never_a_change_of_score():
    five = Score("overall:1-5", {"n": 100, "total": 300.0, "total_sq": 1000.0}, 30)
    ten = Score("overall:1-10", {"n": 100, "total": 800.0, "total_sq": 6600.0}, 30)
    from kpis.scores import change_between

    assert change_between(five, ten) is None
    assert change_between(five, five) is not None


def test_employee_and_leadership_answers_never_enter_customer_rollups(cast_a, csat_org):
    org, journey, tps, _s, _frame = csat_org
    before = {(r.touchpoint_id, r.day, r.metric): r.n for r in Rollup.objects.for_org(org)}
    for kind in (Survey.Kind.EMPLOYEE, Survey.Kind.LEADERSHIP):
        survey, version = _survey(org, kind, [("csat", "csat", None, None), ("nps", "nps", None, None)], journey)
        for tp in tps:
            response_submit(
                organization=org,
                survey=survey,
                version=version,
                touchpoint=tp,
                language="en",
                answers={"csat": 1, "nps": 0},
            )
    staff = Answer.objects.for_org(org).filter(question__version__survey__kind__in=["employee", "leadership"])
    assert staff.count() == 8 and set(staff.values_list("metric", flat=True)) == {""}
    assert set(staff.values_list("value", flat=True)) == {0.0, 1.0}  # the answers themselves are kept
    rollups.rebuild_rollups(organization_id=org.pk)
    after = {(r.touchpoint_id, r.day, r.metric): r.n for r in Rollup.objects.for_org(org)}
    assert after == before
