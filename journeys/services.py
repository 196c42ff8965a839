"""Writes for personas, journeys, stages and touchpoints.

Callers (views, API) validate input against the caller's organization; the checks here are a second line that keeps
a row from ever pointing at another organization's persona, team, stage or user, whoever calls.
Reorders renumber the whole sibling list (0..n-1) under a row lock on the journey, so positions stay dense and two
people clicking "move" at the same time cannot leave duplicates behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypeVar

from django.db import transaction
from django.db.models import Max

from accounts.models import Membership, Team
from accounts.scoping import OrgContext
from journeys.models import Channel, Journey, Persona, Stage, Touchpoint

StageDirection = Literal["left", "right"]
TouchpointDirection = Literal["up", "down", "left", "right"]

PERSONA_FIELDS = frozenset({"name", "description", "goals"})
JOURNEY_FIELDS = frozenset({"name", "description", "owner"})
STAGE_FIELDS = frozenset({"name", "description", "position"})
TOUCHPOINT_FIELDS = frozenset(
    {
        "name",
        "description",
        "channel",
        "owner",
        "responsible_team",
        "is_moment_of_truth",
        "pain_points",
        "is_active",
        "priority",
        "position",
    }
)


class StageNotEmpty(Exception):
    """A stage that still holds touchpoints cannot be deleted (their survey history would go with it)."""


# -- guards ------------------------------------------------------------------------------------------------------


def _check_same_org(organization_id: int, *rows: Any) -> None:
    for row in rows:
        if row is not None and row.organization_id != organization_id:
            raise ValueError(f"{type(row).__name__} {row.pk} belongs to another organization.")


def _check_member(organization_id: int, user: Any) -> None:
    if user is not None and not Membership.objects.filter(organization_id=organization_id, user=user).exists():
        raise ValueError(f"User {user.pk} is not a member of organization {organization_id}.")


def _check_ctx(ctx: OrgContext, row: Any) -> None:
    if row.organization_id != ctx.org_id:
        raise ValueError(f"{type(row).__name__} {row.pk} belongs to another organization.")


def _apply(instance: Any, data: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"Cannot update {', '.join(sorted(unknown))} on {type(instance).__name__}.")
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, data[name])
    return changed


def _lock_journey(journey_id: int) -> None:
    # Serialises reorders within one journey (stages and touchpoints share this lock).
    list(Journey.objects.select_for_update().filter(pk=journey_id).values_list("pk", flat=True))


_Ordered = TypeVar("_Ordered", Stage, Touchpoint)


def _renumber(rows: Sequence[_Ordered]) -> None:
    changed: list[_Ordered] = []
    for index, row in enumerate(rows):
        if row.position != index:
            row.position = index
            changed.append(row)
    if changed:
        type(changed[0]).objects.bulk_update(changed, ["position"])


def _next_position(queryset) -> int:
    top = queryset.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


# -- personas ----------------------------------------------------------------------------------------------------


def persona_create(*, ctx: OrgContext, name: str, description: str = "", goals: str = "") -> Persona:
    return Persona.objects.create(organization=ctx.organization, name=name, description=description, goals=goals)


def persona_update(*, persona: Persona, data: dict[str, Any]) -> Persona:
    changed = _apply(persona, data, PERSONA_FIELDS)
    if changed:
        persona.save(update_fields=changed)
    return persona


def persona_archive(*, persona: Persona, archived: bool = True) -> Persona:
    if persona.is_archived != archived:
        persona.is_archived = archived
        persona.save(update_fields=["is_archived"])
    return persona


# -- journeys ----------------------------------------------------------------------------------------------------


@transaction.atomic
def journey_create(
    *,
    ctx: OrgContext,
    name: str,
    description: str = "",
    owner: Any = None,
    personas: Iterable[Persona] = (),
) -> Journey:
    personas = list(personas)
    _check_same_org(ctx.org_id, *personas)
    _check_member(ctx.org_id, owner)
    journey = Journey.objects.create(organization=ctx.organization, name=name, description=description, owner=owner)
    if personas:
        journey.personas.set(personas)
    return journey


@transaction.atomic
def journey_update(*, journey: Journey, data: dict[str, Any]) -> Journey:
    data = dict(data)
    personas = data.pop("personas", None)
    if "owner" in data and data["owner"] != journey.owner:
        _check_member(journey.organization_id, data["owner"])
    changed = _apply(journey, data, JOURNEY_FIELDS)
    if changed:
        journey.save(update_fields=[*changed, "updated_at"])
    if personas is not None:
        personas = list(personas)
        _check_same_org(journey.organization_id, *personas)
        journey.personas.set(personas)
    return journey


def journey_archive(*, journey: Journey, archived: bool = True) -> Journey:
    """Archive (or restore) a journey. Nothing is deleted: its touchpoints keep their survey history."""
    if journey.is_archived != archived:
        journey.is_archived = archived
        journey.save(update_fields=["is_archived", "updated_at"])
    return journey


# -- stages ------------------------------------------------------------------------------------------------------


@transaction.atomic
def stage_create(
    *, ctx: OrgContext, journey: Journey, name: str, description: str = "", position: int | None = None
) -> Stage:
    _check_ctx(ctx, journey)
    _lock_journey(journey.pk)
    if position is None:
        position = _next_position(Stage.objects.filter(journey=journey))
    return Stage.objects.create(
        organization_id=journey.organization_id, journey=journey, name=name, description=description, position=position
    )


def stage_update(*, stage: Stage, data: dict[str, Any]) -> Stage:
    changed = _apply(stage, data, STAGE_FIELDS)
    if changed:
        stage.save(update_fields=changed)
    return stage


@transaction.atomic
def stage_move(*, stage: Stage, direction: StageDirection) -> Stage:
    """Swap the stage with its left or right neighbour; at either end nothing changes."""
    if direction not in ("left", "right"):
        raise ValueError(f"Unknown direction {direction!r}.")
    _lock_journey(stage.journey_id)
    stages = list(Stage.objects.filter(journey_id=stage.journey_id).order_by("position", "pk"))
    index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
    other = index - 1 if direction == "left" else index + 1
    if 0 <= other < len(stages):
        stages[index], stages[other] = stages[other], stages[index]
    _renumber(stages)
    stage.position = next(s.position for s in stages if s.pk == stage.pk)
    return stage


@transaction.atomic
def stage_delete(*, stage: Stage) -> None:
    _lock_journey(stage.journey_id)
    if Touchpoint.objects.filter(stage=stage).exists():
        raise StageNotEmpty
    journey_id = stage.journey_id
    stage.delete()
    _renumber(list(Stage.objects.filter(journey_id=journey_id).order_by("position", "pk")))


# -- touchpoints -------------------------------------------------------------------------------------------------


@transaction.atomic
def touchpoint_create(
    *,
    ctx: OrgContext,
    stage: Stage,
    name: str,
    channel: str = Channel.WEB,
    description: str = "",
    owner: Any = None,
    responsible_team: Team | None = None,
    is_moment_of_truth: bool = False,
    pain_points: str = "",
    is_active: bool = True,
    priority: int = 50,
    position: int | None = None,
) -> Touchpoint:
    _check_ctx(ctx, stage)
    _check_same_org(ctx.org_id, responsible_team)
    _check_member(ctx.org_id, owner)
    _lock_journey(stage.journey_id)
    if position is None:
        position = _next_position(Touchpoint.objects.filter(stage=stage))
    return Touchpoint.objects.create(
        organization_id=stage.organization_id,
        journey_id=stage.journey_id,
        stage=stage,
        name=name,
        channel=channel,
        description=description,
        owner=owner,
        responsible_team=responsible_team,
        is_moment_of_truth=is_moment_of_truth,
        pain_points=pain_points,
        is_active=is_active,
        priority=priority,
        position=position,
    )


@transaction.atomic
def touchpoint_update(*, touchpoint: Touchpoint, data: dict[str, Any]) -> Touchpoint:
    """Update fields; a new `stage` moves the touchpoint there (to the end unless a position is given)."""
    data = dict(data)
    stage = data.pop("stage", None)
    if "owner" in data and data["owner"] != touchpoint.owner:
        _check_member(touchpoint.organization_id, data["owner"])
    if data.get("responsible_team") is not None:
        _check_same_org(touchpoint.organization_id, data["responsible_team"])
    if stage is not None and stage.pk != touchpoint.stage_id:
        touchpoint_move_to_stage(touchpoint=touchpoint, stage=stage, position=data.pop("position", None))
    changed = _apply(touchpoint, data, TOUCHPOINT_FIELDS)
    if changed:
        touchpoint.save(update_fields=[*changed, "updated_at"])
    return touchpoint


def touchpoint_set_active(*, touchpoint: Touchpoint, active: bool) -> Touchpoint:
    return touchpoint_update(touchpoint=touchpoint, data={"is_active": active})


@transaction.atomic
def touchpoint_move_to_stage(*, touchpoint: Touchpoint, stage: Stage, position: int | None = None) -> Touchpoint:
    """Put the touchpoint into `stage` (of any journey of the organization); its journey follows the stage."""
    _check_same_org(touchpoint.organization_id, stage)
    for journey_id in sorted({touchpoint.journey_id, stage.journey_id}):  # fixed order: no deadlock
        _lock_journey(journey_id)
    old_stage_id = touchpoint.stage_id
    if position is None:
        position = _next_position(Touchpoint.objects.filter(stage=stage).exclude(pk=touchpoint.pk))
    touchpoint.stage = stage
    touchpoint.journey_id = stage.journey_id
    touchpoint.position = position
    touchpoint.save(update_fields=["stage", "journey", "position", "updated_at"])
    if old_stage_id != stage.pk:
        _renumber(list(Touchpoint.objects.filter(stage_id=old_stage_id).order_by("position", "pk")))
    return touchpoint


@transaction.atomic
def touchpoint_move(*, touchpoint: Touchpoint, direction: TouchpointDirection) -> Touchpoint:
    """Up/down swaps with the neighbour in the stage; left/right moves to the end of the adjacent stage."""
    if direction not in ("up", "down", "left", "right"):
        raise ValueError(f"Unknown direction {direction!r}.")
    _lock_journey(touchpoint.journey_id)
    if direction in ("left", "right"):
        stages = list(Stage.objects.filter(journey_id=touchpoint.journey_id).order_by("position", "pk"))
        index = next(i for i, s in enumerate(stages) if s.pk == touchpoint.stage_id)
        other = index - 1 if direction == "left" else index + 1
        if 0 <= other < len(stages):
            touchpoint_move_to_stage(touchpoint=touchpoint, stage=stages[other])
        return touchpoint
    siblings = list(Touchpoint.objects.filter(stage_id=touchpoint.stage_id).order_by("position", "pk"))
    index = next(i for i, t in enumerate(siblings) if t.pk == touchpoint.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    _renumber(siblings)
    touchpoint.position = next(t.position for t in siblings if t.pk == touchpoint.pk)
    return touchpoint
