"""REST API of feedback cases and the root-cause taxonomy.

Scope: rows come from the actions selectors, so a session user of the frontline role sees their teams' cases only,
and an API key acts as a CX manager of its organization. Writes go through actions.services, which check the
caller's right to act on the case; Django's ValidationError becomes a 400 and PermissionDenied a 403.
Contact data (e-mail, phone) is only ever serialized for customers who agreed to be contacted back.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Role
from actions.api.common import OrgUserField, UserRefSerializer
from actions.models import CaseEvent, CaseStatus, ContactAttempt, FeedbackCase, RootCause
from actions.selectors import cases as case_selectors
from actions.selectors.cases import customer_contact_details
from actions.services import cases as case_services
from core.api import ApiError, ModelSerializer, OrgRelatedField, StrictBooleanField, StrictCharField
from core.api_params import IdFilter
from journeys.models import Touchpoint

CASE_WRITE_ROLES = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.FRONTLINE})


# -- cases -------------------------------------------------------------------------------------------------------


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    language = serializers.CharField()
    may_contact = serializers.BooleanField()
    email = serializers.SerializerMethodField(help_text="Only when the customer agreed to be contacted back.")
    phone = serializers.SerializerMethodField(help_text="Only when the customer agreed to be contacted back.")

    def get_email(self, customer) -> str | None:
        details = customer_contact_details(customer)
        return details.email if details.allowed else None

    def get_phone(self, customer) -> str | None:
        details = customer_contact_details(customer)
        return details.phone if details.allowed else None


class RootCauseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CaseSerializer(ModelSerializer):
    touchpoint = NamedRefSerializer(read_only=True, allow_null=True)
    team = NamedRefSerializer(read_only=True, allow_null=True)
    assignee = UserRefSerializer(read_only=True, allow_null=True)
    customer = CaseCustomerSerializer(read_only=True, allow_null=True)
    root_cause = RootCauseRefSerializer(read_only=True, allow_null=True)
    origin_touchpoint = NamedRefSerializer(
        read_only=True,
        allow_null=True,
        help_text="Where the problem started, when another touchpoint than `touchpoint`; null: at `touchpoint`.",
    )
    rule = NamedRefSerializer(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    time_to_first_contact_seconds = serializers.SerializerMethodField()
    time_to_close_seconds = serializers.SerializerMethodField()

    class Meta:
        model = FeedbackCase
        fields = [
            "id",
            "response",
            "status",
            "touchpoint",
            "team",
            "assignee",
            "customer",
            "rule",
            "nps",
            "csat",
            "opened_at",
            "warn_at",
            "due_at",
            "is_overdue",
            "sla_hours",
            "sla_business_hours",
            "escalation_level",
            "claimed_at",
            "first_contact_at",
            "time_to_first_contact_seconds",
            "closed_at",
            "time_to_close_seconds",
            "closed_without_contact",
            "root_cause",
            "origin_touchpoint",
            "resolution",
            "reopen_count",
            "updated_at",
        ]
        read_only_fields = fields

    def get_time_to_first_contact_seconds(self, case) -> int | None:
        return int(case.time_to_first_contact.total_seconds()) if case.time_to_first_contact is not None else None

    def get_time_to_close_seconds(self, case) -> int | None:
        return int(case.time_to_close.total_seconds()) if case.time_to_close is not None else None


ORIGIN_HELP = (
    "Touchpoint id where the problem started (a touchpoint of the organization); null: the case's own touchpoint."
)


class CaseUpdateSerializer(serializers.Serializer):
    assignee = OrgUserField(required=False, allow_null=True, help_text="User id; null puts the case back in the queue.")
    root_cause = OrgRelatedField(queryset=RootCause.objects.all(), required=False, allow_null=True)
    origin_touchpoint = OrgRelatedField(
        queryset=Touchpoint.objects.all(), required=False, allow_null=True, help_text=ORIGIN_HELP
    )
    resolution = StrictCharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=[CaseStatus.CLOSED, CaseStatus.REOPENED],
        required=False,
        help_text="`closed` closes the case (needs a resolution and a root cause); `reopened` reopens it.",
    )


class CaseCloseSerializer(serializers.Serializer):
    resolution = StrictCharField(required=False, allow_blank=True, default="")
    root_cause = OrgRelatedField(queryset=RootCause.objects.all(), required=False, allow_null=True)
    origin_touchpoint = OrgRelatedField(
        queryset=Touchpoint.objects.all(), required=False, allow_null=True, help_text=ORIGIN_HELP
    )
    without_contact = StrictBooleanField(
        required=False, default=False, help_text="Close without contacting the customer (root cause optional)."
    )


class CaseReopenSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="")


class ContactAttemptSerializer(ModelSerializer):
    class Meta:
        model = ContactAttempt
        fields = ["id", "channel", "outcome", "note", "at"]
        read_only_fields = ["id", "at"]
        # The model has a default channel for old rows; a new attempt must say how the customer was reached.
        extra_kwargs = {"channel": {"required": True}}


class CaseEventSerializer(ModelSerializer):
    actor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "actor", "old_value", "new_value", "note", "created_at"]
        read_only_fields = fields


class ClaimConflictSerializer(serializers.Serializer):
    detail = serializers.CharField()
    assignee = UserRefSerializer(allow_null=True)


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[("open", "open"), *CaseStatus.choices], method="filter_status", label="Status (or `open`)"
    )
    team = IdFilter(field_name="team_id", label="Team id")
    assignee = IdFilter(field_name="assignee_id", label="Assignee user id")
    touchpoint = IdFilter(field_name="touchpoint_id", label="Touchpoint id")
    customer = IdFilter(field_name="customer_id", label="Customer id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull", label="Unassigned")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Open and past the due time")
    opened_after = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")

    class Meta:
        model = FeedbackCase
        fields = ["status", "team", "assignee", "touchpoint", "customer", "unassigned", "overdue"]

    def filter_status(self, queryset, name, value):
        return queryset.open() if value == "open" else queryset.filter(status=value)

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        overdue = queryset.open().filter(due_at__lt=timezone.now())
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


@extend_schema_view(
    list=extend_schema(description="Cases visible to the caller, due time first (overdue ones come first)."),
    partial_update=extend_schema(request=CaseUpdateSerializer, responses=CaseSerializer),
    update=extend_schema(request=CaseUpdateSerializer, responses=CaseSerializer),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Feedback cases: one per response that matched an alert rule."""

    queryset = FeedbackCase.objects.none()
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    write_roles = CASE_WRITE_ROLES
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_queryset(self):
        return (
            case_selectors.case_base_queryset(ctx=self.request.org_ctx)
            .select_related("origin_touchpoint")
            .order_by("due_at", "pk")
        )

    def _out(self, case: FeedbackCase) -> Response:
        case = self.get_queryset().get(pk=case.pk)
        return Response(CaseSerializer(case, context=self.get_serializer_context()).data)

    def update(self, request, *args, **kwargs):
        case = self.get_object()
        data = CaseUpdateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values, ctx = data.validated_data, request.org_ctx
        if "assignee" in values:
            case = case_services.case_assign(ctx=ctx, case=case, assignee=values["assignee"])
        if "root_cause" in values:
            case = case_services.case_set_root_cause(
                ctx=ctx,
                case=case,
                root_cause=values["root_cause"],
                origin_touchpoint=values.get("origin_touchpoint", case_services.UNCHANGED),
            )
        elif "origin_touchpoint" in values:
            case = case_services.case_set_origin(ctx=ctx, case=case, origin_touchpoint=values["origin_touchpoint"])
        if "resolution" in values and values.get("status") != CaseStatus.CLOSED:
            case = case_services.case_set_resolution(ctx=ctx, case=case, resolution=values["resolution"])
        if values.get("status") == CaseStatus.CLOSED:
            case = case_services.case_close(ctx=ctx, case=case, resolution=values.get("resolution", case.resolution))
        elif values.get("status") == CaseStatus.REOPENED:
            case = case_services.case_reopen(ctx=ctx, case=case)
        return self._out(case)

    @extend_schema(
        request=None,
        responses={
            200: CaseSerializer,
            409: OpenApiResponse(ClaimConflictSerializer, description="Someone else has the case."),
        },
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        """Take an unassigned case; of two simultaneous claims exactly one wins, the other gets 409."""
        result = case_services.case_claim(ctx=request.org_ctx, case=self.get_object())
        if not result.claimed:
            holder = result.case.assignee
            raise ApiError(
                _("Already claimed by %(name)s.") % {"name": result.holder}
                if result.holder
                else _("The case cannot be claimed."),
                status_code=status.HTTP_409_CONFLICT,
                assignee=UserRefSerializer(holder).data if holder else None,
            )
        return self._out(result.case)

    @extend_schema(request=CaseCloseSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        case = self.get_object()
        data = CaseCloseSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        case = case_services.case_close(ctx=request.org_ctx, case=case, **data.validated_data)
        return self._out(case)

    @extend_schema(request=CaseReopenSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        case = self.get_object()
        data = CaseReopenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_services.case_reopen(ctx=request.org_ctx, case=case, reason=data.validated_data["reason"])
        return self._out(case)

    @extend_schema(request=ContactAttemptSerializer, responses={201: ContactAttemptSerializer})
    @action(detail=True, methods=["post"], url_path="contact-attempts")
    def contact_attempts(self, request, pk=None):
        """Log a call or e-mail (refused when the customer has not agreed to be contacted back)."""
        case = self.get_object()
        data = ContactAttemptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = case_services.case_log_contact(ctx=request.org_ctx, case=case, **data.validated_data)
        return Response(ContactAttemptSerializer(attempt).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=CaseEventSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request, pk=None):
        """The case's timeline, oldest first."""
        return Response(CaseEventSerializer(case_selectors.case_timeline(case=self.get_object()), many=True).data)


# -- root causes -------------------------------------------------------------------------------------------------


class RootCauseSerializer(ModelSerializer):
    path = serializers.SerializerMethodField(help_text="Full path, e.g. 'Technician › Late'.")

    class Meta:
        model = RootCause
        fields = ["id", "name", "parent", "path", "description", "is_active"]
        read_only_fields = fields

    def get_path(self, node) -> str:
        return self.context.get("labels", {}).get(node.pk, node.name)


class RootCauseViewSet(viewsets.ReadOnlyModelViewSet):
    """The organization's root-cause taxonomy (edited in the web app by CX managers)."""

    queryset = RootCause.objects.none()
    serializer_class = RootCauseSerializer
    pagination_class = None

    def get_queryset(self):
        return RootCause.objects.for_org(self.request.org_ctx.organization).order_by("parent_id", "position", "name")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self.request, "org_ctx", None) is not None:
            context["labels"] = case_selectors.root_cause_labels(ctx=self.request.org_ctx)
        return context
