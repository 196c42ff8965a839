"""Report API: generated reports and their figures (JSON)."""

from rest_framework.routers import SimpleRouter

from reports import api

router = SimpleRouter()
router.register("reports", api.MonthlyReportViewSet, basename="monthly-report")

urlpatterns = [*router.urls]
