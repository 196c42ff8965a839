from django.urls import path

from surveys.distribution.api import TouchpointEventView

urlpatterns = [
    path("touchpoint-events/", TouchpointEventView.as_view(), name="touchpoint-events"),
]
