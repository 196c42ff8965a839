"""Customers API: list (search + filters), retrieve, create, update, and upsert by external id."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import ModelSerializer, OrgRelatedField, OrgScopedViewSet
from customers import selectors, services
from customers.filters import CustomerFilter
from customers.models import Customer
from customers.validation import normalize_country, normalize_phone
from imports.parsers import parse_language
from journeys.models import Persona


class CustomerSerializer(ModelSerializer):
    persona = OrgRelatedField(queryset=Persona.objects.all(), allow_null=True, required=False)
    # A method, not source="persona.name" with a default: DRF leaves a defaulted field out of a PATCH's answer.
    persona_name = serializers.SerializerMethodField()
    language = serializers.CharField(
        required=False, help_text="sv, nb, da or en (nb-NO, no, nn, svenska ... are accepted and normalised)."
    )
    contact_visible = serializers.SerializerMethodField(
        help_text="False when e-mail and phone are withheld (frontline users, customer did not consent to contact)."
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "name",
            "email",
            "phone",
            "language",
            "country",
            "segment",
            "persona",
            "persona_name",
            "may_survey",
            "may_contact",
            "contact_visible",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def _ctx(self):
        return self.context["request"].org_ctx

    def get_contact_visible(self, customer: Customer) -> bool:
        return selectors.customer_contact_visible(ctx=self._ctx(), customer=customer)

    def to_representation(self, customer: Customer):
        data = super().to_representation(customer)
        if not data["contact_visible"]:
            data["email"] = ""
            data["phone"] = ""
        return data

    def validate_external_id(self, value: str) -> str:
        value = value.strip()
        exclude = self.instance.pk if self.instance is not None else None
        if selectors.customer_external_id_taken(ctx=self._ctx(), external_id=value, exclude_pk=exclude):
            raise serializers.ValidationError(_("Another customer already has this external id."))
        return value

    def validate_language(self, value: str) -> str:
        try:
            return parse_language(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))

    def validate_phone(self, value: str) -> str:
        try:
            return normalize_phone(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))

    def validate_country(self, value: str) -> str:
        try:
            return normalize_country(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc))

    def get_persona_name(self, customer) -> str | None:
        return customer.persona.name if customer.persona_id else None


class CustomerUpsertSerializer(CustomerSerializer):
    class Meta(CustomerSerializer.Meta):
        read_only_fields = [*CustomerSerializer.Meta.read_only_fields, "external_id"]


def _duplicate() -> serializers.ValidationError:
    return serializers.ValidationError({"external_id": [_("Another customer already has this external id.")]})


_EXTERNAL_ID = OpenApiParameter("external_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="Your id.")


@extend_schema_view(
    list=extend_schema(summary="List customers (search with q, filter by segment, language, persona, consent)"),
    retrieve=extend_schema(summary="One customer"),
    create=extend_schema(summary="Create a customer"),
    update=extend_schema(summary="Replace a customer's fields"),
    partial_update=extend_schema(summary="Change some of a customer's fields"),
)
@extend_schema(tags=["customers"])
class CustomerViewSet(OrgScopedViewSet):
    queryset = Customer.objects.none()  # for the schema only: rows always come from the selector
    serializer_class = CustomerSerializer
    selector = staticmethod(selectors.customer_list)
    filterset_class = CustomerFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        try:
            serializer.instance = services.customer_create(ctx=self.request.org_ctx, **serializer.validated_data)
        except services.DuplicateExternalId:
            raise _duplicate()

    def perform_update(self, serializer):
        try:
            services.customer_update(
                ctx=self.request.org_ctx, customer=serializer.instance, **serializer.validated_data
            )
        except services.DuplicateExternalId:
            raise _duplicate()

    def get_object(self):
        # The by-external-id route has no pk: its object (for OPTIONS, too) is found by the external id.
        if "external_id" not in self.kwargs:
            return super().get_object()
        external_id = self.kwargs["external_id"]
        if "\x00" in external_id:
            raise Http404
        return selectors.customer_get_by_external_id(ctx=self.request.org_ctx, external_id=external_id)

    @extend_schema(
        methods=["GET"],
        summary="Find a customer by external id",
        parameters=[_EXTERNAL_ID],
        responses=CustomerSerializer,
    )
    @extend_schema(
        methods=["PUT"],
        summary="Create or update a customer by external id",
        description="Creates the customer (201) or updates the given fields of the existing one (200).",
        parameters=[_EXTERNAL_ID],
        request=CustomerUpsertSerializer,
        responses={200: CustomerSerializer, 201: CustomerSerializer},
    )
    @action(
        detail=False,
        methods=["get", "put"],
        url_path=r"by-external-id/(?P<external_id>[^/]+)",
        url_name="by-external-id",
        serializer_class=CustomerUpsertSerializer,
    )
    def by_external_id(self, request, external_id: str):
        ctx = request.org_ctx
        if "\x00" in external_id:
            raise Http404
        if request.method == "GET":
            customer = selectors.customer_get_by_external_id(ctx=ctx, external_id=external_id)
            return Response(CustomerSerializer(customer, context=self.get_serializer_context()).data)
        external_id = external_id.strip()
        if not external_id or len(external_id) > Customer._meta.get_field("external_id").max_length:
            raise serializers.ValidationError({"external_id": [_("Give an external id of at most 100 characters.")]})
        existing = selectors.customer_list(ctx=ctx).filter(external_id=external_id).first()
        serializer = CustomerUpsertSerializer(
            existing, data=request.data, partial=existing is not None, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        try:
            customer, created = services.customer_upsert(ctx=ctx, external_id=external_id, **serializer.validated_data)
        except services.DuplicateExternalId:
            raise _duplicate()
        return Response(
            CustomerSerializer(customer, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
