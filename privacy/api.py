"""Privacy API for administrators and API keys (a key with scopes needs "privacy"; a read-only key only reads).

Finding a person is a POST so that no e-mail address or phone number travels in a URL (proxies and access logs
keep URLs).
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role
from core.api import StrictCharField
from privacy import selectors, services
from privacy.models import ConsentEvent, RetentionPolicy

# HasOrganization lets these roles write; require_privacy_access then admits administrators and API keys only.
WRITE_ROLES = frozenset({Role.ADMIN, Role.CX_MANAGER})


class ZipRenderer(BaseRenderer):
    media_type = "application/zip"
    format = "zip"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        import json

        return data if isinstance(data, bytes) else json.dumps(data).encode()


class SubjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()


class FindInput(serializers.Serializer):
    identifier = StrictCharField(max_length=200, help_text="External id, customer id, e-mail or phone.")


class SubjectFindView(APIView):
    write_roles = WRITE_ROLES

    @extend_schema(
        tags=["privacy"],
        summary="Find the customers an identifier names (external id, id, e-mail or phone)",
        request=FindInput,
        responses=SubjectSerializer(many=True),
    )
    def post(self, request: Request) -> Response:
        data = FindInput(data=request.data)
        data.is_valid(raise_exception=True)
        matches = selectors.subjects_find(ctx=request.org_ctx, query=data.validated_data["identifier"])
        return Response(SubjectSerializer(matches, many=True).data)


class SubjectExportView(APIView):
    renderer_classes = [JSONRenderer, ZipRenderer]

    @extend_schema(
        tags=["privacy"],
        summary="Export everything held about a customer (zip: data.json and one CSV per kind of data)",
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The zip file."),
            404: OpenApiResponse(description="No such customer in your organization."),
        },
    )
    def get(self, request: Request, customer_pk: int) -> HttpResponse:
        customer = selectors.subject_get(ctx=request.org_ctx, pk=customer_pk)
        content = services.subject_export(ctx=request.org_ctx, customer=customer, request=request._request)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{services.subject_export_filename(customer)}"'
        return response


class ErasureSerializer(serializers.Serializer):
    erasure_record = serializers.IntegerField(source="pk")
    at = serializers.DateTimeField()
    counts = serializers.DictField()
    leftovers = serializers.DictField()


class SubjectEraseView(APIView):
    write_roles = WRITE_ROLES

    @extend_schema(
        tags=["privacy"],
        summary="Erase a customer everywhere (responses kept without them, comments masked, cases anonymised)",
        request=None,
        responses={200: ErasureSerializer, 404: OpenApiResponse(description="No such customer.")},
    )
    def post(self, request: Request, customer_pk: int) -> Response:
        customer = selectors.subject_get(ctx=request.org_ctx, pk=customer_pk)
        record = services.subject_erase(ctx=request.org_ctx, customer=customer, request=request._request)
        return Response(ErasureSerializer(record).data)


class ConsentInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ConsentEvent.Kind.choices)
    granted = serializers.BooleanField()
    source = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class SubjectConsentView(APIView):
    write_roles = WRITE_ROLES

    @extend_schema(
        tags=["privacy"],
        summary="Record a consent change of a customer (survey and contact also change the customer's flag)",
        request=ConsentInput,
        responses={
            201: inline_serializer(
                "ConsentEventOut",
                {
                    "kind": serializers.CharField(),
                    "granted": serializers.BooleanField(),
                    "at": serializers.DateTimeField(),
                    "source": serializers.CharField(),
                },
            )
        },
    )
    def post(self, request: Request, customer_pk: int) -> Response:
        customer = selectors.subject_get(ctx=request.org_ctx, pk=customer_pk)
        data = ConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.consent_set(
            ctx=request.org_ctx, customer=customer, request=request._request, **data.validated_data
        )
        return Response(
            {"kind": event.kind, "granted": event.granted, "at": event.at, "source": event.source}, status=201
        )


class RetentionPolicySerializer(serializers.ModelSerializer):
    # Null until the policy is first saved (the default policy keeps everything).
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = RetentionPolicy
        fields = [*RetentionPolicy.MONTH_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {name: {"min_value": 1, "max_value": 240} for name in RetentionPolicy.MONTH_FIELDS}


class RetentionPolicyView(APIView):
    write_roles = WRITE_ROLES

    @extend_schema(tags=["privacy"], summary="The organization's retention policy", responses=RetentionPolicySerializer)
    def get(self, request: Request) -> Response:
        policy = selectors.retention_policy_for(ctx=request.org_ctx)
        return Response(RetentionPolicySerializer(policy).data)

    @extend_schema(
        tags=["privacy"],
        summary="Replace the retention policy (null or absent = keep that data)",
        request=RetentionPolicySerializer,
        responses=RetentionPolicySerializer,
    )
    def put(self, request: Request) -> Response:
        selectors.require_privacy_access(request.org_ctx, write=True)
        data = RetentionPolicySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        months = {name: data.validated_data.get(name) for name in RetentionPolicy.MONTH_FIELDS}
        policy = services.retention_policy_save(ctx=request.org_ctx, request=request._request, **months)
        return Response(RetentionPolicySerializer(policy).data)
