from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.models import Organization
from customers.models import Customer
from surveys.models import Answer, Question, Response, Survey
from tests.factories import QuestionFactory, SurveyFactory, SurveyVersionFactory, TouchpointFactory
from tests.value.synthetic import Synthetic
from value.frames import month_start
from value.models import ChurnEvent, CustomerRevenue


def _nps_question(org: Organization, kind: str) -> Question:
    survey = SurveyFactory(organization=org, kind=kind)
    version = SurveyVersionFactory(survey=survey, organization=org, published_at=timezone.now())
    return QuestionFactory(version=version, organization=org)


def _answers(org, question: Question, rows, *, touchpoint=None) -> None:
    """rows: (customer pk, score, date). One response with one NPS answer each, bulk-inserted."""
    tz = timezone.get_current_timezone()
    responses = Response.objects.bulk_create(
        [
            Response(
                organization=org,
                survey_id=question.version.survey_id,
                version_id=question.version_id,
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
                question=question,
                touchpoint=touchpoint,
                submitted_on=day,
                metric="nps",
                value=float(score),
            )
            for response, (_c, score, day) in zip(responses, rows, strict=True)
        ],
        batch_size=2000,
    )


def load_synthetic(org: Organization, data: Synthetic, *, relationship: bool = True, touchpoint=None):
    """Write a Synthetic data set to the database: customers, answers, monthly revenue, churn. Return the touchpoint."""
    customers = Customer.objects.bulk_create(
        [
            Customer(
                organization=org, external_id=row.external_id, name=f"Customer {row.external_id}", segment=row.segment
            )
            for row in data.customers.itertuples()
        ],
        batch_size=2000,
    )
    pk = {i: c.pk for i, c in zip(data.customers["customer_id"], customers, strict=True)}
    touchpoint = touchpoint or TouchpointFactory(
        stage__journey__organization=org, name="Technician visit", is_moment_of_truth=True
    )
    question = _nps_question(org, Survey.Kind.TOUCHPOINT)
    _answers(
        org,
        question,
        [(pk[r.customer_id], r.score, r.first_date) for r in data.scores.itertuples()],
        touchpoint=touchpoint,
    )
    if relationship:
        rel = _nps_question(org, Survey.Kind.RELATIONSHIP)
        _answers(org, rel, [(pk[r.customer_id], r.score, r.score_date) for r in data.relationship.itertuples()])
    churn_on = dict(zip(data.churn["customer_id"], data.churn["date"], strict=True))
    first_month = month_start(data.as_of, 12)
    revenue = []
    for row in data.customers.itertuples():
        month = first_month
        end = churn_on.get(row.customer_id, data.as_of)
        while month <= end:
            revenue.append(
                CustomerRevenue(
                    organization=org,
                    customer_id=pk[row.customer_id],
                    month=month,
                    amount=Decimal(str(row.monthly_revenue)),
                )
            )
            month = month_start(month + dt.timedelta(days=40))
    CustomerRevenue.objects.bulk_create(revenue, batch_size=5000)
    ChurnEvent.objects.bulk_create(
        [
            ChurnEvent(organization=org, customer_id=pk[r.customer_id], date=r.date, reason=r.reason)
            for r in data.churn.itertuples()
        ]
    )
    return touchpoint
