from django.urls import include, path

app_name = "surveys"

urlpatterns = [
    # Response explorer and imports (surveys.ingestion).
    path("responses/", include("surveys.ingestion.urls")),
]
