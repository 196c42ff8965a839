"""Reads for organizations, members, teams and API keys, always through an OrgContext."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import ApiKey, Membership, Team
from accounts.scoping import OrgContext, get_in_org


def team_list(*, ctx: OrgContext) -> QuerySet[Team]:
    return Team.objects.for_org(ctx.organization).select_related("lead")


def team_get(*, ctx: OrgContext, pk: int) -> Team:
    return get_in_org(Team.objects.select_related("lead"), ctx, pk=pk)


def membership_list(*, ctx: OrgContext) -> QuerySet[Membership]:
    return (
        Membership.objects.for_org(ctx.organization)
        .select_related("user")
        .prefetch_related("teams")
        .order_by("user__username")
    )


def membership_get(*, ctx: OrgContext, pk: int) -> Membership:
    return get_in_org(Membership.objects.select_related("user"), ctx, pk=pk)


def api_key_list(*, ctx: OrgContext) -> QuerySet[ApiKey]:
    return ApiKey.objects.for_org(ctx.organization).select_related("created_by")


def api_key_get(*, ctx: OrgContext, pk: int) -> ApiKey:
    return get_in_org(ApiKey.objects.all(), ctx, pk=pk)
