"""Demo seed, negative synergy: where problems started, and customers who had one poor experience after another.

- Origin touchpoints: a share of the cases whose root cause is a surprise on the bill ("Unexpected charge",
  "Unclear invoice", "Price increase not announced") at a billing touchpoint (or in the relationship survey) started
  at the sale ("Phone sales order", "Web order": a campaign price the invoice does not show); a share of the repair
  and troubleshooting cases about an unfinished installation, a socket in the wrong place or weak Wi-Fi started at
  the "Technician visit". Set through actions' `case_set_origin`, by the person who worked the case, at the time
  they closed it, so the case page and the Pareto by origin read as if the agents had recorded it.
- Compound failures: the demo's survey quarantine (30 days) rarely lets a customer answer three times in 90 days, so
  the "3 or more" bucket would be empty. A few surveyable customers without churn (about 1 in 75, at least 12),
  whose own answers ended early enough for the story to come after them, get planted responses at touchpoints of
  three different journeys about three weeks apart, all poor, then a fourth response that is mostly poor too (NPS
  answers of the touchpoint survey, stored like the actions step's extra answers: Response and Answer rows,
  processed, then the rollups rebuilt). Four in ten of them leave 5-120 days after the fourth (a ChurnEvent, and no
  revenue after the month they left). Everything lies 3-11 months back (in a demo of fewer months, inside its
  history), so the 180 days of churn follow-up are mostly over and the case window of the actions step (the last
  90 days) is not touched. The value snapshot computed before this step does not include these churn events until
  the model runs again.

Deterministic for a given `sc.rng`; a few hundred rows, so it takes about a second on SQLite.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Max
from django.utils import timezone

from accounts.models import Membership
from accounts.scoping import context_for_membership
from actions.models import FeedbackCase
from actions.policies import can_act_on_case
from actions.services.cases import case_set_origin
from customers.models import Customer
from journeys.models import Touchpoint
from surveys.models import Answer, Question, Response
from value.models import ChurnEvent, CustomerRevenue

if TYPE_CHECKING:
    from demo.seed import SeedContext

BILL_CAUSES = {"Unexpected charge", "Unclear invoice", "Price increase not announced"}
BILL_FELT_AT = {
    "First invoice",
    "Monthly invoice",
    "Billing question by phone",
    "Billing question by chat",
    "Payment in the app",
    "Payment reminder",
    None,  # the relationship survey
}
SALES = [("Phone sales order", 0.65), ("Web order", 0.35)]
INSTALL_CAUSES = {"Unfinished installation", "Socket placed wrong", "Weak Wi-Fi"}
INSTALL_FELT_AT = {"Repair visit", "Fault report by phone", "Remote troubleshooting", "Support chat"}
ORIGIN_SHARE = 0.5

PLANT_EVERY = 75  # one planted customer per this many customers
PLANT_MIN = 12
CHURN_SHARE = 0.4
# Days back from today of the first planted poor experience (so the whole story is 3-11 months old).
FIRST_DAYS_BACK = (185, 320)


def seed(sc: SeedContext) -> None:
    origins = _origins(sc)
    planted, churned = _plant_compound_failures(sc)
    sc.log(
        f"  {origins} cases with the touchpoint where the problem started, {planted} customers with poor "
        f"experiences in a row ({churned} of whom left)"
    )


# -- origin touchpoints ------------------------------------------------------------------------------------------


def _origins(sc: SeedContext) -> int:
    org, rng = sc.organization, sc.rng
    by_name = {tp.name: tp for tp in Touchpoint.objects.for_org(org)}
    contexts = {
        m.user_id: context_for_membership(m, user=m.user)
        for m in Membership.objects.for_org(org).select_related("user").prefetch_related("teams")
    }
    manager = contexts[sc.users["cx"].pk]
    cases = (
        FeedbackCase.objects.for_org(org)
        .filter(root_cause__name__in=BILL_CAUSES | INSTALL_CAUSES)
        .select_related("touchpoint", "root_cause")
        .order_by("pk")
    )
    done = 0
    for case in cases:
        felt = case.touchpoint.name if case.touchpoint else None
        if case.root_cause.name in BILL_CAUSES and felt in BILL_FELT_AT:
            names, weights = zip(*SALES, strict=True)
            origin = by_name.get(rng.choices(names, weights=weights)[0])
        elif case.root_cause.name in INSTALL_CAUSES and felt in INSTALL_FELT_AT:
            origin = by_name.get("Technician visit")
        else:
            continue
        if origin is None or rng.random() >= ORIGIN_SHARE:
            continue
        worker = case.closed_by_id or case.assignee_id
        ctx = contexts.get(worker, manager)
        if not can_act_on_case(ctx, case):
            ctx = manager
        at = (case.closed_at or timezone.now()) - dt.timedelta(seconds=30)
        case_set_origin(ctx=ctx, case=case, origin_touchpoint=origin, at=at)
        done += 1
    return done


# -- planted compound failures -----------------------------------------------------------------------------------


def _score(rng, low: int, high: int) -> int:
    return rng.randint(low, high)


def _moment(sc: SeedContext, day: dt.date) -> dt.datetime:
    minutes = sc.rng.randint(8 * 60, 20 * 60)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), sc.organization.zone)


def _first_day_range(sc: SeedContext) -> tuple[dt.date, dt.date]:
    """When the first planted poor experience may fall: 3-11 months back, inside the demo's history; a short demo
    (fewer than about seven months) uses its whole history, ending early enough for all four answers."""
    latest = sc.today - dt.timedelta(days=FIRST_DAYS_BACK[0])
    earliest = max(sc.start_date, sc.today - dt.timedelta(days=FIRST_DAYS_BACK[1]))
    if earliest > latest:
        earliest, latest = sc.start_date, max(sc.start_date, sc.today - dt.timedelta(days=85))
    return earliest, latest


def _plant_compound_failures(sc: SeedContext) -> tuple[int, int]:
    org, rng = sc.organization, sc.rng
    survey = sc.extra.get("touchpoint_survey")
    if survey is None or survey.current_version_id is None:
        return 0, 0
    question = Question.objects.filter(version_id=survey.current_version_id, kind=Question.Kind.NPS).first()
    if question is None:
        return 0, 0
    by_journey: dict[int, list[Touchpoint]] = {}
    for tp in Touchpoint.objects.for_org(org).filter(is_active=True).order_by("journey_id", "position", "pk"):
        by_journey.setdefault(tp.journey_id, []).append(tp)
    if len(by_journey) < 3 or sc.start_date > sc.today - dt.timedelta(days=85):
        return 0, 0  # a history too short for four answers three weeks apart
    today = sc.today
    earliest, latest = _first_day_range(sc)
    churned_ids = set(ChurnEvent.objects.for_org(org).values_list("customer_id", flat=True))
    last_answer = dict(
        Response.objects.for_org(org)
        .filter(customer__isnull=False)
        .values("customer_id")
        .annotate(last=Max("submitted_at"))
        .values_list("customer_id", "last")
    )
    # The story comes after the customer's own history, so nobody answers again after leaving.
    pool = []
    for c in Customer.objects.for_org(org).filter(may_survey=True).order_by("pk"):
        if c.pk in churned_ids:
            continue
        after = last_answer.get(c.pk)
        low = max(earliest, timezone.localdate(after, org.zone) + dt.timedelta(days=10)) if after else earliest
        if low <= latest:
            pool.append((c, low))
    chosen = rng.sample(pool, min(len(pool), max(PLANT_MIN, sc.customers // PLANT_EVERY)))
    responses, scores, churn, leavers = [], [], [], {}
    for customer, low in chosen:
        journeys = rng.sample(sorted(by_journey), 4 if len(by_journey) >= 4 else 3)
        first = low + dt.timedelta(days=rng.randint(0, (latest - low).days))
        days = [first]
        for gap in ((18, 26), (18, 26), (20, 30)):
            days.append(days[-1] + dt.timedelta(days=rng.randint(*gap)))
        # Three poor experiences, each worse than the last, then a fourth that is mostly poor as well.
        planned = [_score(rng, 3, 6), _score(rng, 2, 6), _score(rng, 1, 5), _score(rng, 0, 7)]
        for i, (day, score) in enumerate(zip(days, planned, strict=True)):
            tp = rng.choice(by_journey[journeys[i % len(journeys)]])
            at = _moment(sc, day)
            responses.append(
                Response(
                    organization=org,
                    survey=survey,
                    version_id=survey.current_version_id,
                    touchpoint=tp,
                    journey_id=tp.journey_id,
                    customer=customer,
                    language=customer.language,
                    source=Response.Source.WEB,
                    submitted_at=at,
                    processed_at=at,
                )
            )
            scores.append((tp, day, score))
        if rng.random() < CHURN_SHARE:
            left = min(days[-1] + dt.timedelta(days=rng.randint(5, 120)), today - dt.timedelta(days=1))
            leavers[customer.pk] = left
            churn.append(ChurnEvent(organization=org, customer=customer, date=left, reason="Too many problems"))
    Response.objects.bulk_create(responses, batch_size=2000)
    Answer.objects.bulk_create(
        [
            Answer(
                organization=org,
                response=r,
                question=question,
                touchpoint=tp,
                submitted_on=day,
                metric="nps",
                value=score,
            )
            for r, (tp, day, score) in zip(responses, scores, strict=True)
        ],
        batch_size=2000,
    )
    ChurnEvent.objects.bulk_create(churn)
    for customer_id, left in leavers.items():
        # Nobody pays after leaving (as in the value step).
        CustomerRevenue.objects.filter(customer_id=customer_id, month__gt=left.replace(day=1)).delete()
    from kpis.rollups import rebuild_rollups

    rebuild_rollups(organization_id=org.pk)
    return len(chosen), len(churn)
