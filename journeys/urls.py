from django.urls import path

from journeys import views

app_name = "journeys"

urlpatterns = [
    path("", views.journey_list, name="journey_list"),
    path("new/", views.journey_create, name="journey_create"),
    path("<int:pk>/", views.journey_map, name="journey_map"),
    path("<int:pk>/edit/", views.journey_edit, name="journey_edit"),
    path("<int:pk>/archive/", views.journey_archive, name="journey_archive"),
    path("<int:journey_pk>/stages/new/", views.stage_create, name="stage_create"),
    path("stages/<int:pk>/edit/", views.stage_edit, name="stage_edit"),
    path("stages/<int:pk>/move/", views.stage_move, name="stage_move"),
    path("stages/<int:pk>/delete/", views.stage_delete, name="stage_delete"),
    path("stages/<int:stage_pk>/touchpoints/new/", views.touchpoint_create, name="touchpoint_create"),
    path("touchpoints/<int:pk>/", views.touchpoint_detail, name="touchpoint_detail"),
    path("touchpoints/<int:pk>/edit/", views.touchpoint_edit, name="touchpoint_edit"),
    path("touchpoints/<int:pk>/move/", views.touchpoint_move, name="touchpoint_move"),
    path("touchpoints/<int:pk>/active/", views.touchpoint_set_active, name="touchpoint_set_active"),
    path("personas/", views.persona_list, name="persona_list"),
    path("personas/new/", views.persona_create, name="persona_create"),
    path("personas/<int:pk>/edit/", views.persona_edit, name="persona_edit"),
    path("personas/<int:pk>/archive/", views.persona_archive, name="persona_archive"),
]
