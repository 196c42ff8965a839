from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import ApiKeyForm, MemberForm, TeamForm
from accounts.models import Membership
from accounts.scoping import MANAGE_ORG_ROLES, SESSION_KEY, org_required


@login_required
def no_organization(request: HttpRequest) -> HttpResponse:
    if request.org is not None:
        return redirect("home")
    return render(request, "accounts/no_organization.html")


@login_required
@require_POST
def switch_organization(request: HttpRequest) -> HttpResponse:
    membership = Membership.objects.filter(user=request.user, organization_id=request.POST.get("organization")).first()
    if membership is None:
        messages.error(request, _("You are not a member of that organization."))
    else:
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, _("Switched to %(org)s.") % {"org": membership.organization.name})
    # Always land on the home page: an object page of the previous organization would 404.
    return redirect("home")


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
        services.membership_update(
            membership=membership, role=form.cleaned_data["role"], teams=list(form.cleaned_data["teams"])
        )
        messages.success(request, _("Membership updated."))
        return redirect("accounts:member_list")
    return render(request, "accounts/member_edit.html", {"membership": membership, "form": form})


@org_required(MANAGE_ORG_ROLES)
@require_POST
def member_remove(request: HttpRequest, pk: int) -> HttpResponse:
    membership = selectors.membership_get(ctx=request.org, pk=pk)
    try:
        services.membership_remove(ctx=request.org, membership=membership)
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
        _key, new_key = services.api_key_create(ctx=request.org, name=form.cleaned_data["name"])
        form = ApiKeyForm()
    return render(
        request,
        "accounts/api_key_list.html",
        {"keys": selectors.api_key_list(ctx=request.org), "form": form, "new_key": new_key},
    )


@org_required(MANAGE_ORG_ROLES)
@require_POST
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    services.api_key_revoke(api_key=selectors.api_key_get(ctx=request.org, pk=pk))
    messages.success(request, _("API key revoked."))
    return redirect("accounts:api_key_list")
