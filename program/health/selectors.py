"""Reads of the health area, always through an `OrgContext`: the program settings, the monthly snapshots, and
whether a recomputation asked for is still on its way."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from program.health.assess import assess, summarize
from program.health.months import add_months, local_today, month_start
from program.health.rules import HISTORY_MONTHS
from program.models import HealthSnapshot, ProgramSettings

if TYPE_CHECKING:
    from accounts.scoping import OrgContext

# A recomputation asked for longer ago than this without a newer snapshot is taken as lost (the daily run catches
# up): the page stops waiting for it.
RECOMPUTE_PENDING_FOR = dt.timedelta(minutes=10)


def member_choices(*, ctx: OrgContext) -> QuerySet:
    """Users who may own the program or sit in its steering group: the organization's members."""
    return (
        get_user_model()
        .objects.filter(memberships__organization=ctx.organization)
        .order_by("first_name", "last_name", "username")
    )


def program_settings_get(*, ctx: OrgContext) -> ProgramSettings:
    """The organization's program settings (an unsaved empty row when none were saved yet)."""
    row = ProgramSettings.objects.for_org(ctx.organization).select_related("owner", "updated_by").first()
    return row if row is not None else ProgramSettings(organization=ctx.organization)


def steering_group(*, ctx: OrgContext, row: ProgramSettings) -> list:
    if row.pk is None:
        return []
    members = row.steering_group.filter(memberships__organization=ctx.organization)
    return list(members.order_by("first_name", "username"))


def health_history(*, ctx: OrgContext, months: int = HISTORY_MONTHS) -> list[HealthSnapshot]:
    """The stored snapshots of the last `months` months, oldest first."""
    first = add_months(month_start(local_today(ctx.organization)), -(months - 1))
    return list(HealthSnapshot.objects.for_org(ctx.organization).filter(month__gte=first).order_by("month"))


def health_current(*, ctx: OrgContext, history: list[HealthSnapshot] | None = None) -> dict:
    """This month's health: its snapshot, else (nothing stored yet) assessed now without storing.

    {"summary" (assess.summarize), "month", "computed_at", "stored" (False: assessed for this page only)}."""
    today = local_today(ctx.organization)
    this_month = month_start(today)
    snapshots = history if history is not None else health_history(ctx=ctx, months=1)
    snapshot = next((s for s in snapshots if s.month == this_month), None)
    if snapshot is not None:
        as_of = snapshot.computed_at.astimezone(ctx.organization.zone).date()
        return {
            "summary": summarize(snapshot.criteria, as_of=as_of),
            "month": this_month,
            "computed_at": snapshot.computed_at,
            "stored": True,
        }
    return {"summary": assess(ctx.organization, today), "month": this_month, "computed_at": None, "stored": False}


def health_recompute_pending(*, ctx: OrgContext, computed_at: dt.datetime | None) -> bool:
    """A recomputation was asked for (audit log) after this month's snapshot, recently enough to still be coming."""
    from audit.actions import HEALTH_RECOMPUTE
    from audit.models import AuditEvent

    asked = (
        AuditEvent.objects.filter(organization=ctx.organization, action=HEALTH_RECOMPUTE)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if asked is None or asked < timezone.now() - RECOMPUTE_PENDING_FOR:
        return False
    return computed_at is None or computed_at < asked
