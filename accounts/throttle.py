"""Brute-force limits on sign-in and password reset (per account and per client address).

Counted with core.ratelimit (Redis in production, shared by every web process; fail open when the cache is
down). Failed sign-ins only are counted; once an account or an address reaches its limit, further attempts in that
window are refused without checking the password, with a message saying when to try again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import ngettext

from accounts.forms import PasswordResetForm
from core import ratelimit

logger = logging.getLogger(__name__)


def _keys(request, username: str) -> list[tuple[str, int]]:
    username = (username or "").strip().lower()[:150]
    return [
        (f"login:user:{username}", settings.ACCOUNTS_LOGIN_MAX_FAILURES),
        (f"login:ip:{ratelimit.client_ip(request)}", settings.ACCOUNTS_LOGIN_MAX_FAILURES_PER_IP),
    ]


def login_locked(request, username: str) -> int:
    """Minutes until sign-in may be tried again for this account or address (0: not locked)."""
    period = settings.ACCOUNTS_LOGIN_WINDOW_SECONDS
    for key, limit in _keys(request, username):
        if ratelimit.peek(key, period=period) >= limit:
            _allowed, wait = ratelimit.hit(key, limit=limit, period=period)  # count the refused attempt too
            return max(1, round(wait / 60))
    return 0


def login_failed(request, username: str) -> None:
    period = settings.ACCOUNTS_LOGIN_WINDOW_SECONDS
    for key, limit in _keys(request, username):
        ratelimit.hit(key, limit=limit, period=period)


class ThrottledLoginView(auth_views.LoginView):
    def post(self, request, *args, **kwargs):
        username = request.POST.get("username", "")
        minutes = login_locked(request, username)
        if minutes:
            logger.warning("sign-in refused (too many failures): user=%r ip=%s", username, ratelimit.client_ip(request))
            message = ngettext(
                "Too many failed sign-ins. Try again in %(minutes)s minute.",
                "Too many failed sign-ins. Try again in %(minutes)s minutes.",
                minutes,
            ) % {"minutes": minutes}
            # An unbound form: the password is not even checked while the lock holds.
            context = self.get_context_data(form=self.get_form_class()(request), locked_message=message)
            response = self.render_to_response(context)
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        login_failed(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """At most ACCOUNTS_RESET_MAX_PER_EMAIL reset e-mails per address and hour (and a per-client limit). Over the
    limit the page looks the same (it never tells whether an address exists) but nothing is sent. The e-mail is
    written in the account's saved language (accounts.forms.PasswordResetForm)."""

    form_class = PasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        per_email, _ = ratelimit.hit(f"reset:email:{email}", limit=settings.ACCOUNTS_RESET_MAX_PER_EMAIL, period=3600)
        per_ip, _ = ratelimit.hit(
            f"reset:ip:{ratelimit.client_ip(self.request)}", limit=settings.ACCOUNTS_RESET_MAX_PER_IP, period=3600
        )
        if not (per_email and per_ip):
            logger.warning("password reset not sent (limit): ip=%s", ratelimit.client_ip(self.request))
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


def throttle_admin_login(login):
    """The Django admin signs in through our own sign-in page (wraps AdminSite.login): the same brute-force limits,
    the two-factor step and the single sign-on rules, with no second door that skips them.

    A signed-in user still gets the admin's own page (staff: the index; others: "not authorized"), but no password
    is ever checked there."""

    def through_our_sign_in(request, extra_context=None):
        if request.method == "GET" and request.user.is_authenticated:
            return login(request, extra_context)
        next_url = request.GET.get("next") or reverse("admin:index")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        return redirect_to_login(next_url, login_url=reverse("accounts:login"))

    return through_our_sign_in
