"""Writes of the health area: monthly snapshots (upsert on the month), the recompute request, the program settings.

Snapshots are recomputed from source rows, never adjusted: running any of these twice gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from core.tasks import enqueue_coalesced
from program.health.assess import assess
from program.health.months import add_months, as_of_for, local_today, month_start
from program.health.rules import HISTORY_MONTHS
from program.models import HealthSnapshot, ProgramSettings

if TYPE_CHECKING:
    from accounts.models import Organization
    from accounts.scoping import OrgContext


def health_snapshot_upsert(
    *, organization: Organization, month: dt.date, today: dt.date | None = None
) -> HealthSnapshot:
    """Assess the program as of the end of `month` (this month: as of today) and store it over any earlier
    snapshot of that month (one INSERT ... ON CONFLICT UPDATE, so two workers never collide)."""
    today = today or local_today(organization)
    month = month_start(month)
    if month > month_start(today):
        raise ValueError("a month that has not started has no health yet")
    result = assess(organization, as_of_for(month, today))
    row = HealthSnapshot(
        organization=organization,
        month=month,
        stage=result["stage"],
        scores=result["scores"],
        criteria=result["criteria"],
        computed_at=timezone.now(),
    )
    HealthSnapshot.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["organization", "month"],
        update_fields=["stage", "scores", "criteria", "computed_at"],
    )
    return HealthSnapshot.objects.get(organization=organization, month=month)


def months_to_refresh(*, organization: Organization, today: dt.date) -> list[dt.date]:
    """This month; every month of the last HISTORY_MONTHS without a snapshot (all of them on the first run, the
    ones a stopped scheduler missed later); last month again when its snapshot was computed before the month ended
    (the daily run missed its last day). Oldest first."""
    this_month = month_start(today)
    known = dict(HealthSnapshot.objects.for_org(organization).values_list("month", "computed_at"))
    month_over = dt.datetime.combine(this_month, dt.time.min, tzinfo=organization.zone)
    months = []
    for back in range(HISTORY_MONTHS - 1, 0, -1):
        month = add_months(this_month, -back)
        if month not in known or (back == 1 and known[month] < month_over):
            months.append(month)
    return [*months, this_month]


def health_snapshots_refresh(*, organization: Organization, today: dt.date | None = None) -> list[dt.date]:
    """The daily run for one organization (see months_to_refresh); returns the months stored."""
    today = today or local_today(organization)
    months = months_to_refresh(organization=organization, today=today)
    for month in months:
        health_snapshot_upsert(organization=organization, month=month, today=today)
    return months


def health_recompute_request(*, ctx: OrgContext) -> None:
    """Record who asked, then recompute on a worker once the request commits (in-process on the demo)."""
    from audit.actions import HEALTH_RECOMPUTE
    from audit.services import audit_record
    from program.tasks import health_snapshots_task

    audit_record(action=HEALTH_RECOMPUTE, ctx=ctx, target_type="program.healthsnapshot", target_label="")
    # A broker outage must not turn the click into an error page: the daily run recomputes anyway.
    enqueue_coalesced(health_snapshots_task, kwargs={"organization_id": ctx.organization.pk})


SETTINGS_FIELDS = ["owner", "steering_cadence"]


def program_settings_update(*, ctx: OrgContext, owner, steering_group, steering_cadence: str) -> ProgramSettings:
    """Save the program owner, steering group and cadence (members of the organization only: the form checks, and
    so does this), audit the change and refresh this month's health (its engagement criteria read them)."""
    from accounts.models import Membership
    from audit.actions import PROGRAM_SETTINGS_CHANGE
    from audit.services import audit_changes, audit_record, audit_snapshot

    members = set(Membership.objects.for_org(ctx.organization).values_list("user_id", flat=True))
    steering_ids = sorted({user.pk for user in steering_group})
    if (owner is not None and owner.pk not in members) or not members.issuperset(steering_ids):
        raise ValueError("the program owner and the steering group must be members of the organization")
    with transaction.atomic():
        row, _ = ProgramSettings.objects.select_for_update().get_or_create(organization=ctx.organization)
        before = {
            **audit_snapshot(row, SETTINGS_FIELDS),
            "steering_group": sorted(row.steering_group.values_list("pk", flat=True)),
        }
        row.owner, row.steering_cadence = owner, steering_cadence
        changes = audit_changes(before, {**audit_snapshot(row, SETTINGS_FIELDS), "steering_group": steering_ids})
        if not changes:
            return row  # nothing to save, audit or recompute
        row.updated_by = ctx.user
        row.save()
        row.steering_group.set(steering_ids)
        audit_record(action=PROGRAM_SETTINGS_CHANGE, ctx=ctx, target=row, detail={"changes": changes})
        from program.tasks import health_snapshots_task

        enqueue_coalesced(health_snapshots_task, kwargs={"organization_id": ctx.organization.pk})
    return row
