"""The sign-in pages: password (then the authenticator code when enrolled), and the way to single sign-on.

After a right password, a user with two-factor sign-in is not logged in: the session only remembers who passed
the first step (for TWO_FACTOR_PENDING_SECONDS), and the code page logs in. Wrong codes count against the same
brute-force limits as wrong passwords (accounts.throttle).
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.core.cache import cache
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts import two_factor
from accounts.forms import SignInForm, SsoLookupForm, TwoFactorCodeForm
from accounts.scoping import AUTH_METHOD_KEY
from accounts.signals import send_access_event
from accounts.sso import provider_lookup
from accounts.throttle import ThrottledLoginView, login_failed, login_locked
from core import ratelimit

PENDING_KEY = "two_factor_pending"
TWO_FACTOR_PENDING_SECONDS = 300


def _locked_text(minutes: int) -> str:
    return ngettext(
        "Too many failed sign-ins. Try again in %(minutes)s minute.",
        "Too many failed sign-ins. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}


def record_lock(request: HttpRequest, username: str) -> None:
    """Audit a lock once per window and account (not once per refused attempt: a flood must not fill the log)."""
    username = (username or "").strip().lower()[:150]
    if cache.add(f"login:lock-audited:{username}", 1, settings.ACCOUNTS_LOGIN_WINDOW_SECONDS):
        send_access_event(action="login.locked", target_type="auth.user", target_label=username, request=request)


class SignInView(ThrottledLoginView):
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sso_form": SsoLookupForm(prefix="sso")}

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code == 429:
            record_lock(request, request.POST.get("username", ""))
        return response

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "sso_required"):
            # The password was right: not a failure to count, only the wrong door.
            message = form.errors[NON_FIELD_ERRORS][0]
            return self.render_to_response(self.get_context_data(form=form, sso_required_message=message))
        send_access_event(
            action="login.failed",
            target_type="auth.user",
            target_label=self.request.POST.get("username", "")[:150],
            request=self.request,
        )
        return super().form_invalid(form)

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.is_enrolled(user):
            self.request.session[PENDING_KEY] = {
                "user": user.pk,
                "backend": user.backend,
                "at": int(time.time()),
                "next": self.get_success_url(),
            }
            return redirect("accounts:login_two_factor")
        auth_login(self.request, user)
        self.request.session[AUTH_METHOD_KEY] = "password"
        return HttpResponseRedirect(self.get_success_url())


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING_KEY)
    if not pending or time.time() - pending.get("at", 0) > TWO_FACTOR_PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None, None
    return get_user_model().objects.filter(pk=pending["user"], is_active=True).first(), pending


@require_http_methods(["GET", "POST"])
def login_two_factor(request: HttpRequest) -> HttpResponse:
    """The second step of a password sign-in: the authenticator's code (or a recovery code)."""
    user, pending = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in again: the code was not entered in time."))
        return redirect("accounts:login")
    form = TwoFactorCodeForm(request.POST or None)
    context = {"form": form}
    if request.method == "POST":
        username = user.get_username()
        minutes = login_locked(request, username)
        if minutes:
            record_lock(request, username)
            context["locked_message"] = _locked_text(minutes)
            return render(request, "accounts/login_two_factor.html", context, status=429)
        method = two_factor.verify(user=user, code=request.POST.get("code", "")) if form.is_valid() else None
        if method is None:
            login_failed(request, username)
            send_access_event(
                action="login.failed",
                user=user,
                target=user,
                detail={"step": "two_factor"},
                request=request,
            )
            form.add_error("code", _("That code is not right (or was used already)."))
        else:
            request.session.pop(PENDING_KEY, None)
            auth_login(request, user, backend=pending["backend"])
            request.session[AUTH_METHOD_KEY] = "password+totp"
            if method == "recovery":
                left = two_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code; %(n)s is left.",
                        "You signed in with a recovery code; %(n)s are left.",
                        left,
                    )
                    % {"n": left},
                )
            target = pending.get("next") or ""
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = reverse(settings.LOGIN_REDIRECT_URL)
            return HttpResponseRedirect(target)
    return render(request, "accounts/login_two_factor.html", context)


@require_POST
def sso_lookup(request: HttpRequest) -> HttpResponse:
    """The login page's "Sign in with your organization's SSO": find the provider by slug or e-mail domain.

    Answers with a page that continues to the provider (a link, followed at once by a meta refresh) rather than a
    redirect: the Content-Security-Policy's form-action 'self' also covers the redirects after a form is sent, and
    the provider is another origin."""
    form = SsoLookupForm(request.POST, prefix="sso")
    # Looking up names costs nothing to guess: the same per-address limit as failed sign-ins.
    allowed, _wait = ratelimit.hit(
        f"sso-lookup:ip:{ratelimit.client_ip(request)}",
        limit=settings.ACCOUNTS_LOGIN_MAX_FAILURES_PER_IP,
        period=settings.ACCOUNTS_LOGIN_WINDOW_SECONDS,
    )
    provider = provider_lookup(form.data.get("sso-organization", "")) if allowed and form.is_valid() else None
    if provider is None:
        messages.error(request, _("No single sign-on is set up for that organization or e-mail domain."))
        return redirect("accounts:login")
    url = reverse("accounts:sso_start", args=[provider.organization.slug])
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        url = f"{url}?{urlencode({'next': next_url})}"
    return render(request, "accounts/sso_continue.html", {"url": url, "organization": provider.organization})
