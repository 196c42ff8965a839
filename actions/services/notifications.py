"""E-mails of the closed loop: new case to the team, reply to the customer, escalations.

Each e-mail is claimed before it is sent with a conditional UPDATE on the case (a timestamp or the escalation
level), so a task that runs twice, or two workers at once, send it once. The price is at-most-once delivery: if
the SMTP server fails after the claim, the e-mail is not retried (the timeline still shows the escalation).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role
from actions.models import CaseEvent, EscalationLevel, FeedbackCase
from actions.replies import render_reply
from actions.services.cases import case_event_add

logger = logging.getLogger(__name__)


def case_url(case: FeedbackCase) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("actions:case_detail", args=[case.pk])


def _emails(users) -> list[str]:
    return sorted({u.email for u in users if u is not None and u.email})


def team_recipients(case: FeedbackCase) -> list[str]:
    if case.team_id is None:
        return cx_manager_recipients(case)
    User = get_user_model()
    members = User.objects.filter(
        Q(memberships__organization_id=case.organization_id, memberships__teams=case.team_id)
        | Q(led_teams=case.team_id)
    ).distinct()
    return _emails(members)


def cx_manager_recipients(case: FeedbackCase) -> list[str]:
    User = get_user_model()
    return _emails(
        User.objects.filter(memberships__organization_id=case.organization_id, memberships__role=Role.CX_MANAGER)
    )


def _load(case_id: int) -> FeedbackCase | None:
    return (
        FeedbackCase.objects.select_related("organization", "team", "team__lead", "touchpoint", "customer", "assignee")
        .filter(pk=case_id)
        .first()
    )


@contextmanager
def _locale(case: FeedbackCase):
    """Staff e-mails in the organization's language, with times in its time zone."""
    with (
        translation.override(case.organization.default_language),
        timezone.override(ZoneInfo(case.organization.timezone)),
    ):
        yield


def _send(*, subject: str, body: str, to: list[str]) -> None:
    EmailMessage(subject=subject, body=body, to=to).send()


def case_notify_team(*, case_id: int) -> bool:
    """E-mail the case's team (CX managers for a case without team) once. True if sent now."""
    case = _load(case_id)
    if case is None or case.rule is None or not case.rule.notify_team:
        return False
    if not FeedbackCase.objects.filter(pk=case_id, team_notified_at__isnull=True).update(
        team_notified_at=timezone.now()
    ):
        return False
    to = team_recipients(case)
    if not to:
        return False
    with _locale(case):
        subject = _("New feedback case #%(id)s: %(touchpoint)s") % {
            "id": case.pk,
            "touchpoint": case.touchpoint or _("no touchpoint"),
        }
        body = render_to_string("actions/email/case_opened.txt", {"case": case, "url": case_url(case)})
    _send(subject=subject, body=body, to=to)
    case_event_add(case=case, kind=CaseEvent.Kind.NOTIFIED, new=case.team.name if case.team else "")
    return True


def case_reply_customer(*, case_id: int) -> bool:
    """Send the customer the rule's acknowledgement once, in their language, only if they may be contacted."""
    case = _load(case_id)
    if case is None or case.rule is None or not case.rule.reply_to_customer:
        return False
    customer = case.customer
    if customer is None or not customer.may_contact or not customer.email:
        return False
    if not FeedbackCase.objects.filter(pk=case_id, customer_replied_at__isnull=True).update(
        customer_replied_at=timezone.now()
    ):
        return False
    language = customer.language or case.response.language or case.organization.default_language
    subject, body = render_reply(
        language=language,
        customer_name=customer.name,
        organization=case.organization.name,
        touchpoint=case.touchpoint.name if case.touchpoint else "",
    )
    _send(subject=subject, body=body, to=[customer.email])
    case_event_add(case=case, kind=CaseEvent.Kind.REPLIED, new=language)
    return True


def case_escalation_send(*, case: FeedbackCase, level: int) -> list[str]:
    """The e-mail of one escalation level (the level was claimed by the caller). Returns the recipients."""
    lead = case.team.lead if case.team_id and case.team.lead_id else None
    if level == EscalationLevel.NEARING:
        # The team lead is reminded (CX managers stand in for a team without a lead); the assignee too.
        to = _emails([lead, case.assignee]) if lead else cx_manager_recipients(case) + _emails([case.assignee])
    else:
        to = cx_manager_recipients(case) + _emails([lead, case.assignee])
    to = sorted(set(to))
    with _locale(case):
        if level == EscalationLevel.NEARING:
            subject = _("Case #%(id)s is nearing its SLA") % {"id": case.pk}
        else:
            subject = _("Case #%(id)s is overdue") % {"id": case.pk}
        body = render_to_string(
            "actions/email/case_escalated.txt",
            {"case": case, "url": case_url(case), "overdue": level == EscalationLevel.OVERDUE},
        )
    if to:
        _send(subject=subject, body=body, to=to)
    else:
        logger.warning("case %s escalated to level %s but nobody has an e-mail address", case.pk, level)
    return to
