from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.home, name="home"),
    path("subjects/<int:customer_pk>/", views.subject, name="subject"),
    path("subjects/<int:customer_pk>/export/", views.subject_export, name="subject_export"),
    path("subjects/<int:customer_pk>/erase/", views.subject_erase, name="subject_erase"),
    path("subjects/<int:customer_pk>/consent/", views.subject_consent, name="subject_consent"),
    path("retention/", views.retention_policy, name="retention_policy"),
    path("retention/run/", views.retention_run_now, name="retention_run"),
    path("retention/runs/", views.retention_runs, name="retention_runs"),
]
