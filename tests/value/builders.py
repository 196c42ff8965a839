"""Organizations built through the ORM for the value tests, with the customer-level truth kept as pandas frames.

Each builder writes customers, survey answers (any metric), monthly revenue and churn events, and returns the same
facts as frames so that a test can recompute every figure with pandas and compare it with the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.utils import timezone

from accounts.models import Organization
from customers.models import Customer
from journeys.models import Touchpoint
from surveys.models import Answer, Question, Response, Survey
from tests.factories import (
    JourneyFactory,
    QuestionFactory,
    StageFactory,
    SurveyFactory,
    SurveyVersionFactory,
    TouchpointFactory,
)
from value.frames import month_start
from value.models import ChurnEvent, CustomerRevenue

AS_OF = dt.date(2026, 11, 30)
REASONS = ["Price", "Moved abroad", "Competitor offer", "Service outage", ""]
REASON_WEIGHTS = [0.35, 0.1, 0.25, 0.15, 0.15]


@dataclass
class Built:
    org: Organization
    as_of: dt.date
    customers: pd.DataFrame  # customer_id (pk), segment
    answers: pd.DataFrame  # customer_id, touchpoint_id, metric, score, date
    revenue: pd.DataFrame  # customer_id, month, amount
    churn: pd.DataFrame  # customer_id, date, reason
    touchpoints: dict[str, Touchpoint] = field(default_factory=dict)


def question(org: Organization, *, kind: str, code: str, survey_kind: str = Survey.Kind.TOUCHPOINT, low=1, high=5):
    survey = SurveyFactory(organization=org, kind=survey_kind)
    version = SurveyVersionFactory(survey=survey, organization=org, published_at=timezone.now())
    return QuestionFactory(version=version, organization=org, kind=kind, code=code, scale_min=low, scale_max=high)


def write_answers(org: Organization, q: Question, rows, *, touchpoint: Touchpoint | None = None) -> None:
    """rows: (customer pk or None, score, date). One response with one answer each, in the question's metric."""
    tz = timezone.get_current_timezone()
    rows = list(rows)
    responses = Response.objects.bulk_create(
        [
            Response(
                organization=org,
                survey_id=q.version.survey_id,
                version_id=q.version_id,
                touchpoint=touchpoint,
                journey_id=touchpoint.journey_id if touchpoint else None,
                customer_id=customer_id,
                submitted_at=dt.datetime.combine(day, dt.time(12), tzinfo=tz),
                processed_at=timezone.now(),
            )
            for customer_id, _score, day in rows
        ],
        batch_size=2000,
    )
    Answer.objects.bulk_create(
        [
            Answer(
                organization=org,
                response=response,
                question=q,
                touchpoint=touchpoint,
                submitted_on=day,
                metric=q.metric,
                value=float(score),
            )
            for response, (_c, score, day) in zip(responses, rows, strict=True)
        ],
        batch_size=2000,
    )


def write_customers(org: Organization, segments, *, prefix: str = "V") -> list[int]:
    created = Customer.objects.bulk_create(
        [
            Customer(organization=org, external_id=f"{prefix}{i:05d}", name=f"Customer {i}", segment=segment)
            for i, segment in enumerate(segments)
        ],
        batch_size=2000,
    )
    return [c.pk for c in created]


def write_facts(org: Organization, revenue: pd.DataFrame, churn: pd.DataFrame) -> None:
    CustomerRevenue.objects.bulk_create(
        [
            CustomerRevenue(organization=org, customer_id=r.customer_id, month=r.month, amount=Decimal(str(r.amount)))
            for r in revenue.itertuples()
        ],
        batch_size=5000,
    )
    ChurnEvent.objects.bulk_create(
        [
            ChurnEvent(organization=org, customer_id=r.customer_id, date=r.date, reason=r.reason)
            for r in churn.itertuples()
        ],
        batch_size=5000,
    )


def monthly_revenue(customers: pd.DataFrame, churn: pd.DataFrame, *, first: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Revenue every month from `first` to the month the customer left (or `as_of`), at the customer's price."""
    left = dict(zip(churn["customer_id"], churn["date"], strict=True))
    rows = []
    for c in customers.itertuples():
        month = first
        end = left.get(c.customer_id, as_of)
        while month <= end:
            rows.append({"customer_id": c.customer_id, "month": month, "amount": c.price})
            month = month_start(month + dt.timedelta(days=40))
    return pd.DataFrame(rows, columns=["customer_id", "month", "amount"])


def csat_org(org: Organization, *, n: int = 900, measure: str = "", seed: int = 5, effect: float = -0.7) -> Built:
    """A CSAT-only organization (no NPS question at all): CSAT 1-5 at two touchpoints, churn that falls with the
    customer's CSAT (hazard x exp(effect x (score - 3))), revenue for every customer, reasons for most churners."""
    rng = np.random.default_rng(seed)
    org.primary_metric = "csat"
    org.primary_measure = measure
    org.save()
    journey = JourneyFactory(organization=org, name="Repair")
    stage = StageFactory(journey=journey, organization=org)
    visit = TouchpointFactory(stage=stage, name="Technician visit")
    invoice = TouchpointFactory(stage=stage, name="Invoice")
    q = question(org, kind="csat", code="csat")
    segments = rng.choice(["Consumer", "Business"], size=n, p=[0.75, 0.25])
    ids = write_customers(org, segments)
    price = np.round(np.where(segments == "Business", 1500.0, 400.0) * rng.uniform(0.8, 1.2, size=n), 2)
    customers = pd.DataFrame({"customer_id": ids, "segment": segments, "price": price})

    visit_score = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.1, 0.12, 0.18, 0.3, 0.3])
    days_ago = rng.integers(30, 420, size=n)
    visit_day = [AS_OF - dt.timedelta(days=int(d)) for d in days_ago]
    answers = [
        {"customer_id": c, "touchpoint_id": visit.pk, "metric": "csat", "score": int(s), "date": d}
        for c, s, d in zip(ids, visit_score, visit_day, strict=True)
    ]
    # Two in five also rate the invoice, a little differently: their mean can fall between two boxes.
    for i in np.flatnonzero(rng.random(n) < 0.4):
        score = int(np.clip(visit_score[i] + rng.integers(-1, 2), 1, 5))
        day = visit_day[i] + dt.timedelta(days=int(rng.integers(1, 20)))
        answers.append(
            {"customer_id": ids[i], "touchpoint_id": invoice.pk, "metric": "csat", "score": score, "date": day}
        )
    answers = pd.DataFrame(answers)
    answers = answers[answers["date"] <= AS_OF].reset_index(drop=True)
    for tp in (visit, invoice):
        part = answers[answers["touchpoint_id"] == tp.pk]
        write_answers(org, q, zip(part["customer_id"], part["score"], part["date"], strict=True), touchpoint=tp)

    mean = answers.groupby("customer_id")["score"].mean().reindex(ids).to_numpy()
    first = answers.groupby("customer_id")["date"].min().reindex(ids)
    rate = 0.25 * np.exp(effect * (mean - 3)) * np.where(segments == "Business", 0.7, 1.0)
    after = np.floor(rng.exponential(1 / rate) * 365.25).astype(int)
    churn_day = [f + dt.timedelta(days=int(a)) for f, a in zip(first, after, strict=True)]
    churned = np.array([d <= AS_OF for d in churn_day])
    churn = pd.DataFrame(
        {
            "customer_id": np.array(ids)[churned],
            "date": [d for d, c in zip(churn_day, churned, strict=True) if c],
            "reason": rng.choice(REASONS, size=int(churned.sum()), p=REASON_WEIGHTS),
        }
    )
    revenue = monthly_revenue(customers, churn, first=month_start(AS_OF, 17), as_of=AS_OF)
    write_facts(org, revenue, churn)
    return Built(
        org=org,
        as_of=AS_OF,
        customers=customers,
        answers=answers,
        revenue=revenue,
        churn=churn,
        touchpoints={"visit": visit, "invoice": invoice},
    )


def driver_org(org: Organization, *, n: int = 5000, seed: int = 11) -> Built:
    """Two touchpoint ratings and a yes/no label asked in a relationship survey, for key drivers:

    - "speed" (1-5) at the Technician visit drives both the label and churn (r about 0.4 with the label);
    - "tidy" (1-5) at the Invoice goes with the label only a little (r about 0.05: significant with this many
      customers, but negligible).
    """
    rng = np.random.default_rng(seed)
    org.primary_metric = "speed:1-5"
    org.save()
    journey = JourneyFactory(organization=org, name="Repair")
    stage = StageFactory(journey=journey, organization=org)
    visit = TouchpointFactory(stage=stage, name="Technician visit")
    invoice = TouchpointFactory(stage=stage, name="Invoice")
    speed_q = question(org, kind="rating", code="speed")
    tidy_q = question(org, kind="rating", code="tidy")
    label_q = question(org, kind="yes_no", code="satisfied", survey_kind=Survey.Kind.RELATIONSHIP, low=0, high=1)
    ids = write_customers(org, ["Consumer"] * n)
    z_speed, z_tidy = rng.normal(size=n), rng.normal(size=n)

    def rating(z):
        return np.digitize(z, [-1.2, -0.4, 0.4, 1.2]) + 1

    speed, tidy = rating(z_speed), rating(z_tidy)
    satisfied = (0.6 * z_speed + 0.08 * z_tidy + rng.normal(size=n) > 0).astype(int)
    days = rng.integers(40, 300, size=n)
    day = [AS_OF - dt.timedelta(days=int(d)) for d in days]
    write_answers(org, speed_q, zip(ids, speed, day, strict=True), touchpoint=visit)
    write_answers(org, tidy_q, zip(ids, tidy, day, strict=True), touchpoint=invoice)
    write_answers(org, label_q, zip(ids, satisfied, day, strict=True))
    left = rng.random(n) < 1 / (1 + np.exp(1.6 + 0.9 * z_speed))
    churn = pd.DataFrame(
        {
            "customer_id": np.array(ids)[left],
            "date": [d + dt.timedelta(days=20) for d, c in zip(day, left, strict=True) if c],
            "reason": "",
        }
    )
    write_facts(org, pd.DataFrame(columns=["customer_id", "month", "amount"]), churn)
    answers = pd.concat(
        [
            pd.DataFrame({"customer_id": ids, "touchpoint_id": visit.pk, "metric": "speed:1-5", "score": speed}),
            pd.DataFrame({"customer_id": ids, "touchpoint_id": invoice.pk, "metric": "tidy:1-5", "score": tidy}),
            pd.DataFrame({"customer_id": ids, "touchpoint_id": None, "metric": "satisfied:yes", "score": satisfied}),
        ],
        ignore_index=True,
    ).assign(date=day * 3)
    return Built(
        org=org,
        as_of=AS_OF,
        customers=pd.DataFrame({"customer_id": ids, "segment": "Consumer"}),
        answers=answers,
        revenue=pd.DataFrame(columns=["customer_id", "month", "amount"]),
        churn=churn,
        touchpoints={"visit": visit, "invoice": invoice},
    )
