from rest_framework.routers import SimpleRouter

from surveys.ingestion.api import ResponseViewSet

router = SimpleRouter()
router.register("responses", ResponseViewSet, basename="response")

urlpatterns = router.urls
