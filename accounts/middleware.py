"""Per-request access middleware: the current organization, the session idle timeout and the two-factor duty."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions

from accounts.models import Role, TwoFactorDevice, UserPreference
from accounts.scoping import AUTH_METHOD_KEY, context_for_session
from core.api import error_response

LAST_ACTIVITY_KEY = "last_activity"
# The last activity is written at most this often (a session save per request would cost a query per page).
ACTIVITY_RESOLUTION_SECONDS = 60
# The signed-in user's saved language ("" = the browser's), read from UserPreference once per session.
LANGUAGE_SESSION_KEY = "preferred_language"

logger = logging.getLogger(__name__)


class CurrentOrganizationMiddleware:
    """Attach `request.org` (an OrgContext, or None for anonymous users and users without a membership) and show
    every time of the request in the organization's time zone (the previous zone is active again afterwards).

    Without an organization the request starts in the server's zone; an API key's organization zone is activated
    by its authentication (accounts.api_auth), inside this middleware, so it is undone here after the request too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.org = context_for_session(request)
        with timezone.override(request.org.organization.zone if request.org is not None else None):
            return self.get_response(request)


class UserLanguageMiddleware:
    """The signed-in user's saved language (accounts.UserPreference) wins over the browser's.

    Placed right after AuthenticationMiddleware (and so after LocaleMiddleware, which has already chosen the
    language-cookie or Accept-Language one, and whose response half writes the Content-Language chosen here).
    The saved language is cached per user (see saved_language), so it costs no query per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = saved_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def language_cache_key(user_id: int) -> str:
    return f"accounts:language:{user_id}"


def _language_cache_seconds() -> int:
    """How long a user's saved language is cached. Redis (production) is shared by every web process and a save
    clears the entry, so an hour is safe (it only bounds a read racing a save); a per-process cache (locmem, the
    demo's default) is cleared only in the process that served the save, so the others re-read it every minute."""
    return 60 if isinstance(caches["default"], LocMemCache) else 3600


def forget_saved_language(user_id: int) -> None:
    """The user's saved language changed: every session re-reads it on its next request (now, and again once the
    transaction commits, so that a session reading in between cannot cache the old value)."""

    def forget():
        try:
            caches["default"].delete(language_cache_key(user_id))
        except Exception:  # a Redis outage: the entry expires by itself (see _language_cache_seconds)
            logger.warning("saved language not cleared from the cache", exc_info=True)

    forget()
    transaction.on_commit(forget)


def language_changed(sender, instance, **kwargs) -> None:
    """post_save/post_delete receiver of UserPreference."""
    forget_saved_language(instance.user_id)


def _read_saved_language(user) -> str:
    return UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""


def load_saved_language(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: the new session starts in the user's saved language (read at sign-in, and cached
    for the user's sessions, so the first page costs no query for it)."""
    if request is not None and hasattr(request, "session"):
        language = request.session[LANGUAGE_SESSION_KEY] = _read_saved_language(user)
        _cache_language(user.pk, language)


def _cache_language(user_id: int, language: str) -> None:
    try:
        caches["default"].set(language_cache_key(user_id), language, _language_cache_seconds())
    except Exception:  # a Redis outage: the next request reads the session's copy
        logger.warning("saved language not cached", exc_info=True)


def saved_language(request) -> str:
    """The language the signed-in user chose ("" for the browser's language, or for anonymous visitors).

    Kept in the cache per user (no query per request) and cleared whenever the user saves a language, so a saved
    language reaches every session of the user, on every device, on its next request. The session keeps a copy
    for when the cache cannot be reached."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return ""
    key = language_cache_key(user.pk)
    try:
        language = caches["default"].get(key)
        cache_up = True
    except Exception:  # a Redis outage costs the language nothing: the session's copy, else the database
        language, cache_up = request.session.get(LANGUAGE_SESSION_KEY), False
    if language is None:
        language = _read_saved_language(user)
        if cache_up:
            _cache_language(user.pk, language)
    if request.session.get(LANGUAGE_SESSION_KEY) != language:
        request.session[LANGUAGE_SESSION_KEY] = language
    return language if language in dict(settings.LANGUAGES) else ""


def _leave(request, url: str):
    """Send the browser to `url`: a redirect, or for htmx an HX-Redirect (a swapped-in login page helps no one)."""
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def mark_activity(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: a new session starts active (so the first page need not write the session)."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())


class SessionIdleTimeoutMiddleware:
    """Sign out a session unused for SESSION_IDLE_TIMEOUT_MINUTES (0: never) and say why on the login page.

    Placed after the authentication and message middleware and before CurrentOrganizationMiddleware. API calls of
    an expired session go on as anonymous (DRF answers 403); pages redirect to the login page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        minutes = settings.SESSION_IDLE_TIMEOUT_MINUTES
        if minutes and auth.SESSION_KEY in request.session:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - last > minutes * 60:
                auth.logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                messages.info(
                    request,
                    ngettext(
                        "Signed out after %(minutes)s minute without activity.",
                        "Signed out after %(minutes)s minutes without activity.",
                        minutes,
                    )
                    % {"minutes": minutes},
                )
                if getattr(request, "htmx", False):
                    return _leave(request, reverse(settings.LOGIN_URL))
                return redirect_to_login(request.get_full_path())
            if last is None or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """An administrator of an organization that requires two-factor sign-in, signed in with a password and without
    an authenticator, may only set one up (or sign out) while working in that organization.

    Placed after CurrentOrganizationMiddleware; costs a query only for such administrators."""

    EXEMPT_NAMES = (
        "accounts:two_factor",
        "accounts:logout",
        "accounts:login",
        "accounts:switch_organization",
        "accounts:no_organization",
        "accounts:set_language",
        "accounts:profile",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = getattr(request, "org", None)
        if (
            ctx is not None
            and ctx.role == Role.ADMIN
            and ctx.organization.require_two_factor_for_admins
            and request.session.get(AUTH_METHOD_KEY) != "sso"
            and not request.path.startswith(self._exempt_prefixes())
            and not TwoFactorDevice.objects.filter(user=request.user, confirmed_at__isnull=False).exists()
        ):
            message = _(
                "%(org)s requires administrators to sign in with two factors: set up your authenticator app."
            ) % {"org": ctx.organization.name}
            if request.path.startswith("/api/"):
                return error_response(exceptions.PermissionDenied(message))
            messages.warning(request, message)
            return _leave(request, reverse("accounts:two_factor"))
        return self.get_response(request)

    def _exempt_prefixes(self) -> tuple[str, ...]:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return (*(reverse(name) for name in self.EXEMPT_NAMES), static, "/i18n/")
