"""Per-request access middleware: the current organization, the session idle timeout and the two-factor duty."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role, TwoFactorDevice, UserPreference
from accounts.scoping import AUTH_METHOD_KEY, context_for_session

LAST_ACTIVITY_KEY = "last_activity"
# The last activity is written at most this often (a session save per request would cost a query per page).
ACTIVITY_RESOLUTION_SECONDS = 60
# The signed-in user's saved language ("" = the browser's), read from UserPreference once per session.
LANGUAGE_SESSION_KEY = "preferred_language"


class CurrentOrganizationMiddleware:
    """Attach `request.org` (an OrgContext, or None for anonymous users and users without a membership) and show
    every time of the request in the organization's time zone (the previous zone is active again afterwards)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.org = context_for_session(request)
        if request.org is None:
            return self.get_response(request)
        with timezone.override(request.org.organization.zone):
            return self.get_response(request)


class UserLanguageMiddleware:
    """The signed-in user's saved language (accounts.UserPreference) wins over the browser's.

    Placed right after AuthenticationMiddleware (and so after LocaleMiddleware, which has already chosen the
    language-cookie or Accept-Language one, and whose response half writes the Content-Language chosen here).
    The saved language is kept in the session, so it costs a query once per session, not per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = saved_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


def load_saved_language(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: the new session starts in the user's saved language (read once, at sign-in)."""
    if request is not None and hasattr(request, "session"):
        saved = UserPreference.objects.filter(user=user).values_list("language", flat=True).first()
        request.session[LANGUAGE_SESSION_KEY] = saved or ""


def saved_language(request) -> str:
    """The language the signed-in user chose ("" for the browser's language, or for anonymous visitors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(request, "session"):
        return ""
    language = request.session.get(LANGUAGE_SESSION_KEY)
    if language is None:
        language = UserPreference.objects.filter(user=user).values_list("language", flat=True).first() or ""
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
                return JsonResponse({"detail": message}, status=403)
            messages.warning(request, message)
            return _leave(request, reverse("accounts:two_factor"))
        return self.get_response(request)

    def _exempt_prefixes(self) -> tuple[str, ...]:
        static = "/" + settings.STATIC_URL.lstrip("/")
        return (*(reverse(name) for name in self.EXEMPT_NAMES), static, "/i18n/")
