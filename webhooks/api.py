"""REST API of webhooks: endpoints (CRUD, secret rotation, test event) and the delivery log (read, retry).

Organization admins (session) and the organization's API keys only. The secret is in the answer of a create and of
a rotation, never in a read.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import Conflict
from webhooks import selectors, services
from webhooks.models import TEST_EVENT, EventType, WebhookDelivery, WebhookEndpoint


class CanManageWebhooks(permissions.BasePermission):
    """After HasOrganization: an admin of the organization, or one of its API keys."""

    def has_permission(self, request, view):
        ctx = getattr(request, "org_ctx", None)
        return ctx is not None and selectors.can_manage(ctx)


class EndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EventType.choices), allow_empty=False)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "include_personal_data",
            "active",
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "consecutive_failures",
            "disabled_at",
            "disabled_reason",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown in this answer only: store it now.")

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_type",
            "event_id",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "response_excerpt",
            "duration_ms",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class DeliveryFilter(django_filters.FilterSet):
    endpoint = django_filters.NumberFilter(field_name="endpoint_id")
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices)
    event_type = django_filters.ChoiceFilter(choices=[*EventType.choices, (TEST_EVENT, "Test event")])

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status", "event_type"]


@extend_schema_view(
    create=extend_schema(responses={201: EndpointWithSecretSerializer}),
    destroy=extend_schema(description="Delete the endpoint and its delivery log.", responses={204: None}),
)
class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Webhook endpoints of the organization: URL (https, public addresses only), events, personal data, active."""

    serializer_class = EndpointSerializer
    queryset = WebhookEndpoint.objects.none()
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_permissions(self):
        return [*super().get_permissions(), CanManageWebhooks()]

    def get_queryset(self):
        return selectors.endpoint_list(ctx=self.request.org_ctx)

    def get_object(self):
        return selectors.endpoint_get(ctx=self.request.org_ctx, pk=self.kwargs["pk"])

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = services.endpoint_create(
            ctx=request.org_ctx,
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            include_personal_data=data.get("include_personal_data", False),
            request=request._request,
        )
        if data.get("active") is False:
            endpoint = services.endpoint_update(ctx=request.org_ctx, endpoint=endpoint, active=False)
        return Response(EndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        serializer = self.get_serializer(endpoint, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(
            ctx=request.org_ctx, endpoint=endpoint, request=request._request, **serializer.validated_data
        )
        return Response(EndpointSerializer(endpoint).data)

    def destroy(self, request, *args, **kwargs):
        services.endpoint_delete(ctx=request.org_ctx, endpoint=self.get_object(), request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: EndpointWithSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None, **kwargs):
        """A new secret (in this answer only); the previous one keeps signing during the grace period."""
        endpoint = services.endpoint_rotate_secret(
            ctx=request.org_ctx, endpoint=self.get_object(), request=request._request
        )
        return Response(EndpointWithSecretSerializer(endpoint).data)

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None, **kwargs):
        """Send a `webhook.test` event now; its outcome is in the delivery log."""
        delivery = services.test_event_send(ctx=request.org_ctx, endpoint=self.get_object())
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The delivery log: every event sent (or being retried) to the organization's endpoints, newest first."""

    serializer_class = DeliverySerializer
    queryset = WebhookDelivery.objects.none()
    filterset_class = DeliveryFilter

    def get_permissions(self):
        return [*super().get_permissions(), CanManageWebhooks()]

    def get_queryset(self):
        return selectors.delivery_list(ctx=self.request.org_ctx)

    def get_object(self):
        return selectors.delivery_get(ctx=self.request.org_ctx, pk=self.kwargs["pk"])

    @extend_schema(request=None, responses={202: DeliverySerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None, **kwargs):
        """Give a failed delivery one more attempt now (409 if it is not failed)."""
        delivery = self.get_object()
        if not services.delivery_retry(ctx=request.org_ctx, delivery=delivery):
            raise Conflict(_("Only a failed delivery can be retried."))
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
