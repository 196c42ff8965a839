"""Writes for distribution: survey links, invitations under the contact rules, e-mails, reminders, events.

An invitation row is its own outbox: it is created with its e-mail unsent (sent_at empty, send_after set), the
send after commit is fire-and-forget, and `invitations_send_due` (surveys.send_due_invitations, every 5 minutes)
sends every due invitation that is still unsent (a broker outage, a lost task, a mail server error, a hold that
ended). Sending is claimed with conditional UPDATEs (sent_at IS NULL; reminders_sent = n), so two workers never send
the same e-mail and re-running a task sends nothing twice; a failed send gives its claim back for the next run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Organization
from customers.models import Customer
from journeys.models import Touchpoint
from outbox.dispatch import task_delay_on_commit
from surveys.distribution import rules
from surveys.models import ContactDecision, Invitation, Survey, SurveyLink

logger = logging.getLogger("surveys.distribution")

Decision = ContactDecision.Decision
Reason = ContactDecision.Reason


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def link_url(link: SurveyLink) -> str:
    return absolute_url(reverse("public:link", args=[link.token]))


def invitation_url(invitation: Invitation) -> str:
    return absolute_url(reverse("public:invitation", args=[invitation.token]))


# -- links -----------------------------------------------------------------------------------------------------


def survey_link_get_or_create(*, survey: Survey, touchpoint: Touchpoint | None) -> SurveyLink:
    existing = SurveyLink.objects.filter(survey=survey, touchpoint=touchpoint, is_active=True).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return SurveyLink.objects.create(
                organization_id=survey.organization_id, survey=survey, touchpoint=touchpoint
            )
    except IntegrityError:  # created concurrently
        return SurveyLink.objects.get(survey=survey, touchpoint=touchpoint, is_active=True)


def survey_links_ensure(*, survey: Survey) -> list[SurveyLink]:
    """One active link per touchpoint of the survey (or one general link for a survey without touchpoints)."""
    touchpoints = list(survey.touchpoints.all())
    targets: list[Touchpoint | None] = [*touchpoints] if touchpoints else [None]
    return [survey_link_get_or_create(survey=survey, touchpoint=tp) for tp in targets]


def survey_link_revoke(*, link: SurveyLink) -> SurveyLink:
    """Retire the token for good (printed QR codes stop working); a new link can be created beside it."""
    if link.is_active:
        link.is_active = False
        link.revoked_at = timezone.now()
        link.save(update_fields=["is_active", "revoked_at"])
    return link


# -- invitations and the contact rules --------------------------------------------------------------------------


def survey_for_touchpoint(*, touchpoint: Touchpoint) -> Survey | None:
    """The published customer survey that asks about this touchpoint (a touchpoint survey first, then the newest);
    never an employee or leadership survey, even one that lists the touchpoint."""
    return (
        Survey.objects.filter(
            organization_id=touchpoint.organization_id,
            touchpoints=touchpoint,
            status=Survey.Status.PUBLISHED,
            current_version__isnull=False,
        )
        .exclude(kind__in=Survey.INTERNAL_KINDS)
        .annotate(
            kind_rank=Case(
                When(kind=Survey.Kind.TOUCHPOINT, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .select_related("organization")
        .order_by("kind_rank", "-current_version__published_at", "pk")
        .first()
    )


def invitation_language(*, survey: Survey, customer: Customer | None, requested: str = "") -> str:
    available = survey.languages or [survey.default_language]
    for lang in (requested, customer.language if customer else ""):
        if lang and lang in available:
            return lang
    return survey.default_language


def _withdraw_held(*, held: Invitation, now: dt.datetime) -> bool:
    # Conditional: if a worker sent it (or is sending it) a moment ago, it is no longer ours to withdraw.
    return bool(
        Invitation.objects.filter(
            pk=held.pk, sent_at__isnull=True, send_claimed_at__isnull=True, withdrawn_at__isnull=True
        ).update(withdrawn_at=now, expires_at=now, send_after=None)
    )


@transaction.atomic
def contact_decide(
    *,
    organization: Organization,
    customer: Customer | None,
    touchpoint: Touchpoint | None,
    survey: Survey | None,
    source: str,
    customer_external_id: str = "",
    occurred_at: dt.datetime | None = None,
    language: str = "",
    hold_minutes: int = 0,
    allow_replace: bool = False,
    require_email: bool = False,
    now: dt.datetime | None = None,
    idempotency_key: str | None = None,
) -> ContactDecision:
    """Apply the contact rules (surveys.distribution.rules), invite if they allow it, and record the decision."""
    now = now or timezone.now()
    if customer is not None:
        # One decision at a time per customer, so two simultaneous events cannot both pass the quarantine.
        customer = Customer.objects.select_for_update().select_related("organization").get(pk=customer.pk)
    verdict = rules.evaluate(
        customer=customer,
        touchpoint=touchpoint,
        survey=survey,
        now=now,
        occurred_at=occurred_at,
        allow_replace=allow_replace,
    )
    # rules.evaluate invites only a customer, with a survey, and replaces an invitation only for a touchpoint: the
    # `is not None` tests below never change the outcome.
    if verdict.invite and require_email and customer is not None and not customer.email:
        verdict = rules.Verdict(False, Reason.NO_EMAIL, str(Reason.NO_EMAIL.label))
    if verdict.invite and verdict.replaces is not None and customer is not None and touchpoint is not None:
        held = verdict.replaces
        if _withdraw_held(held=held, now=now):
            ContactDecision.objects.create(
                organization=organization,
                customer=customer,
                customer_external_id=customer.external_id,
                touchpoint=held.touchpoint,
                survey_id=held.survey_id,
                invitation=held,
                decision=Decision.WITHDRAWN,
                reason=Reason.REPLACED_BY_HIGHER_PRIORITY,
                message=f"→ {touchpoint.name} ({touchpoint.priority})"[:300],
                source=source,
                created_at=now,
            )
        else:
            verdict = rules.Verdict(False, Reason.QUARANTINE, str(Reason.QUARANTINE.label))

    invitation = None
    if verdict.invite and customer is not None and survey is not None:
        channel = Invitation.Channel.EMAIL if customer.email else Invitation.Channel.API
        held_until = now + dt.timedelta(minutes=hold_minutes)
        invitation = Invitation.objects.create(
            organization=organization,
            survey=survey,
            touchpoint=touchpoint,
            customer=customer,
            channel=channel,
            language=invitation_language(survey=survey, customer=customer, requested=language),
            # Valid for the survey's expiry days from when it goes out (a held invitation must not expire unsent).
            expires_at=held_until + dt.timedelta(days=survey.invitation_expiry_days),
            # Without an e-mail address the caller delivers the returned link: it counts as sent now.
            send_after=held_until if channel == Invitation.Channel.EMAIL else None,
            sent_at=None if channel == Invitation.Channel.EMAIL else now,
        )
        if channel == Invitation.Channel.EMAIL and hold_minutes == 0:
            from surveys.distribution.tasks import send_invitation

            # Fire-and-forget: the invitation row (sent_at empty, send_after now) is its own outbox; if the broker
            # is down, `invitations_send_due` sends it within minutes.
            task_delay_on_commit(send_invitation, invitation.pk)
    return ContactDecision.objects.create(
        organization=organization,
        customer=customer,
        customer_external_id=customer.external_id if customer else customer_external_id[:100],
        touchpoint=touchpoint,
        survey=survey,
        invitation=invitation,
        decision=Decision.INVITED if verdict.invite else Decision.NOT_INVITED,
        reason=verdict.reason,
        message=str(verdict.message)[:300],
        source=source,
        occurred_at=occurred_at,
        created_at=now,
        idempotency_key=idempotency_key or None,
    )


class EventReplayed(Exception):
    """A touchpoint event with this idempotency key was decided before: `decision` is that first decision."""

    def __init__(self, decision: ContactDecision):
        super().__init__(f"event already decided: decision {decision.pk}")
        self.decision = decision


def _decision_for_key(organization: Organization, key: str) -> ContactDecision | None:
    return (
        ContactDecision.objects.for_org(organization).select_related("invitation").filter(idempotency_key=key).first()
    )


def touchpoint_event_record(
    *,
    organization: Organization,
    customer_external_id: str,
    touchpoint: Touchpoint,
    occurred_at: dt.datetime | None = None,
    language: str = "",
    idempotency_key: str | None = None,
) -> ContactDecision:
    """A customer met a touchpoint: decide whether to survey them about it (held for the priority window).

    With an idempotency key, a retried event records nothing and raises EventReplayed with the first decision (two
    simultaneous retries: the unique key lets one record, the other gets its decision).
    """
    if idempotency_key and (first := _decision_for_key(organization, idempotency_key)):
        raise EventReplayed(first)
    customer = Customer.objects.for_org(organization).filter(external_id=customer_external_id).first()
    try:
        return contact_decide(
            organization=organization,
            customer=customer,
            customer_external_id=customer_external_id,
            touchpoint=touchpoint,
            survey=survey_for_touchpoint(touchpoint=touchpoint),
            source=ContactDecision.Source.EVENT,
            occurred_at=occurred_at,
            language=language,
            hold_minutes=settings.SURVEYS_EVENT_HOLD_MINUTES,
            allow_replace=True,
            idempotency_key=idempotency_key,
        )
    except IntegrityError:
        # contact_decide's transaction (with any invitation it made) is rolled back; the winner's decision stands.
        if idempotency_key and (first := _decision_for_key(organization, idempotency_key)):
            raise EventReplayed(first) from None
        raise


def invitations_create(
    *, survey: Survey, customers: Iterable[Customer], touchpoint: Touchpoint | None = None
) -> list[ContactDecision]:
    """Invite chosen customers by e-mail now, each under the contact rules; return one decision per customer."""
    return [
        contact_decide(
            organization=survey.organization,
            customer=customer,
            touchpoint=touchpoint,
            survey=survey,
            source=ContactDecision.Source.MANUAL,
            require_email=True,
        )
        for customer in customers
        if customer.organization_id == survey.organization_id
    ]


# -- e-mail ----------------------------------------------------------------------------------------------------


def invitation_email(invitation: Invitation, *, reminder: bool = False) -> EmailMultiAlternatives:
    """The invitation (or reminder) e-mail, text and HTML, in the invitation's language."""
    customer = invitation.customer
    if customer is None:  # the callers send only invitations of a customer with an address
        raise ValueError(f"Invitation {invitation.pk} has no customer to e-mail.")
    survey = invitation.survey
    organization = survey.organization
    language = invitation.language or survey.default_language
    expires = timezone.localtime(invitation.expires_at, organization.zone)
    context = {
        "organization": organization,
        "customer": customer,
        "url": invitation_url(invitation),
        "expires": expires,
        "reminder": reminder,
        "lang": language,
    }
    with translation.override(language):
        subject = " ".join(render_to_string("surveys/email/invitation_subject.txt", context).split())
        text = render_to_string("surveys/email/invitation.txt", context)
        html = render_to_string("surveys/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[customer.email], headers={"Content-Language": language}
    )
    message.attach_alternative(html, "text/html")
    return message


def _sendable(invitation: Invitation) -> bool:
    customer = invitation.customer
    return bool(customer and customer.email and customer.may_survey)


def invitation_send(*, invitation_id: int, now: dt.datetime | None = None) -> bool:
    """Send one invitation e-mail if it is due and nobody sent it yet; True if this call sent it.

    The claim (send_claimed_at) and the record of the send (sent_at) are two steps, so a worker that dies between
    them leaves a stale claim that the sweep takes over, instead of an invitation marked sent that never went out.
    """
    now = now or timezone.now()
    stale = now - dt.timedelta(seconds=settings.SURVEYS_INVITATION_CLAIM_TIMEOUT_SECONDS)
    claimed = (
        Invitation.objects.filter(
            pk=invitation_id,
            channel=Invitation.Channel.EMAIL,
            sent_at__isnull=True,
            withdrawn_at__isnull=True,
            used_at__isnull=True,
            send_after__lte=now,
        )
        .filter(Q(send_claimed_at__isnull=True) | Q(send_claimed_at__lt=stale))
        .update(send_claimed_at=now)
    )
    if not claimed:
        return False
    invitation = Invitation.objects.select_related("survey__organization", "customer").get(pk=invitation_id)
    if not _sendable(invitation) or invitation.survey.status != Survey.Status.PUBLISHED:
        # Consent withdrawn (or the survey closed) during the hold: never send it.
        Invitation.objects.filter(pk=invitation_id).update(withdrawn_at=now, expires_at=now)
        return False
    try:
        invitation_email(invitation).send()
    except Exception:
        Invitation.objects.filter(pk=invitation_id, send_claimed_at=now).update(send_claimed_at=None)
        raise
    Invitation.objects.filter(pk=invitation_id).update(sent_at=now)
    return True


def invitations_send_due(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Send held invitations whose hold period is over (and any whose send task was lost or failed)."""
    now = now or timezone.now()
    due = (
        Invitation.objects.filter(
            channel=Invitation.Channel.EMAIL,
            sent_at__isnull=True,
            withdrawn_at__isnull=True,
            used_at__isnull=True,
            send_after__lte=now,
        )
        .order_by("send_after", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for pk in list(due):
        try:
            sent += invitation_send(invitation_id=pk, now=now)
        except Exception:
            # One address the mail server refuses must not hold up the others; it stays unsent for the next run.
            logger.exception("invitation %s could not be sent; it will be retried", pk)
    return sent


def reminder_claim(*, invitation_id: int, seen_count: int, now: dt.datetime) -> bool:
    """Take the next reminder of an invitation: only the worker whose UPDATE still sees the count it read wins."""
    return bool(
        Invitation.objects.filter(pk=invitation_id, reminders_sent=seen_count, used_at__isnull=True).update(
            reminders_sent=F("reminders_sent") + 1, last_reminder_at=now
        )
    )


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind invitees who have not answered: up to survey.reminder_count, reminder_delay_days apart."""
    now = now or timezone.now()
    sent = 0
    surveys = Survey.objects.filter(status=Survey.Status.PUBLISHED, reminder_count__gt=0).only(
        "pk", "reminder_count", "reminder_delay_days"
    )
    for survey in surveys:
        cutoff = now - dt.timedelta(days=survey.reminder_delay_days)
        due = (
            Invitation.objects.filter(
                survey=survey,
                channel=Invitation.Channel.EMAIL,
                sent_at__isnull=False,
                used_at__isnull=True,
                withdrawn_at__isnull=True,
                expires_at__gt=now,
                reminders_sent__lt=survey.reminder_count,
                response__isnull=True,
                customer__may_survey=True,
            )
            .exclude(customer__email="")
            .filter(Q(last_reminder_at__lte=cutoff) | Q(last_reminder_at__isnull=True, sent_at__lte=cutoff))
            .values_list("pk", "reminders_sent", "last_reminder_at")
        )
        for pk, count, previous in list(due):
            if not reminder_claim(invitation_id=pk, seen_count=count, now=now):
                continue
            invitation = Invitation.objects.select_related("survey__organization", "customer").get(pk=pk)
            try:
                invitation_email(invitation, reminder=True).send()
            except Exception:
                logger.exception("reminder for invitation %s failed; it will be retried", pk)
                Invitation.objects.filter(pk=pk, reminders_sent=count + 1).update(
                    reminders_sent=count, last_reminder_at=previous
                )
                continue
            sent += 1
    return sent
