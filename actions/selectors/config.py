"""Reads for the configuration of the closed loop: alert rules, the business calendar and holidays."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from accounts.models import Organization
from accounts.scoping import OrgContext, get_in_org
from actions.models import AlertRule, BusinessCalendar, Holiday
from actions.sla import WorkingCalendar

DEFAULT_WORKING_DAYS = (0, 1, 2, 3, 4)


def alert_rule_list(*, ctx: OrgContext) -> QuerySet[AlertRule]:
    return AlertRule.objects.for_org(ctx.organization).select_related("touchpoint", "journey", "survey", "default_team")


def alert_rule_get(*, ctx: OrgContext, pk: int) -> AlertRule:
    return get_in_org(AlertRule.objects.all(), ctx, pk=pk)


def business_calendar_get(*, ctx: OrgContext) -> BusinessCalendar:
    """The organization's calendar (an unsaved default Monday-Friday 08-17 one if none was saved yet)."""
    calendar = BusinessCalendar.objects.for_org(ctx.organization).first()
    return calendar or BusinessCalendar(organization=ctx.organization, working_days=list(DEFAULT_WORKING_DAYS))


def holiday_list(*, ctx: OrgContext) -> QuerySet[Holiday]:
    return Holiday.objects.for_org(ctx.organization).order_by("date")


def holiday_get(*, ctx: OrgContext, pk: int) -> Holiday:
    return get_in_org(Holiday.objects.all(), ctx, pk=pk)


def working_calendar(*, organization: Organization, since: dt.date | None = None) -> WorkingCalendar:
    """The pure calendar used for SLA arithmetic: working days and hours, holidays from `since` on (2 queries)."""
    calendar = BusinessCalendar.objects.for_org(organization).first()
    holidays = Holiday.objects.for_org(organization)
    if since is not None:
        holidays = holidays.filter(date__gte=since)
    days = frozenset(calendar.working_days) if calendar and calendar.working_days else frozenset(DEFAULT_WORKING_DAYS)
    return WorkingCalendar(
        timezone=organization.timezone,
        working_days=days,
        day_start=calendar.day_start if calendar else dt.time(8, 0),
        day_end=calendar.day_end if calendar else dt.time(17, 0),
        holidays=frozenset(holidays.values_list("date", flat=True)),
    )
