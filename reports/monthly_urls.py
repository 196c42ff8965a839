"""Monthly report pages (namespace "reports", included by reports.urls)."""

from django.urls import path

from reports import views

urlpatterns = [
    path("", views.archive, name="archive"),
    path("month/", views.month, name="month"),
    path("generate/", views.generate, name="generate"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/status/", views.report_status, name="report_status"),
    path("<int:pk>/changes/", views.report_changes, name="report_changes"),
]
