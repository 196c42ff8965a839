from rest_framework.routers import DefaultRouter

from journeys import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("personas", api.PersonaViewSet, basename="persona")
router.register("journeys", api.JourneyViewSet, basename="journey")
router.register("stages", api.StageViewSet, basename="stage")
router.register("touchpoints", api.TouchpointViewSet, basename="touchpoint")

urlpatterns = router.urls
