"""Routes of the health area: `urlpatterns` (pages, namespace "program") and `api_urlpatterns` (under /api/v1/)."""

urlpatterns: list = []
api_urlpatterns: list = []
