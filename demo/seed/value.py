"""Demo step: monthly revenue for every customer, churn that really follows the moment of truth, then the model.

The story the value dashboard tells: detractors leave more often than promoters, and above all customers who were
detractors at the technician visit (the moment of truth) leave about three times as often as its promoters in the
months after it. Churn is drawn month by month from a segment base rate multiplied by the customer's overall NPS
category and by their category at that touchpoint, only after their last survey answer (nobody answers a survey
after leaving). The value model then runs on it and should find the planted effects.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Avg, Max

from core.scales import unit_label
from customers.models import Customer
from surveys.models import Answer, Response
from value.frames import month_start
from value.models import ChurnEvent, CustomerRevenue
from value.selectors import snapshot_metric
from value.services import value_model_run

if TYPE_CHECKING:
    from demo.seed import SeedContext

# Monthly revenue (SEK) per segment: (low, high) of a customer's plan price.
ARPU = {"Consumer": (399, 699), "Premium": (749, 1099), "Business": (1490, 5990)}
# Yearly churn of a passive customer, per segment.
BASE_CHURN = {"Consumer": 0.16, "Premium": 0.12, "Business": 0.08}
# The planted effects: churn multipliers by the customer's overall category (the mean of all their NPS answers) and,
# on top of it, by their experience at the moment of truth.
OVERALL_MULTIPLIER = {"detractor": 1.6, "passive": 1.0, "promoter": 0.7}
MOT_MULTIPLIER = {"detractor": 2.5, "passive": 1.1, "promoter": 0.8}
REASONS = ["Price", "Competitor offer", "Moved abroad", "Moved to an address we do not serve", "No longer needed"]
BUSINESS_REASONS = ["Price", "Competitor offer", "Business closed", "Merged with another company"]
SERVICE_REASONS = [
    "Bad installation experience",
    "Technician did not come in the booked window",
    "Second technician visit needed",
    "Unstable connection after installation",
]


def _category(score: float) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month_start(month + dt.timedelta(days=40))
    return months


def seed(sc: SeedContext) -> None:
    org = sc.organization
    rng = sc.rng
    mot = sc.extra["moment_of_truth"]
    months = _months(month_start(sc.today, sc.months - 1), month_start(sc.today))
    customers = list(Customer.objects.for_org(org).order_by("pk").values_list("pk", "segment"))
    # Grouped reads (one row per customer) of what the surveys step stored.
    mot_scores = dict(
        Answer.objects.for_org(org)
        .filter(metric="nps", touchpoint=mot, value__isnull=False, response__customer__isnull=False)
        .values("response__customer_id")
        .annotate(score=Avg("value"))
        .values_list("response__customer_id", "score")
    )
    overall = dict(
        Answer.objects.for_org(org)
        .filter(metric="nps", value__isnull=False, response__customer__isnull=False)
        .values("response__customer_id")
        .annotate(score=Avg("value"))
        .values_list("response__customer_id", "score")
    )
    last_answer = dict(
        Response.objects.for_org(org)
        .filter(customer__isnull=False)
        .values("customer_id")
        .annotate(last=Max("submitted_at"))
        .values_list("customer_id", "last")
    )
    revenue: list[CustomerRevenue] = []
    churn: list[ChurnEvent] = []
    for pk, segment in customers:
        low, high = ARPU.get(segment, ARPU["Consumer"])
        price = rng.randrange(low, high + 1, 10) if high - low >= 10 else low
        category = _category(mot_scores[pk]) if pk in mot_scores else None
        yearly = BASE_CHURN.get(segment, 0.12)
        yearly *= OVERALL_MULTIPLIER[_category(overall[pk])] if pk in overall else 1.0
        yearly *= MOT_MULTIPLIER[category] if category else 1.0
        monthly = 1 - (1 - yearly) ** (1 / 12)
        answered = last_answer.get(pk)
        at_risk_from = answered.date() if answered else sc.start_date
        churn_day = None
        for month in months:
            month_end = month_start(month + dt.timedelta(days=40)) - dt.timedelta(days=1)
            if month_end <= at_risk_from or rng.random() >= monthly:
                continue
            first_day = max(month, at_risk_from + dt.timedelta(days=1))
            last_day = min(month_end, sc.today)
            if first_day > last_day:
                continue
            churn_day = first_day + dt.timedelta(days=rng.randint(0, (last_day - first_day).days))
            break
        for month in months:
            if churn_day is not None and month > churn_day:
                break
            # Add-ons and usage make the amount move a little around the plan price.
            amount = Decimal(price + rng.choice((0, 0, 0, 29, 49, 99)))
            revenue.append(CustomerRevenue(organization=org, customer_id=pk, month=month, amount=amount))
        if churn_day is not None:
            if category == "detractor" and rng.random() < 0.7:
                reason = rng.choice(SERVICE_REASONS)
            else:
                reason = rng.choice(BUSINESS_REASONS if segment == "Business" else REASONS)
            churn.append(ChurnEvent(organization=org, customer_id=pk, date=churn_day, reason=reason))
    CustomerRevenue.objects.bulk_create(revenue, batch_size=5000)
    ChurnEvent.objects.bulk_create(churn, batch_size=5000)
    sc.log(f"  {len(revenue)} revenue rows, {len(churn)} churn events ({len(mot_scores)} customers scored {mot.name})")

    snapshot = value_model_run(organization=org, as_of=sc.today)
    sc.extra["value_snapshot"] = snapshot
    row = next((r for r in snapshot.results.get("touchpoints", []) if r["touchpoint_id"] == mot.pk), None)
    if row and row["supported"]:
        unit = unit_label(*snapshot_metric(snapshot))
        sc.log(
            f"  value model: one {unit} at {mot.name} is worth {row['value_per_point']:,.0f} {snapshot.currency} "
            f"a year (95 % {row['low']:,.0f}-{row['high']:,.0f}, n = {row['n_customers']})"
        )
    else:
        sc.log(f"  value model: no supported figure for {mot.name} ({row and row['reason_code']})")
