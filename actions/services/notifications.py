"""E-mails of the closed loop: new case to the team, reply to the customer, escalations, all through the outbox.

Each e-mail is an outbox row per recipient, written in the transaction of the change it reports (the case insert in
`case_open`, the escalation level update in `case_escalate`), so a broker outage or a lost task loses none: the
outbox's sweep sends what the after-commit task missed, and each recipient gets each e-mail once (outbox.services).
The texts are rendered here when the rows are written: staff e-mails in each recipient's saved language (their
settings; the organization's language if they saved none) with times in the organization's time zone, one rendering
per language; the customer's reply in the customer's language (actions.replies).

The case's fields stay truthful: `team_notified_at` and `customer_replied_at` are stamped when the first such e-mail
has actually been sent (the outbox calls `case_team_notified` / `case_customer_replied`, declared in
actions/outbox_kinds.py), with the timeline event; `escalation_level` says which level was reached (its e-mails follow
from the outbox, their recipients are on the timeline).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.selectors import saved_languages
from actions.models import OPEN_STATUSES, CaseEvent, EscalationLevel, FeedbackCase
from actions.replies import render_reply
from actions.services.cases import case_event_add
from outbox.rendering import email_language, recipient_locale
from outbox.services import Email, outbox_enqueue

logger = logging.getLogger(__name__)

# Outbox kinds of the actions app (their hooks: actions/outbox_kinds.py).
KIND_CASE_OPENED = "actions.case_opened"
KIND_CASE_REPLY = "actions.case_reply"
KIND_CASE_ESCALATED = "actions.case_escalated"


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
        FeedbackCase.objects.select_related(
            "organization", "rule", "team", "team__lead", "touchpoint", "customer", "assignee", "response"
        )
        .filter(pk=case_id)
        .first()
    )


def recipient_languages(case: FeedbackCase, to: list[str]) -> dict[str, str]:
    """The language of each address's e-mail: the saved language of the user with that address (their settings),
    else the organization's default language. An address shared by several users takes the first saved one."""
    fallback = email_language(case.organization.default_language)
    User = get_user_model()
    users = dict(User.objects.filter(email__in=to).order_by("pk").values_list("pk", "email"))
    saved = saved_languages(users)
    chosen: dict[str, str] = {}
    for user_id, address in users.items():
        if user_id in saved and address not in chosen:
            chosen[address] = email_language(saved[user_id], fallback)
    return {address: chosen.get(address, fallback) for address in to}


def _staff_emails(case: FeedbackCase, to: list[str], render: Callable[[], tuple[str, str]]) -> list[Email]:
    """One e-mail per address, `render()` (-> subject, body) called once per language inside `recipient_locale`:
    the recipient's language, times in the organization's time zone."""
    languages = recipient_languages(case, to)
    rendered: dict[str, tuple[str, str]] = {}
    for language in sorted(set(languages.values())):
        with recipient_locale(language=language, time_zone=case.organization.timezone):
            rendered[language] = render()
    return [
        Email(
            recipient=address,
            subject=rendered[languages[address]][0],
            body=rendered[languages[address]][1],
            language=languages[address],
        )
        for address in to
    ]


# --- a new case ----------------------------------------------------------------------------------------------------


def case_notifications_enqueue(*, case: FeedbackCase) -> list[int]:
    """Queue the e-mails of a new case that its rule asks for (team, customer), in the caller's transaction.

    Idempotent: one e-mail per recipient however often it runs (the outbox's dedupe keys), none once the case's
    field says it went out. Returns the ids of the pending outbox rows.
    """
    rule = case.rule
    if rule is None or not (rule.notify_team or rule.reply_to_customer):
        return []
    loaded = _load(case.pk)
    if loaded is None:
        return []
    case = loaded
    ids: list[int] = []
    if rule.notify_team:
        ids += _team_notification_enqueue(case)
    if rule.reply_to_customer:
        ids += _customer_reply_enqueue(case)
    return ids


def _team_notification_enqueue(case: FeedbackCase) -> list[int]:
    if case.team_notified_at is not None:
        return []
    to = team_recipients(case)
    if not to:
        logger.warning("case %s: nobody in its team has an e-mail address", case.pk)
        return []

    def render() -> tuple[str, str]:
        subject = _("New feedback case #%(id)s: %(touchpoint)s") % {
            "id": case.pk,
            "touchpoint": case.touchpoint or _("no touchpoint"),
        }
        return subject, render_to_string("actions/email/case_opened.txt", {"case": case, "url": case_url(case)})

    return outbox_enqueue(
        organization_id=case.organization_id,
        kind=KIND_CASE_OPENED,
        key=f"case:{case.pk}:team_notified",
        ref_id=case.pk,
        emails=_staff_emails(case, to, render),
    )


def _customer_reply_enqueue(case: FeedbackCase) -> list[int]:
    """The rule's acknowledgement to the customer, in their language, only if they may be contacted."""
    customer = case.customer
    if customer is None or not customer.may_contact or not customer.email or case.customer_replied_at is not None:
        return []
    language = customer.language or case.response.language or case.organization.default_language
    subject, body = render_reply(
        language=language,
        customer_name=customer.name,
        organization=case.organization.name,
        touchpoint=case.touchpoint.name if case.touchpoint else "",
    )
    return outbox_enqueue(
        organization_id=case.organization_id,
        kind=KIND_CASE_REPLY,
        key=f"case:{case.pk}:customer_reply",
        ref_id=case.pk,
        emails=[Email(recipient=customer.email, subject=subject, body=body, language=language)],
    )


def case_notifications_enqueue_by_id(*, case_id: int) -> list[int]:
    """`case_notifications_enqueue` in its own transaction (for a task given only the case's id)."""
    with transaction.atomic():
        case = FeedbackCase.objects.select_related("rule").filter(pk=case_id).first()
        return case_notifications_enqueue(case=case) if case is not None else []


# --- outbox hooks (declared in actions/outbox_kinds.py) -------------------------------------------------------------


def case_still_open(message) -> bool:
    """Staff e-mails about a case that was closed (or deleted) before they could go out are not sent."""
    return FeedbackCase.objects.filter(pk=message.ref_id, status__in=OPEN_STATUSES).exists()


def case_team_notified(message) -> None:
    """The first team e-mail of a case went out: stamp the case and its timeline once."""
    if FeedbackCase.objects.filter(pk=message.ref_id, team_notified_at__isnull=True).update(
        team_notified_at=message.sent_at
    ):
        case = FeedbackCase.objects.select_related("team").get(pk=message.ref_id)
        case_event_add(case=case, kind=CaseEvent.Kind.NOTIFIED, new=case.team.name if case.team else "")


def case_reply_still_wanted(message) -> bool:
    """Send the reply only if the customer still may be contacted at that address (consent can change meanwhile)."""
    case = FeedbackCase.objects.select_related("customer").filter(pk=message.ref_id).first()
    customer = case.customer if case is not None else None
    return bool(
        customer is not None
        and customer.may_contact
        and customer.email.strip().lower() == message.recipient.strip().lower()
    )


def case_customer_replied(message) -> None:
    if FeedbackCase.objects.filter(pk=message.ref_id, customer_replied_at__isnull=True).update(
        customer_replied_at=message.sent_at
    ):
        case = FeedbackCase.objects.get(pk=message.ref_id)
        case_event_add(case=case, kind=CaseEvent.Kind.REPLIED, new=message.language)


# --- escalations ---------------------------------------------------------------------------------------------------


def escalation_recipients(case: FeedbackCase, level: int) -> list[str]:
    lead = case.team.lead if case.team is not None and case.team.lead_id else None
    if level == EscalationLevel.NEARING:
        # The team lead is reminded (CX managers stand in for a team without a lead); the assignee too.
        to = _emails([lead, case.assignee]) if lead else cx_manager_recipients(case) + _emails([case.assignee])
    else:
        to = cx_manager_recipients(case) + _emails([lead, case.assignee])
    return sorted(set(to))


def case_escalation_enqueue(*, case: FeedbackCase, level: int) -> list[str]:
    """Queue the e-mails of one escalation level (claimed by the caller, in its transaction). The recipients."""
    to = escalation_recipients(case, level)
    if not to:
        logger.warning("case %s escalated to level %s but nobody has an e-mail address", case.pk, level)
        return []

    def render() -> tuple[str, str]:
        if level == EscalationLevel.NEARING:
            subject = _("Case #%(id)s is nearing its SLA") % {"id": case.pk}
        else:
            subject = _("Case #%(id)s is overdue") % {"id": case.pk}
        body = render_to_string(
            "actions/email/case_escalated.txt",
            {"case": case, "url": case_url(case), "overdue": level == EscalationLevel.OVERDUE},
        )
        return subject, body

    outbox_enqueue(
        organization_id=case.organization_id,
        kind=KIND_CASE_ESCALATED,
        # A reopened case escalates afresh: its reopen count is part of the event.
        key=f"case:{case.pk}:escalated:{case.reopen_count}:{level}",
        ref_id=case.pk,
        emails=_staff_emails(case, to, render),
    )
    return to
