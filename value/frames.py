"""Build the value model's customer-level frames from the database with grouped SQL.

Nothing here loads raw answers: every query groups in the database and returns at most one row per customer
(per touchpoint or journey where it says so). Portable ORM only: the demo runs on SQLite, production on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.db.models import Avg, Count, F, Min, Q, Sum, Window
from django.db.models.functions import Coalesce, RowNumber

from accounts.models import Organization
from customers.models import Customer
from journeys.models import Touchpoint
from surveys.models import Answer, Invitation, Survey
from value.analysis.inputs import ModelInput, Parameters, TouchpointInput
from value.models import ChurnEvent, CustomerRevenue

NPS = "nps"


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def _nps_answers(org: Organization, start: dt.date, as_of: dt.date):
    return Answer.objects.for_org(org).filter(
        metric=NPS,
        value__isnull=False,
        submitted_on__gte=start,
        submitted_on__lte=as_of,
        response__customer__isnull=False,
    )


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=columns)


def customers_frame(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    customers = _frame(Customer.objects.for_org(org).values_list("pk", "segment"), ["customer_id", "segment"])
    revenue = _frame(
        CustomerRevenue.objects.for_org(org)
        .filter(month__gte=month_start(start), month__lte=as_of)
        .values("customer_id")
        .annotate(total=Sum("amount"), months=Count("pk"))
        .values_list("customer_id", "total", "months"),
        ["customer_id", "total", "months"],
    )
    revenue["monthly_revenue"] = revenue["total"].astype(float) / revenue["months"].astype(float)
    return customers.merge(revenue[["customer_id", "monthly_revenue"]], on="customer_id", how="left")


def churn_frame(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    rows = ChurnEvent.objects.for_org(org).filter(date__gte=start, date__lte=as_of).values_list("customer_id", "date")
    return _frame(rows, ["customer_id", "date"])


def relationship_frame(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Latest relationship-survey NPS answer per customer: customer_id, score, score_date."""
    latest = (
        _nps_answers(org, start, as_of)
        .filter(response__survey__kind=Survey.Kind.RELATIONSHIP)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("response__customer_id"),
                order_by=[F("response__submitted_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .values_list("response__customer_id", "value", "submitted_on")
    )
    return _frame(latest, ["customer_id", "score", "score_date"])


def touchpoint_mean_frame(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Mean touchpoint NPS per customer over the window, dated by their first such answer."""
    rows = (
        _nps_answers(org, start, as_of)
        .filter(touchpoint__isnull=False)
        .values("response__customer_id")
        .annotate(score=Avg("value"), first=Min("submitted_on"))
        .values_list("response__customer_id", "score", "first")
    )
    return _frame(rows, ["customer_id", "score", "score_date"])


def category_frame(relationship: pd.DataFrame, touchpoint_means: pd.DataFrame) -> pd.DataFrame:
    """The customer's NPS category basis: their latest relationship answer, else the mean of their touchpoint NPS."""
    rel = relationship.assign(source="relationship")
    rest = touchpoint_means[~touchpoint_means["customer_id"].isin(rel["customer_id"])].assign(source="touchpoints")
    return pd.concat([rel, rest], ignore_index=True)


def journey_frame(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    rows = (
        _nps_answers(org, start, as_of)
        .filter(response__survey__kind=Survey.Kind.JOURNEY)
        .annotate(journey_key=Coalesce("response__journey_id", "response__survey__journey_id"))
        .filter(journey_key__isnull=False)
        .values("response__customer_id", "journey_key")
        .annotate(score=Avg("value"))
        .values_list("response__customer_id", "journey_key", "score")
    )
    return _frame(rows, ["customer_id", "journey_id", "score"])


def touchpoint_inputs(org: Organization, start: dt.date, as_of: dt.date) -> list[TouchpointInput]:
    counts = {
        row["touchpoint_id"]: row
        for row in Answer.objects.for_org(org)
        .filter(metric=NPS, value__isnull=False, submitted_on__gte=start, submitted_on__lte=as_of)
        .filter(touchpoint__isnull=False)
        .values("touchpoint_id")
        .annotate(
            n=Count("pk"), promoters=Count("pk", filter=Q(value__gte=9)), detractors=Count("pk", filter=Q(value__lt=7))
        )
    }
    year_ago = as_of - dt.timedelta(days=365)
    invited = dict(
        Invitation.objects.for_org(org)
        .filter(touchpoint__isnull=False, customer__isnull=False, created_at__date__gt=year_ago)
        .values("touchpoint_id")
        .annotate(c=Count("customer_id", distinct=True))
        .values_list("touchpoint_id", "c")
    )
    touchpoints = Touchpoint.objects.for_org(org).filter(pk__in=counts).select_related("journey")
    inputs = []
    for tp in touchpoints.order_by("journey__name", "stage__position", "position", "pk"):
        # One grouped query per touchpoint keeps every frame at most one row per customer.
        scores = _frame(
            _nps_answers(org, start, as_of)
            .filter(touchpoint=tp)
            .values("response__customer_id")
            .annotate(score=Avg("value"), first=Min("submitted_on"))
            .values_list("response__customer_id", "score", "first"),
            ["customer_id", "score", "first_date"],
        )
        c = counts[tp.pk]
        inputs.append(
            TouchpointInput(
                touchpoint_id=tp.pk,
                name=tp.name,
                journey_id=tp.journey_id,
                journey_name=tp.journey.name,
                customers_per_year=invited.get(tp.pk, 0),
                answers=c["n"],
                promoters=c["promoters"],
                detractors=c["detractors"],
                scores=scores,
            )
        )
    return inputs


def model_input(org: Organization, *, as_of: dt.date, parameters: Parameters) -> ModelInput:
    start = month_start(as_of, parameters.window_months - 1)
    relationship = relationship_frame(org, start, as_of)
    customers = customers_frame(org, start, as_of)
    churn = churn_frame(org, start, as_of)
    return ModelInput(
        as_of=as_of,
        customers=customers,
        churn=churn,
        category_scores=category_frame(relationship, touchpoint_mean_frame(org, start, as_of)),
        touchpoints=touchpoint_inputs(org, start, as_of),
        relationship=relationship[["customer_id", "score"]],
        journey_scores=journey_frame(org, start, as_of),
        parameters=parameters,
        coverage={
            "window_start": start.isoformat(),
            "customers": len(customers),
            "customers_with_revenue": int(customers["monthly_revenue"].notna().sum()),
            "churn_events": len(churn),
            "customers_with_relationship_score": len(relationship),
        },
    )
