"""Single sign-on per organization, against a real OpenID Connect provider on a local port (oidc_provider.py).

The Django test client follows the redirects by hand: our start URL -> the provider's /authorize over real HTTP ->
our callback, which talks to the provider's /token, /jwks and /userinfo over real HTTP.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse

from accounts.models import Membership, Role, SsoProvider
from accounts.scoping import SESSION_KEY, SSO_SESSION_KEY
from audit.models import AuditEvent
from tests.accounts.oidc_provider import OidcProvider
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_provider_allowed(settings):
    # The test provider runs over plain http on 127.0.0.1: both are refused unless allowed (off in production).
    settings.ACCOUNTS_SSO_ALLOW_HTTP = True
    settings.ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES = True
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def idp():
    provider = OidcProvider().start()
    yield provider
    provider.stop()


def configure(org, idp: OidcProvider, **fields) -> SsoProvider:
    values = {
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "allowed_domains": ["example.com"],
        **fields,
    }
    return SsoProvider.objects.create(organization=org, **values)


def as_user(idp: OidcProvider, user, **claims) -> None:
    idp.claims = {"sub": f"sub-{user.pk}", "email": user.email, "email_verified": True, **claims}


def go_to_provider(client, slug: str, idp: OidcProvider, next_url: str = ""):
    """Our start URL, then the provider's /authorize; returns the callback URL the provider sends the browser to."""
    start = reverse("accounts:sso_start", args=[slug]) + (f"?{urlencode({'next': next_url})}" if next_url else "")
    response = client.get(start)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{idp.issuer}/authorize?")
    at_idp = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert at_idp.status_code == 302
    back = urlparse(at_idp.headers["Location"])
    assert back.netloc == "testserver"
    return back


def sso_sign_in(client, slug: str, idp: OidcProvider, next_url: str = ""):
    back = go_to_provider(client, slug, idp, next_url)
    return client.get(f"{back.path}?{back.query}")


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_member_signs_in_through_their_organizations_provider(client, cast_a, idp):
    configure(cast_a.org, idp)
    user = cast_a.cx_manager.user
    as_user(idp, user)
    response = sso_sign_in(client, cast_a.org.slug, idp, next_url=reverse("accounts:team_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:team_list")
    assert signed_in_user_id(client) == str(user.pk)
    assert client.session[SESSION_KEY] == cast_a.org.pk
    # Every step over real HTTP: discovery, the browser at /authorize, then our server at /token, /jwks, /userinfo.
    assert idp.requests[:2] == ["GET /.well-known/openid-configuration", "GET /authorize"]
    assert {"POST /token", "GET /jwks", "GET /userinfo"} <= set(idp.requests)
    page = client.get(reverse("accounts:team_list"))
    assert page.status_code == 200 and "Alpha Telecom support" in page.content.decode()
    event = AuditEvent.objects.get(action="login.sso")
    assert event.organization_id == cast_a.org.pk and event.actor_id == user.pk


def test_the_login_page_finds_the_provider_by_email_domain_or_slug(client, cast_a, cast_b, idp):
    configure(cast_a.org, idp, allowed_domains=["alpha.example"])
    page = client.get(reverse("accounts:login")).content.decode()
    assert "Sign in with your organization's SSO" in page
    by_mail = client.post(reverse("accounts:sso_lookup"), {"sso-organization": "Someone@Alpha.example"})
    assert by_mail.context["url"] == reverse("accounts:sso_start", args=[cast_a.org.slug])
    by_slug = client.post(reverse("accounts:sso_lookup"), {"sso-organization": cast_a.org.slug, "next": "/kpis/"})
    assert by_slug.context["url"] == reverse("accounts:sso_start", args=[cast_a.org.slug]) + "?next=%2Fkpis%2F"
    assert 'http-equiv="refresh"' in by_slug.content.decode()
    # An organization without SSO, or an unknown domain: back to the login page with a message.
    for value in (cast_b.org.slug, "x@nowhere.example"):
        response = client.post(reverse("accounts:sso_lookup"), {"sso-organization": value})
        assert response["Location"] == reverse("accounts:login")
        assert "No single sign-on is set up" in " ".join(messages_of(response))
    assert client.get(reverse("accounts:sso_start", args=[cast_b.org.slug])).status_code == 404


def test_a_new_person_becomes_a_member_with_the_default_role_when_the_organization_allows_it(client, cast_a, idp):
    configure(cast_a.org, idp, create_members=True, default_role=Role.EXECUTIVE, allowed_domains=["alpha.example"])
    idp.claims = {"sub": "new-1", "email": "Nora@alpha.example", "email_verified": True, "given_name": "Nora"}
    response = sso_sign_in(client, cast_a.org.slug, idp)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    membership = Membership.objects.get(organization=cast_a.org, user__email="nora@alpha.example")
    assert membership.role == Role.EXECUTIVE
    assert membership.user.first_name == "Nora" and not membership.user.has_usable_password()
    assert signed_in_user_id(client) == str(membership.user.pk)
    added = AuditEvent.objects.get(action="member.add")
    assert added.detail == {"role": "executive", "via": "sso"} and added.organization_id == cast_a.org.pk


def test_nobody_new_gets_in_when_the_organization_does_not_add_members(client, cast_a, idp):
    configure(cast_a.org, idp, create_members=False)
    idp.claims = {"sub": "new-2", "email": "stranger@example.com", "email_verified": True}
    response = sso_sign_in(client, cast_a.org.slug, idp)
    assert response["Location"] == reverse("accounts:login")
    assert "did not succeed" in " ".join(messages_of(response))
    assert signed_in_user_id(client) is None
    assert not Membership.objects.filter(user__email="stranger@example.com").exists()
    assert AuditEvent.objects.get(action="login.sso_failed").detail == {"reason": "not a member of the organization"}


def test_a_user_of_another_organization_is_never_signed_in_through_this_provider(client, cast_a, cast_b, idp):
    # Even with "add members on first sign-in" and the user's own domain allowed: the account belongs to org B.
    configure(cast_a.org, idp, create_members=True)
    as_user(idp, cast_b.admin.user)
    response = sso_sign_in(client, cast_a.org.slug, idp)
    assert response["Location"] == reverse("accounts:login")
    assert signed_in_user_id(client) is None
    assert not Membership.objects.filter(organization=cast_a.org, user=cast_b.admin.user).exists()


@pytest.mark.parametrize(
    ("knob", "value", "reason"),
    [
        ("nonce", "a-nonce-from-another-sign-in", "Nonce verification failed"),
        ("aud", "someone-elses-client", "Audience doesn't match"),
        ("iss", "https://evil.example", "Invalid issuer"),
        ("exp", "expired", "Signature has expired"),
        ("signature", "unknown key", "Signature verification failed"),
        ("email_verified", False, "not verified"),
        ("domain", "alpha-telecom.evil.example", "e-mail domain not allowed"),
    ],
)
def test_a_bad_id_token_or_claim_signs_nobody_in(client, cast_a, idp, knob, value, reason):
    configure(cast_a.org, idp)
    user = cast_a.cx_manager.user
    as_user(idp, user)
    if knob == "signature":
        idp.sign_with_unknown_key = True
    elif knob == "exp":
        idp.id_token_overrides = {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}
    elif knob == "email_verified":
        as_user(idp, user, email_verified=False)
    elif knob == "domain":
        user.email = f"{user.username}@{value}"
        user.save()
        as_user(idp, user)
    else:
        idp.id_token_overrides = {knob: value}
    response = sso_sign_in(client, cast_a.org.slug, idp)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert signed_in_user_id(client) is None
    assert client.get(reverse("accounts:team_list")).status_code == 302
    failure = AuditEvent.objects.get(action="login.sso_failed", organization=cast_a.org)
    assert reason in failure.detail["reason"]


@pytest.mark.parametrize(
    ("trust", "email_verified", "signed_in"), [(False, None, False), (True, None, True), (True, False, False)]
)
def test_a_provider_without_email_verified_is_trusted_only_when_the_admin_says_so(
    client, cast_a, idp, trust, email_verified, signed_in
):
    """Microsoft Entra ID sends no email_verified claim: trusted only if the admin ticks it (with allowed domains);
    an explicit "not verified" is refused all the same."""
    configure(cast_a.org, idp, trust_unmarked_email=trust)
    user = cast_a.cx_manager.user
    as_user(idp, user)
    if email_verified is None:
        idp.claims.pop("email_verified")
    else:
        idp.claims["email_verified"] = email_verified
    sso_sign_in(client, cast_a.org.slug, idp)
    assert (signed_in_user_id(client) == str(user.pk)) is signed_in


def test_a_forged_or_replayed_state_signs_nobody_in(client, cast_a, idp):
    configure(cast_a.org, idp)
    as_user(idp, cast_a.cx_manager.user)
    back = go_to_provider(client, cast_a.org.slug, idp)
    query = parse_qs(back.query)
    forged = client.get(back.path, {"code": query["code"][0], "state": "not-the-state-we-sent"})
    assert forged.status_code == 302 and forged["Location"] == reverse("accounts:login")
    assert signed_in_user_id(client) is None
    # The real state once: signed in; the same callback again (a replay) on a fresh browser: refused.
    assert client.get(f"{back.path}?{back.query}")["Location"] == reverse("home")
    other = type(client)()
    replay = other.get(f"{back.path}?{back.query}")
    assert replay["Location"] == reverse("accounts:login") and other.session.get("_auth_user_id") is None


def test_a_state_started_for_one_organization_is_refused_at_anothers_callback(client, cast_a, cast_b, idp):
    configure(cast_a.org, idp)
    configure(cast_b.org, idp)
    member_of_both = cast_a.cx_manager.user
    MembershipFactory(organization=cast_b.org, user=member_of_both, role=Role.ADMIN)
    as_user(idp, member_of_both)
    back = go_to_provider(client, cast_a.org.slug, idp)
    at_b = client.get(reverse("accounts:sso_callback", args=[cast_b.org.slug]) + "?" + back.query)
    assert at_b["Location"] == reverse("accounts:login")
    assert signed_in_user_id(client) is None


def test_a_session_signed_in_through_one_organizations_provider_works_in_that_organization_only(
    client, cast_a, cast_b, idp
):
    configure(cast_b.org, idp)
    user = cast_a.cx_manager.user
    MembershipFactory(organization=cast_b.org, user=user, role=Role.CX_MANAGER)
    as_user(idp, user)
    sso_sign_in(client, cast_b.org.slug, idp)
    assert client.session[SSO_SESSION_KEY] == cast_b.org.pk
    page = client.get(reverse("accounts:team_list")).content.decode()
    assert "Beta Broadband support" in page
    # Org B's provider vouches for nothing in org A: switching is refused, the session stays in B.
    response = client.post(reverse("accounts:switch_organization"), {"organization": cast_a.org.pk})
    assert "sign out and in again" in " ".join(messages_of(response))
    session = client.session
    session[SESSION_KEY] = cast_a.org.pk
    session.save()
    page = client.get(reverse("accounts:team_list")).content.decode()
    assert "Beta Broadband support" in page and "Alpha Telecom support" not in page


def test_sso_required_refuses_the_password_without_counting_a_failure(client, cast_a, idp):
    configure(cast_a.org, idp, sso_required=True)
    user = cast_a.frontline.user
    responses = [
        client.post(reverse("accounts:login"), {"username": user.username, "password": "password"}) for _ in range(6)
    ]
    assert {r.status_code for r in responses} == {200}  # never 429: a right password is no brute force
    assert "signs in with single sign-on only" in responses[-1].content.decode()
    assert signed_in_user_id(client) is None
    assert not AuditEvent.objects.filter(action="login.failed").exists()
    as_user(idp, user)
    assert sso_sign_in(client, cast_a.org.slug, idp)["Location"] == reverse("home")


def test_an_admin_configures_sso_and_the_change_is_audited_without_the_secret(client_for, cast_a, idp):
    c = client_for(cast_a.admin)
    url = reverse("accounts:sso_settings")
    page = c.get(url).content.decode()
    assert f"/accounts/sso/{cast_a.org.slug}/callback/" in page
    data = {
        "issuer": idp.issuer + "/",
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "allowed_domains": "Example.com, @alpha.example",
        "create_members": "on",
        "default_role": Role.FRONTLINE,
        "enabled": "on",
    }
    assert c.post(url, data).status_code == 302
    provider = SsoProvider.objects.get(organization=cast_a.org)
    assert provider.issuer == idp.issuer and provider.allowed_domains == ["alpha.example", "example.com"]
    assert provider.client_secret == idp.client_secret
    event = AuditEvent.objects.get(action="sso.config_change")
    assert event.detail["client_secret_changed"] is True
    assert idp.client_secret not in str(event.detail)
    assert idp.client_secret not in c.get(url).content.decode()

    # An empty secret keeps the stored one; "SSO required" needs a sign-in through the provider first.
    refused = c.post(url, {**data, "client_secret": "", "sso_required": "on"})
    assert refused.status_code == 200 and "Sign in once with this provider first" in refused.content.decode()
    assert c.post(url, {**data, "client_secret": "", "create_members": ""}).status_code == 302
    provider.refresh_from_db()
    assert provider.client_secret == idp.client_secret and provider.create_members is False
    change = AuditEvent.objects.filter(action="sso.config_change").order_by("-pk").first()
    assert change.detail == {"create_members": {"old": True, "new": False}}

    # A provider whose discovery cannot be read is refused.
    bad = c.post(url, {**data, "issuer": "http://127.0.0.1:9/nothing"})
    assert bad.status_code == 200 and "discovery document could not be read." in bad.content.decode()


@pytest.mark.parametrize("role", [Role.CX_MANAGER, Role.FRONTLINE, Role.EXECUTIVE])
def test_only_admins_see_or_change_the_sso_settings(client_for, cast_a, role, idp):
    c = client_for(cast_a.member(role))
    assert c.get(reverse("accounts:sso_settings")).status_code == 403
    assert c.post(reverse("accounts:sso_settings"), {"issuer": idp.issuer}).status_code == 403
    assert not SsoProvider.objects.exists()


def test_another_organizations_admin_sees_and_changes_only_their_own_provider(client_for, cast_a, cast_b, idp):
    configure(cast_a.org, idp)
    c = client_for(cast_b.admin)
    page = c.get(reverse("accounts:sso_settings")).content.decode()
    assert idp.client_id not in page and idp.issuer not in page
    c.post(
        reverse("accounts:sso_settings"),
        {"issuer": idp.issuer, "client_id": "b-client", "client_secret": "b-secret", "default_role": "frontline"},
    )
    assert SsoProvider.objects.get(organization=cast_a.org).client_id == idp.client_id
    assert SsoProvider.objects.get(organization=cast_b.org).client_id == "b-client"


def test_a_disabled_provider_cannot_be_used(client, cast_a, idp):
    configure(cast_a.org, idp, enabled=False)
    assert client.get(reverse("accounts:sso_start", args=[cast_a.org.slug])).status_code == 404
    callback = reverse("accounts:sso_callback", args=[cast_a.org.slug])
    assert client.get(callback, {"code": "x", "state": "y"}).status_code == 404


def test_a_flood_of_forged_callbacks_does_not_fill_the_audit_log(client, cast_a, idp, settings):
    settings.ACCOUNTS_LOGIN_MAX_FAILURES_PER_IP = 3
    configure(cast_a.org, idp)
    callback = reverse("accounts:sso_callback", args=[cast_a.org.slug])
    for i in range(8):
        assert client.get(callback, {"code": f"c{i}", "state": f"s{i}"})["Location"] == reverse("accounts:login")
    assert AuditEvent.objects.filter(action="login.sso_failed").count() == 3


# --- SSRF: the server calls a provider only on public addresses (core.netguard) ----------------------------------


def test_a_provider_on_a_private_address_is_refused_when_saved_and_never_called(client_for, cast_a, idp, settings):
    settings.ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES = False
    c = client_for(cast_a.admin)
    data = {
        "issuer": idp.issuer,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "allowed_domains": "example.com",
        "default_role": Role.FRONTLINE,
        "enabled": "on",
    }
    refused = c.post(reverse("accounts:sso_settings"), data)
    assert refused.status_code == 200
    assert "not a public internet address" in refused.content.decode()
    assert "127.0.0.1" not in refused.content.decode().split('name="issuer"')[0]  # the address is logged, not shown
    assert not SsoProvider.objects.filter(organization=cast_a.org).exists()
    assert idp.requests == []  # no connection was made


def test_a_provider_saved_while_private_addresses_were_allowed_is_not_called_once_they_are_not(
    client, cast_a, idp, settings
):
    configure(cast_a.org, idp)
    settings.ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES = False
    response = client.get(reverse("accounts:sso_start", args=[cast_a.org.slug]))
    assert response["Location"] == reverse("accounts:login")
    assert "not available right now" in " ".join(messages_of(response))
    # A callback with a code and a state (forged or not) makes no call to the token or key endpoints either.
    callback = reverse("accounts:sso_callback", args=[cast_a.org.slug])
    assert client.get(callback, {"code": "c", "state": "s"})["Location"] == reverse("accounts:login")
    assert idp.requests == []


def test_the_token_and_key_endpoints_are_checked_like_the_issuer(cast_a, idp, settings):
    """A public issuer whose discovery document points the server at the metadata service is refused."""
    from accounts.sso import SsoError, check_endpoint, discover

    settings.ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES = False
    for url in ("http://169.254.169.254/latest/meta-data/", "http://[::1]:8080/jwks", "http://10.0.0.7/token"):
        with pytest.raises(SsoError, match="not a public internet address"):
            check_endpoint(url)
    # Allowed private addresses (the local provider) still do not let a document name an endpoint elsewhere over an
    # unchecked scheme.
    settings.ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES = True
    idp.discovery_overrides = {"jwks_uri": "file:///etc/passwd"}
    with pytest.raises(SsoError, match="https"):
        discover(idp.issuer, fresh=True)
