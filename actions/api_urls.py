from rest_framework.routers import DefaultRouter

from actions import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("cases", api.CaseViewSet, basename="case")
router.register("root-causes", api.RootCauseViewSet, basename="root-cause")
router.register("improvement-actions", api.ImprovementActionViewSet, basename="improvement-action")

urlpatterns = router.urls
