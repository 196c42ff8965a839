"""REST API of "you said, we did" (routes in program/updates_urls.py, under /api/v1/program/customer-updates/).

Reads go through program.updates.selectors with the caller's context: another organization's update is a 404, its
action id a 400 ("does not exist"). Recipient lists are not served here (the API gives counts and the recovery, no
customer), and no comment text ever is. Sending needs a CX manager, an admin or an API key (the default permission);
reading needs the roles that read the whole program (frontline staff: 403).
"""

from __future__ import annotations

import django_filters
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response

from accounts.api_auth import HasOrganization
from actions.models import ImprovementAction
from core.api import OrgRelatedField, StrictCharField
from core.api_params import IdFilter
from program.models import CustomerUpdate
from program.updates import selectors
from program.updates.messages import MESSAGE_MAX_LENGTH
from program.updates.services import MAX_RESURVEY_DAYS, customer_update_send


class CanReadUpdates(permissions.BasePermission):
    """After HasOrganization (which sets request.org_ctx): admins, CX managers, executives and API keys."""

    def has_permission(self, request, view):
        ctx = getattr(request, "org_ctx", None)
        return ctx is not None and selectors.can_read_updates(ctx)


class RecoveryComparisonSerializer(serializers.Serializer):
    n = serializers.IntegerField(
        help_text="Customers of the same cases who were not told, with a first and a next score."
    )
    enough = serializers.BooleanField()
    min_pairs = serializers.IntegerField()
    mean_change = serializers.FloatField(allow_null=True, help_text="Null below `min_pairs` pairs.")


class CustomerUpdateRecoverySerializer(serializers.Serializer):
    metric = serializers.CharField(help_text="The metric key the scores are on (nps, csat, ...).")
    n = serializers.IntegerField(help_text="Customers told (e-mail sent) with both a first and a next score.")
    enough = serializers.BooleanField(
        help_text="At least `min_pairs` pairs (the organization's minimum n, at least 5): below it every figure but n "
        "is null."
    )
    min_pairs = serializers.IntegerField()
    mean_first = serializers.FloatField(allow_null=True)
    mean_next = serializers.FloatField(allow_null=True)
    mean_change = serializers.FloatField(allow_null=True)
    p_value = serializers.FloatField(allow_null=True, help_text="Two-sided paired t-test of next against first.")
    significant = serializers.BooleanField()
    bad_first = serializers.IntegerField(
        allow_null=True, help_text="Pairs whose first score was in the bad band (e.g. detractors)."
    )
    moved_out = serializers.IntegerField(
        allow_null=True, help_text="Of those, how many answered outside the bad band next time."
    )
    share_moved_out = serializers.FloatField(allow_null=True)
    waiting = serializers.IntegerField(help_text="Customers told whose next answer has not come yet.")
    pending_send = serializers.IntegerField(help_text="Customers whose e-mail has not gone out yet (not counted).")
    not_sent = serializers.IntegerField(help_text="Customers whose e-mail was cancelled or failed (not counted).")
    comparison = RecoveryComparisonSerializer(
        allow_null=True,
        help_text="The customers of the same cases who were not told, over the same time: part of any rise is "
        "regression to the mean (their first scores were poor by selection too).",
    )


class CustomerUpdateSerializer(serializers.ModelSerializer):
    action_title = serializers.CharField(source="action.title", read_only=True)
    created_by = serializers.SerializerMethodField()
    recipients = serializers.IntegerField(source="recipient_count", read_only=True)
    sent = serializers.IntegerField(source="sent_count", read_only=True, help_text="E-mails sent so far.")
    messages = serializers.DictField(child=serializers.CharField(), read_only=True, help_text="{language: text}")

    class Meta:
        model = CustomerUpdate
        fields = [
            "id",
            "action",
            "action_title",
            "messages",
            "resurvey_after_days",
            "recipients",
            "sent",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields

    def get_created_by(self, obj) -> str | None:
        return obj.created_by.get_username() if obj.created_by is not None else None


class CustomerUpdateResurveySerializer(serializers.Serializer):
    due = serializers.IntegerField(help_text="Customers whose re-survey has not been decided yet.")
    invited = serializers.IntegerField(help_text="Customers invited on their re-survey day.")
    not_invited = serializers.DictField(
        child=serializers.IntegerField(),
        help_text='Customers not invited, per reason code (the contact rules\' reasons, e.g. "quarantine", or '
        '"not_sent": the message never went out).',
    )


class CustomerUpdateDetailSerializer(CustomerUpdateSerializer):
    recovery = serializers.SerializerMethodField()
    resurvey = serializers.SerializerMethodField()

    class Meta(CustomerUpdateSerializer.Meta):
        fields = [*CustomerUpdateSerializer.Meta.fields, "recovery", "resurvey"]
        read_only_fields = fields

    def _report(self, obj) -> selectors.RecoveryReport:
        cache = self.context.setdefault("_reports", {})
        if obj.pk not in cache:
            ctx = self.context["request"].org_ctx
            cache[obj.pk] = selectors.customer_update_recovery(ctx=ctx, action=obj.action, update=obj)
        return cache[obj.pk]

    @extend_schema_field(CustomerUpdateResurveySerializer(allow_null=True))
    def get_resurvey(self, obj) -> dict | None:
        if not obj.resurvey_after_days:
            return None
        rows = self._report(obj).rows
        not_invited: dict[str, int] = {}
        for row in rows:
            if row.resurvey_state == "not_invited":
                reason = row.recipient.resurvey_reason
                not_invited[reason] = not_invited.get(reason, 0) + 1
        return CustomerUpdateResurveySerializer(
            {
                "due": sum(row.resurvey_state == "due" for row in rows),
                "invited": sum(row.resurvey_state == "invited" for row in rows),
                "not_invited": not_invited,
            }
        ).data

    @extend_schema_field(CustomerUpdateRecoverySerializer(allow_null=True))
    def get_recovery(self, obj) -> dict | None:
        report = self._report(obj)
        r, c = report.recovery, report.comparison
        if r is None:
            return None
        comparison = None
        if c is not None:
            comparison = {"n": c.n, "enough": c.enough, "min_pairs": c.min_pairs, "mean_change": c.mean_change}
        return CustomerUpdateRecoverySerializer(
            {
                "metric": r.metric,
                "n": r.n,
                "enough": r.enough,
                "min_pairs": r.min_pairs,
                "mean_first": r.mean_first,
                "mean_next": r.mean_next,
                "mean_change": r.mean_change,
                "p_value": r.p_value,
                "significant": r.significant,
                "bad_first": r.bad_first,
                "moved_out": r.moved_out,
                "share_moved_out": r.share_moved_out,
                "waiting": report.waiting,
                "pending_send": report.pending_send,
                "not_sent": report.not_sent,
                "comparison": comparison,
            }
        ).data


class CustomerUpdateSendSerializer(serializers.Serializer):
    action = OrgRelatedField(queryset=ImprovementAction.objects.all(), help_text="The improvement action's id.")
    messages = serializers.DictField(
        child=StrictCharField(max_length=MESSAGE_MAX_LENGTH),
        help_text='The message per language, e.g. {"sv": "...", "en": "..."}: one for every language its '
        "customers read (a 400 names the missing ones).",
    )
    resurvey_after_days = serializers.IntegerField(
        min_value=1, max_value=MAX_RESURVEY_DAYS, required=False, allow_null=True, help_text="Empty: no re-survey."
    )

    def validate_messages(self, value: dict) -> dict:
        offered = dict(settings.LANGUAGES)
        unknown = sorted(code for code in value if code not in offered)
        if unknown:
            raise serializers.ValidationError(_("Unknown languages: %(codes)s.") % {"codes": ", ".join(unknown)})
        return value


class CustomerUpdateFilter(django_filters.FilterSet):
    action = IdFilter(field_name="action", label="Improvement action id")

    class Meta:
        model = CustomerUpdate
        fields = ["action"]


class CustomerUpdateListView(generics.ListAPIView):
    """ "You said, we did" mailings, newest first; POST sends one."""

    permission_classes = [HasOrganization, CanReadUpdates]
    serializer_class = CustomerUpdateSerializer
    filterset_class = CustomerUpdateFilter
    queryset = CustomerUpdate.objects.none()

    def get_queryset(self):
        return selectors.customer_update_list(ctx=self.request.org_ctx)

    @extend_schema(summary="List customer updates")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Tell the customers of an improvement action what changed",
        description="Only for an action whose impact was measured and is a significant improvement, with linked "
        "cases. Each customer is told once per action, only with contact consent and an e-mail address, in their "
        "language; with `resurvey_after_days` each customer whose e-mail went out is re-surveyed that many days "
        "later, decided on that day under the contact rules. A 400 says why nothing could be sent.",
        request=CustomerUpdateSendSerializer,
        responses={201: CustomerUpdateDetailSerializer},
    )
    def post(self, request, *args, **kwargs):
        data = CustomerUpdateSendSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        update = customer_update_send(
            ctx=request.org_ctx,
            action=data.validated_data["action"],
            messages=data.validated_data["messages"],
            resurvey_after_days=data.validated_data.get("resurvey_after_days"),
        )
        update = selectors.customer_update_get(ctx=request.org_ctx, pk=update.pk)
        body = CustomerUpdateDetailSerializer(update, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class CustomerUpdateDetailView(generics.RetrieveAPIView):
    """One mailing: its messages, how many customers it went to, and their recovery since."""

    permission_classes = [HasOrganization, CanReadUpdates]
    serializer_class = CustomerUpdateDetailSerializer
    queryset = CustomerUpdate.objects.none()

    def get_queryset(self):
        return selectors.customer_update_list(ctx=self.request.org_ctx)

    @extend_schema(summary="Read a customer update with its recovery")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
