from django.urls import path

from value import views

app_name = "value"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("recompute/", views.recompute, name="recompute"),
    path("drivers/settings/", views.driver_settings, name="driver_settings"),
]
