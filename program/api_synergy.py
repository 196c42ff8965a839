"""REST API of negative synergy, under /api/v1/program/ (API-key scope "program"): the compound-failure figures and
a customer's touchpoint history. Read-only; every role and API key may read (as the pages).

Scope: the customer is fetched through customers.selectors (another organization's id is a 404), the journey
filter through program.synergy.selectors (likewise), and the figures are computed from the caller's organization
only. Figures below the organization's minimum n are null, with their n, as on the page.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_params import BIGINT_MAX, check_query_params
from customers.selectors import customer_get
from program.synergy import periods, stats
from program.synergy.selectors import (
    CompoundFailures,
    CustomerBucket,
    ResponseBucket,
    TouchpointHistory,
    compound_failures,
    customer_touchpoint_history,
)

NOT_FOUND = OpenApiResponse(description="No such customer or journey in the caller's organization.")
BAD_PERIOD = OpenApiResponse(
    description="A day out of bounds or not a date, the end before the start, or a period too long: the reason per "
    "parameter."
)


class CompoundParams(serializers.Serializer):
    start = serializers.DateField(
        required=False,
        help_text=f"First day (organization time zone), from {periods.EARLIEST_DAY.isoformat()} to a year from today; "
        "default: a year ago.",
    )
    end = serializers.DateField(required=False, help_text="Last day, within the same bounds; default: today.")
    journey = serializers.IntegerField(
        required=False, min_value=1, max_value=BIGINT_MAX, help_text="Only responses of this journey."
    )

    def _day(self, day: dt.date) -> dt.date:
        error = periods.day_error(day, self.context["today"], dt.date.isoformat)
        if error:
            raise serializers.ValidationError(error)
        return day

    def validate_start(self, value: dt.date) -> dt.date:
        return self._day(value)

    def validate_end(self, value: dt.date) -> dt.date:
        return self._day(value)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("start") and attrs.get("end") and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"end": [_("The end comes before the start.")]})
        start, end = periods.default_period(self.context["today"])
        start, end = attrs.get("start") or start, attrs.get("end") or end
        if start > end:  # one of them left to its default
            raise serializers.ValidationError({"start": [_("The start comes after the end.")]})
        error = periods.period_error(start, end)
        if error:
            raise serializers.ValidationError({"start": [error]})
        attrs["start"], attrs["end"] = start, end
        return attrs


class ResponseBucketSerializer(serializers.Serializer):
    poor_before = serializers.CharField(help_text="Poor experiences in the 90 days before: 0, 1, 2 or 3+.")
    responses = serializers.IntegerField()
    sufficient = serializers.BooleanField(help_text="At least the organization's minimum n responses.")
    nps_n = serializers.IntegerField(help_text="Responses answered on NPS.")
    nps = serializers.FloatField(allow_null=True)
    nps_margin = serializers.FloatField(allow_null=True, help_text="95 % margin of error, NPS points.")
    mean_score = serializers.FloatField(allow_null=True, help_text="Mean primary score normalised to 0-100.")
    mean_score_margin = serializers.FloatField(allow_null=True)
    share_poor = serializers.FloatField(allow_null=True, help_text="Share of the responses that were poor (0-1).")


class CustomerBucketSerializer(serializers.Serializer):
    most_poor_in_90_days = serializers.CharField(help_text="0, 1, 2 or 3+.")
    customers = serializers.IntegerField(help_text="Every customer of the bucket.")
    sufficient = serializers.BooleanField(help_text="At least the organization's minimum n customers (revenue).")
    followed_up = serializers.IntegerField(
        help_text="Customers whose 180 days of follow-up are over (anchor day + 180 <= today): the churn figures "
        "count only these."
    )
    follow_up_open = serializers.IntegerField(
        help_text="Customers whose 180 days are not over yet: left out of the churn figures (counting them as not "
        "churned would lower the rate, most in the high buckets)."
    )
    churn_sufficient = serializers.BooleanField(help_text="At least the minimum n customers followed up.")
    churned = serializers.IntegerField(
        allow_null=True, help_text="Churned customers among those followed up; null below the minimum n."
    )
    churn_rate = serializers.FloatField(allow_null=True, help_text="churned / followed_up (0-1).")
    churn_low = serializers.FloatField(allow_null=True, help_text="95 % Wilson interval, lower bound.")
    churn_high = serializers.FloatField(allow_null=True)
    revenue = serializers.FloatField(allow_null=True, help_text="Revenue of the customers in the period's months.")
    churned_revenue = serializers.FloatField(allow_null=True, help_text="Of the churned customers counted above.")


class CompoundSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    journey = serializers.IntegerField(allow_null=True)
    min_n = serializers.IntegerField()
    currency = serializers.CharField()
    by_response = ResponseBucketSerializer(many=True)
    by_customer = CustomerBucketSerializer(many=True)


def _response_row(b: ResponseBucket) -> dict:
    nps_ok, ok = b.nps_sufficient, b.sufficient
    return {
        "poor_before": b.label,
        "responses": b.n,
        "sufficient": ok,
        "nps_n": b.nps.n,
        "nps": b.nps.score if nps_ok else None,
        "nps_margin": b.nps.margin_of_error if nps_ok else None,
        "mean_score": b.score.mean if ok else None,
        "mean_score_margin": b.score.margin_of_error if ok else None,
        "share_poor": b.poor.hits / b.n if ok else None,
    }


def _customer_row(b: CustomerBucket) -> dict:
    ok, churn_ok = b.sufficient, b.churn_sufficient
    interval = b.interval if churn_ok else None
    return {
        "most_poor_in_90_days": b.label,
        "customers": b.customers,
        "sufficient": ok,
        "followed_up": b.followed_up,
        "follow_up_open": b.follow_up_open,
        "churn_sufficient": churn_ok,
        "churned": b.churned if churn_ok else None,
        "churn_rate": b.churn_rate if churn_ok else None,
        "churn_low": interval[0] if interval else None,
        "churn_high": interval[1] if interval else None,
        "revenue": b.revenue if ok else None,
        "churned_revenue": b.churned_revenue if ok and churn_ok else None,
    }


def compound_data(data: CompoundFailures) -> dict:
    return {
        "start": data.start,
        "end": data.end,
        "journey": data.journey.pk if data.journey else None,
        "min_n": data.min_n,
        "currency": data.currency,
        "by_response": [_response_row(b) for b in data.by_response],
        "by_customer": [_customer_row(b) for b in data.by_customer],
    }


class CompoundFailuresView(APIView):
    """Scores and churn by the number of poor experiences a customer had within 90 days."""

    @extend_schema(
        summary="Compound failures",
        description="Per response: the customer's poor experiences (bad band of the primary score: NPS 0-6, else "
        "the bottom box) in the 90 days before it, at any touchpoint; per bucket the NPS, the mean score on 0-100 "
        "and the share poor. Per customer: their most poor experiences within any 90 days of the period; churn "
        "within 180 days after reaching it, with a 95 % Wilson interval, over the customers whose 180 days are "
        "over (those still in follow-up are counted apart). Customer surveys only (never employee or leadership "
        f"surveys). Days from {periods.EARLIEST_DAY.isoformat()} to a year from today, a period of at most "
        f"{periods.MAX_PERIOD_DAYS} days: anything else is a 400 with the reason.",
        parameters=[CompoundParams],
        responses={200: CompoundSerializer, 400: BAD_PERIOD, 404: NOT_FOUND},
    )
    def get(self, request):
        names = {"start", "end", "journey"}
        check_query_params(request, single=names, nonempty=names)
        params = CompoundParams(data=request.query_params, context={"today": timezone.localdate()})
        params.is_valid(raise_exception=True)
        d = params.validated_data
        data = compound_failures(ctx=request.org_ctx, start=d["start"], end=d["end"], journey_id=d.get("journey"))
        return Response(CompoundSerializer(compound_data(data)).data)


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ExperienceSerializer(serializers.Serializer):
    response = serializers.IntegerField()
    submitted_at = serializers.DateTimeField(help_text="In the organization's time zone.")
    date = serializers.DateField(help_text="The day in the organization's time zone.")
    touchpoint = NamedSerializer(allow_null=True)
    journey = NamedSerializer(allow_null=True)
    metric = serializers.CharField(help_text="The primary metric (nps > csat > ces > rating); empty without a score.")
    score = serializers.FloatField(allow_null=True)
    poor = serializers.BooleanField()
    streak = serializers.IntegerField(help_text="Position in a run of poor experiences in a row (0: none).")
    case = serializers.IntegerField(allow_null=True, help_text="The case opened from it, if the caller may see it.")


class StreakSerializer(serializers.Serializer):
    length = serializers.IntegerField()
    first = serializers.DateField()
    last = serializers.DateField()


class HistorySerializer(serializers.Serializer):
    customer = serializers.IntegerField()
    experiences = ExperienceSerializer(many=True)
    poor = serializers.IntegerField()
    streaks = StreakSerializer(many=True, help_text="Runs of at least two poor experiences in a row.")
    most_poor_in_90_days = serializers.IntegerField()
    most_first = serializers.DateField(allow_null=True)
    most_last = serializers.DateField(allow_null=True)


def _ref(obj) -> dict | None:
    return {"id": obj.pk, "name": obj.name} if obj is not None else None


def history_data(history: TouchpointHistory) -> dict:
    return {
        "customer": history.customer.pk,
        "experiences": [
            {
                "response": e.response.pk,
                "submitted_at": e.local_time,
                "date": e.date,
                "touchpoint": _ref(e.touchpoint),
                "journey": _ref(e.journey),
                "metric": e.metric,
                "score": e.score,
                "poor": e.poor,
                "streak": e.streak,
                "case": e.case.pk if e.case is not None else None,
            }
            for e in history.experiences
        ],
        "poor": history.poor,
        "streaks": [{"length": s.length, "first": s.first, "last": s.last} for s in history.streaks],
        "most_poor_in_90_days": history.most_in_90_days,
        "most_first": history.most_first,
        "most_last": history.most_last,
    }


class CustomerHistoryView(APIView):
    """A customer's responses to customer surveys across journeys, in date order, with poor runs."""

    @extend_schema(
        summary="A customer's touchpoint history",
        description="Every response of the customer to a customer survey, oldest first, with its primary score "
        "and whether it was poor; runs of poor experiences in a row and the most within any "
        f"{stats.WINDOW_DAYS} days.",
        responses={200: HistorySerializer, 404: NOT_FOUND},
    )
    def get(self, request, customer_pk: int):
        check_query_params(request)
        customer = customer_get(ctx=request.org_ctx, pk=customer_pk)
        history = customer_touchpoint_history(ctx=request.org_ctx, customer=customer)
        return Response(HistorySerializer(history_data(history)).data)
