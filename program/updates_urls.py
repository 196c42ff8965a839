"""Routes of the updates area: `urlpatterns` (pages, namespace "program") and `api_urlpatterns` (under /api/v1/)."""

from django.urls import path

from program import api_updates, views_updates

urlpatterns = [
    path("improvements/<int:pk>/tell-customers/", views_updates.improvement_tell, name="improvement_tell"),
    path("customer-updates/", views_updates.customer_update_list, name="customer_update_list"),
    path("customer-updates/<int:pk>/", views_updates.customer_update_detail, name="customer_update_detail"),
]
api_urlpatterns = [
    path(
        "program/customer-updates/",
        api_updates.CustomerUpdateListView.as_view(),
        name="program-customer-update-list",
    ),
    path(
        "program/customer-updates/<int:pk>/",
        api_updates.CustomerUpdateDetailView.as_view(),
        name="program-customer-update-detail",
    ),
]
