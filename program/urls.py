"""Pages of the CX program (namespace "program"); each area keeps its own routes module."""

from program import health_urls, perception_urls, synergy_urls, updates_urls

app_name = "program"

urlpatterns = [
    *perception_urls.urlpatterns,
    *health_urls.urlpatterns,
    *synergy_urls.urlpatterns,
    *updates_urls.urlpatterns,
]
