"""Included by surveys/urls.py under /surveys/responses/ (namespace "surveys"), beside surveys/ingestion/urls.py."""

from django.urls import path

from surveys.explorer import views

urlpatterns = [
    path("", views.response_list, name="response_list"),
    path("<int:pk>/", views.response_detail, name="response_detail"),
    path("saved/", views.saved_filter_create, name="saved_filter_create"),
    path("saved/<int:pk>/", views.saved_filter_apply, name="saved_filter_apply"),
    path("saved/<int:pk>/delete/", views.saved_filter_delete, name="saved_filter_delete"),
    path("export.csv", views.response_export_csv, name="response_export_csv"),
    path("export.xlsx", views.response_export_xlsx, name="response_export_xlsx"),
]
