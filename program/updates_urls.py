"""Routes of the updates area: `urlpatterns` (pages, namespace "program") and `api_urlpatterns` (under /api/v1/)."""

urlpatterns: list = []
api_urlpatterns: list = []
