"""Report API: generated reports and their figures (JSON)."""

urlpatterns: list = []
