"""PDF download and report subscriptions (namespace "reports", included by reports.urls)."""

urlpatterns: list = []
