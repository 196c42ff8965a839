"""A member signs in with their organization's single sign-on in Chromium, against the local OIDC provider."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import SsoProvider
from audit.models import AuditEvent
from tests.accounts.oidc_provider import OidcProvider
from tests.conftest import _make_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_signs_in_with_sso_from_the_login_page(live_server, chromium, settings):
    settings.ACCOUNTS_SSO_ALLOW_HTTP = True  # the local provider: plain http on 127.0.0.1 (both off in production)
    settings.ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES = True
    cache.clear()
    cast = _make_cast("Browser Telecom")
    user = cast.cx_manager.user
    idp = OidcProvider(claims={"sub": "b-1", "email": user.email, "email_verified": True}).start()
    try:
        SsoProvider.objects.create(
            organization=cast.org,
            issuer=idp.issuer,
            client_id=idp.client_id,
            client_secret=idp.client_secret,
            allowed_domains=["example.com"],
        )
        context = chromium.new_context()
        page = context.new_page()
        page.set_default_timeout(15000)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live_server.url + reverse("accounts:team_list"))  # -> the login page, next = the team list
        page.fill("#id_sso-organization", user.email)
        with page.expect_navigation(url=f"{live_server.url}{reverse('accounts:team_list')}"):
            page.click("[data-testid=sso-form] button[type=submit]")
        assert page.get_by_text("Browser Telecom support").is_visible()
        context.close()
    finally:
        idp.stop()
    assert "GET /authorize" in idp.requests and "POST /token" in idp.requests
    assert AuditEvent.objects.filter(action="login.sso", actor=user).count() == 1
    assert errors == []
