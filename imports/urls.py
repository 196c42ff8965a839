from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.job_list, name="job_list"),
    path("new/", views.job_create, name="job_create"),
    path("sample/<slug:kind>.csv", views.sample_csv, name="sample_csv"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/mapping/", views.job_mapping, name="job_mapping"),
    path("<int:pk>/discard/", views.job_discard, name="job_discard"),
    path("<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("<int:pk>/errors.csv", views.job_error_report, name="job_error_report"),
]
