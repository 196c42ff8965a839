"""One styled error page for 403, 404 and 500 (DEBUG off): the menu for a signed-in user, a plain page otherwise, a
clear message and a way back; under /api/ every error stays JSON. This module is also the URLconf of its tests: the
project's URLs plus two views that fail on purpose."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.template import loader
from django.test import Client, RequestFactory
from django.urls import include, path

from cxplatform import urls as project_urls
from cxplatform import views


def _boom(request):
    raise RuntimeError("a bug in a view")


def _forbidden(request):
    raise PermissionDenied


urlpatterns = [
    path("boom/", _boom),
    path("api/v1/boom/", _boom),
    path("api/v1/forbidden/", _forbidden),
    path("", include(project_urls.urlpatterns)),
]
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.fixture(autouse=True)
def _production_errors(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


def _client(membership=None) -> Client:
    client = Client(raise_request_exception=False)
    if membership is not None:
        client.force_login(membership.user)
    return client


def _link(html: str, testid: str) -> str | None:
    """The href of the link with that data-testid, None when there is none."""
    found = re.search(rf'<a\b[^>]*href="([^"]*)"[^>]*data-testid="{testid}"', html)
    return found.group(1) if found else None


def _page(response) -> str:
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.mark.django_db
def test_a_403_is_the_styled_page_with_the_menu_and_a_way_back(cast_a):
    response = _client(cast_a.frontline).get("/surveys/contact-decisions/", HTTP_REFERER="http://testserver/actions/")
    assert response.status_code == 403
    html = _page(response)
    assert 'data-status="403"' in html
    assert "You do not have access to this page" in html
    assert 'data-testid="site-nav"' in html  # the signed-in user keeps the menu
    assert _link(html, "error-back") == "http://testserver/actions/"
    assert _link(html, "error-home") == "/"


@pytest.mark.django_db
def test_a_404_for_a_signed_in_user_has_the_menu_and_no_foreign_back_link(cast_a):
    response = _client(cast_a.admin).get("/no/such/page/", HTTP_REFERER="https://evil.example/")
    assert response.status_code == 404
    html = _page(response)
    assert 'data-status="404"' in html and "We could not find this page" in html
    assert 'data-testid="site-nav"' in html
    assert "evil.example" not in html and _link(html, "error-back") is None  # back only to our own pages
    assert _link(html, "error-home") == "/"


@pytest.mark.django_db
def test_a_404_for_a_visitor_is_a_plain_page_with_a_way_to_sign_in():
    response = _client().get("/no/such/page/")
    assert response.status_code == 404
    html = _page(response)
    assert 'data-status="404"' in html
    assert 'data-testid="site-nav"' not in html
    assert _link(html, "error-home") == "/accounts/login/"


@pytest.mark.django_db
def test_a_500_is_the_styled_page(cast_a):
    response = _client(cast_a.admin).get("/boom/")
    assert response.status_code == 500
    html = _page(response)
    assert 'data-status="500"' in html and "Something went wrong on our side" in html
    assert _link(html, "error-home") == "/" and _link(html, "error-back") == "/"
    assert "a bug in a view" not in html


def test_the_500_page_renders_with_no_database_and_no_request():
    # No django_db mark: any query here would fail the test.
    html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html
    response = views.server_error(RequestFactory().get("/anything/"))
    assert response.status_code == 500 and 'data-status="500"' in response.content.decode()


@pytest.mark.django_db
def test_errors_under_api_stay_json(cast_a):
    client = _client()
    for url, status in (("/api/v1/boom/", 500), ("/api/v1/forbidden/", 403), ("/api/v1/kpis/1.5/", 404)):
        response = client.get(url)
        assert response.status_code == status, url
        assert response["Content-Type"] == "application/json", url
        assert set(response.json()) == {"detail"}, url
    assert client.get("/api/v1/kpis/1.5/").json() == {"detail": "Not found."}
    # The API's own errors (DRF's exception handler) are untouched: no key is a JSON 401/403.
    refused = client.get("/api/v1/journeys/")
    assert refused.status_code in (401, 403) and refused["Content-Type"] == "application/json"
