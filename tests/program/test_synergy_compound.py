"""Compound failures on planted data, against an independent recomputation (plain Python loops, numpy, statsmodels).

`SynergyWorld` (also used by the other synergy tests) gives an organization two journeys with touchpoints, a customer
survey with NPS, CSAT, CES, a 1-10 rating, a yes/no and a text question, an employee survey, and `respond(...)`,
which stores a response with its answers the way ingestion does.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

import numpy as np
import pytest
from django.http import Http404
from django.utils import timezone
from statsmodels.stats.proportion import proportion_confint

from accounts.scoping import context_for_membership
from customers.models import Customer
from journeys.models import Journey, Touchpoint
from program.synergy.selectors import compound_failures
from surveys.models import Answer, Question, Response, Survey, SurveyVersion
from tests.conftest import OrgCast
from tests.factories import CustomerFactory, StageFactory, TouchpointFactory
from value.models import ChurnEvent, CustomerRevenue

pytestmark = pytest.mark.django_db

SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "overall:1-10": (1, 10)}
# The bad band by hand: NPS detractors, else the bottom two boxes of these scales.
BAD_MAX = {"nps": 6, "csat": 2, "ces": 2, "overall:1-10": 2}
PRIORITY = ["nps", "csat", "ces", "overall:1-10"]


@dataclass
class SynergyWorld:
    cast: OrgCast
    journeys: list[Journey]
    touchpoints: list[Touchpoint]
    survey: Survey
    version: SurveyVersion
    questions: dict[str, Question]
    staff_survey: Survey
    staff_version: SurveyVersion
    staff_question: Question
    customers: list[Customer] = field(default_factory=list)

    @property
    def org(self):
        return self.cast.org

    def ctx(self, role: str = "cx_manager"):
        member = self.cast.member(role)
        return context_for_membership(member, user=member.user)

    def respond(
        self, customer, at: dt.datetime, *, touchpoint=None, staff: bool = False, text: str = "", **scores
    ) -> Response:
        """A response with answers: scores by metric key (nps=3, csat=2, ces=5, overall=7, yes=1)."""
        touchpoint = touchpoint or self.touchpoints[0]
        survey, version = (self.staff_survey, self.staff_version) if staff else (self.survey, self.version)
        response = Response.objects.create(
            organization=self.org,
            survey=survey,
            version=version,
            touchpoint=touchpoint,
            journey_id=touchpoint.journey_id,
            customer=customer,
            language="en",
            submitted_at=at,
            processed_at=at,
        )
        day = timezone.localdate(at, self.org.zone)
        rows = []
        for code, value in scores.items():
            question = self.staff_question if staff else self.questions[code]
            # A staff answer stored with a metric key as if it were a customer's: the survey kind must still keep
            # it out (the platform stores staff answers without one; this checks the second line of defence).
            metric = "nps" if staff else question.metric
            rows.append((question, metric, value, ""))
        if text:
            rows.append((self.questions["why"], "", None, text))
        for question, metric, value, words in rows:
            Answer.objects.create(
                organization=self.org,
                response=response,
                question=question,
                touchpoint=touchpoint,
                submitted_on=day,
                metric=metric,
                value=value,
                text=words,
            )
        return response


def _question(org, version, position, code, kind, **extra) -> Question:
    return Question.objects.create(
        organization=org, version=version, position=position, code=code, kind=kind, text={"en": code}, **extra
    )


def make_synergy_world(cast: OrgCast) -> SynergyWorld:
    org = cast.org
    stage_a = StageFactory(organization=org, journey__organization=org, journey__name=f"{org.name} Onboarding")
    stage_b = StageFactory(organization=org, journey__organization=org, journey__name=f"{org.name} Billing")
    touchpoints = [
        TouchpointFactory(stage=stage_a, name=f"{org.name} Phone sales order"),
        TouchpointFactory(stage=stage_b, name=f"{org.name} First invoice"),
        TouchpointFactory(stage=stage_b, name=f"{org.name} Billing chat"),
    ]
    survey = Survey.objects.create(organization=org, name="Touchpoint survey", kind="touchpoint", status="published")
    version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
    questions = {
        "nps": _question(org, version, 1, "nps", "nps"),
        "csat": _question(org, version, 2, "csat", "csat"),
        "ces": _question(org, version, 3, "ces", "ces"),
        "overall": _question(org, version, 4, "overall", "rating", scale_min=1, scale_max=10),
        "yes": _question(org, version, 5, "recommend", "yes_no"),
        "why": _question(org, version, 6, "why", "text"),
    }
    staff = Survey.objects.create(organization=org, name="Staff pulse", kind="employee", status="published")
    staff_version = SurveyVersion.objects.create(organization=org, survey=staff, number=1, published_at=timezone.now())
    return SynergyWorld(
        cast=cast,
        journeys=[stage_a.journey, stage_b.journey],
        touchpoints=touchpoints,
        survey=survey,
        version=version,
        questions=questions,
        staff_survey=staff,
        staff_version=staff_version,
        staff_question=_question(org, staff_version, 1, "nps", "nps"),
    )


@pytest.fixture
def world(cast_a) -> SynergyWorld:
    return make_synergy_world(cast_a)


# -- planted random data against a recomputation -----------------------------------------------------------------


def _plant(world: SynergyWorld, rng: random.Random, today: dt.date) -> list[dict]:
    """60 customers with random histories over 16 months; returns what was stored, as plain dicts."""
    tz = world.org.zone
    planted = []
    for i in range(60):
        customer = CustomerFactory(organization=world.org, name=f"Planted {i}")
        world.customers.append(customer)
        day = today - dt.timedelta(days=rng.randint(400, 480))
        while True:
            day += dt.timedelta(days=rng.choice([3, 10, 20, 30, 45, 70, 89, 90, 91]))
            if day > today:
                break
            at = dt.datetime.combine(day, dt.time(rng.randint(7, 20), rng.randint(0, 59)), tz)
            kind = rng.random()
            scores = {}
            if kind < 0.6:
                scores["nps"] = rng.choice([0, 2, 4, 5, 6, 6, 7, 8, 9, 10, 10])
            if kind > 0.4:
                scores["csat"] = rng.randint(1, 5)
            if kind > 0.8:
                scores["ces"] = rng.randint(1, 7)
            if rng.random() < 0.3:
                scores["overall"] = rng.randint(1, 10)
            if rng.random() < 0.2:
                scores["yes"] = rng.randint(0, 1)
            touchpoint = rng.choice(world.touchpoints)
            world.respond(customer, at, touchpoint=touchpoint, **scores)
            # In UTC: 90 days are 90 x 24 hours (a local wall-clock difference would move by the DST hour).
            planted.append(
                {
                    "customer": customer.pk,
                    "at": at.astimezone(dt.UTC),
                    "journey": touchpoint.journey_id,
                    "scores": scores,
                }
            )
            if rng.random() < 0.15:  # the same customer answers the staff survey too: never counted
                world.respond(customer, at + dt.timedelta(hours=1), staff=True, nps=0)
        if rng.random() < 0.3:
            left = today - dt.timedelta(days=rng.randint(0, 300))
            ChurnEvent.objects.create(organization=world.org, customer=customer, date=left)
        for back in range(14):
            month = (today.replace(day=1) - dt.timedelta(days=30 * back)).replace(day=1)
            CustomerRevenue.objects.get_or_create(
                organization=world.org, customer=customer, month=month, defaults={"amount": 100 + i}
            )
    return planted


def _primary(scores: dict) -> tuple[str, float] | None:
    keyed = {("overall:1-10" if k == "overall" else k): v for k, v in scores.items() if k != "yes"}
    for metric in PRIORITY:
        if metric in keyed:
            return metric, keyed[metric]
    return None


def _recompute(planted: list[dict], world: SynergyWorld, start: dt.date, end: dt.date, today: dt.date, journey=None):
    tz = world.org.zone
    since = dt.datetime.combine(start, dt.time.min, tz).astimezone(dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tz).astimezone(dt.UTC)
    window = dt.timedelta(days=90)
    rows = []
    for p in planted:
        primary = _primary(p["scores"])
        if primary is None:
            continue
        metric, value = primary
        low, high = SCALES[metric]
        rows.append(
            {
                **p,
                "metric": metric,
                "value": value,
                "poor": value <= BAD_MAX[metric],
                "norm": (value - low) / (high - low) * 100,
            }
        )
    buckets = {b: [] for b in range(4)}
    for r in rows:
        if not (since <= r["at"] < until) or (journey is not None and r["journey"] != journey):
            continue
        before = sum(
            1 for o in rows if o["customer"] == r["customer"] and o["poor"] and r["at"] - window <= o["at"] < r["at"]
        )
        buckets[min(before, 3)].append(r)
    by_response = {}
    for b, part in buckets.items():
        nps = [r["value"] for r in part if r["metric"] == "nps"]
        signs = np.array([1 if v >= 9 else -1 if v <= 6 else 0 for v in nps], dtype=float)
        norm = np.array([r["norm"] for r in part])
        by_response[b] = {
            "n": len(part),
            "nps": 100 * signs.mean() if len(signs) else None,
            "nps_moe": 100 * 1.959963984540054 * signs.std() / math.sqrt(len(signs)) if len(signs) >= 2 else None,
            "mean": norm.mean() if len(norm) else None,
            "mean_moe": 1.959963984540054 * norm.std(ddof=1) / math.sqrt(len(norm)) if len(norm) >= 2 else None,
            "poor": sum(r["poor"] for r in part),
        }
    churn = {}
    for c in ChurnEvent.objects.filter(organization=world.org):
        churn.setdefault(c.customer_id, []).append(c.date)
    revenue = {}
    for r in CustomerRevenue.objects.filter(organization=world.org, month__gte=start.replace(day=1), month__lte=end):
        revenue[r.customer_id] = revenue.get(r.customer_id, 0) + float(r.amount)
    customers = {r["customer"] for part in buckets.values() for r in part}
    by_customer = {b: {"customers": 0, "followed": 0, "churned": 0, "open": 0, "revenue": 0.0} for b in range(4)}
    for customer in customers:
        mine = sorted(
            (r for r in rows if r["customer"] == customer and since <= r["at"] < until), key=lambda r: r["at"]
        )
        poor_times = [r["at"] for r in mine if r["poor"]]
        most, anchor = 0, mine[0]["at"]
        for t in poor_times:
            count = sum(1 for s in poor_times if t - window <= s <= t)
            if count > most:
                most, anchor = count, t
        day = timezone.localtime(anchor, tz).date()
        row = by_customer[min(most, 3)]
        row["customers"] += 1
        row["revenue"] += revenue.get(customer, 0.0)
        if day + dt.timedelta(days=180) > today:  # follow-up not over: out of the churn rate
            row["open"] += 1
            continue
        row["followed"] += 1
        row["churned"] += any(day <= d <= day + dt.timedelta(days=180) for d in churn.get(customer, []))
    return by_response, by_customer


@pytest.mark.parametrize("journey_index", [None, 1])
def test_compound_figures_match_an_independent_recomputation(world, journey_index):
    world.org.min_n = 1
    world.org.save(update_fields=["min_n"])
    today = timezone.localdate(timezone=world.org.zone)
    planted = _plant(world, random.Random(15), today)
    start, end = today - dt.timedelta(days=364), today
    journey = world.journeys[journey_index] if journey_index is not None else None
    data = compound_failures(ctx=world.ctx(), start=start, end=end, journey_id=journey.pk if journey else None)
    expected_r, expected_c = _recompute(planted, world, start, end, today, journey.pk if journey else None)

    assert sum(b["n"] for b in expected_r.values()) > 300 and expected_r[3]["n"] > 5  # every bucket has data
    for b in data.by_response:
        want = expected_r[b.bucket]
        assert b.n == want["n"] and b.poor.hits == want["poor"]
        assert b.nps.score == pytest.approx(want["nps"]) and b.nps.margin_of_error == pytest.approx(want["nps_moe"])
        assert b.score.mean == pytest.approx(want["mean"]) and b.score.margin_of_error == pytest.approx(
            want["mean_moe"]
        )
    assert sum(want["customers"] for want in expected_c.values()) > 40
    for b in data.by_customer:
        want = expected_c[b.bucket]
        got = (b.customers, b.followed_up, b.churned, b.follow_up_open)
        assert got == (want["customers"], want["followed"], want["churned"], want["open"])
        assert b.revenue == pytest.approx(want["revenue"])
        if b.followed_up:
            assert b.churn_rate == pytest.approx(want["churned"] / want["followed"])
            low, high = proportion_confint(b.churned, b.followed_up, alpha=0.05, method="wilson")
            assert b.interval == pytest.approx((low, high))
    # The plant has customers on both sides of the 180-day line, and churn among the followed-up.
    assert sum(w["open"] for w in expected_c.values()) > 5 and sum(w["followed"] for w in expected_c.values()) > 20
    assert sum(w["churned"] for w in expected_c.values()) > 0


def test_window_edges_of_the_90_days_before_and_the_180_days_after(world):
    world.org.min_n = 1
    world.org.save(update_fields=["min_n"])
    tz = world.org.zone
    today = timezone.localdate(timezone=tz)
    x, y = CustomerFactory(organization=world.org), CustomerFactory(organization=world.org)
    # In UTC: 90 days are 90 x 24 hours, whatever the daylight saving time in between.
    t = dt.datetime.combine(today - dt.timedelta(days=200), dt.time(12), tz).astimezone(dt.UTC)
    world.respond(x, t - dt.timedelta(days=90, seconds=1), nps=2)  # 1 s too early for the last response
    world.respond(x, t - dt.timedelta(days=90), nps=3)  # exactly 90 days before: counts
    world.respond(x, t, nps=9)
    # y: two poor experiences 90 days apart (one window), and churn exactly 180 days after reaching two.
    world.respond(y, t - dt.timedelta(days=90), csat=1)
    world.respond(y, t, csat=2)
    ChurnEvent.objects.create(
        organization=world.org, customer=y, date=timezone.localtime(t, tz).date() + dt.timedelta(days=180)
    )
    ChurnEvent.objects.create(organization=world.org, customer=x, date=today - dt.timedelta(days=5))  # too late for x

    start = timezone.localtime(t - dt.timedelta(days=90, seconds=1), tz).date()
    data = compound_failures(ctx=world.ctx(), start=start, end=today)
    counts = {b.bucket: b.n for b in data.by_response}
    # x: 0 before the first, 1 before the second (the first, 1 s before it), 1 before the third (the second, exactly
    # 90 days back; the first is 1 s too early); y: 0, then 1.
    assert counts == {0: 2, 1: 3, 2: 0, 3: 0}
    by_customer = {b.bucket: b for b in data.by_customer}
    # x reached two poor experiences within 90 days (the first two, 1 s apart); y two, exactly 90 days apart.
    assert by_customer[2].customers == 2 and by_customer[2].churned == 1

    ChurnEvent.objects.filter(customer=y).update(date=timezone.localtime(t, tz).date() + dt.timedelta(days=181))
    data = compound_failures(ctx=world.ctx(), start=start, end=today)
    assert {b.bucket: b.churned for b in data.by_customer}[2] == 0


def test_staff_survey_answers_never_count(world):
    world.org.min_n = 1
    world.org.save(update_fields=["min_n"])
    tz = world.org.zone
    today = timezone.localdate(timezone=tz)
    x = CustomerFactory(organization=world.org)
    t = dt.datetime.combine(today - dt.timedelta(days=20), dt.time(12), tz)
    for days in (10, 8, 6):
        world.respond(x, t - dt.timedelta(days=days), staff=True, nps=0)
    world.respond(x, t, nps=10)
    data = compound_failures(ctx=world.ctx(), start=today - dt.timedelta(days=30), end=today)
    assert [(b.bucket, b.n) for b in data.by_response if b.n] == [(0, 1)]
    assert [(b.bucket, b.customers) for b in data.by_customer if b.customers] == [(0, 1)]


def test_figures_below_the_minimum_n_are_flagged(world):
    tz = world.org.zone
    today = timezone.localdate(timezone=tz)
    x = CustomerFactory(organization=world.org)
    world.respond(x, dt.datetime.combine(today, dt.time(1), tz), nps=4)
    assert world.org.min_n == 30
    data = compound_failures(ctx=world.ctx(), start=today, end=today)
    zero = data.by_response[0]
    assert zero.n == 1 and not zero.sufficient and not zero.nps_sufficient
    assert not data.by_customer[0].sufficient


def test_another_organizations_journey_is_not_found(world, cast_b):
    other = make_synergy_world(cast_b)
    today = timezone.localdate()
    with pytest.raises(Http404):
        compound_failures(ctx=world.ctx(), start=today, end=today, journey_id=other.journeys[0].pk)
