"""Import API: upload a file as multipart (kind, file), then poll the job for progress, counts and errors."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from core.api import ModelSerializer, OrgScopedViewSet
from imports import selectors, services
from imports.models import ImportJob
from imports.registry import ImportFileError, available_kinds


class ProgramEditorsOnly(permissions.BasePermission):
    """Imports hold customer data: reading them needs the same rights as writing (CX managers, admins, API keys)."""

    def has_permission(self, request, view):
        return request.org_ctx.can_edit_program


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    column = serializers.CharField()
    message = serializers.CharField()


class ImportJobSerializer(ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    errors = ImportRowErrorSerializer(many=True, read_only=True, help_text="The first row errors (the report has all).")
    error_report_url = serializers.SerializerMethodField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="What to know although nothing failed: columns not imported, rows skipped on purpose, customers "
        "created.",
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "status",
            "original_name",
            "total_rows",
            "processed_rows",
            "percent",
            "created_count",
            "updated_count",
            "unchanged_count",
            "error_count",
            "errors",
            "error_report_url",
            "message",
            "warnings",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_error_report_url(self, job: ImportJob) -> str | None:
        if not job.error_report:
            return None
        return self.context["request"].build_absolute_uri(reverse("import-error-report", args=[job.pk]))


class ImportJobCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices)
    file = serializers.FileField(
        help_text="CSV (UTF-8 preferred; comma, semicolon or tab) or XLSX; first row is the header."
    )
    mapping = serializers.JSONField(
        binary=True,
        required=False,
        help_text='Optional JSON object {"file column": "field" or null to ignore it}, e.g. '
        '{"CustomerID": "external_id", "MonthlyCharges": "amount", "Notes": null}. Columns not named are mapped '
        "by their header (field names and common synonyms such as ID, customer_id, kundnummer, MonthlyCharges, "
        "Churn) or by the mapping last confirmed in the app for a file with the same header; columns matching no "
        "field are ignored and listed in the job's `warnings`. Fields per kind: the sample CSV of each kind "
        "(/imports/sample/<kind>.csv) has them as its header.",
    )
    month = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Revenue: the month (YYYY-MM) of rows that have no month column or value, e.g. a file of "
        "monthly charges.",
    )
    date = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Churn events: the date (YYYY-MM-DD) these customers left, for rows without a churn date, e.g. "
        "a file with a churn label (Yes/No) and no date. Rows labelled as not churned are skipped.",
    )
    create_customers = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Revenue and churn events: create customers whose id is unknown (id only) instead of reporting "
        "those rows as errors.",
    )

    def validate_kind(self, value: str) -> str:
        if value not in dict(available_kinds()):
            raise serializers.ValidationError(_("Imports of this kind are not available yet."))
        return value

    def validate_mapping(self, value):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()
        ):
            raise serializers.ValidationError(_('Give a JSON object such as {"CustomerID": "external_id"}.'))
        return value

    def options(self) -> dict:
        data = self.validated_data
        return {name: data[name] for name in ("month", "date", "create_customers") if data.get(name) not in (None, "")}


@extend_schema_view(
    list=extend_schema(summary="Recent import jobs", tags=["imports"]),
    retrieve=extend_schema(summary="Status, progress, counts and first errors of an import job", tags=["imports"]),
)
class ImportJobViewSet(OrgScopedViewSet):
    queryset = ImportJob.objects.none()  # for the schema only: rows always come from the selector
    serializer_class = ImportJobSerializer
    selector = staticmethod(selectors.import_job_list)
    permission_classes = [*OrgScopedViewSet.permission_classes, ProgramEditorsOnly]
    parser_classes = [MultiPartParser, FormParser]
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["kind", "status"]

    @extend_schema(
        summary="Upload a file to import",
        description="Stores the file, maps its columns (by header names and synonyms, the mapping last confirmed in "
        "the app for this header, or the optional `mapping`) and queues the import; poll the returned job until "
        "`status` is done or failed. Columns that match no field are ignored and named in `warnings`; a mapping "
        "without a required field fails the job with a `message` that names it and the file's columns.",
        request={"multipart/form-data": ImportJobCreateSerializer},
        responses={202: ImportJobSerializer},
        tags=["imports"],
    )
    def create(self, request, *args, **kwargs):
        data = ImportJobCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = services.import_job_create_and_start(
                ctx=request.org_ctx,
                kind=data.validated_data["kind"],
                uploaded_file=data.validated_data["file"],
                columns=data.validated_data.get("mapping"),
                options=data.options(),
            )
        except ImportFileError as exc:
            raise serializers.ValidationError({"file": [str(exc)]})
        job.refresh_from_db()  # in eager mode the import has already run
        headers = {"Location": reverse("import-detail", args=[job.pk])}
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED, headers=headers)

    @extend_schema(
        summary="Download the full error report (CSV)",
        responses={(200, "text/csv"): OpenApiTypes.BINARY},
        tags=["imports"],
    )
    @action(detail=True, methods=["get"], url_path="error-report", url_name="error-report")
    def error_report(self, request, pk=None):
        job = selectors.import_job_get(ctx=request.org_ctx, pk=pk)
        if not job.error_report:
            raise Http404
        return FileResponse(
            job.error_report.open("rb"),
            as_attachment=True,
            filename=f"import-{job.pk}-errors.csv",
            content_type="text/csv",
        )
