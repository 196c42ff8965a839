"""The one tenant-scoping mechanism.

Every request (session or API key) resolves to an `OrgContext`: which organization, which role, which teams.
Selectors take a context and return only rows of that organization (and, for frontline users, of their teams).
Views and API endpoints never filter by organization themselves: they call selectors with `request.org`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.shortcuts import redirect

from accounts.models import Membership, Organization, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, User

    from accounts.models import ApiKey

SESSION_KEY = "current_organization_id"
# Set when the session was signed in through an organization's SSO provider: it then works in that organization
# only (another organization's provider must never vouch for access to this one).
SSO_SESSION_KEY = "sso_organization_id"
# How the session was signed in: "password", "password+totp" (accounts.signin) or "sso" (accounts.sso).
AUTH_METHOD_KEY = "auth_method"

# What each role may do. Executives read everything in their organization; frontline read the program
# and act on their own teams' cases; CX managers shape the program; admins also manage members and keys.
WRITE_PROGRAM_ROLES = frozenset({Role.ADMIN, Role.CX_MANAGER})
MANAGE_ORG_ROLES = frozenset({Role.ADMIN})
ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class OrgContext:
    organization: Organization
    role: str
    user: User | None = None
    api_key: ApiKey | None = None
    team_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def org_id(self) -> int:
        return self.organization.pk

    @property
    def role_label(self) -> str:
        """The role in words, in the reader's language ("CX manager"), for badges and menus."""
        return str(Role(self.role).label) if self.role in Role.values else self.role

    @property
    def can_edit_program(self) -> bool:
        """Journeys, touchpoints, surveys, targets, customers."""
        return self.role in WRITE_PROGRAM_ROLES

    @property
    def can_manage_org(self) -> bool:
        """Members, teams, API keys."""
        return self.role in MANAGE_ORG_ROLES

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.EXECUTIVE

    @property
    def is_frontline(self) -> bool:
        return self.role == Role.FRONTLINE

    def require(self, allowed: frozenset[str] | set[str]) -> None:
        if self.role not in allowed:
            raise PermissionDenied


def memberships_for_user(user: AbstractBaseUser) -> list[Membership]:
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user).select_related("organization").order_by("organization__name"))


def context_for_membership(membership: Membership, *, user: User) -> OrgContext:
    team_ids = frozenset(membership.teams.values_list("pk", flat=True))
    return OrgContext(organization=membership.organization, role=membership.role, user=user, team_ids=team_ids)


def context_for_session(request: HttpRequest) -> OrgContext | None:
    """Resolve the current organization from the session, falling back to the user's first membership."""
    user = request.user
    if not user.is_authenticated:
        return None
    wanted = request.session.get(SESSION_KEY)
    qs = Membership.objects.filter(user=user).select_related("organization")
    sso_org = request.session.get(SSO_SESSION_KEY)
    if sso_org is not None:
        qs = qs.filter(organization_id=sso_org)
    membership = None
    if wanted is not None:
        membership = qs.filter(organization_id=wanted).first()
    if membership is None:
        membership = qs.order_by("pk").first()  # the organization joined first
        if membership is None:
            return None
        request.session[SESSION_KEY] = membership.organization_id
    return context_for_membership(membership, user=user)


def context_for_api_key(api_key: ApiKey) -> OrgContext:
    # An API key acts for its organization with CX-manager rights (it integrates systems, it manages no one).
    return OrgContext(organization=api_key.organization, role=Role.CX_MANAGER, api_key=api_key)


def org_required(roles: frozenset[str] | set[str] = ALL_ROLES) -> Callable:
    """View decorator: a logged-in member of the current organization with one of `roles`."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            ctx = getattr(request, "org", None)
            if ctx is None:
                return redirect("accounts:no_organization")
            ctx.require(roles)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def get_in_org(queryset, ctx: OrgContext, **lookup):
    """Fetch one row of the context's organization, or 404 (never 403: do not confirm another org's ids)."""
    try:
        return queryset.for_org(ctx.organization).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
