"""Included by surveys/urls.py under /surveys/responses/ (namespace "surveys"), after surveys/explorer/urls.py."""

from django.urls import path

from surveys.ingestion import views

urlpatterns = [
    path("import/", views.response_import, name="response_import"),
    path("import/<int:pk>/columns/", views.response_import_map, name="response_import_map"),
    path("import/<int:pk>/split/", views.response_import_split, name="response_import_split"),
    path("import/<int:pk>/cancel/", views.response_import_cancel, name="response_import_cancel"),
]
