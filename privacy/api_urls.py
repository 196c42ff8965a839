"""Privacy API (included under /api/v1/)."""

from django.urls import path

from privacy import api

urlpatterns = [
    path("privacy/subjects/", api.SubjectFindView.as_view(), name="privacy-subject-find"),
    path("privacy/subjects/<int:customer_pk>/export/", api.SubjectExportView.as_view(), name="privacy-subject-export"),
    path("privacy/subjects/<int:customer_pk>/erase/", api.SubjectEraseView.as_view(), name="privacy-subject-erase"),
    path(
        "privacy/subjects/<int:customer_pk>/consent/", api.SubjectConsentView.as_view(), name="privacy-subject-consent"
    ),
    path("privacy/retention-policy/", api.RetentionPolicyView.as_view(), name="privacy-retention-policy"),
]
