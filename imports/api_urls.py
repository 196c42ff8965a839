from rest_framework.routers import SimpleRouter

from imports.api import ImportJobViewSet

router = SimpleRouter()
router.register("imports", ImportJobViewSet, basename="import")

urlpatterns = router.urls
