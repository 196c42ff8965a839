from django.urls import path
from rest_framework.routers import SimpleRouter

from value import api

router = SimpleRouter()
router.register("revenue", api.RevenueViewSet, basename="revenue")
router.register("churn-events", api.ChurnEventViewSet, basename="churn-event")

urlpatterns = [
    path("value/snapshot/", api.LatestSnapshotView.as_view(), name="value-snapshot-latest"),
    path("value/touchpoints/", api.TouchpointValuesView.as_view(), name="value-touchpoints"),
    *router.urls,
]
