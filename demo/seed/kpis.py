"""Demo step: KPI definitions, targets (some met, some clearly missed), benchmarks, operational values, rollups.

Runs after the surveys step has stored the responses. The rollups are rebuilt first (one GROUP BY), so targets can
be set relative to what the touchpoints really score: the story is a technician visit (the moment of truth) that
misses its compensation-linked target, a billing line that is near, and touchpoints that meet theirs. At the end
a reconciliation compares the rollups with the answers, so the overview shows a clean check.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING

from django.db.models import Sum

from accounts.models import Role
from accounts.scoping import OrgContext
from core.metrics import NpsSummary
from kpis import rollups, services
from kpis.models import Benchmark, Kpi, KpiValue, Rollup, TargetChange

if TYPE_CHECKING:
    from demo.seed import SeedContext

KPIS = [
    # (code, name, kind, metric, unit, direction, aggregation, owner, description)
    (
        "nps",
        "Net Promoter Score",
        "survey",
        "nps",
        "points",
        "higher",
        "mean",
        "cx",
        "Touchpoint NPS from the post-contact survey (0-10, promoters minus detractors).",
    ),
    (
        "csat",
        "Customer satisfaction (CSAT)",
        "survey",
        "csat",
        "1-5",
        "higher",
        "mean",
        "cx",
        "Mean satisfaction on a 1-5 scale, for surveys that ask it.",
    ),
    (
        "fcr",
        "First-contact resolution",
        "imported",
        "",
        "%",
        "higher",
        "ratio",
        "maria.holm",
        "Share of support contacts solved without a second contact within 7 days (from the contact-centre system): "
        "resolved contacts over all contacts, so busy days weigh more than quiet ones.",
    ),
    (
        "delivery_delay",
        "Delivery delay",
        "imported",
        "",
        "days",
        "lower",
        "mean",
        "per.sandberg",
        "Days between the promised and the actual installation or delivery date (from the field-service system).",
    ),
    (
        "complaints",
        "Complaints",
        "imported",
        "",
        "count",
        "lower",
        "sum",
        "lena.strom",
        "Formal complaints registered per touchpoint and day.",
    ),
]
FCR_TOUCHPOINTS = {
    "Fault report by phone": 68,
    "Support chat": 61,
    "Remote troubleshooting": 55,
    "Billing question by phone": 74,
    "Billing question by chat": 70,
    "Cancellation by phone": 80,
}
DELAY_TOUCHPOINTS = {
    "Technician visit": 2.4,
    "Router pick-up at service point": 1.1,
    "Repair visit": 3.2,
    "Installation at new address": 2.8,
}
# How each touchpoint's target relates to its recent score (points): below zero = met, above = missed.
TARGET_OFFSET = {
    "Technician visit": 25,  # the moment of truth: clearly missed, linked to compensation
    "Remote troubleshooting": 14,
    "Billing question by phone": 3,  # near: within the margin of error
    "Moving-day switch-over": 12,
}


def seed(sc: SeedContext) -> None:
    org = sc.organization
    ctx = OrgContext(organization=org, role=Role.CX_MANAGER, user=sc.users["cx"])
    result = rollups.rebuild_rollups(organization_id=org.pk)
    kpis = {
        code: services.kpi_create(
            ctx=ctx,
            code=code,
            name=name,
            kind=kind,
            metric=metric,
            unit=unit,
            direction=direction,
            aggregation=aggregation,
            owner=sc.users[owner],
            description=description,
        )
        for code, name, kind, metric, unit, direction, aggregation, owner, description in KPIS
    }
    targets = _targets(sc, ctx, kpis["nps"])
    _benchmarks(sc, kpis["nps"])
    values = _values(sc, kpis)
    records = rollups.reconcile_rollups()
    differences = sum(r.differences for r in records if r.organization_id == org.pk)
    sc.extra["kpis"] = kpis
    sc.log(
        f"  {len(kpis)} KPIs, {targets} targets, {values} operational values, "
        f"{result.rows.get('touchpoint', 0)} rollup rows (reconciled: {differences} differences)"
    )


def _recent_nps(sc: SeedContext, days: int = 90) -> dict[int, NpsSummary]:
    start = sc.today - dt.timedelta(days=days)
    rows = (
        Rollup.objects.for_org(sc.organization)
        .filter(metric="nps", day__gte=start, day__lte=sc.today)
        .values("touchpoint_id")
        .annotate(n=Sum("n"), p=Sum("promoters"), pa=Sum("passives"), d=Sum("detractors"))
        .order_by()
    )
    return {r["touchpoint_id"]: NpsSummary(r["n"], r["p"], r["pa"], r["d"]) for r in rows}


def _round5(value: float) -> float:
    return float(5 * round(value / 5))


def _targets(sc: SeedContext, ctx: OrgContext, nps: Kpi) -> int:
    rng = sc.rng
    year_start = dt.date(sc.today.year, 1, 1)
    year_end = dt.date(sc.today.year, 12, 31)
    last_year = (dt.date(sc.today.year - 1, 1, 1), dt.date(sc.today.year - 1, 12, 31))
    recent = _recent_nps(sc)
    count = 0
    compensation = None
    for tp in sc.extra["touchpoints"]:
        summary = recent.get(tp.pk)
        if summary is None or summary.score is None:
            continue
        offset = TARGET_OFFSET.get(tp.name, rng.choice([-10, -6, -4, 8]))
        if offset <= 5 and summary.margin_of_error:
            offset = min(offset, summary.margin_of_error * 0.5) if offset > 0 else offset
        value = round(max(-100.0, min(100.0, summary.score + offset)))
        common = {"kpi": nps, "scope": "touchpoint", "touchpoint": tp}
        services.target_create(
            ctx=ctx, period_start=last_year[0], period_end=last_year[1], value=_round5(value - 5), **common
        )
        target = services.target_create(ctx=ctx, period_start=year_start, period_end=year_end, value=value, **common)
        count += 2
        if tp.pk == sc.extra["moment_of_truth"].pk:
            compensation = (target, value)
    if compensation is not None:
        target, value = compensation
        services.target_update(
            ctx=ctx, target=target, value=value - 5, reason="Lowered after the Q1 technician shortage"
        )
        services.target_update(
            ctx=ctx,
            target=target,
            value=value,
            linked_to_compensation=True,
            reason="Restored and tied to the field-service managers' bonus",
        )
        # Spread the history over the year so it reads like one.
        changes = TargetChange.objects.filter(target=target).order_by("pk")
        for change, days_ago in zip(changes, (300, 200, 120, 120), strict=False):
            TargetChange.objects.filter(pk=change.pk).update(changed_at=change.changed_at - dt.timedelta(days=days_ago))
    for journey in sc.extra["journeys"].values():
        tps = [tp.pk for tp in sc.extra["touchpoints"] if tp.journey_id == journey.pk]
        totals = [recent[pk] for pk in tps if pk in recent]
        n = sum(s.n for s in totals)
        if not n:
            continue
        score = 100.0 * (sum(s.promoters for s in totals) - sum(s.detractors for s in totals)) / n
        offset = 8 if journey.name in ("Onboarding", "Support") else -5
        services.target_create(
            ctx=ctx,
            kpi=nps,
            scope="journey",
            journey=journey,
            period_start=year_start,
            period_end=year_end,
            value=round(score + offset),
        )
        count += 1
    services.target_create(
        ctx=ctx,
        kpi=nps,
        scope="organization",
        period_start=year_start,
        period_end=year_end,
        value=25,
        note="Company goal in the annual plan.",
    )
    return count + 1


def _benchmarks(sc: SeedContext, nps: Kpi) -> None:
    org = sc.organization
    year = sc.today.year
    rows = [
        ("Telia", Benchmark.Kind.COMPETITOR, None, 14.0, year - 1),
        ("Telenor", Benchmark.Kind.COMPETITOR, None, 9.0, year - 1),
        ("Nordic broadband industry average", Benchmark.Kind.INDUSTRY, None, 11.0, year - 1),
        ("Telia", Benchmark.Kind.COMPETITOR, None, 16.0, year),
        ("Field-service industry study", Benchmark.Kind.INDUSTRY, sc.extra["moment_of_truth"], 22.0, year),
    ]
    Benchmark.objects.bulk_create(
        Benchmark(
            organization=org,
            kpi=nps,
            kind=kind,
            source_name=source,
            touchpoint=tp,
            journey=tp.journey if tp else None,
            period_start=dt.date(y, 1, 1),
            period_end=min(dt.date(y, 12, 31), sc.today) if y == year else dt.date(y, 12, 31),
            value=value,
            note="Published survey figure (demo).",
        )
        for source, kind, tp, value, y in rows
    )


def _values(sc: SeedContext, kpis: dict[str, Kpi]) -> int:
    """Daily operational values with weekly rhythm, noise and a slow improvement of first-contact resolution."""
    rng, org = sc.rng, sc.organization
    by_name = {tp.name: tp for tp in sc.extra["touchpoints"]}
    days = (sc.today - sc.start_date).days + 1
    rows = []
    for i in range(days):
        day = sc.start_date + dt.timedelta(days=i)
        weekend = day.weekday() >= 5
        progress = i / max(days - 1, 1)
        for name, base in FCR_TOUCHPOINTS.items():
            tp = by_name.get(name)
            if tp is None:
                continue
            share = min(99, max(20, base + 6 * progress + rng.gauss(0, 4) - (3 if day.weekday() == 0 else 0)))
            # Contacts per day: a busy Monday, quiet weekends (no random draw, so the rest of the story is unchanged).
            contacts = 12 if weekend else 60 if day.weekday() == 0 else 40
            resolved = round(contacts * share / 100)
            rows.append(
                KpiValue(
                    organization=org,
                    kpi=kpis["fcr"],
                    touchpoint=tp,
                    day=day,
                    numerator=resolved,
                    denominator=contacts,
                    value=round(100 * resolved / contacts, 1),
                )
            )
        for name, base in DELAY_TOUCHPOINTS.items():
            tp = by_name.get(name)
            if tp is None or weekend:
                continue
            seasonal = 0.8 * math.sin(2 * math.pi * (day.timetuple().tm_yday / 365.0))
            value = max(0.0, rng.gauss(base + seasonal, 0.9))
            rows.append(
                KpiValue(organization=org, kpi=kpis["delivery_delay"], touchpoint=tp, day=day, value=round(value, 1))
            )
        for tp in sc.extra["touchpoints"]:
            rate = 0.6 if tp.is_moment_of_truth else 0.15
            count = sum(1 for _ in range(6) if rng.random() < rate / 6 * (0.5 if weekend else 1))
            if count:
                rows.append(
                    KpiValue(
                        organization=org,
                        kpi=kpis["complaints"],
                        touchpoint=tp,
                        day=day,
                        value=float(count),
                        source="import",
                    )
                )
    KpiValue.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
