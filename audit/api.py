"""Read-only API of the audit log: the organization's events, filtered like the audit page, newest first.

For the organization's admins (session) and its API keys (with the "audit" scope when the key is limited to some):
a SIEM or archive can pull the log. Another organization's events are never listed. Reading the log through the API
is not itself recorded (a poller would fill the log with its own reads); the page's CSV export is.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from audit import actions, selectors
from audit.forms import AuditFilterForm
from audit.models import AuditEvent
from core.api_params import BIGINT_MAX, check_query_params


class AuditEventSerializer(serializers.ModelSerializer):
    action_label = serializers.SerializerMethodField(help_text="The action in words (the request's language).")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_label",
            "action",
            "action_label",
            "target_type",
            "target_id",
            "target_label",
            "detail",
            "ip",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "actor": {"help_text": "The user's id; null for API keys, the system and deleted users."},
            "actor_label": {"help_text": "The user's name, `API key <name> (<prefix>)` or `system`."},
            "action": {"help_text": "A dotted verb, e.g. customer.view, responses.export, member.role_change."},
            "target_type": {"help_text": "app_label.model of the object, e.g. customers.customer."},
            "detail": {"help_text": "Old and new values (`changes`), an export's filters (`query`), counts."},
        }

    def get_action_label(self, event: AuditEvent) -> str:
        return actions.action_label(event.action)


class CanReadAudit(permissions.BasePermission):
    """After HasOrganization (which sets org_ctx and checks the key's scopes): admins and API keys only."""

    def has_permission(self, request, view):
        ctx = getattr(request, "org_ctx", None)
        return ctx is not None and selectors.can_read_audit(ctx)


class AuditCursorPagination(CursorPagination):
    # A cursor, not an offset: no COUNT(*) over a year of events, and a poller never skips or repeats an event.
    ordering = ("-at", "-pk")
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "page_size"

    def get_page_size(self, request):
        """A page size that is no whole number within the schema's integer range is a 400, not silently the
        default; within it, DRF's rule holds (above the maximum: the maximum; zero or below: the default)."""
        raw = request.query_params.get(self.page_size_query_param, "").strip()
        if raw:
            try:
                value = int(raw)
            except ValueError:
                value = None
            if value is None or abs(value) > BIGINT_MAX:
                raise ValidationError({self.page_size_query_param: [_("Give a whole number of events per page.")]})
        return super().get_page_size(request)


FILTER_PARAMETERS = [
    OpenApiParameter("actor", OpenApiTypes.INT, description="A member's user id."),
    OpenApiParameter(
        "action", OpenApiTypes.STR, description="One action, or every action of an object type when it ends in '.'."
    ),
    OpenApiParameter("target_type", OpenApiTypes.STR, description="app_label.model, e.g. customers.customer."),
    OpenApiParameter("target_id", OpenApiTypes.STR, description="The object's id."),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (in the organization's time zone)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day, included."),
    OpenApiParameter("q", OpenApiTypes.STR, description="Part of the actor's or object's label, or an object id."),
]


@extend_schema_view(list=extend_schema(parameters=FILTER_PARAMETERS))
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The organization's audit events, newest first (admins and API keys)."""

    queryset = AuditEvent.objects.none()
    serializer_class = AuditEventSerializer
    pagination_class = AuditCursorPagination
    filter_backends: list = []

    def get_permissions(self):
        return [*super().get_permissions(), CanReadAudit()]

    def get_queryset(self):
        ctx = self.request.org_ctx
        if self.action != "list":
            return selectors.audit_event_list(ctx=ctx)
        # The page's form treats an empty field as "no filter"; on the API an empty id, date or choice is an error.
        check_query_params(
            self.request,
            single=set(AuditFilterForm.base_fields),
            nonempty={"actor", "date_from", "date_to"},
        )
        form = AuditFilterForm(self.request.query_params or None, ctx=ctx)
        if form.is_bound and not form.is_valid():
            errors = form.errors.get_json_data()
            raise ValidationError({field: [e["message"] for e in found] for field, found in errors.items()})
        return selectors.audit_event_list(ctx=ctx, filters=form.to_filters())
