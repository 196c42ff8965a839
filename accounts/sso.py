"""Single sign-on with OpenID Connect, one provider per organization (accounts.models.SsoProvider).

mozilla-django-oidc does the protocol (state, nonce, PKCE, the code exchange, the JWKS look-up); it is configured
by settings for one provider, so the views and the backend here take the provider from the organization in the
URL instead, and its endpoints from the provider's discovery document. On top of the library:
- the id_token must be RS256 and is checked for issuer, audience, expiry and issue time (the library checks only
  the signature and the nonce);
- the e-mail must be verified by the provider and in the organization's allowed domains;
- only members of that organization are signed in (or new users, if it adds members on first sign-in): an account
  that belongs to other organizations is never taken over through this provider, and a session signed in through
  an organization's provider works in that organization only (accounts.scoping.context_for_session);
- every call to the provider (discovery, token, keys, userinfo) goes through core.netguard: the host is resolved
  and each connection goes only to a public address (no loopback, private, link-local or metadata address;
  redirects are not followed), unless ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES allows a provider on the local network.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import get_random_string
from django.utils.encoding import smart_str
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import add_state_and_verifier_and_nonce_to_session, generate_code_challenge
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
    get_next_url,
)

from accounts.models import SsoProvider
from accounts.scoping import AUTH_METHOD_KEY, SESSION_KEY, SSO_SESSION_KEY
from accounts.signals import send_access_event
from core import netguard, ratelimit

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
# Protocol settings of the library that are not per provider: fixed here, whatever the project settings say.
_FIXED = {
    "OIDC_USE_NONCE": True,
    "OIDC_USE_PKCE": True,
    "OIDC_ALLOW_UNSECURED_JWT": False,
    "OIDC_VERIFY_SSL": True,
    "OIDC_TOKEN_USE_BASIC_AUTH": False,
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_STORE_ID_TOKEN": False,
    "OIDC_RP_SCOPES": "openid email profile",
    "OIDC_REDIRECT_FIELD_NAME": "next",
}


def _library_setting(attr, *args):
    if attr in _FIXED:
        return _FIXED[attr]
    if attr == "OIDC_TIMEOUT":
        return settings.ACCOUNTS_SSO_TIMEOUT_SECONDS
    if attr == "OIDC_PROXY":
        return None
    return getattr(settings, attr, args[0] if args else None)


class SsoError(Exception):
    """A provider that cannot be used: no discovery document, an issuer that does not match, an insecure URL."""


def check_issuer_url(issuer: str) -> None:
    if not issuer.startswith("https://") and not (settings.ACCOUNTS_SSO_ALLOW_HTTP and issuer.startswith("http://")):
        raise SsoError(_("The issuer URL must start with https://."))


def check_endpoint(url: str) -> None:
    """Refuse a provider URL we would call from the server that is not https or not on a public address."""
    check_issuer_url(url)
    try:
        netguard.check_url(url, allow_private=settings.ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES)
    except netguard.UnsafeTarget as exc:
        # Logged with the address, shown without: an administrator must not map the servers our network reaches.
        logger.warning("OIDC provider URL refused: %s: %s", url, exc)
        raise SsoError(_("The provider's address is not a public internet address.")) from None


def http() -> requests.Session:
    """A session for calls to identity providers: every connection checked by core.netguard, no proxies."""
    return netguard.guarded_session(allow_private=settings.ACCOUNTS_SSO_ALLOW_PRIVATE_ADDRESSES)


def discover(issuer: str, *, fresh: bool = False) -> dict:
    """The provider's discovery document (cached for ACCOUNTS_SSO_DISCOVERY_CACHE_SECONDS)."""
    issuer = issuer.rstrip("/")
    check_endpoint(issuer)
    key = f"accounts:oidc-discovery:{issuer}"
    document = None if fresh else cache.get(key)
    if document is None:
        try:
            response = http().get(
                f"{issuer}/.well-known/openid-configuration",
                timeout=settings.ACCOUNTS_SSO_TIMEOUT_SECONDS,
                allow_redirects=False,
            )
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            # The reason is logged, not shown: an administrator must not map the servers our network reaches.
            logger.warning("OIDC discovery failed for %s: %s", issuer, exc)
            raise SsoError(_("The provider's discovery document could not be read.")) from None
        if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != issuer:
            raise SsoError(_("The provider's discovery document names another issuer."))
        missing = [name for name in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not document.get(name)]
        if missing:
            raise SsoError(_("The discovery document has no %(names)s.") % {"names": ", ".join(missing)})
        if ALGORITHM not in document.get("id_token_signing_alg_values_supported", [ALGORITHM]):
            raise SsoError(_("The provider does not sign id_tokens with RS256."))
        for name in ("token_endpoint", "jwks_uri", "userinfo_endpoint"):  # the ones the server calls
            if document.get(name):
                check_endpoint(str(document[name]))
        cache.set(key, document, settings.ACCOUNTS_SSO_DISCOVERY_CACHE_SECONDS)
    return document


def provider_for_slug(slug: str) -> SsoProvider:
    provider = SsoProvider.objects.select_related("organization").filter(organization__slug=slug, enabled=True).first()
    if provider is None:
        raise Http404
    return provider


def provider_lookup(value: str) -> SsoProvider | None:
    """The enabled provider for an organization slug or an e-mail address (or domain) it allows; None if not
    exactly one."""
    value = (value or "").strip().lower()
    if not value:
        return None
    enabled = SsoProvider.objects.select_related("organization").filter(enabled=True)
    if "@" not in value and "." not in value:
        return enabled.filter(organization__slug=value).first()
    domain = value.rsplit("@", 1)[-1]
    # Few providers per installation: matched in Python, so that the SQLite demo works too.
    found = [p for p in enabled if domain in p.allowed_domains]
    return found[0] if len(found) == 1 else None


def callback_url(request, provider: SsoProvider) -> str:
    return request.build_absolute_uri(reverse("accounts:sso_callback", args=[provider.organization.slug]))


class SsoStartView(OIDCAuthenticationRequestView):
    """GET /accounts/sso/<slug>/start/: send the browser to the organization's provider."""

    get_settings = staticmethod(_library_setting)

    def __init__(self, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(**kwargs)  # the endpoints come per request

    def get(self, request, slug: str):
        provider = provider_for_slug(slug)
        try:
            document = discover(provider.issuer)
        except SsoError as exc:
            logger.warning("SSO start failed for %s: %s", slug, exc)
            messages.error(request, _("Single sign-on is not available right now. Try again later."))
            return redirect("accounts:login")
        state = get_random_string(32)
        nonce = get_random_string(32)
        code_verifier = get_random_string(64)
        params = {
            "response_type": "code",
            "scope": _FIXED["OIDC_RP_SCOPES"],
            "client_id": provider.client_id,
            "redirect_uri": callback_url(request, provider),
            "state": state,
            "nonce": nonce,
            "code_challenge": generate_code_challenge(code_verifier, "S256"),
            "code_challenge_method": "S256",
        }
        add_state_and_verifier_and_nonce_to_session(request, state, params, code_verifier)
        # The state is bound to this provider: a callback for another organization does not accept it.
        request.session["oidc_states"][state]["provider"] = provider.pk
        request.session["oidc_login_next"] = get_next_url(request, "next")
        request.session.modified = True
        return HttpResponseRedirect(f"{document['authorization_endpoint']}?{urlencode(params)}")


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """GET /accounts/sso/<slug>/callback/: the provider sends the browser back with a code (or an error)."""

    get_settings = staticmethod(_library_setting)

    def get(self, request, slug: str):
        self.provider = provider_for_slug(slug)
        state = request.GET.get("state", "")
        entry = (request.session.get("oidc_states") or {}).get(state)
        if entry is not None and entry.get("provider") != self.provider.pk:
            return self.login_failure(reason="state of another provider")
        request.sso_provider = self.provider  # read by SsoBackend.authenticate
        try:
            return super().get(request)
        except (SuspiciousOperation, requests.RequestException, SsoError) as exc:
            return self.login_failure(reason=str(exc))

    def login_success(self):
        from accounts.services import sso_signed_in

        response = super().login_success()  # auth.login(), then the `next` kept at the start
        self.request.session[SSO_SESSION_KEY] = self.provider.organization_id
        self.request.session[SESSION_KEY] = self.provider.organization_id
        self.request.session[AUTH_METHOD_KEY] = "sso"
        sso_signed_in(provider=self.provider, user=self.user, request=self.request)
        return response

    def login_failure(self, reason: str = ""):
        reason = reason or getattr(self.request, "sso_failure", "") or self.request.GET.get("error", "") or "refused"
        logger.warning("SSO sign-in failed for %s: %s", self.provider.organization.slug, reason)
        # Anyone can call the callback: a client's failures are audited up to the sign-in limit per window, so a
        # flood of forged callbacks cannot fill the organization's log.
        audit_it, _wait = ratelimit.hit(
            f"sso-failed:ip:{ratelimit.client_ip(self.request)}",
            limit=settings.ACCOUNTS_LOGIN_MAX_FAILURES_PER_IP,
            period=settings.ACCOUNTS_LOGIN_WINDOW_SECONDS,
        )
        if audit_it:
            send_access_event(
                action="login.sso_failed",
                organization=self.provider.organization,
                target=self.provider,
                detail={"reason": reason[:200]},
                request=self.request,
            )
        messages.error(
            self.request,
            _("Sign-in with %(org)s's single sign-on did not succeed. Ask your administrator if this persists.")
            % {"org": self.provider.organization.name},
        )
        return redirect("accounts:login")


class SsoBackend(OIDCAuthenticationBackend):
    """Signs in through the provider the callback view put on the request; does nothing for any other sign-in."""

    get_settings = staticmethod(_library_setting)

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()
        self.provider: SsoProvider | None = None

    def authenticate(self, request, *, nonce=None, code_verifier=None):
        provider = getattr(request, "sso_provider", None) if request is not None else None
        if provider is None:
            return None
        self.request, self.provider = request, provider
        document = discover(provider.issuer)
        self.OIDC_OP_TOKEN_ENDPOINT = document["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = document.get("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = document["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = provider.client_id
        self.OIDC_RP_CLIENT_SECRET = provider.client_secret
        self.OIDC_RP_SIGN_ALGO = ALGORITHM
        self.OIDC_RP_IDP_SIGN_KEY = None
        code, state = request.GET.get("code"), request.GET.get("state")
        if not code or not state:
            return None
        token_info = self.get_token(
            {
                "client_id": provider.client_id,
                "client_secret": provider.client_secret,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": callback_url(request, provider),
                "code_verifier": code_verifier,
            }
        )
        id_token = token_info.get("id_token")
        if not id_token:
            raise SuspiciousOperation("no id_token")
        payload = self.verify_token(id_token, nonce=nonce)  # signature (JWKS), claims, nonce
        return self.get_or_create_user(token_info.get("access_token"), id_token, payload)

    # The library's three calls to the provider, through the guarded session (http()), redirects not followed.
    def get_token(self, payload):
        response = http().post(
            self.OIDC_OP_TOKEN_ENDPOINT,
            data=payload,
            timeout=settings.ACCOUNTS_SSO_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        self.raise_token_response_error(response)
        return response.json()

    def retrieve_matching_jwk(self, token):
        response = http().get(
            self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.ACCOUNTS_SSO_TIMEOUT_SECONDS, allow_redirects=False
        )
        response.raise_for_status()
        header = jwt.get_unverified_header(token)
        key = None
        for jwk in response.json().get("keys", []):
            if jwk.get("kid") != smart_str(header.get("kid")):
                continue
            if "alg" in jwk and jwk["alg"] != smart_str(header.get("alg")):
                continue
            key = jwk
        if key is None:
            raise SuspiciousOperation("Could not find a valid JWKS.")
        return jwt.PyJWK(key)

    def get_userinfo(self, access_token, id_token, payload):
        response = http().get(
            self.OIDC_OP_USER_ENDPOINT,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.ACCOUNTS_SSO_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        response.raise_for_status()
        if response.headers.get("content-type", "").lower().startswith("application/jwt"):
            return self.verify_token(response.text)
        return response.json()

    def _verify_jws(self, payload, key):
        """The id_token, checked for everything the library leaves out: issuer, audience, expiry, issue time."""
        try:
            header = jwt.get_unverified_header(payload)
            if header.get("alg") != ALGORITHM:
                raise SuspiciousOperation(f"id_token algorithm {header.get('alg')!r} is not {ALGORITHM}")
            claims = jwt.decode(
                payload,
                key,
                algorithms=[ALGORITHM],
                audience=self.provider.client_id,
                issuer=self.provider.issuer,
                leeway=settings.ACCOUNTS_SSO_CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"id_token rejected: {exc}") from exc
        audience = claims.get("aud")
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.provider.client_id:
            raise SuspiciousOperation("id_token for several audiences without our client as azp")
        return claims

    def verify_claims(self, claims) -> bool:
        email = claims.get("email") or ""
        verified = claims.get("email_verified")
        if verified is None and self.provider.trust_unmarked_email and self.provider.allowed_domains:
            verified = True  # the provider vouches for its domains (Entra ID); allows_domain() checks below
        if "@" not in email or verified is not True:
            self.request.sso_failure = "e-mail missing or not verified by the provider"
            return False
        if not self.provider.allows_domain(email):
            self.request.sso_failure = f"e-mail domain not allowed: {email.rsplit('@', 1)[-1]}"
            return False
        return True

    def get_or_create_user(self, access_token, id_token, payload):
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT and access_token:
            info = self.get_userinfo(access_token, id_token, payload)
            if info.get("sub") != payload.get("sub"):
                raise SuspiciousOperation("userinfo is about another subject")
            claims.update({k: v for k, v in info.items() if k not in ("iss", "aud", "exp", "iat", "nonce")})
        if not self.verify_claims(claims):
            return None
        email = claims["email"].strip().lower()
        organization = self.provider.organization
        members = list(
            self.UserModel.objects.filter(email__iexact=email, memberships__organization=organization).distinct()[:2]
        )
        if len(members) == 1:
            return members[0]
        if members:
            self.request.sso_failure = "several members with this e-mail"
            return None
        if not self.provider.create_members:
            self.request.sso_failure = "not a member of the organization"
            return None
        if self.UserModel.objects.filter(email__iexact=email).exists():
            # An account of other organizations: never joined and signed in on this provider's word alone.
            self.request.sso_failure = "the e-mail belongs to an account of another organization"
            return None
        from accounts.services import membership_add, user_for_new_member

        with transaction.atomic():
            user = user_for_new_member(email)
            user.first_name = str(claims.get("given_name") or "")[:150]
            user.last_name = str(claims.get("family_name") or "")[:150]
            user.save(update_fields=["first_name", "last_name"])
            membership_add(
                organization=organization,
                user=user,
                role=self.provider.default_role,
                request=self.request,
                via="sso",
            )
        return user

    def get_user(self, user_id):
        try:
            return self.UserModel.objects.get(pk=user_id)
        except self.UserModel.DoesNotExist:
            return None


def signed_in_through(request, organization_id: int) -> bool:
    """Whether this session was signed in through that organization's provider."""
    return request.session.get(SSO_SESSION_KEY) == organization_id
