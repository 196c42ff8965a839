"""Reads for personas, journeys, stages and touchpoints, scoped by OrgContext.

Every role of an organization reads the whole program (executives and frontline staff read-only), so the only
scope applied here is the organization. Another organization's id is a 404 (`get_in_org`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from accounts.scoping import OrgContext, get_in_org
from journeys.models import Journey, Persona, Stage, Touchpoint

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class _OrderedTouchpoints(TypedDict):
    ordered_touchpoints: list[Touchpoint]


def journey_list(*, ctx: OrgContext, include_archived: bool = False, with_personas: bool = False) -> QuerySet[Journey]:
    qs = Journey.objects.for_org(ctx.organization).select_related("owner")
    if with_personas:
        qs = qs.prefetch_related("personas")
    return qs if include_archived else qs.active()


def journey_overview_list(*, ctx: OrgContext, archived: bool = False) -> QuerySet[Journey]:
    """Journeys for the list page: either the active or the archived ones, with counts and personas (2 queries)."""
    return (
        Journey.objects.for_org(ctx.organization)
        .filter(is_archived=archived)
        .select_related("owner")
        .annotate(
            stage_count=Count("stages", distinct=True),
            touchpoint_count=Count("touchpoints", distinct=True),
            moment_of_truth_count=Count("touchpoints", filter=Q(touchpoints__is_moment_of_truth=True), distinct=True),
        )
        .prefetch_related(Prefetch("personas", queryset=Persona.objects.order_by("name")))
        .order_by("name", "pk")
    )


def journey_get(*, ctx: OrgContext, pk: int) -> Journey:
    return get_in_org(
        Journey.objects.select_related("owner").prefetch_related(
            Prefetch("personas", queryset=Persona.objects.order_by("name"))
        ),
        ctx,
        pk=pk,
    )


def journey_map(*, ctx: OrgContext, journey: Journey) -> list[WithAnnotations[Stage, _OrderedTouchpoints]]:
    """The journey's stages in order, each with `ordered_touchpoints` (owner and team loaded): 2 queries."""
    if journey.organization_id != ctx.org_id:
        raise Http404
    touchpoints = Touchpoint.objects.select_related("owner", "responsible_team").order_by("position", "pk")
    return list(
        Stage.objects.for_org(ctx.organization)
        .filter(journey=journey)
        .order_by("position", "pk")
        .prefetch_related(Prefetch("touchpoints", queryset=touchpoints, to_attr="ordered_touchpoints"))
    )


def stage_list(*, ctx: OrgContext) -> QuerySet[Stage]:
    return Stage.objects.for_org(ctx.organization).select_related("journey").order_by("journey_id", "position", "pk")


def stage_get(*, ctx: OrgContext, pk: int) -> Stage:
    return get_in_org(Stage.objects.select_related("journey"), ctx, pk=pk)


def stage_choices(*, ctx: OrgContext, also_pk: int | None = None) -> QuerySet[Stage]:
    """Stages a touchpoint may be placed in: those of the organization's active journeys (plus `also_pk`)."""
    return (
        Stage.objects.for_org(ctx.organization)
        .filter(Q(journey__is_archived=False) | Q(pk=also_pk))
        .select_related("journey")
        .order_by("journey__name", "journey_id", "position", "pk")
    )


def touchpoint_list(*, ctx: OrgContext) -> QuerySet[Touchpoint]:
    return (
        Touchpoint.objects.for_org(ctx.organization)
        .select_related("journey", "stage", "owner", "responsible_team")
        .order_by("journey_id", "stage__position", "stage_id", "position", "pk")
    )


def touchpoint_get(*, ctx: OrgContext, pk: int) -> Touchpoint:
    return get_in_org(Touchpoint.objects.select_related("journey", "stage", "owner", "responsible_team"), ctx, pk=pk)


def persona_list(*, ctx: OrgContext, include_archived: bool = False) -> QuerySet[Persona]:
    qs = Persona.objects.for_org(ctx.organization)
    return qs if include_archived else qs.filter(is_archived=False)


def persona_get(*, ctx: OrgContext, pk: int) -> Persona:
    return get_in_org(Persona.objects.all(), ctx, pk=pk)


def owner_choices(*, ctx: OrgContext) -> QuerySet:
    """Users who may be accountable for a journey or touchpoint: members of the organization."""
    return get_user_model().objects.filter(memberships__organization=ctx.organization).order_by("username")
