"""Shared data of the monthly report tests: a program with answers in a past month, its month before and a year
before, targets, a KPI, a value snapshot, closed-loop cases and comments (with personal data to mask)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from kpis import rollups
from kpis.models import Kpi, Target
from tests.factories import CustomerFactory
from tests.kpis.conftest import World, make_world

MONTH = dt.date(2026, 10, 1)  # the report's month (a past month: "today" in these tests is later)
PREV = dt.date(2026, 9, 1)
YEAR_AGO = dt.date(2025, 10, 1)

# NPS answers per touchpoint and month (cycled to `count` answers).
PATTERNS = {
    MONTH: ([10, 9, 9, 8, 6, 10], [3, 5, 9, 6, 7, 2], [10, 10, 9, 8]),
    PREV: ([10, 9, 8, 7], [9, 10, 8, 9, 10], [10, 9, 7]),
    YEAR_AGO: ([9, 8, 7, 6], [6, 7, 8, 9], [9, 9, 9, 9]),
}


@dataclass
class ReportWorld:
    world: World
    kpi: Kpi
    consenting: object
    silent: object


def respond_month(world: World, month: dt.date, patterns, count: int = 40) -> list:
    made = []
    for t, pattern in enumerate(patterns):
        for i in range(count):
            day = month + dt.timedelta(days=i % 28)
            made.append(world.respond(world.touchpoints[t], day, nps=pattern[i % len(pattern)], process=False))
    return made


def aggregate(responses) -> None:
    rollups.mark_dirty_for_responses(r.pk for r in responses)
    rollups.aggregate_dirty()


def build(org) -> ReportWorld:
    world = make_world(org)
    made = []
    for month, patterns in PATTERNS.items():
        made += respond_month(world, month, patterns)
    consenting = CustomerFactory(organization=org, may_survey=True, may_contact=True, name="Karin Consent")
    silent = CustomerFactory(organization=org, may_survey=True, may_contact=False, name="Sven Silent")
    made.append(
        world.respond(
            world.touchpoints[1],
            MONTH + dt.timedelta(days=3),
            nps=2,
            comment="Ring mig på 070-123 45 67 eller karin@example.se, pnr 19811218-9876",
            customer=consenting,
            process=False,
        )
    )
    made.append(
        world.respond(
            world.touchpoints[1],
            MONTH + dt.timedelta(days=4),
            nps=3,
            comment="Hemlig kommentar",
            customer=silent,
            process=False,
        )
    )
    aggregate(made)
    kpi = Kpi.objects.create(organization=org, code="nps", name="NPS", kind="survey", metric="nps")
    start, end = dt.date(2025, 1, 1), dt.date(2026, 12, 31)
    Target.objects.create(
        organization=org,
        kpi=kpi,
        scope="organization",
        period_start=start,
        period_end=end,
        value=50,
        linked_to_compensation=True,
    )
    Target.objects.create(
        organization=org, kpi=kpi, scope="journey", journey=world.journey, period_start=start, period_end=end, value=45
    )
    for tp, value in zip(world.touchpoints, (40, 30, 60), strict=True):
        Target.objects.create(
            organization=org,
            kpi=kpi,
            scope="touchpoint",
            touchpoint=tp,
            journey=tp.journey,
            period_start=start,
            period_end=end,
            value=value,
        )
    return ReportWorld(world=world, kpi=kpi, consenting=consenting, silent=silent)


def late_answers(rw: ReportWorld, count: int = 30) -> None:
    """Answers of the report's month that arrive after it was generated."""
    made = [
        rw.world.respond(rw.world.touchpoints[0], MONTH + dt.timedelta(days=10), nps=0, process=False)
        for _ in range(count)
    ]
    aggregate(made)


def now_after_month() -> dt.datetime:
    return timezone.now()
