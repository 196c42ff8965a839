"""REST API of the KPI engine: KPIs, targets (with history), benchmarks, operational values and rollup reads.

Every endpoint is scoped through `kpis.selectors` and `request.org_ctx`; writes go through `kpis.services`.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ModelSerializer, OrgRelatedField, OrgScopedViewSet
from core.api_params import check_query_params, choice_param, int_param
from journeys.models import Journey, Persona, Stage, Touchpoint
from kpis import selectors, services
from kpis.models import NPS_METRIC, Benchmark, Kpi, KpiValue, Target, TargetChange

MAX_ROWS = 10_000


class OrgMemberField(serializers.PrimaryKeyRelatedField):
    """A user who is a member of the caller's organization."""

    def get_queryset(self):
        return selectors.owner_choices(ctx=self.context["request"].org_ctx)


# -- KPIs -------------------------------------------------------------------------------------------------------


class KpiSerializer(ModelSerializer):
    owner = OrgMemberField(required=False, allow_null=True)

    class Meta:
        model = Kpi
        fields = ["id", "code", "name", "kind", "metric", "unit", "direction", "aggregation", "owner", "description"]

    def validate_code(self, value):
        request = self.context["request"]
        clash = Kpi.objects.for_org(request.org_ctx.organization).filter(code=value)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(_("Another KPI already has this code."))
        return value


@extend_schema_view(
    list=extend_schema(summary="List KPIs"),
    create=extend_schema(summary="Create a KPI"),
    retrieve=extend_schema(summary="Get a KPI"),
    update=extend_schema(summary="Replace a KPI"),
    partial_update=extend_schema(summary="Change a KPI"),
    destroy=extend_schema(summary="Delete a KPI (with its targets, benchmarks and values)"),
)
class KpiViewSet(OrgScopedViewSet):
    serializer_class = KpiSerializer
    queryset = Kpi.objects.none()
    selector = staticmethod(selectors.kpi_list)

    def perform_create(self, serializer):
        serializer.instance = services.kpi_create(ctx=self.request.org_ctx, **serializer.validated_data)

    def perform_update(self, serializer):
        services.kpi_update(ctx=self.request.org_ctx, kpi=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.kpi_delete(ctx=self.request.org_ctx, kpi=instance)


# -- targets ----------------------------------------------------------------------------------------------------


class TargetChangeSerializer(ModelSerializer):
    # A method, not source="changed_by.username" with a default: DRF leaves a defaulted field out of a PATCH's answer.
    changed_by = serializers.SerializerMethodField()

    class Meta:
        model = TargetChange
        fields = ["field", "old_value", "new_value", "reason", "changed_by", "changed_at"]

    def get_changed_by(self, change) -> str | None:
        return change.changed_by.username if change.changed_by_id else None


class TargetSerializer(ModelSerializer):
    kpi = OrgRelatedField(queryset=Kpi.objects.all())
    journey = OrgRelatedField(queryset=Journey.objects.all(), required=False, allow_null=True)
    stage = OrgRelatedField(queryset=Stage.objects.all(), required=False, allow_null=True)
    touchpoint = OrgRelatedField(queryset=Touchpoint.objects.all(), required=False, allow_null=True)
    persona = OrgRelatedField(queryset=Persona.objects.all(), required=False, allow_null=True)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=300)
    history = TargetChangeSerializer(source="changes", many=True, read_only=True)

    class Meta:
        model = Target
        fields = [
            "id",
            "kpi",
            "scope",
            "journey",
            "stage",
            "touchpoint",
            "segment",
            "persona",
            "period_start",
            "period_end",
            "value",
            "linked_to_compensation",
            "note",
            "reason",
            "history",
        ]
        validators = []  # the model's constraints are checked by the service after the scope is normalised

    def validate(self, attrs):
        start = attrs.get("period_start", getattr(self.instance, "period_start", None))
        end = attrs.get("period_end", getattr(self.instance, "period_end", None))
        if start and end and end < start:
            raise serializers.ValidationError({"period_end": _("The period ends before it starts.")})
        return attrs


@extend_schema_view(
    list=extend_schema(
        summary="List targets with their change history",
        parameters=[OpenApiParameter("kpi", OpenApiTypes.INT, description="Only this KPI's targets.")],
    ),
    create=extend_schema(summary="Create a target"),
    retrieve=extend_schema(summary="Get a target with its history"),
    update=extend_schema(summary="Replace a target (the change is recorded)"),
    partial_update=extend_schema(summary="Change a target (the change is recorded)"),
    destroy=extend_schema(summary="Delete a target"),
)
class TargetViewSet(OrgScopedViewSet):
    serializer_class = TargetSerializer
    queryset = Target.objects.none()

    def get_queryset(self):
        ctx = self.request.org_ctx
        qs = selectors.target_list_with_history(ctx=ctx)
        kpi = int_param(self.request, "kpi")
        if kpi is not None:
            qs = qs.filter(kpi_id=kpi)
        return qs

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        serializer.instance = services.target_create(ctx=self.request.org_ctx, reason=reason, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        reason = data.pop("reason", "")
        data.pop("kpi", None)
        services.target_update(ctx=self.request.org_ctx, target=serializer.instance, reason=reason, **data)
        # Re-read so the response shows the new history row.
        serializer.instance = selectors.target_list_with_history(ctx=self.request.org_ctx).get(
            pk=serializer.instance.pk
        )

    def perform_destroy(self, instance):
        services.target_delete(ctx=self.request.org_ctx, target=instance)


# -- benchmarks -------------------------------------------------------------------------------------------------


class BenchmarkSerializer(ModelSerializer):
    kpi = OrgRelatedField(queryset=Kpi.objects.all())
    journey = OrgRelatedField(queryset=Journey.objects.all(), required=False, allow_null=True)
    touchpoint = OrgRelatedField(queryset=Touchpoint.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Benchmark
        fields = [
            "id",
            "kpi",
            "kind",
            "source_name",
            "journey",
            "touchpoint",
            "period_start",
            "period_end",
            "value",
            "note",
        ]
        validators = []


@extend_schema_view(
    list=extend_schema(
        summary="List benchmarks",
        parameters=[OpenApiParameter("kpi", OpenApiTypes.INT, description="Only this KPI's benchmarks.")],
    ),
    create=extend_schema(summary="Add a competitor or industry benchmark"),
)
class BenchmarkViewSet(OrgScopedViewSet):
    serializer_class = BenchmarkSerializer
    queryset = Benchmark.objects.none()

    def get_queryset(self):
        qs = selectors.benchmark_list(ctx=self.request.org_ctx)
        kpi = int_param(self.request, "kpi")
        if kpi is not None:
            qs = qs.filter(kpi_id=kpi)
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.benchmark_create(ctx=self.request.org_ctx, **serializer.validated_data)

    def perform_update(self, serializer):
        services.benchmark_update(ctx=self.request.org_ctx, benchmark=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.benchmark_delete(ctx=self.request.org_ctx, benchmark=instance)


# -- operational KPI values -------------------------------------------------------------------------------------


class KpiValueOutSerializer(ModelSerializer):
    kpi_code = serializers.CharField(source="kpi.code", read_only=True)

    class Meta:
        model = KpiValue
        fields = [
            "id",
            "kpi",
            "kpi_code",
            "touchpoint",
            "day",
            "value",
            "numerator",
            "denominator",
            "source",
            "updated_at",
        ]


class KpiValueInSerializer(serializers.Serializer):
    kpi = serializers.CharField(max_length=50, help_text="The KPI's code (or id).")
    touchpoint = OrgRelatedField(queryset=Touchpoint.objects.all())
    day = serializers.DateField()
    value = serializers.FloatField(
        required=False, allow_null=True, help_text="The day's figure (not needed when numerator and denominator are)."
    )
    numerator = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Ratio KPIs (aggregation `ratio`): the day's count, e.g. late deliveries. Required for them.",
    )
    denominator = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Ratio KPIs: what the count is out of, e.g. all deliveries of the day (> 0). The value is then "
        "100 x numerator / denominator.",
    )

    def validate_kpi(self, value):
        kpis = self.context["kpis"]
        kpi = kpis.get(value.lower()) or (kpis.get(int(value)) if value.isdigit() else None)
        if kpi is None:
            raise serializers.ValidationError(_("Unknown KPI."))
        if kpi.kind != Kpi.Kind.IMPORTED:
            raise serializers.ValidationError(_("Values can only be sent for imported KPIs."))
        return kpi

    def validate(self, attrs):
        try:
            value, numerator, denominator = services.kpi_value_parts(
                ratio=attrs["kpi"].aggregation == Kpi.Aggregation.RATIO,
                value=attrs.get("value"),
                numerator=attrs.get("numerator"),
                denominator=attrs.get("denominator"),
            )
        except services.KpiValueError as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from None
        return {**attrs, "value": value, "numerator": numerator, "denominator": denominator}


class KpiValueUpsertResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class KpiValueSummarySerializer(serializers.Serializer):
    kpi = serializers.IntegerField()
    kpi_code = serializers.CharField()
    touchpoint = serializers.IntegerField()
    aggregation = serializers.ChoiceField(choices=Kpi.Aggregation.choices)
    value = serializers.FloatField(
        allow_null=True,
        help_text="The period's figure by the KPI's aggregation: mean, sum or latest of the daily values, or for "
        "ratio KPIs 100 x sum(numerators) / sum(denominators) (never the mean of daily percentages).",
    )
    days = serializers.IntegerField(help_text="Days with a value in the period.")
    numerator = serializers.FloatField(allow_null=True, help_text="Ratio KPIs: the sum of the numerators.")
    denominator = serializers.FloatField(allow_null=True, help_text="Ratio KPIs: the sum of the denominators.")


def _date_param(params, name: str) -> dt.date | None:
    if name not in params:
        return None
    text = params.get(name)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError({name: _("Use YYYY-MM-DD.")}) from None


_VALUE_FILTERS = [
    OpenApiParameter("kpi", OpenApiTypes.STR, description="KPI id or code."),
    OpenApiParameter("touchpoint", OpenApiTypes.INT),
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("to", OpenApiTypes.DATE),
]


class KpiValueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Operational KPI values per touchpoint and day (first-contact resolution, delivery delay, complaints...)."""

    parser_classes = [JSONParser]  # a list of rows has no form encoding
    serializer_class = KpiValueOutSerializer
    queryset = KpiValue.objects.none()

    def get_queryset(self):
        params = self.request.query_params
        qs = selectors.kpi_value_list(ctx=self.request.org_ctx)
        check_query_params(self.request, single={"kpi", "touchpoint", "from", "to"})
        if params.get("kpi"):
            kpi = params["kpi"]
            qs = qs.filter(kpi_id=int(kpi)) if kpi.isascii() and kpi.isdigit() else qs.filter(kpi__code=kpi)
        touchpoint = int_param(self.request, "touchpoint")
        if touchpoint is not None:
            qs = qs.filter(touchpoint_id=touchpoint)
        start, end = _date_param(params, "from"), _date_param(params, "to")
        if start:
            qs = qs.filter(day__gte=start)
        if end:
            qs = qs.filter(day__lte=end)
        return qs

    @extend_schema(summary="List operational KPI values", parameters=_VALUE_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One figure per KPI and touchpoint for a period",
        description="Adds up the daily values of the period (filters as in the list) by each KPI's aggregation. "
        "A ratio KPI (late deliveries, %) gives 100 x the sum of its numerators over the sum of its denominators.",
        parameters=_VALUE_FILTERS,
        responses={200: KpiValueSummarySerializer(many=True)},
    )
    @action(detail=False, methods=["get"], url_path="summary", url_name="summary", pagination_class=None)
    def summary(self, request: Request) -> Response:
        rows = (
            self.get_queryset()
            .order_by()
            .values("kpi_id", "kpi__code", "kpi__aggregation", "touchpoint_id")
            .annotate(last_day=Max("day"), **KpiValue.PERIOD_SUMS)
            .order_by("kpi__code", "touchpoint_id")
        )
        rows = list(rows)
        last = {}
        latest = Q()
        for r in rows:
            if r["kpi__aggregation"] == Kpi.Aggregation.LAST:
                latest |= Q(kpi_id=r["kpi_id"], touchpoint_id=r["touchpoint_id"], day=r["last_day"])
        if latest:
            last = {
                (k, t): v
                for k, t, v in self.get_queryset().filter(latest).values_list("kpi_id", "touchpoint_id", "value")
            }
        out = []
        for r in rows:
            ratio = r["kpi__aggregation"] == Kpi.Aggregation.RATIO
            out.append(
                {
                    "kpi": r["kpi_id"],
                    "kpi_code": r["kpi__code"],
                    "touchpoint": r["touchpoint_id"],
                    "aggregation": r["kpi__aggregation"],
                    "value": KpiValue.period_figure(
                        r["kpi__aggregation"], last=last.get((r["kpi_id"], r["touchpoint_id"])), **r
                    ),
                    "days": r["ratio_days"] if ratio else r["count"],
                    "numerator": r["numerator_sum"] if ratio else None,
                    "denominator": r["denominator_sum"] if ratio else None,
                }
            )
        return Response(KpiValueSummarySerializer(out, many=True).data)

    @extend_schema(
        summary="Upsert operational KPI values (batch)",
        description="A JSON array of {kpi, touchpoint, day, value} (one object is also accepted), upserted on "
        "(kpi, touchpoint, day): sending a day again replaces its value. A ratio KPI (aggregation `ratio`, e.g. "
        "late deliveries in %) takes {numerator, denominator} instead of a value (value = 100 x numerator / "
        "denominator), so that a period is the ratio of its sums. All rows are validated first; if any is "
        f"invalid nothing is saved. At most {MAX_ROWS} rows per request.",
        request=KpiValueInSerializer(many=True),
        responses={200: KpiValueUpsertResultSerializer},
    )
    def create(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, list) else [request.data]
        if not data or len(data) > MAX_ROWS:
            raise ValidationError({"detail": _("Send between 1 and %(n)s rows.") % {"n": MAX_ROWS}})
        ctx = request.org_ctx
        kpis = {}
        for kpi in selectors.kpi_list(ctx=ctx):
            kpis[kpi.code.lower()] = kpi
            kpis[kpi.pk] = kpi
        serializer = KpiValueInSerializer(data=data, many=True, context={"request": request, "kpis": kpis})
        serializer.is_valid(raise_exception=True)
        rows = [
            services.KpiValueIn(
                kpi_id=r["kpi"].pk,
                touchpoint_id=r["touchpoint"].pk,
                day=r["day"],
                value=r["value"],
                numerator=r["numerator"],
                denominator=r["denominator"],
            )
            for r in serializer.validated_data
        ]
        created, updated = services.kpi_value_upsert(organization_id=ctx.org_id, rows=rows, source=KpiValue.Source.API)
        distinct = len({(r.kpi_id, r.touchpoint_id, r.day) for r in rows})
        return Response({"created": created, "updated": updated, "unchanged": distinct - created - updated})


# -- rollup reads -----------------------------------------------------------------------------------------------


class RollupRowSerializer(serializers.Serializer):
    period = serializers.DateField(allow_null=True, help_text="Day or first day of the month; null for group=total.")
    n = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True, help_text="NPS points (only for metric=nps).")
    nps_margin_of_error = serializers.FloatField(allow_null=True, help_text="95 % half-width in NPS points.")
    mean = serializers.FloatField(allow_null=True)
    mean_margin_of_error = serializers.FloatField(allow_null=True)
    good = serializers.IntegerField(help_text="Answers in the scale's good band: promoters, top-2-box, yes.")
    neutral = serializers.IntegerField()
    bad = serializers.IntegerField(help_text="Answers in the bad band: detractors, bottom-2-box, no.")
    top_box = serializers.FloatField(allow_null=True, help_text="Share of answers in the good band, in per cent.")
    top_box_margin_of_error = serializers.FloatField(allow_null=True, help_text="95 % half-width, percentage points.")
    sufficient = serializers.BooleanField(help_text="n reaches the organization's minimum n.")


class RollupView(APIView):
    """Pre-aggregated survey figures of a touchpoint, a journey (touchpoint sum, or journey survey) or everything."""

    @extend_schema(
        summary="Read rollups",
        parameters=[
            OpenApiParameter("touchpoint", OpenApiTypes.INT, description="One touchpoint."),
            OpenApiParameter("journey", OpenApiTypes.INT, description="A journey: the sum of its touchpoints."),
            OpenApiParameter(
                "source",
                OpenApiTypes.STR,
                enum=["touchpoints", "survey"],
                description="With journey: sum of touchpoints (default) or the journey survey's own answers.",
            ),
            OpenApiParameter(
                "metric",
                OpenApiTypes.STR,
                description="nps, csat, ces or a question's metric key such as overall:1-10 or recommend:yes "
                "(default: the organization's primary metric).",
            ),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 89 days before `to`)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (default: today)."),
            OpenApiParameter("group", OpenApiTypes.STR, enum=["day", "month", "total"], description="Default: day."),
        ],
        responses={
            200: RollupRowSerializer(many=True),
            404: OpenApiResponse(description="No such touchpoint or journey in the caller's organization."),
        },
    )
    def get(self, request: Request) -> Response:
        ctx = request.org_ctx
        params = request.query_params
        check_query_params(request, single={"touchpoint", "journey", "source", "metric", "from", "to", "group"})
        end = _date_param(params, "to") or timezone.localdate()
        start = _date_param(params, "from") or end - dt.timedelta(days=89)
        if end < start or (end - start).days > 3660:
            raise ValidationError({"from": _("Give a period of at most ten years, from before to.")})
        metric = params.get("metric") or ctx.organization.primary_metric or NPS_METRIC
        group = params.get("group") or "day"
        if group not in selectors.ROLLUP_GROUPS:
            raise ValidationError({"group": _("Use day, month or total.")})
        touchpoint, journey = int_param(request, "touchpoint"), int_param(request, "journey")
        source = choice_param(request, "source", ["touchpoints", "survey"]) or "touchpoints"
        if source == "survey" and touchpoint is None and journey is None:
            raise ValidationError({"source": _("The journey survey's own answers need a journey.")})
        figures = selectors.rollup_figures(
            ctx=ctx,
            metric=metric,
            start=start,
            end=end,
            group=group,
            touchpoint_id=touchpoint,
            journey_id=journey,
            source=source,
        )
        return Response(figures)
