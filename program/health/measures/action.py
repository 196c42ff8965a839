"""Action: the closed loop (every detractor followed up within the SLA, root causes recorded) and the outer loop
(improvement actions started from root causes or gaps, delivered on time)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Q

from program.health import rules
from program.health.measures import share
from program.health.window import Window


def detractor_followup(w: Window) -> dict:
    """Customer responses of the window with an NPS answer of 0-6 that got a feedback case by the as-of date."""
    from actions.models import FeedbackCase
    from core.scales import NPS
    from surveys.models import Answer, Response, Survey

    detractor = Answer.objects.filter(response=OuterRef("pk"), metric=NPS, value__lte=rules.DETRACTOR_MAX_SCORE)
    case = FeedbackCase.objects.filter(response=OuterRef("pk"), opened_at__lt=w.end)
    counts = (
        Response.objects.filter(
            organization=w.organization, submitted_at__gte=w.start(rules.RECENT_DAYS), submitted_at__lt=w.end
        )
        .exclude(survey__kind__in=Survey.INTERNAL_KINDS)
        .filter(Exists(detractor))
        .aggregate(detractors=Count("pk"), with_case=Count("pk", filter=Q(Exists(case))))
    )
    evidence = {"with_case": counts["with_case"], "detractors": counts["detractors"], "days": rules.RECENT_DAYS}
    return w.result("detractor_followup", share(counts["with_case"], counts["detractors"]), evidence)


def case_sla(w: Window) -> dict:
    """Cases opened in the window whose SLA has run out or that were contacted, contacted by their due time. Cases
    closed without contact (the customer may not be contacted) are left out."""
    from actions.models import FeedbackCase

    contacted = Q(first_contact_at__lt=w.end)
    counts = (
        FeedbackCase.objects.for_org(w.organization)
        .filter(opened_at__gte=w.start(rules.RECENT_DAYS), opened_at__lt=w.end, closed_without_contact=False)
        .filter(Q(due_at__lt=w.moment) | contacted)
        .aggregate(cases=Count("pk"), in_sla=Count("pk", filter=contacted & Q(first_contact_at__lte=F("due_at"))))
    )
    evidence = {"in_sla": counts["in_sla"], "cases": counts["cases"], "days": rules.RECENT_DAYS}
    return w.result("case_sla", share(counts["in_sla"], counts["cases"]), evidence)


def root_causes(w: Window) -> dict:
    """Cases closed in the window with a root cause. Cases closed without contact are left out: the root cause
    comes from talking to the customer, who may not be contacted."""
    from actions.models import FeedbackCase

    counts = (
        FeedbackCase.objects.for_org(w.organization)
        .filter(closed_at__gte=w.start(rules.RECENT_DAYS), closed_at__lt=w.end, closed_without_contact=False)
        .aggregate(closed=Count("pk"), with_root_cause=Count("pk", filter=Q(root_cause__isnull=False)))
    )
    evidence = {"with_root_cause": counts["with_root_cause"], "closed": counts["closed"], "days": rules.RECENT_DAYS}
    return w.result("root_causes", share(counts["with_root_cause"], counts["closed"]), evidence)


def improvement_actions(w: Window) -> dict:
    """Improvement actions created from a recurring root cause or a touchpoint gap in the last 6 months."""
    from actions.models import ImprovementAction, Origin

    n = (
        ImprovementAction.objects.for_org(w.organization)
        .filter(
            origin__in=[Origin.ROOT_CAUSE, Origin.TOUCHPOINT_GAP],
            created_at__gte=w.start(rules.HALF_YEAR_DAYS),
            created_at__lt=w.end,
        )
        .count()
    )
    return w.result("improvement_actions", n, {"actions": n, "days": rules.HALF_YEAR_DAYS})


def done_in_year(w: Window):
    """Improvement actions done (done date) in the 12 months up to the as-of date."""
    from actions.models import ImprovementAction, ImprovementStatus

    return ImprovementAction.objects.for_org(w.organization).filter(
        status__in=[ImprovementStatus.DONE, ImprovementStatus.IMPACT_MEASURED],
        done_date__gte=w.first_day(rules.YEAR_DAYS),
        done_date__lte=w.as_of,
    )


def actions_on_time(w: Window) -> dict:
    """Of the actions done in the last 12 months that had a due date, those done by it."""
    counts = (
        done_in_year(w)
        .filter(due_date__isnull=False)
        .aggregate(done=Count("pk"), on_time=Count("pk", filter=Q(done_date__lte=F("due_date"))))
    )
    evidence = {"on_time": counts["on_time"], "done": counts["done"], "days": rules.YEAR_DAYS}
    return w.result("actions_on_time", share(counts["on_time"], counts["done"]), evidence)


def impact_eligible(done_date: dt.date, after_days: int, as_of: dt.date) -> bool:
    """An action's impact can be measured once its after-window has passed."""
    return done_date + dt.timedelta(days=after_days) <= as_of


CRITERIA = [detractor_followup, case_sla, root_causes, improvement_actions, actions_on_time]
