"""REST API: revenue and churn facts (batch upsert and lists), the latest value snapshot, touchpoint values."""

from __future__ import annotations

from dataclasses import asdict

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ApiError, ModelSerializer
from core.scales import unit_label
from value import selectors
from value.models import ChurnEvent, CustomerRevenue, ValueSnapshot
from value.services import churn_event_upsert, revenue_upsert
from value.validation import RowValidator

MAX_ROWS = 10_000


class UpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class RowErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the row in the request body (0-based).")
    field = serializers.CharField()
    message = serializers.CharField()


class UpsertErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = RowErrorSerializer(
        many=True, required=False, help_text="Every invalid row (absent for a body that is not JSON)."
    )


class RevenueInSerializer(serializers.Serializer):
    customer = serializers.CharField(max_length=100, help_text="The customer's external id.")
    month = serializers.CharField(max_length=10, help_text="YYYY-MM (or YYYY-MM-01).")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField(
        max_length=3, required=False, help_text="Optional; must be the organization's currency."
    )


class RevenueOutSerializer(ModelSerializer):
    customer = serializers.CharField(source="customer.external_id")

    class Meta:
        model = CustomerRevenue
        fields = ["id", "customer", "month", "amount", "updated_at"]


class ChurnInSerializer(serializers.Serializer):
    customer = serializers.CharField(max_length=100, help_text="The customer's external id.")
    date = serializers.DateField()
    reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Left out: an existing reason is kept."
    )


class ChurnOutSerializer(ModelSerializer):
    customer = serializers.CharField(source="customer.external_id")

    class Meta:
        model = ChurnEvent
        fields = ["id", "customer", "date", "reason", "updated_at"]


def _batch(request: Request, in_serializer, validate, upsert) -> Response:
    """Shape-check a JSON array (or one object), validate every row, then upsert all or nothing."""
    data = request.data if isinstance(request.data, list) else [request.data]
    if not data or len(data) > MAX_ROWS:
        raise ApiError(
            _("Send between 1 and %(n)s rows.") % {"n": MAX_ROWS}, status_code=status.HTTP_400_BAD_REQUEST, errors=[]
        )
    shape = in_serializer(data=data, many=True)
    if not shape.is_valid():
        # DRF reports list errors as {index: errors} (or a list with {} for good rows in older versions).
        by_row = shape.errors.items() if isinstance(shape.errors, dict) else enumerate(shape.errors)
        errors = [
            {"index": int(i), "field": field, "message": str(messages[0])}
            for i, row in by_row
            for field, messages in (row.items() if isinstance(row, dict) else [("non_field_errors", [row])])
        ]
        raise ApiError(_("Some rows are invalid."), status_code=status.HTTP_400_BAD_REQUEST, errors=errors)
    rows = [
        (i, {k: (str(v) if v is not None else None) for k, v in row.items()})
        for i, row in enumerate(shape.validated_data)
    ]
    valid, errors = validate(rows)
    if errors:
        raise ApiError(
            _("Some rows are invalid; nothing was saved."),
            status_code=status.HTTP_400_BAD_REQUEST,
            errors=[{"index": e.index, "field": e.field, "message": e.message} for e in errors],
        )
    created, updated = upsert(organization=request.org_ctx.organization, rows=valid)
    return Response({"created": created, "updated": updated, "unchanged": len(valid) - created - updated})


_RANGE_PARAMS = [
    OpenApiParameter("customer", OpenApiTypes.STR, description="Only this customer (external id)."),
]


class RevenueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Monthly revenue per customer, in the organization's currency."""

    parser_classes = [JSONParser]  # a list of rows has no form encoding
    serializer_class = RevenueOutSerializer
    queryset = CustomerRevenue.objects.none()

    def get_queryset(self):
        params = self.request.query_params
        return selectors.revenue_list(
            ctx=self.request.org_ctx,
            customer_external_id=params.get("customer"),
            month_from=_date_param(params, "month_from"),
            month_to=_date_param(params, "month_to"),
        )

    @extend_schema(
        parameters=[
            *_RANGE_PARAMS,
            OpenApiParameter("month_from", OpenApiTypes.DATE, description="First month (YYYY-MM-DD)."),
            OpenApiParameter("month_to", OpenApiTypes.DATE, description="Last month (YYYY-MM-DD)."),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Upsert monthly revenue (batch)",
        description="A JSON array of rows (one object is also accepted). Rows are upserted on (customer, month): "
        "sending a month again replaces its amount. All rows are validated first; if any is invalid nothing is "
        f"saved and every problem is listed. At most {MAX_ROWS} rows per request.",
        request=RevenueInSerializer(many=True),
        responses={200: UpsertResultSerializer, 400: UpsertErrorSerializer},
    )
    def create(self, request: Request) -> Response:
        validator = RowValidator(request.org_ctx.organization)
        return _batch(request, RevenueInSerializer, validator.revenue, revenue_upsert)


class ChurnEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Churn events: the day a customer left, and why."""

    parser_classes = [JSONParser]  # a list of rows has no form encoding
    serializer_class = ChurnOutSerializer
    queryset = ChurnEvent.objects.none()

    def get_queryset(self):
        params = self.request.query_params
        return selectors.churn_event_list(
            ctx=self.request.org_ctx,
            customer_external_id=params.get("customer"),
            date_from=_date_param(params, "date_from"),
            date_to=_date_param(params, "date_to"),
        )

    @extend_schema(
        parameters=[
            *_RANGE_PARAMS,
            OpenApiParameter("date_from", OpenApiTypes.DATE),
            OpenApiParameter("date_to", OpenApiTypes.DATE),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Upsert churn events (batch)",
        description="A JSON array of events (one object is also accepted), upserted on (customer, date). "
        "All rows are validated first; if any is invalid nothing is saved.",
        request=ChurnInSerializer(many=True),
        responses={200: UpsertResultSerializer, 400: UpsertErrorSerializer},
    )
    def create(self, request: Request) -> Response:
        validator = RowValidator(request.org_ctx.organization)
        return _batch(request, ChurnInSerializer, validator.churn, churn_event_upsert)


def _date_param(params, name: str):
    if name not in params:
        return None
    value = params.get(name)
    field = serializers.DateField()
    try:
        return field.to_internal_value(value)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


class SnapshotSerializer(ModelSerializer):
    class Meta:
        model = ValueSnapshot
        fields = ["id", "computed_at", "currency", "parameters", "results"]


class LatestSnapshotView(APIView):
    """The latest finished value-model snapshot (all figures; unsupported ones carry a reason code)."""

    @extend_schema(responses={200: SnapshotSerializer})
    def get(self, request: Request) -> Response:
        snapshot = selectors.value_snapshot_latest(ctx=request.org_ctx)
        if snapshot is None:
            raise Http404
        return Response(SnapshotSerializer(snapshot).data)


class TouchpointValueSerializer(serializers.Serializer):
    touchpoint_id = serializers.IntegerField()
    value_per_point = serializers.FloatField(
        allow_null=True, help_text="Money per year per point of `metric` in `measure` (see `unit`)."
    )
    low = serializers.FloatField(allow_null=True, help_text="95 % interval, lower end.")
    high = serializers.FloatField(allow_null=True, help_text="95 % interval, upper end.")
    n_customers = serializers.IntegerField()
    supported = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why there is no figure, when not supported.")
    currency = serializers.CharField()
    metric = serializers.CharField(help_text="The metric key the model ran on (nps, csat, overall:1-10, ...).")
    measure = serializers.CharField(help_text="nps, mean or top_box.")
    unit = serializers.CharField(help_text='What one point is: "NPS point", "CSAT point", ...')


class TouchpointValuesView(APIView):
    """What one point of the organization's primary metric at each touchpoint is worth a year (latest snapshot)."""

    @extend_schema(
        responses={200: inline_serializer("TouchpointValueList", {"results": TouchpointValueSerializer(many=True)})}
    )
    def get(self, request: Request) -> Response:
        ctx = request.org_ctx
        snapshot = selectors.value_snapshot_latest(ctx=ctx)
        if snapshot is None:
            return Response({"results": []})
        metric, measure = selectors.snapshot_metric(snapshot)
        common = {
            "currency": snapshot.currency,
            "metric": metric,
            "measure": measure,
            "unit": unit_label(metric, measure),
        }
        results = [{**asdict(tv), **common} for tv in selectors.touchpoint_values_from_snapshot(snapshot).values()]
        return Response({"results": TouchpointValueSerializer(results, many=True).data})
