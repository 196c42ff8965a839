"""Demo step: "you said, we did" (the program updates part, see demo/seed/program.py).

The measured win of the actions step (the SMS reminder before the technician visit) tells the customers of its
linked cases what changed, through the real service, as if sent SENT_DAYS_AGO days ago, with a re-survey a week later;
cases of contactable customers are linked first if the root-cause link found too few (see `_link_cases`). The seed
does what the outbox and the invitation sweep would have done since (the e-mails marked sent then, through the
outbox's own hook; the invitations marked sent when their hold ended), so seeding e-mails nobody. Most customers told
then answer again at the same touchpoint through the ingestion service, mostly happier than before: the re-surveyed
through their invitation, the others (the contact rules' quarantine keeps many out) through a later survey. Those
answers are marked processed here like the seed's other answers (no alert-rule e-mails from a seed) and their rollups
recomputed. Deterministic for a given `sc.rng`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Role
from accounts.scoping import OrgContext
from actions.models import FeedbackCase, ImprovementAction
from actions.services.improvements import improvement_update
from demo.seed.actions import IMPACT_TITLE
from kpis.rollups.aggregation import aggregate_dirty, mark_dirty_for_responses
from outbox.models import OutboxMessage
from program.models import CustomerUpdateRecipient
from program.updates.audience import customer_update_audience
from program.updates.messages import default_message
from program.updates.services import KIND, customer_update_send, customer_update_sent
from surveys.ingestion.services import response_submit
from surveys.models import Invitation, Response

if TYPE_CHECKING:
    from demo.seed import SeedContext

SENT_DAYS_AGO = 18
RESURVEY_AFTER_DAYS = 7
MIN_RECIPIENTS = 12
ANSWER_RATE = 0.8
# The message about the SMS reminder (the actions step's measured win), as a CX manager would have written it.
MESSAGES = {
    "sv": "Du berättade för oss att teknikern kom sent och att du inte visste när. Vi har lyssnat: nu får du ett sms "
    "med teknikerns namn och beräknad ankomsttid en timme före besöket. Tack för att du sa till.",
    "nb": "Du fortalte oss at teknikeren kom sent, og at du ikke visste når. Vi har lyttet: nå får du en SMS med "
    "teknikerens navn og beregnet ankomsttid én time før besøket. Takk for at du sa fra.",
    "da": "Du fortalte os, at teknikeren kom for sent, og at du ikke vidste hvornår. Vi har lyttet: nu får du en sms "
    "med teknikerens navn og forventet ankomsttid en time før besøget. Tak, fordi du sagde til.",
    "en": "You told us the technician came late and you did not know when. We listened: you now get a text message "
    "with the technician's name and arrival time one hour before the visit. Thank you for telling us.",
}


def seed(sc: SeedContext) -> None:
    org = sc.organization
    action = (
        ImprovementAction.objects.for_org(org)
        .filter(impact_measured_at__isnull=False, impact_significant=True, impact_delta__gt=0)
        .order_by("pk")
        .first()
    )
    if action is None:
        sc.log("  no measured win among the improvement actions: no customer update")
        return
    ctx = OrgContext(organization=org, role=Role.CX_MANAGER, user=sc.users.get("cx"))
    at = timezone.now() - dt.timedelta(days=SENT_DAYS_AGO)
    linked = _link_cases(ctx, action, at)
    audience = customer_update_audience(ctx=ctx, action=action, until=at)
    if not audience.eligible:
        sc.log("  nobody to tell about the measured win: no customer update")
        return
    written = MESSAGES if action.title == IMPACT_TITLE else {}
    messages = {code: written.get(code) or default_message(action=action, language=code) for code in audience.languages}
    update = customer_update_send(
        ctx=ctx, action=action, messages=messages, resurvey_after_days=RESURVEY_AFTER_DAYS, at=at
    )
    recipients = list(
        CustomerUpdateRecipient.objects.filter(update=update)
        .select_related(
            "invitation__survey__current_version",
            "invitation__touchpoint",
            "customer",
            "case__response__survey__current_version",
            "case__response__touchpoint",
        )
        .order_by("pk")
    )
    sent_at = at + dt.timedelta(minutes=4)
    _as_the_outbox_did(recipients, sent_at)
    answered = _answer_again(sc, recipients, sent_at)
    invited = sum(1 for r in recipients if r.invitation_id)
    sc.log(
        f"  told {len(recipients)} customers about '{action.title}'"
        + (f" ({linked} cases linked for it)" if linked else "")
        + f"; {invited} re-surveyed, {answered} answered again"
    )


def _link_cases(ctx: OrgContext, action: ImprovementAction, at: dt.datetime) -> int:
    """Link cases of contactable customers until MIN_RECIPIENTS could be told: at the action's touchpoints first,
    then cases with a root cause of the same family, then cases at touchpoints of the same channel (for the SMS
    reminder: the other technician visits)."""
    reachable = FeedbackCase.objects.for_org(ctx.organization).filter(
        opened_at__lte=at, touchpoint__isnull=False, customer__may_contact=True, customer__email__gt=""
    )
    customers = set(reachable.filter(improvement_actions=action).values_list("customer_id", flat=True))
    touchpoints = list(action.touchpoints.all())
    family = action.root_cause.parent or action.root_cause if action.root_cause_id else None
    tiers = [reachable.filter(touchpoint__in=touchpoints)]
    if family is not None:
        tiers.append(reachable.filter(Q(root_cause=family) | Q(root_cause__parent=family)))
    tiers.append(reachable.filter(touchpoint__channel__in={tp.channel for tp in touchpoints}))
    extra: list[FeedbackCase] = []
    for tier in tiers:
        for case in tier.exclude(improvement_actions=action).order_by("-opened_at", "pk"):
            if len(customers) >= MIN_RECIPIENTS:
                break
            if case.customer_id not in customers:
                customers.add(case.customer_id)
                extra.append(case)
    if extra:
        improvement_update(ctx=ctx, action=action, fields={}, cases=[*action.cases.all(), *extra])
    return len(extra)


def _as_the_outbox_did(recipients: list[CustomerUpdateRecipient], sent_at: dt.datetime) -> None:
    """Mark the e-mails sent at `sent_at`, as the outbox would have then, and stamp each recipient through the
    outbox's own hook; the held re-survey invitations went out when their hold ended."""
    messages = OutboxMessage.objects.filter(kind=KIND, ref_id__in=[r.pk for r in recipients], status="pending")
    messages.update(status=OutboxMessage.Status.SENT, sent_at=sent_at, attempts=1, created_at=sent_at)
    for message in OutboxMessage.objects.filter(kind=KIND, ref_id__in=[r.pk for r in recipients]).order_by("pk"):
        customer_update_sent(message)
    invitation_ids = [r.invitation_id for r in recipients if r.invitation_id]
    Invitation.objects.filter(pk__in=invitation_ids, sent_at__isnull=True).update(
        sent_at=F("send_after"), created_at=sent_at
    )


def _next_score(rng, first: float | None) -> int:
    """Mostly happier than the answer that opened the case; now and then not."""
    base = 5.0 if first is None else float(first)
    return max(0, min(10, round(rng.gauss(base + 2.5, 2.2))))


def _answer_again(sc: SeedContext, recipients: list[CustomerUpdateRecipient], sent_at: dt.datetime) -> int:
    """Most customers told answer again at the same touchpoint (ingestion service): the re-surveyed through their
    invitation a few days after it went out, the others (kept out by the contact rules) through a later survey."""
    rng, now = sc.rng, timezone.now()
    ids = []
    for r in recipients:
        if rng.random() > ANSWER_RATE:
            continue
        invitation = r.invitation
        response = r.case.response if r.case_id else None
        if invitation is not None:
            at = invitation.send_after + dt.timedelta(hours=rng.uniform(2, 96))
            survey, touchpoint, language = invitation.survey, invitation.touchpoint, invitation.language
        elif response is not None and response.touchpoint_id:
            at = sent_at + dt.timedelta(days=rng.uniform(2, SENT_DAYS_AGO - 2))
            survey, touchpoint, language = response.survey, response.touchpoint, response.language
        else:
            continue
        if at >= now - dt.timedelta(minutes=5):
            continue
        created, _new = response_submit(
            organization=sc.organization,
            survey=survey,
            version=survey.current_version,
            answers={"nps": _next_score(rng, r.first_score)},
            touchpoint=touchpoint,
            customer=r.customer,
            invitation=invitation,
            language=language,
            source=Response.Source.WEB,
            submitted_at=at,
        )
        ids.append(created.pk)
        if invitation is not None:  # used when answered, not when seeded
            Invitation.objects.filter(pk=invitation.pk).update(used_at=at)
    if ids:
        Response.objects.filter(pk__in=ids).update(processed_at=F("submitted_at"))
        mark_dirty_for_responses(ids)
        aggregate_dirty()
    return len(ids)
