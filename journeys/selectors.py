"""Reads for personas, journeys, stages and touchpoints, scoped by OrgContext."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.scoping import OrgContext
from journeys.models import Journey


def journey_list(*, ctx: OrgContext, include_archived: bool = False) -> QuerySet[Journey]:
    qs = Journey.objects.for_org(ctx.organization).select_related("owner")
    return qs if include_archived else qs.active()
