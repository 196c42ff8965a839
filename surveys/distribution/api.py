"""Touchpoint event API: an integrating system reports that a customer met a touchpoint; we decide on a survey."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import IDEMPOTENCY_HEADER, IdempotencyKeyReused, OrgRelatedField, idempotency_header
from journeys.models import Touchpoint
from surveys.distribution import services
from surveys.idempotency import fingerprints_conflict, payload_fingerprint
from surveys.ingestion.services import IDEMPOTENCY_KEY_MAX_LENGTH
from surveys.models import ContactDecision


class TouchpointEventView(APIView):
    class InputSerializer(serializers.Serializer):
        customer_external_id = serializers.CharField(max_length=100)
        touchpoint = OrgRelatedField(queryset=Touchpoint.objects.all(), help_text="Touchpoint id.")
        occurred_at = serializers.DateTimeField(required=False, help_text="When it happened (default: now).")
        language = serializers.ChoiceField(
            choices=settings.SURVEY_LANGUAGES, required=False, help_text="Survey language (default: the customer's)."
        )
        idempotency_key = serializers.CharField(
            max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
            required=False,
            allow_blank=True,
            help_text="Your id for this event (or the Idempotency-Key header): a retry returns the first decision.",
        )

        def validate_occurred_at(self, value):
            if value > timezone.now() + dt.timedelta(minutes=10):
                raise serializers.ValidationError(_("occurred_at is in the future."))
            return value

    class OutputSerializer(serializers.Serializer):
        decision_id = serializers.IntegerField(source="pk")
        invited = serializers.BooleanField()
        decision = serializers.ChoiceField(choices=ContactDecision.Decision.choices)
        reason = serializers.ChoiceField(choices=ContactDecision.Reason.choices)
        message = serializers.CharField()
        invitation_id = serializers.IntegerField(allow_null=True)
        replayed = serializers.BooleanField(
            default=False, help_text="True when this event was decided before (same idempotency key)."
        )
        survey_id = serializers.IntegerField(allow_null=True)
        send_after = serializers.DateTimeField(
            allow_null=True, source="invitation.send_after", default=None, help_text="When the e-mail goes out."
        )
        survey_url = serializers.SerializerMethodField(
            help_text="The personal survey link; deliver it yourself when the customer has no e-mail address."
        )

        def get_survey_url(self, obj) -> str | None:
            return services.invitation_url(obj.invitation) if obj.invitation_id else None

    @extend_schema(
        operation_id="touchpoint_event_create",
        summary="Report a touchpoint event and get the survey decision",
        description=(
            "Applies the contact rules (consent, inactive touchpoint, published survey, event age, quarantine, "
            "touchpoint priority within the hold window) and answers with the decision. 201 when an invitation "
            "was created, 200 when not. Every decision is recorded. Retries are safe with an `Idempotency-Key` "
            "header (or `idempotency_key` field): a repeated event records nothing and returns the first decision "
            "with `replayed: true` and status 200; the same key with a different event is refused (409)."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="Your id for this event, at most 100 characters.",
            )
        ],
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            200: OutputSerializer,
            409: OpenApiResponse(description="The idempotency key was used before for a different event."),
        },
        examples=[
            OpenApiExample(
                "Event",
                value={"customer_external_id": "C000123", "touchpoint": 7, "occurred_at": "2026-11-25T10:15:00Z"},
                request_only=True,
            )
        ],
        tags=["surveys"],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        header_key = idempotency_header(request, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
        key = header_key or data.validated_data.get("idempotency_key", "")
        fingerprint = payload_fingerprint(request.data)
        try:
            # One transaction: the decision and its key's fingerprint are committed together, so a concurrent
            # request with the same key (held back by the unique key until then) always finds the fingerprint.
            with transaction.atomic():
                decision = services.touchpoint_event_record(
                    organization=request.org_ctx.organization,
                    customer_external_id=data.validated_data["customer_external_id"],
                    touchpoint=data.validated_data["touchpoint"],
                    occurred_at=data.validated_data.get("occurred_at"),
                    language=data.validated_data.get("language", ""),
                    idempotency_key=key or None,
                )
                if key:
                    ContactDecision.objects.filter(pk=decision.pk).update(idempotency_fingerprint=fingerprint)
        except services.EventReplayed as replay:
            if fingerprints_conflict(replay.decision.idempotency_fingerprint, fingerprint):
                raise IdempotencyKeyReused() from None
            body = self.OutputSerializer(replay.decision).data
            return Response({**body, "replayed": True}, status=status.HTTP_200_OK)
        body = self.OutputSerializer(decision).data
        return Response(body, status=status.HTTP_201_CREATED if decision.invited else status.HTTP_200_OK)
