"""Writes of "you said, we did": send a customer update, and the outbox hooks of its e-mails.

`customer_update_send` does everything in one transaction: the action row is locked first, so two CX managers
pressing "send" at the same moment are served one after the other and the second finds the customers already told;
the unique (action, customer) key of the recipients is the last word either way. Each e-mail is an outbox row
(outbox.services) keyed by action and customer, so a retry or a second mailing inserts nothing; the outbox asks
`customer_update_still_wanted` right before sending (consent withdrawn or the address changed meanwhile: cancelled)
and stamps the recipient's `sent_at` through `customer_update_sent` (declared in program/outbox_kinds.py).

A re-survey is not decided here: each recipient only gets a due time (the update's days after their e-mail went out,
moved when the outbox stamps `sent_at`), and program.updates.resurvey decides it on that day under the contact rules
as they stand then. Nothing is held for the weeks in between, so the customer's other touchpoint events are judged
as usual meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from actions.models import ImprovementAction
from actions.policies import actor
from audit.actions import CUSTOMER_UPDATE_SEND
from audit.services import audit_record
from outbox.services import Email, outbox_enqueue
from program.models import CustomerUpdate, CustomerUpdateRecipient
from program.updates.audience import Candidate, customer_update_audience, language_label, update_blocker
from program.updates.messages import MESSAGE_MAX_LENGTH, update_email
from surveys.models import Answer, Response

KIND = "program.customer_update"
MAX_RESURVEY_DAYS = 365


def outbox_key(*, action_id: int, customer_id: int) -> str:
    """The outbox event of one customer's message about one action (the address is appended by the outbox)."""
    return f"customer_update:action:{action_id}:customer:{customer_id}"


def _clean_messages(messages: Mapping, languages: list[str]) -> dict[str, str]:
    if not isinstance(messages, Mapping):
        raise ValidationError(_("The messages must be given per language."))
    cleaned = {code: str(messages.get(code) or "").strip() for code in languages}
    missing = [language_label(code) for code, text in cleaned.items() if not text]
    if missing:
        raise ValidationError(
            _("Write the message in every language its customers read. Missing: %(languages)s.")
            % {"languages": ", ".join(missing)}
        )
    too_long = [language_label(code) for code, text in cleaned.items() if len(text) > MESSAGE_MAX_LENGTH]
    if too_long:
        raise ValidationError(
            _("Keep the message under %(n)s characters (%(languages)s).")
            % {"n": MESSAGE_MAX_LENGTH, "languages": ", ".join(too_long)}
        )
    return cleaned


def _clean_days(days: int | None) -> int | None:
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_RESURVEY_DAYS:
        raise ValidationError(
            _("Re-survey after 1 to %(max)s days, or leave it empty for no re-survey.") % {"max": MAX_RESURVEY_DAYS}
        )
    return days


def _case_responses(candidates: list[Candidate]) -> dict[int, Response]:
    ids = [c.case.response_id for c in candidates]
    return Response.objects.select_related("survey", "touchpoint").in_bulk(ids)


def case_first_scores(response_ids: list[int], preferred: str) -> dict[int, tuple[str, float]]:
    """The score behind each case (response id -> (metric, score)): the action's metric if the response has it,
    else the response's first scored question. Also used for the customers not told (the recovery's comparison)."""
    rows = (
        Answer.objects.filter(response_id__in=response_ids, value__isnull=False)
        .exclude(metric="")
        .order_by("question__position", "pk")
        .values_list("response_id", "metric", "value")
    )
    best: dict[int, tuple[str, float]] = {}
    for response_id, metric, value in rows:
        if value is None:  # excluded by the query; the column may be NULL
            continue
        current = best.get(response_id)
        if current is None or (metric == preferred and current[0] != preferred):
            best[response_id] = (metric, value)
    return best


def _recipients(
    *, update: CustomerUpdate, candidates: list[Candidate], responses: dict[int, Response], at: dt.datetime
) -> list[CustomerUpdateRecipient]:
    action = update.action
    firsts = case_first_scores(list(responses), action.impact_metric or action.metric)
    days = update.resurvey_after_days
    # Due a number of days after the e-mail goes out (moved to sent_at + days when it does, see customer_update_sent).
    due = at + dt.timedelta(days=days) if days else None
    rows = []
    for c in candidates:
        metric, score = firsts.get(c.case.response_id, ("", None))
        response = responses.get(c.case.response_id)
        rows.append(
            CustomerUpdateRecipient(
                organization_id=update.organization_id,
                update=update,
                action=action,
                customer=c.customer,
                case=c.case,
                language=c.language,
                first_metric=metric,
                first_score=score,
                first_at=response.submitted_at if response is not None and score is not None else None,
                resurvey_due_at=due,
                created_at=at,
            )
        )
    # ON CONFLICT DO NOTHING: a customer told meanwhile (the unique key) is simply not this mailing's recipient.
    CustomerUpdateRecipient.objects.bulk_create(rows, ignore_conflicts=True)
    mine = CustomerUpdateRecipient.objects.filter(update=update).select_related("customer", "case")
    return list(mine.order_by("pk"))


def _enqueue_emails(*, update: CustomerUpdate, recipients: list[CustomerUpdateRecipient]) -> None:
    organization = update.organization
    for r in recipients:
        subject, body = update_email(
            language=r.language, organization=organization, customer=r.customer, message=update.messages[r.language]
        )
        outbox_enqueue(
            organization_id=update.organization_id,
            kind=KIND,
            key=outbox_key(action_id=update.action_id, customer_id=r.customer_id),
            ref_id=r.pk,
            emails=[Email(recipient=r.customer.email, subject=subject, body=body, language=r.language)],
        )


def customer_update_send(
    *,
    ctx: OrgContext,
    action: ImprovementAction,
    messages: Mapping[str, str],
    resurvey_after_days: int | None = None,
    at: dt.datetime | None = None,
) -> CustomerUpdate:
    """Tell the customers of the action's cases what changed: once per customer, only with consent, each in their
    language; optionally re-survey them `resurvey_after_days` after their e-mail went out (decided on that day by
    program.updates.resurvey). `at`: when it happened (the demo back-dates).

    Raises ValidationError with the reason when the action does not qualify (not measured, not a significant
    improvement, no linked cases), nobody can be told, or a language's message is missing."""
    if not ctx.can_edit_program:
        raise PermissionDenied(_("Only CX managers and administrators tell customers what changed."))
    if action.organization_id != ctx.org_id:
        raise ValidationError(_("Unknown improvement action."))
    days = _clean_days(resurvey_after_days)
    at = at or timezone.now()
    with transaction.atomic():
        # One mailing at a time per action: a concurrent send waits here, then sees who was told.
        action = ImprovementAction.objects.select_for_update().get(pk=action.pk, organization_id=ctx.org_id)
        blocker = update_blocker(action)
        if blocker:
            raise ValidationError(blocker)
        audience = customer_update_audience(ctx=ctx, action=action, until=at)
        if not audience.eligible:
            raise ValidationError(
                _(
                    "Nobody can be told about this action: every customer of its cases was told already or cannot be "
                    "contacted."
                )
            )
        texts = _clean_messages(messages, audience.languages)
        update = CustomerUpdate.objects.create(
            organization=ctx.organization,
            action=action,
            messages=texts,
            resurvey_after_days=days,
            created_at=at,
            created_by=actor(ctx),
        )
        responses = _case_responses(audience.eligible)
        recipients = _recipients(update=update, candidates=audience.eligible, responses=responses, at=at)
        if not recipients:
            raise ValidationError(_("Every customer of this action was told already."))
        _enqueue_emails(update=update, recipients=recipients)
        languages: dict[str, int] = {}
        for r in recipients:
            languages[r.language] = languages.get(r.language, 0) + 1
        audit_record(
            action=CUSTOMER_UPDATE_SEND,
            ctx=ctx,
            target=update,
            target_label=action.title,
            detail={
                "action": action.pk,
                "recipients": len(recipients),
                "languages": languages,
                "left_out": {code: n for code, n in audience.excluded.items() if n},
                "resurvey_after_days": days,
            },
        )
    return update


# --- outbox hooks (declared in program/outbox_kinds.py) -----------------------------------------------------------


def customer_update_still_wanted(message) -> bool:
    """Send only if the customer may still be contacted at that address (consent can change while it waits)."""
    recipient = CustomerUpdateRecipient.objects.select_related("customer").filter(pk=message.ref_id).first()
    customer = recipient.customer if recipient is not None else None
    return bool(
        customer is not None
        and customer.may_contact
        and customer.email.strip().lower() == message.recipient.strip().lower()
    )


def customer_update_sent(message) -> None:
    """The e-mail went out: stamp the recipient once (recovery counts answers after this moment), and count the
    re-survey's days from now rather than from when the update was made (unless it was decided already)."""
    recipient = (
        CustomerUpdateRecipient.objects.select_related("update").filter(pk=message.ref_id, sent_at__isnull=True).first()
    )
    if recipient is None:
        return
    sent_at = message.sent_at or timezone.now()
    if not CustomerUpdateRecipient.objects.filter(pk=recipient.pk, sent_at__isnull=True).update(sent_at=sent_at):
        return  # stamped meanwhile by another sender
    days = recipient.update.resurvey_after_days
    if days:
        CustomerUpdateRecipient.objects.filter(pk=recipient.pk, resurvey_decided_at__isnull=True).update(
            resurvey_due_at=sent_at + dt.timedelta(days=days)
        )
