from django.urls import path
from rest_framework.routers import SimpleRouter

from kpis import api

router = SimpleRouter()
router.register("kpis", api.KpiViewSet, basename="kpi")
router.register("targets", api.TargetViewSet, basename="target")
router.register("benchmarks", api.BenchmarkViewSet, basename="benchmark")
router.register("kpi-values", api.KpiValueViewSet, basename="kpi-value")

urlpatterns = [
    path("rollups/", api.RollupView.as_view(), name="rollups"),
    *router.urls,
]
