"""Report API: a generated report's PDF."""

urlpatterns: list = []
