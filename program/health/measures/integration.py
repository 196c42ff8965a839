"""Integration: CX is tied to pay and to money (measured impact, realised value), leaders read the reports, and
operational data sit beside the survey figures."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, Sum

from program.health import rules
from program.health.measures import share
from program.health.measures.action import done_in_year, impact_eligible
from program.health.window import Window


def compensation(w: Window) -> dict:
    from kpis.models import Target

    n = (
        Target.objects.for_org(w.organization)
        .filter(linked_to_compensation=True, period_start__lte=w.as_of, period_end__gte=w.as_of, created_at__lt=w.end)
        .count()
    )
    return w.result("compensation", n, {"targets": n})


def impact_measured(w: Window) -> dict:
    """Actions done in the last 12 months whose after-window has passed (their impact could be measured), and of
    those the ones measured by the as-of date."""
    rows = done_in_year(w).values_list("done_date", "impact_after_days", "impact_measured_at")
    eligible = [measured for done, days, measured in rows if impact_eligible(done, days, w.as_of)]
    measured = sum(1 for at in eligible if at is not None and at < w.end)
    evidence = {"measured": measured, "eligible": len(eligible), "days": rules.YEAR_DAYS}
    return w.result("impact_measured", share(measured, len(eligible)), evidence)


def realised_value(w: Window) -> dict:
    """Value realised by actions whose impact was measured in the last 12 months (from the value model)."""
    from actions.models import ImprovementAction

    totals = (
        ImprovementAction.objects.for_org(w.organization)
        .filter(
            impact_measured_at__gte=w.start(rules.YEAR_DAYS),
            impact_measured_at__lt=w.end,
            realised_value__isnull=False,
        )
        .aggregate(amount=Sum("realised_value"), actions=Count("pk"))
    )
    amount = float(totals["amount"] or 0)
    evidence = {
        "amount": amount,
        "currency": w.organization.currency,
        "actions": totals["actions"],
        "days": rules.YEAR_DAYS,
    }
    return w.result("realised_value", amount, evidence)


def reports_read(w: Window) -> dict:
    """Monthly report e-mails sent in the last 3 months that their recipient opened; not applicable when none
    were sent."""
    from reports.models import ReportDelivery

    counts = (
        ReportDelivery.objects.for_org(w.organization)
        .filter(state=ReportDelivery.State.SENT, sent_at__gte=w.start(rules.QUARTER_DAYS), sent_at__lt=w.end)
        .aggregate(sent=Count("pk"), read=Count("pk", filter=Q(read_at__lt=w.end)))
    )
    evidence = {"read": counts["read"], "sent": counts["sent"], "days": rules.QUARTER_DAYS}
    return w.result("reports_read", share(counts["read"], counts["sent"]), evidence, applicable=counts["sent"] > 0)


def operational_kpis(w: Window) -> dict:
    """Imported (operational) KPIs with values at touchpoints in the window."""
    from kpis.models import Kpi, KpiValue

    recent = KpiValue.objects.filter(kpi=OuterRef("pk"), day__gte=w.first_day(rules.RECENT_DAYS), day__lte=w.as_of)
    n = Kpi.objects.for_org(w.organization).filter(kind=Kpi.Kind.IMPORTED).filter(Exists(recent)).count()
    return w.result("operational_kpis", n, {"kpis": n, "days": rules.RECENT_DAYS})


CRITERIA = [compensation, impact_measured, realised_value, reports_read, operational_kpis]
