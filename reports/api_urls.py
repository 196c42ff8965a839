"""Report API (included under /api/v1/)."""

from django.urls import include, path

urlpatterns = [
    path("", include("reports.api_report_urls")),
    path("", include("reports.api_delivery_urls")),
]
