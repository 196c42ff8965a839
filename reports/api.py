"""REST API of the monthly report: the organization's report versions and one version's frozen figures (JSON).

Read-only; scoped to the API key's organization (or the session's current organization). Session users need a role
that may read reports (admins, CX managers, executives); API keys act as CX managers.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError

from core.api import ModelSerializer
from core.api_params import choice_param, int_param
from reports import selectors
from reports.figures import parse_month
from reports.models import MonthlyReport


class ReportSerializer(ModelSerializer):
    journey_name = serializers.CharField(source="journey.name", default="", read_only=True)
    has_pdf = serializers.BooleanField(read_only=True, help_text="True when the PDF of this version is stored.")
    # Plain strings: another "status" enum component would collide in the schema with the other apps' ones.
    status = serializers.CharField(read_only=True, help_text="pending, ready or failed.")
    trigger = serializers.CharField(read_only=True, help_text="schedule (the monthly beat) or on_demand.")

    class Meta:
        model = MonthlyReport
        fields = [
            "id",
            "month",
            "journey",
            "journey_name",
            "version",
            "status",
            "trigger",
            "language",
            "generated_at",
            "created_at",
            "has_pdf",
        ]


class ReportDetailSerializer(ReportSerializer):
    figures = serializers.JSONField(
        read_only=True,
        help_text="The frozen figures of the version: summary (headline, journeys, 13-month trend, findings as rule "
        "codes with parameters), ranking, kpis, closed_loop, improvements, voices (masked), data_quality, charts "
        "(plotly figure JSON). Numbers are in the report's metric and measure (`metric`).",
    )

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "error", "figures"]


class MonthlyReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly executive reports: every version (list) and one version with its figures (detail)."""

    queryset = MonthlyReport.objects.none()
    serializer_class = ReportSerializer

    def _ctx(self):
        ctx = self.request.org_ctx
        if ctx.role not in selectors.REPORT_ROLES:
            raise NotFound
        return ctx

    def get_queryset(self):
        qs = selectors.report_list(ctx=self._ctx())
        params = self.request.query_params
        if params.get("month"):
            month = parse_month(params["month"])
            if month is None:
                raise ValidationError({"month": _("Use YYYY-MM.")})
            qs = qs.filter(month=month)
        journey = int_param(self.request, "journey")
        if journey is not None:
            qs = qs.filter(journey_id=journey)
        report_status = choice_param(self.request, "status", MonthlyReport.Status.values)
        if report_status:
            qs = qs.filter(status=report_status)
        return qs

    def get_object(self):
        try:
            pk = int(self.kwargs["pk"])
        except ValueError:
            raise NotFound from None
        return selectors.report_get(ctx=self._ctx(), pk=pk)

    @extend_schema(
        summary="List monthly report versions",
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="Only this month (YYYY-MM)."),
            OpenApiParameter("journey", OpenApiTypes.INT, description="Only this journey's reports."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=MonthlyReport.Status.values),
        ],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One report version with its frozen figures", responses={200: ReportDetailSerializer})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    def get_serializer_class(self):
        return ReportDetailSerializer if self.action == "retrieve" else ReportSerializer
