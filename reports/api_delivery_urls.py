"""Report API: a generated report's PDF."""

from django.urls import path

from reports.delivery import api

urlpatterns = [
    path("reports/<int:pk>/pdf/", api.ReportPdfView.as_view(), name="report-pdf"),
]
