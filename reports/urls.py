from django.urls import include, path

app_name = "reports"

# The monthly report (reports.monthly_urls), its PDF and subscriptions (reports.delivery_urls) and the owner
# scorecards (reports.scorecard_urls) share the namespace.
urlpatterns = [
    path("", include("reports.monthly_urls")),
    path("", include("reports.delivery_urls")),
    path("scorecards/", include("reports.scorecard_urls")),
]
