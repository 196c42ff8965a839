"""REST API of the perception gap, under /api/v1/program/ (routes in program/perception_urls.py). Read-only.

Scope: every read goes through program.perception.selectors with the caller's context, so another organization's
perception survey is a 404. Every role reads, as on the pages; an API key acts as a CX manager of its organization
(scope "program"). The anonymous link of a survey goes only to callers who may edit the program (and not to
read-only keys): anyone holding it can answer the staff survey.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api_params import check_query_params
from program.forms_perception import MAX_WINDOW_DAYS
from program.models import PerceptionSurvey
from program.perception import selectors
from program.perception import serializers as s


class WindowParams(serializers.Serializer):
    start = serializers.DateField(
        required=False, help_text="First day of the customers' window (default: 90 days before `end`)."
    )
    end = serializers.DateField(
        required=False, help_text="Last day of the customers' window (default: the day of the last staff answer)."
    )

    def validate(self, attrs: dict) -> dict:
        start, end = attrs.get("start"), attrs.get("end")
        if start and end:
            if start > end:
                raise serializers.ValidationError({"end": [_("The end comes before the start.")]})
            if (end - start).days > MAX_WINDOW_DAYS:
                raise serializers.ValidationError({"start": [_("Choose at most three years.")]})
        return attrs


class PerceptionSurveyListView(generics.ListAPIView):
    """The organization's perception surveys (leaders or frontline asked about one journey), by journey."""

    serializer_class = s.PerceptionSurveySerializer
    filter_backends: list = []

    @extend_schema(
        summary="List perception surveys",
        description="Each with its touchpoints (and the customer metric each prediction is compared with), the "
        "number of staff responses and whether it has an anonymous link to share. The link itself (share_url) is "
        "returned only to callers who may edit the program (admins, CX managers, API keys that are not read-only): "
        "anyone holding it can answer the staff survey. For everyone else it is null.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PerceptionSurvey.objects.none()
        return selectors.perception_survey_list(ctx=self.request.org_ctx)

    def list(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        for perception in rows:
            share = selectors.share_state(ctx=request.org_ctx, perception=perception)
            perception.has_share_link, perception.share_url = share.has_link, share.url
        data = self.get_serializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class PerceptionGapView(APIView):
    """The perception gap of one survey: predicted against actual, touchpoint by touchpoint."""

    @extend_schema(
        summary="Perception gap of a survey",
        description="Per touchpoint: the staff's predicted mean score (their answers to 'what score do you think "
        "customers give?') and the customers' actual mean on the same metric over the window (from the rollups), "
        "both with 95 % margins of error (Student's t on n - 1 degrees of freedom: staff samples are small), the "
        "difference with Welch's t test (Welch-Satterthwaite degrees of freedom), and the gap as % of the scale. "
        "Suppressed (null) below the organization's minimum n of customers or below 3 staff answers. Blind spots: "
        "predicted significantly above actual (p < 0.05) by at least 10 % of the scale, largest first; hidden "
        "strengths the reverse. Importance: the staff's mean importance against the key-driver importance of the "
        "latest value snapshot, with Spearman's rank correlation.",
        parameters=[WindowParams],
        responses={200: s.GapSerializer, 404: OpenApiResponse(description="No such survey in the organization.")},
    )
    def get(self, request, pk: int):
        check_query_params(request, single={"start", "end"}, nonempty={"start", "end"})
        params = WindowParams(data=request.query_params)
        if not params.is_valid():
            raise exceptions.ValidationError(params.errors)
        ctx = request.org_ctx
        perception = selectors.perception_survey_get(ctx=ctx, pk=pk)
        gap = selectors.perception_gap(
            ctx=ctx,
            perception=perception,
            start=params.validated_data.get("start"),
            end=params.validated_data.get("end"),
        )
        return Response(s.GapSerializer(s.gap_data(gap)).data)
