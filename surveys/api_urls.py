from django.urls import include, path

urlpatterns = [
    path("", include("surveys.distribution.api_urls")),
    path("", include("surveys.ingestion.api_urls")),
]
