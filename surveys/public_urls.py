from django.urls import path

from surveys.public import views

app_name = "public"

urlpatterns = [
    path("t/<str:token>/", views.link_survey, name="link"),
    path("t/<str:token>/thanks/", views.link_thanks, name="link_thanks"),
    path("i/<str:token>/", views.invitation_survey, name="invitation"),
    path("i/<str:token>/thanks/", views.invitation_thanks, name="invitation_thanks"),
]
