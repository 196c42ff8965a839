"""PDF download and report subscriptions (namespace "reports", included by reports.urls)."""

from django.urls import path

from reports.delivery import views

urlpatterns = [
    path("<int:pk>/pdf/", views.report_pdf, name="report_pdf"),
    path("subscriptions/", views.subscription, name="subscription"),
    path("subscriptions/manage/", views.subscription_manage, name="subscription_manage"),
    path("subscriptions/members/<int:pk>/", views.subscription_member, name="subscription_member"),
]
