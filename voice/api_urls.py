"""Voice API routes (included under /api/v1/): everything under voice/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from voice import api

router = SimpleRouter()
router.register("voice/themes", api.ThemeViewSet, basename="voice-theme")
router.register("voice/comments", api.CommentViewSet, basename="voice-comment")
router.register("voice/proposals", api.ProposalViewSet, basename="voice-proposal")
router.register("voice/runs", api.RunViewSet, basename="voice-run")

urlpatterns = [
    path("voice/taxonomy/", api.TaxonomyView.as_view(), name="voice-taxonomy"),
    path("voice/theme-stats/", api.ThemeStatsView.as_view(), name="voice-theme-stats"),
    path("voice/emerging/", api.EmergingView.as_view(), name="voice-emerging"),
    path("voice/discovery/", api.DiscoveryView.as_view(), name="voice-discovery"),
    *router.urls,
]
