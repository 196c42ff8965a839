"""Demo step: "you said, we did" (the program updates part, see demo/seed/program.py).

The measured win of the actions step (the SMS reminder before the technician visit) tells the customers of its
linked cases what changed, through the real service, as if sent SENT_DAYS_AGO days ago, with a re-survey a week
after the e-mail; cases of contactable customers are linked first if the root-cause link found too few for the
recovery to be shown (the organization's minimum n of pairs, see `_link_cases`). The seed does what the outbox and
the periodic tasks would have done since, on their days: the e-mails marked sent through the outbox's own hook, the
re-surveys decided by the task's own service (program.updates.resurvey) on their due day, their invitations marked
sent as the invitation sweep would have, so seeding e-mails nobody. Most customers told then answer again at the
same touchpoint through the ingestion service, mostly happier than before: the re-surveyed through their
invitation, the others (the contact rules' quarantine keeps many out) through a later survey. Those answers are
marked processed here like the seed's other answers (no alert-rule e-mails from a seed) and their rollups
recomputed.

The win's stored impact measurement must stay what the rollups say: answers at its touchpoints are planted only
after its measured "after" window, and the impact is measured again at the end with the actions service (earlier
program steps may have planted answers in its windows too). Deterministic for a given `sc.rng`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Role
from accounts.scoping import OrgContext
from actions.models import FeedbackCase, ImprovementAction
from actions.services.improvements import improvement_measure_impact, improvement_update
from demo.seed.actions import IMPACT_TITLE
from kpis.rollups.aggregation import aggregate_dirty, mark_dirty_for_responses
from outbox.models import OutboxMessage
from program.models import CustomerUpdateRecipient
from program.updates.audience import customer_update_audience
from program.updates.messages import default_message
from program.updates.recovery import min_pairs_for
from program.updates.resurvey import resurveys_decide_due
from program.updates.services import KIND, customer_update_send, customer_update_sent
from surveys.ingestion.services import response_submit
from surveys.models import Invitation, Response

if TYPE_CHECKING:
    from demo.seed import SeedContext

SENT_DAYS_AGO = 12
RESURVEY_AFTER_DAYS = 7
ANSWER_SHARE = 0.85
MIN_RECIPIENTS = 12
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
    # Enough customers told for the recovery's figures to be shown (the minimum n of pairs), most answering again.
    wanted = max(MIN_RECIPIENTS, math.ceil(min_pairs_for(org) / ANSWER_SHARE) + 3)
    linked = _link_cases(ctx, action, at, wanted)
    audience = customer_update_audience(ctx=ctx, action=action, until=at)
    if not audience.eligible:
        sc.log("  nobody to tell about the measured win: no customer update")
        return
    written = MESSAGES if action.title == IMPACT_TITLE else {}
    messages = {code: written.get(code) or default_message(action=action, language=code) for code in audience.languages}
    update = customer_update_send(
        ctx=ctx, action=action, messages=messages, resurvey_after_days=RESURVEY_AFTER_DAYS, at=at
    )
    sent_at = at + dt.timedelta(minutes=4)
    _as_the_outbox_did(update, sent_at)
    _resurvey_on_its_day(update)
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
    answered = _answer_again(sc, action, recipients)
    action = improvement_measure_impact(ctx=ctx, action=action, today=sc.today)
    invited = sum(1 for r in recipients if r.invitation_id)
    sc.log(
        f"  told {len(recipients)} customers about '{action.title}'"
        + (f" ({linked} cases linked for it)" if linked else "")
        + f"; {invited} re-surveyed, {answered} answered again; impact measured again "
        + ("(still significant)" if action.is_success else "(NO LONGER SIGNIFICANT)")
    )


def _link_cases(ctx: OrgContext, action: ImprovementAction, at: dt.datetime, wanted: int) -> int:
    """Link cases of contactable customers until `wanted` could be told: at the action's touchpoints first, then
    cases with a root cause of the same family, then cases at touchpoints of the same channel (for the SMS
    reminder: the other technician visits), then of the same journeys."""
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
    tiers.append(reachable.filter(touchpoint__journey_id__in={tp.journey_id for tp in touchpoints}))
    extra: list[FeedbackCase] = []
    for tier in tiers:
        for case in tier.exclude(improvement_actions=action).order_by("-opened_at", "pk"):
            if len(customers) >= wanted:
                break
            if case.customer_id not in customers:
                customers.add(case.customer_id)
                extra.append(case)
    if extra:
        improvement_update(ctx=ctx, action=action, fields={}, cases=[*action.cases.all(), *extra])
    return len(extra)


def _as_the_outbox_did(update, sent_at: dt.datetime) -> None:
    """Mark the e-mails sent at `sent_at`, as the outbox would have then, and stamp each recipient through the
    outbox's own hook (which also counts the re-survey's days from then)."""
    ref_ids = list(update.recipients.values_list("pk", flat=True))
    messages = OutboxMessage.objects.filter(kind=KIND, ref_id__in=ref_ids, status="pending")
    messages.update(status=OutboxMessage.Status.SENT, sent_at=sent_at, attempts=1, created_at=sent_at)
    for message in OutboxMessage.objects.filter(kind=KIND, ref_id__in=ref_ids).order_by("pk"):
        customer_update_sent(message)


def _resurvey_on_its_day(update) -> None:
    """Run the periodic task's service as it would have run on each due day (the contact rules of that day), and
    mark the invitations sent then, as the invitation sweep would have (so nothing is e-mailed when seeding)."""
    days = sorted(
        set(update.recipients.filter(resurvey_decided_at__isnull=True).values_list("resurvey_due_at", flat=True))
    )
    for due in days:
        if due is None or due > timezone.now():
            continue
        with transaction.atomic():
            resurveys_decide_due(now=due)
            decided = update.recipients.filter(resurvey_decided_at=due, invitation__isnull=False)
            Invitation.objects.filter(pk__in=decided.values("invitation_id"), sent_at__isnull=True).update(
                sent_at=F("send_after"), created_at=due
            )


def _next_score(rng, first: float | None) -> int:
    """Mostly happier than the answer that opened the case; now and then not."""
    base = 5.0 if first is None else float(first)
    return max(0, min(10, round(rng.gauss(base + 2.5, 2.2))))


def _measured_until(action: ImprovementAction, tz: ZoneInfo) -> dt.datetime | None:
    """The end of the action's measured "after" window (local midnight after its last day): answers at its
    touchpoints come after it, so the stored measurement stays what the rollups say."""
    if action.impact_after_end is None:
        return None
    return dt.datetime.combine(action.impact_after_end + dt.timedelta(days=1), dt.time(0, 30), tz)


def _answer_again(sc: SeedContext, action: ImprovementAction, recipients: list[CustomerUpdateRecipient]) -> int:
    """Most customers told answer again at the same touchpoint (ingestion service): the re-surveyed through their
    invitation within a few days of it, the others (kept out by the contact rules) through a later survey."""
    rng, now = sc.rng, timezone.now()
    latest = now - dt.timedelta(minutes=30)
    measured_until = _measured_until(action, ZoneInfo(sc.organization.timezone or settings.TIME_ZONE))
    action_touchpoints = set(action.touchpoints.values_list("pk", flat=True))
    ids = []
    for r in recipients:
        answers, share = rng.random() < ANSWER_SHARE, rng.random()
        response = r.case.response if r.case_id else None
        if not answers or r.sent_at is None or response is None or response.touchpoint_id is None:
            continue
        invitation = r.invitation
        if invitation is not None:
            earliest, spread = invitation.send_after + dt.timedelta(hours=2), dt.timedelta(days=4)
            survey, touchpoint, language = invitation.survey, invitation.touchpoint, invitation.language
        else:
            earliest, spread = r.sent_at + dt.timedelta(days=1), latest - r.sent_at
            survey, touchpoint, language = response.survey, response.touchpoint, response.language
        if measured_until is not None and touchpoint is not None and touchpoint.pk in action_touchpoints:
            earliest = max(earliest, measured_until)
        if earliest >= latest:
            continue
        at = earliest + min(spread, latest - earliest) * share
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
