"""Program API routes (included under /api/v1/): everything under program/ (API-key scope "program")."""

from program import health_urls, perception_urls, synergy_urls, updates_urls

urlpatterns = [
    *perception_urls.api_urlpatterns,
    *health_urls.api_urlpatterns,
    *synergy_urls.api_urlpatterns,
    *updates_urls.api_urlpatterns,
]
