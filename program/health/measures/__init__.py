"""The criteria of the four stages, measured from the platform's own data: one function per criterion, each taking a
`Window` and returning its result dict. `CRITERIA` lists them in the catalogue's order (rules.RULES)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from program.health.window import Window


@dataclass(frozen=True)
class ActiveTouchpoint:
    pk: int
    journey_id: int
    stage_id: int
    owner_id: int | None


def active_touchpoints(w: Window) -> list[ActiveTouchpoint]:
    """The organization's active touchpoints of active journeys (today's set: touchpoints keep no history of being
    active), read once per assessment."""
    if "touchpoints" not in w.cache:
        from journeys.models import Touchpoint

        rows = (
            Touchpoint.objects.for_org(w.organization)
            .active()
            .filter(journey__is_archived=False)
            .order_by("pk")
            .values_list("pk", "journey_id", "stage_id", "owner_id")
        )
        w.cache["touchpoints"] = [ActiveTouchpoint(*row) for row in rows]
    return w.cache["touchpoints"]


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def criteria_functions():
    from program.health.measures import action, engagement, insight, integration

    return [*engagement.CRITERIA, *insight.CRITERIA, *action.CRITERIA, *integration.CRITERIA]
