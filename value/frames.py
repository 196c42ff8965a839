"""Build the value model's customer-level frames from the database with grouped SQL.

Nothing here loads raw answers: every query groups in the database and returns at most one row per customer (per
touchpoint and metric, journey or churn event where it says so), or one row per touchpoint, metric and score value.
Portable ORM only (one month expression has a spelling per database): the demo runs on SQLite, production on
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.db import connection
from django.db.models import Avg, Count, DateField, F, FloatField, Func, Min, Q, QuerySet, Sum, Window
from django.db.models.functions import Cast, Coalesce, RowNumber

from accounts.models import Organization
from core.scales import scale_for_metric
from customers.models import Customer
from journeys.models import Touchpoint
from surveys.models import Answer, Invitation, Survey
from value.analysis.common import month_start, window_start
from value.analysis.inputs import ModelInput, Parameters, TouchpointInput
from value.models import ChurnEvent, CustomerRevenue

__all__ = ["model_input", "month_start"]

# Months of revenue counted as a churner's "revenue before leaving": the month they left and the 11 before it.
CHURNER_REVENUE_MONTHS = 12


class MonthStartBefore(Func):
    """The first day of the month `months` calendar months before a date's month (a date expression)."""

    output_field = DateField()

    def __init__(self, expression, months: int):
        self.months = int(months)
        super().__init__(expression)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(date_trunc('month', {sql}) - interval '{self.months} months')::date", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, 'start of month', '-{self.months} months')", params


def _frame(rows, columns: list[str]) -> pd.DataFrame:
    """A frame of a values_list query's rows, fetched on the raw cursor: the ORM's per-value converters (dates,
    decimals) cost more than the query on customer-level results; the callers convert whole columns instead."""
    if isinstance(rows, QuerySet):
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    return pd.DataFrame.from_records(list(rows), columns=columns)


def _answers(org: Organization, start: dt.date, as_of: dt.date):
    """Score answers (every metric key; staff surveys store none) of the window."""
    return (
        Answer.objects.for_org(org)
        .filter(value__isnull=False, submitted_on__gte=start, submitted_on__lte=as_of)
        .exclude(metric="")
    )


def customers_frame(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """customer_id, segment, revenue (the window's total), monthly_revenue, first_month (with revenue)."""
    customers = _frame(Customer.objects.for_org(org).values_list("pk", "segment"), ["customer_id", "segment"])
    revenue = _frame(
        CustomerRevenue.objects.for_org(org)
        .filter(month__gte=month_start(start), month__lte=as_of)
        .values("customer_id")
        # Summed as floating point: a numeric (decimal) sum over millions of rows costs a third more.
        .annotate(total=Sum(Cast("amount", FloatField())), months=Count("pk"), first=Min("month"))
        .values_list("customer_id", "total", "months", "first"),
        ["customer_id", "revenue", "months", "first_month"],
    )
    revenue["first_month"] = pd.to_datetime(revenue["first_month"])
    revenue["revenue"] = revenue["revenue"].astype(float)
    revenue["monthly_revenue"] = revenue["revenue"] / revenue["months"].astype(float)
    columns = ["customer_id", "revenue", "monthly_revenue", "first_month"]
    return customers.merge(revenue[columns], on="customer_id", how="left")


def churn_frame(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    rows = (
        ChurnEvent.objects.for_org(org)
        .filter(date__gte=start, date__lte=as_of)
        .values_list("customer_id", "date", "reason")
    )
    frame = _frame(rows, ["customer_id", "date", "reason"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def churner_revenue_frame(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """customer_id, date, total: per churn event of the window, the customer's revenue in the 12 calendar months up
    to the month they left (inside the window). One grouped join, at most one row per churn event."""
    rows = (
        ChurnEvent.objects.for_org(org)
        .filter(date__gte=start, date__lte=as_of)
        # One filter() call: the three conditions apply to the same revenue row.
        .filter(
            Q(customer__revenue__month__gte=month_start(start))
            & Q(customer__revenue__month__lte=F("date"))
            & Q(customer__revenue__month__gte=MonthStartBefore("date", CHURNER_REVENUE_MONTHS - 1))
        )
        .values("customer_id", "date")
        .annotate(total=Sum(Cast("customer__revenue__amount", FloatField())))
        .values_list("customer_id", "date", "total")
    )
    frame = _frame(rows, ["customer_id", "date", "total"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["total"] = frame["total"].astype(float)
    return frame


def answer_counts(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """touchpoint_id, metric, value, n, identified: answer-level score distribution of the window."""
    rows = (
        _answers(org, start, as_of)
        .values("touchpoint_id", "metric", "value")
        .annotate(n=Count("pk"), identified=Count("customer_id"))
        .values_list("touchpoint_id", "metric", "value", "n", "identified")
    )
    return _frame(rows, ["touchpoint_id", "metric", "value", "n", "identified"])


def customer_scores(org: Organization, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """customer_id, touchpoint_id, metric, total, n, first_date: identified customers' answers grouped per customer,
    touchpoint (None: outside touchpoints) and metric."""
    rows = (
        _answers(org, start, as_of)
        .filter(customer_id__isnull=False)
        .values("customer_id", "touchpoint_id", "metric")
        .annotate(total=Sum("value"), n=Count("pk"), first=Min("submitted_on"))
        .values_list("customer_id", "touchpoint_id", "metric", "total", "n", "first")
    )
    frame = _frame(rows, ["customer_id", "touchpoint_id", "metric", "total", "n", "first_date"])
    # datetime64, not date objects: grouped minima then run in compiled code, not once per customer in Python.
    frame["first_date"] = pd.to_datetime(frame["first_date"])
    frame["total"] = frame["total"].astype(float)
    return frame


def relationship_frame(org: Organization, metric: str, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Latest relationship-survey answer in `metric` per customer: customer_id, score, score_date."""
    latest = (
        _answers(org, start, as_of)
        .filter(metric=metric, customer_id__isnull=False, question__version__survey__kind=Survey.Kind.RELATIONSHIP)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=F("customer_id"),
                order_by=[F("submitted_on").desc(), F("pk").desc()],
            )
        )
        .filter(rank=1)
        .values_list("customer_id", "value", "submitted_on")
    )
    frame = _frame(latest, ["customer_id", "score", "score_date"])
    frame["score_date"] = pd.to_datetime(frame["score_date"])
    return frame


def journey_frame(org: Organization, metric: str, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    rows = (
        _answers(org, start, as_of)
        .filter(metric=metric, customer_id__isnull=False, question__version__survey__kind=Survey.Kind.JOURNEY)
        .annotate(journey_key=Coalesce("response__journey_id", "question__version__survey__journey_id"))
        .filter(journey_key__isnull=False)
        .values("customer_id", "journey_key")
        .annotate(score=Avg("value"))
        .values_list("customer_id", "journey_key", "score")
    )
    return _frame(rows, ["customer_id", "journey_id", "score"])


def category_frame(relationship: pd.DataFrame, touchpoint_means: pd.DataFrame) -> pd.DataFrame:
    """The customer's band basis: their latest relationship answer, else the mean of their touchpoint answers."""
    rel = relationship.assign(source="relationship")
    rest = touchpoint_means[~touchpoint_means["customer_id"].isin(rel["customer_id"])].assign(source="touchpoints")
    return pd.concat([rel, rest], ignore_index=True)


def _touchpoint_means(scores: pd.DataFrame, metric: str) -> pd.DataFrame:
    """customer_id, score, score_date: mean of the customer's touchpoint answers in `metric`, dated by the first."""
    rows = scores[(scores["metric"] == metric) & scores["touchpoint_id"].notna()]
    grouped = rows.groupby("customer_id").agg(total=("total", "sum"), n=("n", "sum"), first=("first_date", "min"))
    return pd.DataFrame(
        {
            "customer_id": grouped.index,
            "score": (grouped["total"].astype(float) / grouped["n"].astype(float)).to_numpy(),
            "score_date": grouped["first"].to_numpy(),
        }
    )


def _metric_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """customer_id, metric, total, n, outside, outside_total (answers outside touchpoints and their sum) per customer
    and metric."""
    away = scores["touchpoint_id"].isna()
    frame = scores.assign(outside=scores["n"].where(away, 0), outside_total=scores["total"].where(away, 0.0))
    grouped = frame.groupby(["customer_id", "metric"], as_index=False).agg(
        total=("total", "sum"), n=("n", "sum"), outside=("outside", "sum"), outside_total=("outside_total", "sum")
    )
    return grouped[["customer_id", "metric", "total", "n", "outside", "outside_total"]]


def _band_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Per touchpoint and metric: answers, good, bad, total (sum of scores), from the score distribution."""
    rows = []
    at_touchpoints = counts[counts["touchpoint_id"].notna()]
    for (tp_id, metric), group in at_touchpoints.groupby(["touchpoint_id", "metric"]):
        scale = scale_for_metric(str(metric))
        if scale is None:
            continue
        values, n = group["value"].astype(float), group["n"].astype(int)
        rows.append(
            {
                "touchpoint_id": int(tp_id),  # type: ignore[call-overload]  # pandas-stubs: group keys are Hashable
                "metric": metric,
                "answers": int(n.sum()),
                "good": int(n[values >= scale.good_min].sum()),
                "bad": int(n[values <= scale.bad_max].sum()),
                "total": float((values * n).sum()),
            }
        )
    return pd.DataFrame(rows, columns=["touchpoint_id", "metric", "answers", "good", "bad", "total"])


def touchpoint_inputs(
    org: Organization, as_of: dt.date, counts: pd.DataFrame, scores: pd.DataFrame
) -> list[TouchpointInput]:
    """One input per touchpoint and score metric answered there, in journey-map order."""
    bands = _band_counts(counts)
    if bands.empty:
        return []
    year_ago = as_of - dt.timedelta(days=365)
    invited = dict(
        Invitation.objects.for_org(org)
        .filter(touchpoint__isnull=False, customer__isnull=False, created_at__date__gt=year_ago)
        .values("touchpoint_id")
        .annotate(c=Count("customer_id", distinct=True))
        .values_list("touchpoint_id", "c")
    )
    at_touchpoints = scores[scores["touchpoint_id"].notna()]
    per_key = {
        (int(tp_id), metric): group  # type: ignore[call-overload]  # pandas-stubs: group keys are Hashable
        for (tp_id, metric), group in at_touchpoints.groupby(["touchpoint_id", "metric"], sort=False)
    }
    by_touchpoint: dict[int, list[dict]] = {}
    for row in bands.to_dict("records"):
        by_touchpoint.setdefault(row["touchpoint_id"], []).append(row)
    touchpoints = Touchpoint.objects.for_org(org).filter(pk__in=list(by_touchpoint)).select_related("journey")
    inputs = []
    empty = pd.DataFrame(columns=["customer_id", "score", "first_date"])
    for tp in touchpoints.order_by("journey__name", "stage__position", "position", "pk"):
        for row in sorted(by_touchpoint[tp.pk], key=lambda r: r["metric"]):
            group = per_key.get((tp.pk, row["metric"]))
            if group is None:
                tp_scores = empty
            else:
                tp_scores = pd.DataFrame(
                    {
                        "customer_id": group["customer_id"].to_numpy(),
                        "score": (group["total"].astype(float) / group["n"].astype(float)).to_numpy(),
                        "first_date": group["first_date"].to_numpy(),
                    }
                )
            inputs.append(
                TouchpointInput(
                    touchpoint_id=tp.pk,
                    name=tp.name,
                    journey_id=tp.journey_id,
                    journey_name=tp.journey.name,
                    customers_per_year=invited.get(tp.pk, 0),
                    metric=row["metric"],
                    answers=row["answers"],
                    good=row["good"],
                    bad=row["bad"],
                    total=row["total"],
                    scores=tp_scores,
                )
            )
    return inputs


def model_input(org: Organization, *, as_of: dt.date, parameters: Parameters) -> ModelInput:
    start = window_start(as_of, parameters.window_months)
    metric = parameters.metric
    counts = answer_counts(org, start, as_of)
    scores = customer_scores(org, start, as_of)
    relationship = relationship_frame(org, metric, start, as_of)
    customers = customers_frame(org, start, as_of)
    churn = churn_frame(org, start, as_of)
    inputs = touchpoint_inputs(org, as_of, counts, scores)
    per_metric = counts.groupby("metric")[["n", "identified"]].sum()
    mine = per_metric.to_dict("index").get(metric)
    ranked = per_metric.sort_values("n", ascending=False).index
    others = [m for m in ranked if m != metric and scale_for_metric(m)][:5]
    return ModelInput(
        as_of=as_of,
        customers=customers,
        churn=churn,
        category_scores=category_frame(relationship, _touchpoint_means(scores, metric)),
        touchpoints=[tp for tp in inputs if tp.metric == metric],
        drivers=inputs,
        relationship=relationship[["customer_id", "score"]],
        journey_scores=journey_frame(org, metric, start, as_of),
        metric_scores=_metric_scores(scores),
        churner_revenue=churner_revenue_frame(org, start, as_of),
        parameters=parameters,
        coverage={
            "window_start": start.isoformat(),
            "customers": len(customers),
            "customers_with_revenue": int(customers["monthly_revenue"].notna().sum()),
            "churn_events": len(churn),
            "customers_with_relationship_score": len(relationship),
            "metric_answers": int(mine["n"]) if mine is not None else 0,
            "metric_answers_identified": int(mine["identified"]) if mine is not None else 0,
            "other_metrics": others,
        },
    )
