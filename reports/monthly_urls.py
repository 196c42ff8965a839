"""Monthly report pages (namespace "reports", included by reports.urls)."""

urlpatterns: list = []
