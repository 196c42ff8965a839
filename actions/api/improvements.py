"""REST API of improvement actions: CRUD, expected value from the value model, impact measurement."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from actions.api.common import OrgUserField
from actions.models import FeedbackCase, ImprovementAction, ImprovementStatus, RootCause
from actions.selectors import improvements as improvement_selectors
from actions.services import improvements as improvement_services
from actions.valuation import value_of_change
from core.api import ModelSerializer, OrgRelatedField, OrgScopedViewSet
from core.api_params import IdFilter
from journeys.models import Touchpoint


class ValueEstimateSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="Expected value per year.")
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    currency = serializers.CharField()
    supported = serializers.BooleanField()
    reason = serializers.CharField()
    payback_years = serializers.FloatField(allow_null=True)


class ImprovementActionSerializer(ModelSerializer):
    owner = OrgUserField(required=False, allow_null=True)
    root_cause = OrgRelatedField(queryset=RootCause.objects.all(), required=False, allow_null=True)
    touchpoints = OrgRelatedField(queryset=Touchpoint.objects.all(), many=True, required=False)
    cases = OrgRelatedField(queryset=FeedbackCase.objects.all(), many=True, required=False)
    expected_value = serializers.SerializerMethodField()
    is_success = serializers.BooleanField(read_only=True)

    class Meta:
        model = ImprovementAction
        fields = [
            "id",
            "title",
            "description",
            "owner",
            "status",
            "horizon",
            "origin",
            "root_cause",
            "touchpoints",
            "cases",
            "start_date",
            "due_date",
            "done_date",
            "cost",
            "metric",
            "measure",
            "expected_uplift",
            "expected_value",
            "impact_before_days",
            "impact_after_days",
            "impact_measured_at",
            "impact_metric",
            "impact_measure",
            "impact_before_n",
            "impact_after_n",
            "impact_before_nps",
            "impact_after_nps",
            "impact_delta",
            "impact_p_value",
            "impact_significant",
            "realised_value",
            "is_success",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "impact_measured_at",
            "impact_metric",
            "impact_measure",
            "impact_before_n",
            "impact_after_n",
            "impact_before_nps",
            "impact_after_nps",
            "impact_delta",
            "impact_p_value",
            "impact_significant",
            "realised_value",
            "published_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(ValueEstimateSerializer)
    def get_expected_value(self, obj) -> dict:
        # Priced in the action's own metric; the value snapshot is read once per request, not once per action.
        estimate = value_of_change(
            ctx=self.context["request"].org_ctx,
            metric=obj.metric,
            measure=obj.measure,
            uplift=obj.expected_uplift,
            touchpoint_ids=[t.pk for t in obj.touchpoints.all()],
            cost=obj.cost,
            cache=self.context.setdefault("_value_cache", {}),
        )
        return ValueEstimateSerializer(estimate).data

    def validate_status(self, value: str) -> str:
        current = self.instance.status if self.instance else None
        if value == ImprovementStatus.IMPACT_MEASURED and current != value:
            raise serializers.ValidationError(_("Set by measuring the impact (POST .../measure/)."))
        return value


class ImprovementActionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ImprovementStatus.choices)
    horizon = django_filters.CharFilter()
    touchpoint = IdFilter(field_name="touchpoints", label="Touchpoint id")

    class Meta:
        model = ImprovementAction
        fields = ["status", "horizon", "touchpoint"]


@extend_schema_view(
    destroy=extend_schema(description="Delete the action (its cases and touchpoints stay).", responses={204: None})
)
class ImprovementActionViewSet(OrgScopedViewSet):
    """Improvement actions (the outer loop): owner, status, horizon, cost, expected uplift and value, impact."""

    queryset = ImprovementAction.objects.none()
    selector = staticmethod(improvement_selectors.improvement_list)
    serializer_class = ImprovementActionSerializer
    filterset_class = ImprovementActionFilter

    def get_queryset(self):
        return super().get_queryset().prefetch_related("cases").order_by("due_date", "pk").distinct()

    def _split(self, serializer) -> tuple[dict, list | None, list | None]:
        data = dict(serializer.validated_data)
        return data, data.pop("touchpoints", None), data.pop("cases", None)

    def perform_create(self, serializer):
        fields, touchpoints, cases = self._split(serializer)
        serializer.instance = improvement_services.improvement_create(
            ctx=self.request.org_ctx, fields=fields, touchpoints=touchpoints, cases=cases
        )

    def perform_update(self, serializer):
        fields, touchpoints, cases = self._split(serializer)
        serializer.instance = improvement_services.improvement_update(
            ctx=self.request.org_ctx,
            action=serializer.instance,
            fields=fields,
            touchpoints=touchpoints,
            cases=cases,
        )

    def perform_destroy(self, instance):
        improvement_services.improvement_delete(ctx=self.request.org_ctx, action=instance)

    @extend_schema(request=None, responses=ImprovementActionSerializer)
    @action(detail=True, methods=["post"])
    def measure(self, request, pk=None):
        """Measure the impact of a done action: NPS before vs after, significance, realised value."""
        instance = improvement_services.improvement_measure_impact(ctx=request.org_ctx, action=self.get_object())
        return Response(self.get_serializer(instance).data)
