"""Routes of the health area: `urlpatterns` (pages, namespace "program") and `api_urlpatterns` (under /api/v1/)."""

from django.urls import path

from program import api_health, views_health

urlpatterns: list = [
    path("health/", views_health.health, name="health"),
    path("health/recompute/", views_health.health_recompute, name="health_recompute"),
    path("settings/", views_health.program_settings, name="settings"),
]
api_urlpatterns: list = [
    path("program/health/", api_health.HealthView.as_view(), name="program-health"),
]
