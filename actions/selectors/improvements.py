"""Reads for improvement actions: the kanban board, the roadmap, one action, and the wins feed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, QuerySet

from accounts.scoping import OrgContext, get_in_org
from actions.models import BOARD_FLOW, FeedbackCase, Horizon, ImprovementAction, ImprovementStatus
from journeys.models import Touchpoint

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def improvement_list(*, ctx: OrgContext) -> QuerySet[ImprovementAction]:
    return (
        ImprovementAction.objects.for_org(ctx.organization)
        .select_related("owner", "root_cause")
        .prefetch_related(Prefetch("touchpoints", queryset=Touchpoint.objects.order_by("name")))
        .annotate(case_count=Count("cases", distinct=True))
    )


def improvement_get(*, ctx: OrgContext, pk: int) -> ImprovementAction:
    return get_in_org(
        ImprovementAction.objects.select_related("owner", "root_cause", "published_by").prefetch_related(
            Prefetch("touchpoints", queryset=Touchpoint.objects.select_related("journey").order_by("name"))
        ),
        ctx,
        pk=pk,
    )


def improvement_cases(*, ctx: OrgContext, action: ImprovementAction, limit: int = 50) -> list[FeedbackCase]:
    return list(
        action.cases.filter(organization_id=ctx.org_id)
        .select_related("touchpoint", "team", "root_cause", "assignee")
        .order_by("-opened_at")[:limit]
    )


BOARD_COLUMNS = [*BOARD_FLOW, ImprovementStatus.DROPPED]


def improvement_board(*, ctx: OrgContext) -> list[tuple[str, StrOrPromise, list[ImprovementAction]]]:
    """[(status, label, actions)] in board order (two queries: actions, their touchpoints)."""
    actions = list(improvement_list(ctx=ctx).order_by("due_date", "pk"))
    columns: dict[str, list[ImprovementAction]] = {status: [] for status in BOARD_COLUMNS}
    for a in actions:
        columns[a.status].append(a)
    return [(status, ImprovementStatus(status).label, columns[status]) for status in BOARD_COLUMNS]


@dataclass
class RoadmapItem:
    action: ImprovementAction
    offset: float  # % of the roadmap's span before the bar starts
    width: float  # % of the span the bar covers


def improvement_roadmap(*, ctx: OrgContext, today: dt.date) -> dict:
    """Actions that are not dropped, grouped by horizon, with bar positions over the roadmap's date span."""
    actions = list(
        improvement_list(ctx=ctx).exclude(status=ImprovementStatus.DROPPED).order_by("start_date", "due_date", "pk")
    )
    starts = [a.start_date or today for a in actions]
    ends = [a.due_date or a.done_date or (a.start_date or today) + dt.timedelta(days=30) for a in actions]
    span_start = min([*starts, today]) if actions else today
    span_end = max([*ends, today + dt.timedelta(days=90)]) if actions else today + dt.timedelta(days=90)
    span = max((span_end - span_start).days, 1)
    groups: dict[str, list[RoadmapItem]] = {h: [] for h in Horizon.values}
    for a, s, e in zip(actions, starts, ends, strict=True):
        e = max(e, s)
        offset = 100.0 * (s - span_start).days / span
        width = max(100.0 * ((e - s).days + 1) / span, 1.5)
        groups[a.horizon].append(RoadmapItem(action=a, offset=offset, width=min(width, 100.0 - offset)))
    return {
        "groups": [(h, Horizon(h).label, groups[h]) for h in Horizon.values],
        "span_start": span_start,
        "span_end": span_end,
        "today_offset": 100.0 * (today - span_start).days / span,
        "actions": actions,
    }


def wins_feed(*, ctx: OrgContext, limit: int = 50) -> list[ImprovementAction]:
    return list(
        ImprovementAction.objects.for_org(ctx.organization)
        .wins()
        .select_related("owner", "published_by")
        .prefetch_related(Prefetch("touchpoints", queryset=Touchpoint.objects.order_by("name")))
        .order_by("-published_at")[:limit]
    )
