"""Included by surveys/urls.py under /surveys/responses/ (namespace "surveys")."""

from django.urls import path

from surveys.ingestion import views

urlpatterns = [
    path("", views.response_list, name="response_list"),
    path("<int:pk>/", views.response_detail, name="response_detail"),
    path("saved/", views.saved_filter_create, name="saved_filter_create"),
    path("saved/<int:pk>/", views.saved_filter_apply, name="saved_filter_apply"),
    path("saved/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("export.csv", views.response_export_csv, name="response_export_csv"),
    path("export.xlsx", views.response_export_xlsx, name="response_export_xlsx"),
    path("import/", views.response_import, name="response_import"),
    path("import/<int:pk>/columns/", views.response_import_map, name="response_import_map"),
    path("import/<int:pk>/split/", views.response_import_split, name="response_import_split"),
    path("import/<int:pk>/cancel/", views.response_import_cancel, name="response_import_cancel"),
]
