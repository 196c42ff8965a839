"""Routes of the synergy area: `urlpatterns` (pages, namespace "program") and `api_urlpatterns` (under /api/v1/)."""

from django.urls import path

from program import api_synergy, views_synergy

urlpatterns: list = [
    path("compound-failures/", views_synergy.compound, name="compound"),
    path("customers/<int:customer_pk>/history/", views_synergy.customer_history, name="customer_history"),
    path(
        "customers/<int:customer_pk>/history/summary/",
        views_synergy.customer_history_summary,
        name="customer_history_summary",
    ),
]
api_urlpatterns: list = [
    path("program/compound-failures/", api_synergy.CompoundFailuresView.as_view(), name="program-compound"),
    path(
        "program/customers/<int:customer_pk>/history/",
        api_synergy.CustomerHistoryView.as_view(),
        name="program-customer-history",
    ),
]
