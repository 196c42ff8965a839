"""Report API (JSON and PDF of generated reports)."""

urlpatterns: list = []
