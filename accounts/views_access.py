"""Access settings pages: the organization's single sign-on and each user's two-factor sign-in."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services, two_factor
from accounts.forms import SsoProviderForm, TwoFactorCodeForm
from accounts.models import TwoFactorDevice
from accounts.scoping import MANAGE_ORG_ROLES, org_required
from accounts.sso import SsoError, discover, signed_in_through


@org_required(MANAGE_ORG_ROLES)
@require_http_methods(["GET", "POST"])
def sso_settings(request: HttpRequest) -> HttpResponse:
    provider = selectors.sso_provider_get(ctx=request.org)
    form = SsoProviderForm(
        request.POST or None,
        instance=provider,
        signed_in_through_it=signed_in_through(request, request.org.org_id),
    )
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["enabled"]:
                discover(form.cleaned_data["issuer"], fresh=True)  # a provider that cannot be reached is refused
            services.sso_provider_save(
                ctx=request.org,
                fields=form.service_fields(),
                client_secret=form.cleaned_data.get("client_secret") or "",
                request=request,
            )
        except SsoError as exc:
            form.add_error("issuer", str(exc))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("Single sign-on settings saved."))
            return redirect("accounts:sso_settings")
    slug = request.org.organization.slug
    return render(
        request,
        "accounts/sso_settings.html",
        {
            "form": form,
            "provider": provider,
            "callback_url": request.build_absolute_uri(reverse("accounts:sso_callback", args=[slug])),
            "start_url": request.build_absolute_uri(reverse("accounts:sso_start", args=[slug])),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_settings(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator (scan, then confirm with a code), see how many recovery codes are left, turn it off."""
    device = TwoFactorDevice.objects.filter(user=request.user).first()
    form = TwoFactorCodeForm(request.POST or None)
    codes = None
    if device is None or not device.is_confirmed:
        device = two_factor.device_begin(user=request.user)
        if request.method == "POST" and form.is_valid():
            codes = two_factor.device_confirm(
                user=request.user, code=form.cleaned_data["code"], ctx=request.org, request=request
            )
            if codes is None:
                form.add_error("code", _("That code is not right: check the time on your phone and try again."))
            else:
                device.refresh_from_db()
                form = TwoFactorCodeForm()
    context = {"device": device, "form": form, "codes": codes}
    if not device.is_confirmed:
        context["qr_svg"] = two_factor.qr_svg(device)
    else:
        context["codes_left"] = two_factor.recovery_codes_left(request.user)
    return render(request, "accounts/two_factor.html", context)


def _code_ok(request: HttpRequest) -> bool:
    form = TwoFactorCodeForm(request.POST)
    if form.is_valid() and two_factor.verify(user=request.user, code=form.cleaned_data["code"]):
        return True
    messages.error(request, _("That code is not right (or was used already)."))
    return False


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off: only with a current code (a borrowed signed-in browser cannot do it)."""
    if _code_ok(request):
        two_factor.device_remove(user=request.user, ctx=request.org, request=request)
        messages.success(request, _("Two-factor sign-in is off."))
    return redirect("accounts:two_factor")


@login_required
@require_POST
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    if not _code_ok(request):
        return redirect("accounts:two_factor")
    codes = two_factor.recovery_codes_regenerate(user=request.user, ctx=request.org, request=request)
    device = TwoFactorDevice.objects.get(user=request.user)
    context = {"device": device, "form": TwoFactorCodeForm(), "codes": codes, "codes_left": len(codes)}
    return render(request, "accounts/two_factor.html", context)


@org_required(MANAGE_ORG_ROLES)
@require_POST
def member_two_factor_reset(request: HttpRequest, pk: int) -> HttpResponse:
    """An administrator turns a member's two-factor sign-in off (a lost phone); they can set it up again."""
    membership = selectors.membership_get(ctx=request.org, pk=pk)
    if two_factor.device_remove(user=membership.user, ctx=request.org, request=request, by_admin=True):
        messages.success(request, _("Two-factor sign-in reset for %(user)s.") % {"user": membership.user})
    return redirect("accounts:member_edit", pk=membership.pk)
