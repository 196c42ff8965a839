from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.i18n import set_language as django_set_language

from accounts import selectors, services
from accounts.forms import ApiKeyForm, MemberForm, OrganizationForm, ProfileForm, TeamForm
from accounts.models import Membership, TwoFactorDevice, UserPreference
from accounts.scoping import MANAGE_ORG_ROLES, SESSION_KEY, SSO_SESSION_KEY, org_required
from core.scales import measure_label


@login_required
def no_organization(request: HttpRequest) -> HttpResponse:
    if request.org is not None:
        return redirect("home")
    return render(request, "accounts/no_organization.html")


@login_required
@require_POST
def switch_organization(request: HttpRequest) -> HttpResponse:
    membership = Membership.objects.filter(user=request.user, organization_id=request.POST.get("organization")).first()
    sso_org = request.session.get(SSO_SESSION_KEY)
    if membership is None:
        messages.error(request, _("You are not a member of that organization."))
    elif sso_org is not None and membership.organization_id != sso_org:
        messages.error(
            request,
            _("You signed in with your organization's single sign-on: sign out and in again to work in %(org)s.")
            % {"org": membership.organization.name},
        )
    else:
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, _("Switched to %(org)s.") % {"org": membership.organization.name})
    # Always land on the home page: an object page of the previous organization would 404.
    return redirect("home")


# -- organizations ---------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def organization_create(request: HttpRequest) -> HttpResponse:
    """A new organization; its creator (an admin of any organization, or a superuser) becomes its admin."""
    if not selectors.user_can_create_organization(user=request.user):
        raise PermissionDenied
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create(**form.service_fields(), admin=request.user)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            request.session[SESSION_KEY] = org.pk
            messages.success(
                request,
                _("Created %(org)s; you are its administrator and are now working in it. Add your colleagues here.")
                % {"org": org.name},
            )
            return redirect("accounts:member_list")
    return render(request, "accounts/organization_form.html", {"form": form, "creating": True})


@org_required(MANAGE_ORG_ROLES)
@require_http_methods(["GET", "POST"])
def organization_settings(request: HttpRequest) -> HttpResponse:
    org = request.org.organization
    form = OrganizationForm(request.POST or None, instance=org)
    if request.method == "POST" and form.is_valid():
        before = (org.primary_metric, org.primary_measure)
        try:
            org = services.organization_update(organization=org, fields=form.service_fields(), ctx=request.org)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("Settings saved."))
            if (org.primary_metric, org.primary_measure) != before:
                messages.info(
                    request,
                    _(
                        "Dashboards and the value model will use %(figure)s from now on (it was %(before)s). "
                        "The value model recomputes tonight or on request; new improvement actions are measured "
                        "on it, existing ones keep the metric their expected uplift is in."
                    )
                    % {
                        "figure": measure_label(org.primary_metric, org.primary_measure),
                        "before": measure_label(*before),
                    },
                )
            return redirect("accounts:organization_settings")
    return render(
        request,
        "accounts/organization_form.html",
        {
            "form": form,
            "creating": False,
            "organization": org,
            "primary_label": measure_label(org.primary_metric or "nps", org.primary_measure),
        },
    )


@org_required()
@require_safe
def measure_options(request: HttpRequest) -> HttpResponse:
    """The <option>s of a measure select for the metric in the query (htmx refresh of the forms' measure)."""
    param = request.GET.get("param") or "metric"
    metric = request.GET.get(param) or request.GET.get("metric") or ""
    choices = selectors.measure_choices(metric) or selectors.measure_choices("nps")
    return render(request, "accounts/_measure_options.html", {"choices": choices})


# -- members ---------------------------------------------------------------------------------------------------


@org_required(MANAGE_ORG_ROLES)
def member_list(request: HttpRequest) -> HttpResponse:
    form = MemberForm(request.POST or None, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        membership, created = services.member_invite(
            ctx=request.org,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            teams=list(form.cleaned_data["teams"]),
            request=request,
        )
        if created:
            messages.success(
                request,
                _("Added %(email)s. They can set a password with 'Forgot password'.")
                % {"email": membership.user.email},
            )
        else:
            messages.success(request, _("Added %(email)s.") % {"email": membership.user.email})
        return redirect("accounts:member_list")
    return render(
        request, "accounts/member_list.html", {"members": selectors.membership_list(ctx=request.org), "form": form}
    )


@org_required(MANAGE_ORG_ROLES)
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(ctx=request.org, pk=pk)
    initial = {"role": membership.role, "teams": membership.teams.all()}
    form = MemberForm(request.POST or None, ctx=request.org, with_email=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                membership=membership,
                role=form.cleaned_data["role"],
                teams=list(form.cleaned_data["teams"]),
                ctx=request.org,
                request=request,
            )
        except ValueError:
            form.add_error("role", _("An organization needs at least one administrator."))
        else:
            messages.success(request, _("Membership updated."))
            return redirect("accounts:member_list")
    two_factor_on = TwoFactorDevice.objects.filter(user=membership.user, confirmed_at__isnull=False).exists()
    return render(
        request,
        "accounts/member_edit.html",
        {"membership": membership, "form": form, "two_factor_on": two_factor_on},
    )


@org_required(MANAGE_ORG_ROLES)
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(ctx=request.org, pk=pk)
    try:
        services.membership_remove(ctx=request.org, membership=membership, request=request)
        messages.success(request, _("Member removed."))
    except ValueError:
        messages.error(request, _("An organization needs at least one administrator."))
    return redirect("accounts:member_list")


# -- teams -----------------------------------------------------------------------------------------------------


@org_required()
def team_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/team_list.html", {"teams": selectors.team_list(ctx=request.org)})


@org_required(MANAGE_ORG_ROLES)
def team_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    team = selectors.team_get(ctx=request.org, pk=pk) if pk else None
    form = TeamForm(request.POST or None, instance=team, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        team = form.save(commit=False)
        team.organization = request.org.organization
        team.save()
        messages.success(request, _("Team saved."))
        return redirect("accounts:team_list")
    return render(request, "accounts/team_edit.html", {"form": form, "team": team})


# -- API keys --------------------------------------------------------------------------------------------------


@org_required(MANAGE_ORG_ROLES)
def api_key_list(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _key, new_key = services.api_key_create(
            ctx=request.org,
            name=form.cleaned_data["name"],
            read_only=form.cleaned_data["read_only"],
            scopes=form.cleaned_data["scopes"],
            request=request,
        )
        form = ApiKeyForm()
    return render(
        request,
        "accounts/api_key_list.html",
        {"keys": selectors.api_key_list(ctx=request.org), "form": form, "new_key": new_key},
    )


@org_required(MANAGE_ORG_ROLES)
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    services.api_key_revoke(api_key=selectors.api_key_get(ctx=request.org, pk=pk), ctx=request.org, request=request)
    messages.success(request, _("API key revoked."))
    return redirect("accounts:api_key_list")


# -- the user's own settings -------------------------------------------------------------------------------------


def _remember_language(request: HttpRequest, response: HttpResponse, language: str) -> HttpResponse:
    """Use `language` from now on: in this session, and in the language cookie (deleted for the browser's own)."""
    from accounts.middleware import LANGUAGE_SESSION_KEY

    request.session[LANGUAGE_SESSION_KEY] = language
    if language:
        translation.activate(language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    else:
        # The browser's language from now on: the language cookie is deleted, so Accept-Language alone decides, and
        # the confirmation written next is in that language too (not in the one saved before).
        translation.activate(translation.get_language_from_request(SimpleNamespace(COOKIES={}, META=request.META)))
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME, path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN
        )
    return response


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """My settings: the language of the staff UI (saved for the user, on every device)."""
    preference = UserPreference.objects.filter(user=request.user).first()
    form = ProfileForm(request.POST or None, initial={"language": preference.language if preference else ""})
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        try:
            services.language_preference_save(user=request.user, language=language)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            response = redirect("accounts:profile")
            _remember_language(request, response, language)
            messages.success(request, _("Your settings are saved."))
            return response
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The menu's language switch: Django's set_language, and for a signed-in user also saved as their setting."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        services.language_preference_save(user=request.user, language=language)
        _remember_language(request, response, language)
    return response
