"""Writes on feedback cases. Every change leaves a CaseEvent (who, when, what, old and new value).

Each function checks the caller's right to act (actions.policies) and locks the case row for the change, so two
people working on one case never lose each other's updates. Claiming is a conditional UPDATE: of two people who
click "claim" at the same moment exactly one gets the case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from actions.models import (
    OPEN_STATUSES,
    AlertRule,
    CaseEvent,
    CaseStatus,
    ContactAttempt,
    EscalationLevel,
    FeedbackCase,
    RootCause,
)
from actions.policies import can_act_on_case, can_assign_case
from actions.selectors.config import working_calendar
from actions.signals import case_closed, case_opened
from actions.sla import due_times
from journeys.models import Touchpoint
from surveys.models import Response


def _user_label(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def case_event_add(
    *, case: FeedbackCase, kind: str, actor=None, old: str = "", new: str = "", note: str = "", at=None
) -> CaseEvent:
    return CaseEvent.objects.create(
        organization_id=case.organization_id,
        case=case,
        actor=actor if actor is not None and actor.is_authenticated else None,
        kind=kind,
        old_value=str(old)[:255],
        new_value=str(new)[:255],
        note=note,
        created_at=at or timezone.now(),
    )


def _sla_times(
    *, organization, start: dt.datetime, hours: int, business_hours: bool
) -> tuple[dt.datetime, dt.datetime]:
    calendar = None
    if business_hours:
        since = timezone.localdate(start) - dt.timedelta(days=1)
        calendar = working_calendar(organization=organization, since=since)
    return due_times(start, hours, warning_fraction=settings.ACTIONS_SLA_WARNING_FRACTION, calendar=calendar)


def case_open(
    *,
    response: Response,
    rule: AlertRule,
    also_matched: list[AlertRule] | None = None,
    nps: float | None = None,
    csat: float | None = None,
    now: dt.datetime | None = None,
) -> tuple[FeedbackCase, bool]:
    """Open the case of a response, or return the one that exists: (case, created).

    The unique index on the response decides (not a read-then-insert), so a signal delivered twice, even by two
    workers at once, opens one case. The insert runs in a savepoint: the caller's transaction survives a conflict.
    """
    from actions.services.notifications import case_notifications_enqueue

    now = now or timezone.now()
    touchpoint = response.touchpoint
    team_id = (touchpoint.responsible_team_id if touchpoint else None) or rule.default_team_id
    warn_at, due_at = _sla_times(
        # The organization (its time zone and calendar) is only loaded for a business-hours SLA.
        organization=response.organization if rule.sla_business_hours else None,
        start=now,
        hours=rule.sla_hours,
        business_hours=rule.sla_business_hours,
    )
    try:
        with transaction.atomic():
            case = FeedbackCase.objects.create(
                organization_id=response.organization_id,
                response=response,
                rule=rule,
                touchpoint=touchpoint,
                customer_id=response.customer_id,
                team_id=team_id,
                nps=round(nps) if nps is not None else None,
                csat=round(csat) if csat is not None else None,
                opened_at=now,
                sla_hours=rule.sla_hours,
                sla_business_hours=rule.sla_business_hours,
                warn_at=warn_at,
                due_at=due_at,
            )
            others = ", ".join(r.name for r in also_matched or [])
            case_event_add(
                case=case,
                kind=CaseEvent.Kind.CREATED,
                new=rule.name,
                note=_("Also matched: %(rules)s") % {"rules": others} if others else "",
                at=now,
            )
            # The e-mails (team, customer) are outbox rows committed with the case: no broker outage can lose them.
            case_notifications_enqueue(case=case)
            case_opened.send(sender=FeedbackCase, case=case)
    except IntegrityError:
        return FeedbackCase.objects.get(response=response), False
    return case, True


def _locked(case: FeedbackCase, ctx: OrgContext | None = None) -> FeedbackCase:
    """The case's row, locked for this transaction; with `ctx`, the caller must be allowed to act on it.

    The right to act is checked on the locked row, so a colleague's claim that landed a moment ago counts.
    """
    locked = FeedbackCase.objects.select_for_update(of=("self",)).select_related("customer", "assignee").get(pk=case.pk)
    if ctx is not None:
        _require_act(ctx, locked)
    return locked


def _require_act(ctx: OrgContext, case: FeedbackCase) -> None:
    if not can_act_on_case(ctx, case):
        raise PermissionDenied(_("You cannot change this case."))


def _require_open(case: FeedbackCase) -> None:
    if not case.is_open:
        raise ValidationError(_("The case is closed; reopen it first."))


@dataclass(frozen=True)
class ClaimResult:
    case: FeedbackCase
    claimed: bool
    holder: str = ""


def case_claim(*, ctx: OrgContext, case: FeedbackCase, at: dt.datetime | None = None) -> ClaimResult:
    """Take an unassigned case. Exactly one of several simultaneous claims wins; the others learn who has it."""
    if ctx.is_read_only or ctx.user is None:
        raise PermissionDenied(_("You cannot claim this case."))
    now = at or timezone.now()
    with transaction.atomic():
        updated = FeedbackCase.objects.filter(pk=case.pk, assignee__isnull=True, status__in=OPEN_STATUSES).update(
            assignee=ctx.user,
            claimed_at=now,
            status=Case(When(status=CaseStatus.NEW, then=Value(CaseStatus.CLAIMED)), default=F("status")),
            updated_at=now,
        )
        if updated:
            case.refresh_from_db()
            case_event_add(case=case, kind=CaseEvent.Kind.CLAIMED, actor=ctx.user, new=_user_label(ctx.user), at=now)
            return ClaimResult(case=case, claimed=True)
    case.refresh_from_db()
    holder = _user_label(case.assignee) if case.assignee_id else ""
    return ClaimResult(case=case, claimed=False, holder=holder)


def case_assign(*, ctx: OrgContext, case: FeedbackCase, assignee, at: dt.datetime | None = None) -> FeedbackCase:
    """Give a case to someone (team leads and CX managers). `assignee=None` puts it back in the queue."""
    if not can_assign_case(ctx, case):
        raise PermissionDenied(_("You cannot assign this case."))
    from actions.selectors.cases import assignable_users

    if assignee is not None and not assignable_users(ctx=ctx, case=case).filter(pk=assignee.pk).exists():
        raise ValidationError(_("That person cannot take this case."))
    with transaction.atomic():
        case = _locked(case)
        _require_open(case)
        old = case.assignee
        if (old.pk if old else None) == (assignee.pk if assignee else None):
            return case
        case.assignee = assignee
        fields = ["assignee", "updated_at"]
        if assignee is not None and case.status == CaseStatus.NEW:
            case.status, case.claimed_at = CaseStatus.CLAIMED, at or timezone.now()
            fields += ["status", "claimed_at"]
        if assignee is None and case.status == CaseStatus.CLAIMED:
            case.status = CaseStatus.NEW
            fields.append("status")
        case.save(update_fields=fields)
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.ASSIGNED,
            actor=ctx.user,
            old=_user_label(old),
            new=_user_label(assignee),
            at=at,
        )
    return case


def case_set_team(*, ctx: OrgContext, case: FeedbackCase, team, at: dt.datetime | None = None) -> FeedbackCase:
    """Move an open case to another team's queue (it leaves its assignee). A team lead moves cases only between
    the teams they lead; CX managers and admins between any teams of the organization."""
    from actions.selectors.cases import bulk_assignable_teams

    if not can_assign_case(ctx, case):
        raise PermissionDenied(_("You cannot assign this case."))
    if not bulk_assignable_teams(ctx=ctx).filter(pk=team.pk).exists():
        raise ValidationError(_("You cannot give cases to that team."))
    with transaction.atomic():
        case = _locked(case)
        _require_open(case)
        if case.team_id == team.pk:
            return case
        old_team = case.team
        old_assignee = case.assignee
        case.team = team
        case.assignee = None
        fields = ["team", "assignee", "updated_at"]
        if case.status == CaseStatus.CLAIMED:
            case.status = CaseStatus.NEW
            fields.append("status")
        case.save(update_fields=fields)
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.TEAM,
            actor=ctx.user,
            old=old_team.name if old_team else "",
            new=team.name,
            at=at,
        )
        if old_assignee is not None:
            case_event_add(
                case=case, kind=CaseEvent.Kind.ASSIGNED, actor=ctx.user, old=_user_label(old_assignee), at=at
            )
    return case


@dataclass(frozen=True)
class BulkAssignResult:
    done: list[FeedbackCase]
    skipped: list[tuple[FeedbackCase, str]]


def case_bulk_assign(*, ctx: OrgContext, cases, assignee=None, team=None) -> BulkAssignResult:
    """Assign several cases to one person (or to a team's queue): each case goes through the same checks, lock and
    timeline event as a single assignment; a case that cannot take the change (closed since the list was loaded,
    another team's, a person who cannot take it) is skipped with the reason, and the others are still assigned."""
    done, skipped = [], []
    for case in cases:
        if not case.is_open:
            skipped.append((case, _("It has been closed.")))
            continue
        try:
            if team is not None:
                done.append(case_set_team(ctx=ctx, case=case, team=team))
            else:
                done.append(case_assign(ctx=ctx, case=case, assignee=assignee))
        except (PermissionDenied, ValidationError) as exc:
            message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            skipped.append((case, message))
    return BulkAssignResult(done=done, skipped=skipped)


def case_log_contact(
    *, ctx: OrgContext, case: FeedbackCase, channel: str, outcome: str, note: str = "", at: dt.datetime | None = None
) -> ContactAttempt:
    """Record a call or e-mail. The first one that reaches the customer stops the time-to-first-contact clock."""
    if channel not in ContactAttempt.Channel.values or outcome not in ContactAttempt.Outcome.values:
        raise ValidationError(_("Unknown channel or outcome."))
    at = at or timezone.now()
    with transaction.atomic():
        case = _locked(case, ctx)
        _require_open(case)
        if case.customer is None or not case.customer.may_contact:
            raise ValidationError(_("The customer has not agreed to be contacted back."))
        attempt = ContactAttempt.objects.create(
            organization_id=case.organization_id,
            case=case,
            by=ctx.user if ctx.user is not None and ctx.user.is_authenticated else None,
            channel=channel,
            outcome=outcome,
            note=note,
            at=at,
        )
        fields = ["updated_at"]
        if attempt.is_contact and case.first_contact_at is None:
            case.first_contact_at = at
            case.time_to_first_contact = max(at - case.opened_at, dt.timedelta(0))
            fields += ["first_contact_at", "time_to_first_contact"]
        old_status = case.status
        if attempt.is_contact and case.status != CaseStatus.CONTACTED:
            case.status = CaseStatus.CONTACTED
            fields.append("status")
        if case.assignee_id is None and ctx.user is not None and ctx.user.is_authenticated:
            case.assignee, case.claimed_at = ctx.user, at
            fields += ["assignee", "claimed_at"]
        case.save(update_fields=fields)
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.CONTACT,
            actor=ctx.user,
            new=str(attempt),
            note=note,
            at=at,
        )
        if case.status != old_status:
            case_event_add(
                case=case, kind=CaseEvent.Kind.STATUS, actor=ctx.user, old=old_status, new=case.status, at=at
            )
    return attempt


def case_add_note(*, ctx: OrgContext, case: FeedbackCase, note: str, at: dt.datetime | None = None) -> CaseEvent:
    note = note.strip()
    if not note:
        raise ValidationError(_("Write a note first."))
    with transaction.atomic():
        case = _locked(case, ctx)
        case.save(update_fields=["updated_at"])
        return case_event_add(case=case, kind=CaseEvent.Kind.NOTE, actor=ctx.user, note=note, at=at)


def _root_cause_label(root_cause: RootCause | None) -> str:
    from actions.selectors.cases import root_cause_path

    return root_cause_path(root_cause)


# "Leave where the problem started as it is" (a caller that does not deal with it), as opposed to None: "at the
# case's own touchpoint".
UNCHANGED: Any = object()


def _touchpoint_label(touchpoint: Touchpoint | None) -> str:
    if touchpoint is None:
        return ""
    return f"{touchpoint.journey.name} › {touchpoint.name}"


def _check_origin(case: FeedbackCase, origin: Touchpoint | None) -> None:
    if origin is not UNCHANGED and origin is not None and origin.organization_id != case.organization_id:
        raise ValidationError(_("Unknown touchpoint."))


def _set_origin(ctx: OrgContext, case: FeedbackCase, origin: Touchpoint | None, at: dt.datetime | None) -> None:
    """On the locked case: where the problem started. The case's own touchpoint is stored as None, so "it started
    elsewhere" is simply a non-empty origin. The change is a note on the timeline (a root-cause event would tell
    listeners the root cause changed)."""
    new = None if origin is None or origin.pk == case.touchpoint_id else origin
    if case.origin_touchpoint_id == (new.pk if new else None):
        return
    old = case.origin_touchpoint
    case.origin_touchpoint = new
    case.save(update_fields=["origin_touchpoint", "updated_at"])
    case_event_add(
        case=case,
        kind=CaseEvent.Kind.NOTE,
        actor=ctx.user,
        old=_touchpoint_label(old or case.touchpoint),
        new=_touchpoint_label(new or case.touchpoint),
        note=_("Where the problem started changed."),
        at=at,
    )


def case_set_origin(
    *, ctx: OrgContext, case: FeedbackCase, origin_touchpoint: Touchpoint | None, at: dt.datetime | None = None
) -> FeedbackCase:
    """Record the touchpoint where the problem started (None: the case's own touchpoint); a touchpoint of the
    case's organization only. Allowed on closed cases too, like the root cause."""
    _check_origin(case, origin_touchpoint)
    with transaction.atomic():
        case = _locked(case, ctx)
        _set_origin(ctx, case, origin_touchpoint, at)
    return case


def case_set_root_cause(
    *,
    ctx: OrgContext,
    case: FeedbackCase,
    root_cause: RootCause | None,
    origin_touchpoint: Touchpoint | None = UNCHANGED,
    at: dt.datetime | None = None,
) -> FeedbackCase:
    """Set the root cause and, when given, where the problem started (see `case_set_origin`)."""
    if root_cause is not None and root_cause.organization_id != case.organization_id:
        raise ValidationError(_("Unknown root cause."))
    _check_origin(case, origin_touchpoint)
    with transaction.atomic():
        case = _locked(case, ctx)
        old = case.root_cause
        if (old.pk if old else None) != (root_cause.pk if root_cause else None):
            case.root_cause = root_cause
            case.save(update_fields=["root_cause", "updated_at"])
            case_event_add(
                case=case,
                kind=CaseEvent.Kind.ROOT_CAUSE,
                actor=ctx.user,
                old=_root_cause_label(old),
                new=_root_cause_label(root_cause),
                at=at,
            )
        if origin_touchpoint is not UNCHANGED:
            _set_origin(ctx, case, origin_touchpoint, at)
    return case


def case_set_resolution(*, ctx: OrgContext, case: FeedbackCase, resolution: str) -> FeedbackCase:
    resolution = resolution.strip()
    with transaction.atomic():
        case = _locked(case, ctx)
        if case.resolution == resolution:
            return case
        old = case.resolution
        case.resolution = resolution
        case.save(update_fields=["resolution", "updated_at"])
        case_event_add(case=case, kind=CaseEvent.Kind.RESOLUTION, actor=ctx.user, old=old, new=resolution)
    return case


def case_close(
    *,
    ctx: OrgContext,
    case: FeedbackCase,
    resolution: str,
    root_cause: RootCause | None = None,
    without_contact: bool = False,
    origin_touchpoint: Touchpoint | None = UNCHANGED,
    at: dt.datetime | None = None,
) -> FeedbackCase:
    """Close with a resolution. A root cause is required unless the case is closed without contact. Where the
    problem started is recorded when given (see `case_set_origin`)."""
    _require_act(ctx, case)  # checked again on the locked row below
    _check_origin(case, origin_touchpoint)
    resolution = resolution.strip()
    if without_contact and not resolution:
        resolution = _("Closed without contact: the customer has not agreed to be contacted back.")
    if not resolution:
        raise ValidationError(_("Describe the resolution before closing."))
    at = at or timezone.now()
    # One transaction: a close that fails (the case was closed meanwhile, no root cause) changes nothing.
    with transaction.atomic():
        _require_open(_locked(case, ctx))
        if root_cause is not None:
            case_set_root_cause(ctx=ctx, case=case, root_cause=root_cause, at=at)
        if origin_touchpoint is not UNCHANGED:
            case_set_origin(ctx=ctx, case=case, origin_touchpoint=origin_touchpoint, at=at)
        case = _locked(case, ctx)
        _require_open(case)
        if case.root_cause_id is None and not without_contact:
            raise ValidationError(_("Choose a root cause before closing."))
        if case.resolution != resolution:
            case_event_add(
                case=case, kind=CaseEvent.Kind.RESOLUTION, actor=ctx.user, old=case.resolution, new=resolution, at=at
            )
        old_status = case.status
        case.status = CaseStatus.CLOSED
        case.resolution = resolution
        case.closed_at = at
        case.time_to_close = max(at - case.opened_at, dt.timedelta(0))
        case.closed_by = ctx.user if ctx.user is not None and ctx.user.is_authenticated else None
        case.closed_without_contact = without_contact
        fields = ["status", "resolution", "closed_at", "time_to_close", "closed_by", "closed_without_contact"]
        if case.assignee_id is None and case.closed_by is not None:
            case.assignee = case.closed_by
            fields.append("assignee")
        case.save(update_fields=[*fields, "updated_at"])
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.CLOSED,
            actor=ctx.user,
            old=old_status,
            new=CaseStatus.CLOSED,
            note=_("Closed without contact") if without_contact else "",
            at=at,
        )
        case_closed.send(sender=FeedbackCase, case=case, actor=case.closed_by)
    return case


def case_reopen(
    *, ctx: OrgContext, case: FeedbackCase, reason: str = "", at: dt.datetime | None = None
) -> FeedbackCase:
    """Reopen a closed case with a fresh SLA (and escalation starting over)."""
    now = at or timezone.now()
    with transaction.atomic():
        case = _locked(case, ctx)
        if case.is_open:
            raise ValidationError(_("The case is already open."))
        warn_at, due_at = _sla_times(
            organization=case.organization, start=now, hours=case.sla_hours, business_hours=case.sla_business_hours
        )
        case.status = CaseStatus.REOPENED
        case.closed_at = None
        case.time_to_close = None
        case.closed_by = None
        case.closed_without_contact = False
        case.warn_at, case.due_at = warn_at, due_at
        case.escalation_level, case.escalated_at = EscalationLevel.NONE, None
        case.reopen_count += 1
        case.save(
            update_fields=[
                "status",
                "closed_at",
                "time_to_close",
                "closed_by",
                "closed_without_contact",
                "warn_at",
                "due_at",
                "escalation_level",
                "escalated_at",
                "reopen_count",
                "updated_at",
            ]
        )
        case_event_add(
            case=case,
            kind=CaseEvent.Kind.REOPENED,
            actor=ctx.user,
            old=CaseStatus.CLOSED,
            new=CaseStatus.REOPENED,
            note=reason.strip(),
            at=now,
        )
    return case
