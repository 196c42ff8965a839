"""Contact rules: may this customer be invited now, for this touchpoint's survey?

The rule, in order (the first that matches decides):
1. unknown customer -> not invited (`unknown_customer`)
2. customer without `may_survey` -> never invited (`no_consent`)
3. inactive touchpoint -> never invited (`touchpoint_inactive`)
4. no published survey for the touchpoint -> not invited (`no_published_survey`)
5. event older than SURVEYS_EVENT_MAX_AGE_DAYS -> not invited (`stale_event`)
6. quarantine: the customer was invited (withdrawn invitations excepted) or answered any survey within
   Organization.survey_quarantine_days -> not invited (`quarantine`); the held invitation of rule 7 does not count
7. priority: an event invitation is held for SURVEYS_EVENT_HOLD_MINUTES before its e-mail goes out. While one is
   held for the customer, an event at a touchpoint of strictly higher `priority` replaces it (the held one is
   withdrawn and never sent: `replaces_lower_priority`); equal or lower priority -> not invited (`lower_priority`).
   So among events for one customer within the hold window the highest-priority touchpoint wins (the earliest
   one on a tie); after the window the quarantine applies.
8. otherwise invited (`eligible`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from customers.models import Customer
from journeys.models import Touchpoint
from surveys.models import ContactDecision, Invitation, Response, Survey

Reason = ContactDecision.Reason


@dataclass(frozen=True)
class Verdict:
    invite: bool
    reason: str
    message: str
    replaces: Invitation | None = None


def held_invitation(customer: Customer) -> Invitation | None:
    return (
        Invitation.objects.filter(
            customer=customer,
            sent_at__isnull=True,
            send_after__isnull=False,
            withdrawn_at__isnull=True,
            used_at__isnull=True,
        )
        .select_related("touchpoint")
        .order_by("-created_at")
        .first()
    )


def evaluate(
    *,
    customer: Customer | None,
    touchpoint: Touchpoint | None,
    survey: Survey | None,
    now: dt.datetime,
    occurred_at: dt.datetime | None = None,
    allow_replace: bool = True,
) -> Verdict:
    if customer is None:
        return Verdict(False, Reason.UNKNOWN_CUSTOMER, _("No customer with this external id."))
    if not customer.may_survey:
        return Verdict(False, Reason.NO_CONSENT, _("The customer may not be surveyed."))
    if touchpoint is not None and not touchpoint.is_active:
        return Verdict(False, Reason.TOUCHPOINT_INACTIVE, _("The touchpoint is inactive."))
    if survey is None or survey.status != Survey.Status.PUBLISHED or survey.current_version_id is None:
        return Verdict(False, Reason.NO_PUBLISHED_SURVEY, _("No published survey covers this touchpoint."))
    max_age = dt.timedelta(days=settings.SURVEYS_EVENT_MAX_AGE_DAYS)
    if occurred_at is not None and occurred_at < now - max_age:
        return Verdict(
            False,
            Reason.STALE_EVENT,
            _("The event is older than %(days)s days.") % {"days": settings.SURVEYS_EVENT_MAX_AGE_DAYS},
        )

    held = held_invitation(customer)
    days = customer.organization.survey_quarantine_days
    if days:
        since = now - dt.timedelta(days=days)
        invited = Invitation.objects.filter(customer=customer, created_at__gte=since, withdrawn_at__isnull=True)
        if held is not None:
            invited = invited.exclude(pk=held.pk)
        last_invited = invited.order_by("-created_at").values_list("created_at", flat=True).first()
        last_answered = (
            Response.objects.filter(customer=customer, submitted_at__gte=since)
            .order_by("-submitted_at")
            .values_list("submitted_at", flat=True)
            .first()
        )
        if last_invited or last_answered:
            when = max(d for d in (last_invited, last_answered) if d)
            return Verdict(
                False,
                Reason.QUARANTINE,
                _("Invited or answered on %(date)s, within the %(days)s-day quarantine.")
                % {"date": when.date().isoformat(), "days": days},
            )

    if held is not None:
        held_tp = held.touchpoint
        held_priority = held_tp.priority if held_tp is not None else 0
        if allow_replace and touchpoint is not None and touchpoint.priority > held_priority:
            return Verdict(
                True,
                Reason.REPLACES_LOWER_PRIORITY,
                _("Replaces the pending invitation for “%(tp)s” (priority %(p)s < %(q)s).")
                % {"tp": held_tp or "-", "p": held_priority, "q": touchpoint.priority},
                replaces=held,
            )
        return Verdict(
            False,
            Reason.LOWER_PRIORITY,
            _("A pending invitation for “%(tp)s” (priority %(p)s) wins.") % {"tp": held_tp or "-", "p": held_priority},
        )
    return Verdict(True, Reason.ELIGIBLE, _("Invited."))
