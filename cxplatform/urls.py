from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.throttle import throttle_admin_login
from cxplatform import views

# The admin signs in through our own sign-in page (same limits, two-factor step, single sign-on; accounts.throttle).
admin.site.login = throttle_admin_login(admin.site.login)

api_v1 = [
    path("", include("journeys.api_urls")),
    path("", include("customers.api_urls")),
    path("", include("imports.api_urls")),
    path("", include("surveys.api_urls")),
    path("", include("kpis.api_urls")),
    path("", include("value.api_urls")),
    path("", include("actions.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("audit.api_urls")),
    path("", include("privacy.api_urls")),
    path("", include("webhooks.api_urls")),
    path("", include("voice.api_urls")),
    path("", include("program.api_urls")),
]

# Styled error pages; under /api/ (e.g. a URL that matches no route) they answer JSON like every other API error.
handler403 = "cxplatform.views.permission_denied"
handler404 = "cxplatform.views.page_not_found"
handler500 = "cxplatform.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/", include("accounts.urls")),
    path("journeys/", include("journeys.urls")),
    path("customers/", include("customers.urls")),
    path("imports/", include("imports.urls")),
    path("surveys/", include("surveys.urls")),
    path("kpis/", include("kpis.urls")),
    path("value/", include("value.urls")),
    path("actions/", include("actions.urls")),
    path("reports/", include("reports.urls")),
    path("voice/", include("voice.urls")),
    path("program/", include("program.urls")),
    path("audit/", include("audit.urls")),
    path("privacy/", include("privacy.urls")),
    path("webhooks/", include("webhooks.urls")),
    # Public, unauthenticated survey pages for respondents.
    path("s/", include("surveys.public_urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
# Uploaded files (imports, error reports) are never served from MEDIA_URL: only through scoped views.
