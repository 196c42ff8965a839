from django.urls import path

from kpis import views

app_name = "kpis"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("gap/", views.journey_dashboard, name="journey_dashboard"),
    path("touchpoints/<int:pk>/", views.touchpoint_dashboard, name="touchpoint_dashboard"),
    path("definitions/", views.kpi_list, name="kpi_list"),
    path("definitions/new/", views.kpi_create, name="kpi_create"),
    path("definitions/<int:pk>/", views.kpi_detail, name="kpi_detail"),
    path("definitions/<int:pk>/edit/", views.kpi_edit, name="kpi_edit"),
    path("definitions/<int:pk>/delete/", views.kpi_delete, name="kpi_delete"),
    path("definitions/<int:kpi_pk>/targets/new/", views.target_create, name="target_create"),
    path("targets/<int:pk>/edit/", views.target_edit, name="target_edit"),
    path("targets/<int:pk>/delete/", views.target_delete, name="target_delete"),
    path("definitions/<int:kpi_pk>/benchmarks/new/", views.benchmark_create, name="benchmark_create"),
    path("benchmarks/<int:pk>/edit/", views.benchmark_edit, name="benchmark_edit"),
    path("benchmarks/<int:pk>/delete/", views.benchmark_delete, name="benchmark_delete"),
]
