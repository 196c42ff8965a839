"""Report API: one generated report's PDF (scoped like every endpoint: API key or session, its organization only)."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from core.api_params import choice_param
from reports.delivery import selectors
from reports.delivery.views import pdf_response

PDF_LANGUAGES = [code for code, _name in settings.LANGUAGES]


class PDFRenderer(BaseRenderer):
    """Lets clients ask for `Accept: application/pdf`; errors are still JSON text."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class ReportPdfView(APIView):
    """The PDF of a ready report version (A4; the organization's language unless `lang` is given)."""

    renderer_classes = [JSONRenderer, PDFRenderer]

    @extend_schema(
        summary="Download a report's PDF",
        parameters=[
            OpenApiParameter(
                "lang",
                OpenApiTypes.STR,
                enum=PDF_LANGUAGES,
                description="Language of the PDF; by default the one the report was generated in.",
            )
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF file."),
            404: OpenApiResponse(description="No ready report with this id in your organization."),
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        language = choice_param(request, "lang", PDF_LANGUAGES)
        report = selectors.report_get_for_pdf(ctx=request.org_ctx, pk=pk)
        return pdf_response(report, language=language)
