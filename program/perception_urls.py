"""Routes of the perception area: `urlpatterns` (pages, namespace "program") and `api_urlpatterns` (under /api/v1/)."""

from django.urls import path

from program import api_perception, views_perception

urlpatterns: list = [
    path("perception/", views_perception.perception_list, name="perception_list"),
    path("perception/new/", views_perception.perception_create, name="perception_create"),
    path("perception/<int:pk>/", views_perception.perception_detail, name="perception_detail"),
]
api_urlpatterns: list = [
    path(
        "program/perception-surveys/",
        api_perception.PerceptionSurveyListView.as_view(),
        name="program-perception-list",
    ),
    path(
        "program/perception-surveys/<int:pk>/gap/",
        api_perception.PerceptionGapView.as_view(),
        name="program-perception-gap",
    ),
]
