"""Writes for the closed loop's configuration: alert rules, the root-cause taxonomy, the business calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from actions.models import AlertRule, BusinessCalendar, Holiday, RootCause
from actions.policies import actor
from audit import actions as audit_actions
from audit.services import audit_changes, audit_record, audit_snapshot

RULE_FIELDS = frozenset(
    {
        "name",
        "is_active",
        "priority",
        "touchpoint",
        "journey",
        "survey",
        "nps_max",
        "csat_max",
        "keywords",
        "min_revenue_12m",
        "requires_comment",
        "negative_sentiment",
        "default_team",
        "sla_hours",
        "sla_business_hours",
        "notify_team",
        "reply_to_customer",
    }
)
# Many-to-many fields of a rule: set once it is saved. `on_themes` follows `themes` (the database's "has a
# condition" check cannot look at a many-to-many field).
RULE_M2M_FIELDS = frozenset({"themes"})


def _require_edit(ctx: OrgContext) -> None:
    if not ctx.can_edit_program:
        raise PermissionDenied


def _check_same_org(ctx: OrgContext, values: dict[str, Any]) -> None:
    for value in values.values():
        org_id = getattr(value, "organization_id", None)
        if org_id is not None and org_id != ctx.org_id:
            raise ValidationError(_("Unknown related row."))


@transaction.atomic
def alert_rule_save(*, ctx: OrgContext, rule: AlertRule | None, fields: dict[str, Any]) -> AlertRule:
    _require_edit(ctx)
    if set(fields) - RULE_FIELDS - RULE_M2M_FIELDS:
        raise ValueError(f"not editable: {sorted(set(fields) - RULE_FIELDS - RULE_M2M_FIELDS)}")
    fields = dict(fields)
    themes = fields.pop("themes", None)
    themes = None if themes is None else list(themes)
    _check_same_org(ctx, fields)
    _check_same_org(ctx, {theme.pk: theme for theme in themes or []})
    before = None if rule is None else _rule_snapshot(rule)
    if rule is None:
        rule = AlertRule(organization=ctx.organization, created_by=actor(ctx))
    for name, value in fields.items():
        setattr(rule, name, value)
    if themes is not None:
        rule.on_themes = bool(themes)
    rule.full_clean(exclude=["organization", "created_by", "touchpoint", "journey", "survey", "default_team"])
    rule.save()
    if themes is not None:
        rule.themes.set(themes)
    changes = audit_changes(before, _rule_snapshot(rule))
    if before is None or changes:
        action = audit_actions.ALERT_RULE_CREATE if before is None else audit_actions.ALERT_RULE_CHANGE
        audit_record(action=action, ctx=ctx, target=rule, detail={"changes": changes})
    return rule


def _rule_snapshot(rule: AlertRule) -> dict[str, Any]:
    values = audit_snapshot(rule, sorted(RULE_FIELDS))
    values["themes"] = sorted(rule.themes.values_list("pk", flat=True)) if rule.pk else []
    return values


@transaction.atomic
def alert_rule_delete(*, ctx: OrgContext, rule: AlertRule) -> None:
    """Delete a rule; its cases stay (they keep their team and SLA, and lose the link to the rule)."""
    _require_edit(ctx)
    changes = audit_changes(_rule_snapshot(rule), None)
    audit_record(action=audit_actions.ALERT_RULE_DELETE, ctx=ctx, target=rule, detail={"changes": changes})
    rule.delete()


def root_cause_save(
    *,
    ctx: OrgContext,
    root_cause: RootCause | None,
    name: str,
    parent: RootCause | None,
    description: str = "",
    is_active: bool = True,
    position: int | None = None,
) -> RootCause:
    _require_edit(ctx)
    if parent is not None and parent.organization_id != ctx.org_id:
        raise ValidationError(_("Unknown parent."))
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the root cause a name."))
    if root_cause is not None and parent is not None:
        node: RootCause | None = parent
        seen = set()
        while node is not None and node.pk not in seen:
            if node.pk == root_cause.pk:
                raise ValidationError(_("A root cause cannot sit under itself."))
            seen.add(node.pk)
            node = node.parent
    rc = root_cause or RootCause(organization=ctx.organization)
    rc.name, rc.parent, rc.description, rc.is_active = name, parent, description, is_active
    if position is not None:
        rc.position = position
    try:
        with transaction.atomic():
            rc.save()
    except IntegrityError:
        raise ValidationError(_("A root cause with this name already exists at this level."))
    return rc


@transaction.atomic
def business_calendar_save(
    *, ctx: OrgContext, working_days: list[int], day_start: dt.time, day_end: dt.time
) -> BusinessCalendar:
    _require_edit(ctx)
    days = sorted({int(d) for d in working_days if 0 <= int(d) <= 6})
    if not days:
        raise ValidationError(_("Choose at least one working day."))
    if day_end <= day_start:
        raise ValidationError(_("The working day must end after it starts."))
    calendar_fields = ("working_days", "day_start", "day_end")
    old = BusinessCalendar.objects.filter(organization=ctx.organization).select_for_update().first()
    before = audit_snapshot(old, calendar_fields) if old is not None else None
    calendar, _created = BusinessCalendar.objects.update_or_create(
        organization=ctx.organization, defaults={"working_days": days, "day_start": day_start, "day_end": day_end}
    )
    changes = audit_changes(before, audit_snapshot(calendar, calendar_fields))
    if changes:
        audit_record(action=audit_actions.CALENDAR_CHANGE, ctx=ctx, target=calendar, detail={"changes": changes})
    return calendar


@transaction.atomic
def holiday_add(*, ctx: OrgContext, date: dt.date, name: str) -> Holiday:
    _require_edit(ctx)
    holiday, _created = Holiday.objects.update_or_create(
        organization=ctx.organization, date=date, defaults={"name": name.strip() or str(date)}
    )
    detail = {"date": date.isoformat(), "name": holiday.name}
    audit_record(action=audit_actions.HOLIDAY_ADD, ctx=ctx, target=holiday, detail=detail)
    return holiday


@transaction.atomic
def holiday_delete(*, ctx: OrgContext, holiday: Holiday) -> None:
    _require_edit(ctx)
    detail = {"date": holiday.date.isoformat(), "name": holiday.name}
    audit_record(action=audit_actions.HOLIDAY_DELETE, ctx=ctx, target=holiday, detail=detail)
    holiday.delete()
