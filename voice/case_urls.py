"""The voice part of the case page (included by voice/urls.py, under the "voice" namespace)."""

from django.urls import path

from voice import case_views

urlpatterns = [
    path(
        "cases/<int:pk>/suggestion/confirm/",
        case_views.case_suggestion_confirm,
        name="case_suggestion_confirm",
    ),
]
