"""Writes of the monthly report: generating a version (a frozen snapshot) and the monthly schedule.

A version is created PENDING with the next version number, then filled once (figures, page, language, time) and set
READY, or FAILED with the error. After that nothing writes to it again: late data makes a new version.
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization
from journeys.models import Journey
from reports.figures import add_months, month_start, report_figures
from reports.models import MonthlyReport
from reports.rendering import render_report_body
from reports.signals import report_ready

logger = logging.getLogger(__name__)


def _next_version(*, organization: Organization, month: dt.date, journey: Journey | None) -> int:
    top = MonthlyReport.objects.for_org(organization).filter(month=month, journey=journey).aggregate(v=Max("version"))
    return (top["v"] or 0) + 1


def report_create_pending(
    *, organization: Organization, month: dt.date, journey: Journey | None = None, trigger: str, user=None
) -> MonthlyReport | None:
    """A new PENDING version (version = max + 1). A SCHEDULE trigger creates nothing (None) when a scheduled version
    of that organization, scope and month already exists: beat may fire twice."""
    month = month_start(month)
    if journey is not None and journey.organization_id != organization.pk:
        raise ValueError("journey of another organization")
    for _attempt in range(5):
        try:
            with transaction.atomic():
                # One lock per (organization, month): two generations of the same month take turns numbering.
                Organization.objects.select_for_update().filter(pk=organization.pk).first()
                if trigger == MonthlyReport.Trigger.SCHEDULE and (
                    MonthlyReport.objects.for_org(organization)
                    .filter(month=month, journey=journey, trigger=MonthlyReport.Trigger.SCHEDULE)
                    .exists()
                ):
                    return None
                return MonthlyReport.objects.create(
                    organization=organization,
                    journey=journey,
                    month=month,
                    version=_next_version(organization=organization, month=month, journey=journey),
                    status=MonthlyReport.Status.PENDING,
                    trigger=trigger,
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                )
        except IntegrityError:  # a concurrent run took the number (without the lock, e.g. SQLite): try the next
            continue
    raise RuntimeError("could not allocate a report version")


def report_fill(*, report_id: int) -> MonthlyReport:
    """Compute and store the figures and page of a PENDING version, then READY (or FAILED with the error).

    A version that is not PENDING is returned unchanged (a task run twice never rewrites a snapshot)."""
    claimed = MonthlyReport.objects.filter(pk=report_id, status=MonthlyReport.Status.PENDING)
    report = claimed.select_related("organization", "journey").first()
    if report is None:
        return MonthlyReport.objects.get(pk=report_id)
    org = report.organization
    try:
        figures = report_figures(organization=org, month=report.month, journey=report.journey)
        report.figures = figures
        report.generated_at = timezone.now()
        report.language = org.default_language
        report.html = render_report_body(report, language=org.default_language)
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        claimed.update(status=MonthlyReport.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        report.refresh_from_db()
        return report
    with transaction.atomic():
        updated = claimed.update(
            figures=report.figures,
            html=report.html,
            language=report.language,
            generated_at=report.generated_at,
            status=MonthlyReport.Status.READY,
            error="",
        )
        if updated:
            trigger = report.trigger
            transaction.on_commit(lambda: report_ready.send(sender=MonthlyReport, report_id=report_id, trigger=trigger))
    report.refresh_from_db()
    return report


def report_generate(
    *, organization: Organization, month: dt.date, journey: Journey | None = None, trigger: str, user=None
) -> MonthlyReport | None:
    """Create a new version and generate it now (None: a scheduled version of that month already exists)."""
    report = report_create_pending(organization=organization, month=month, journey=journey, trigger=trigger, user=user)
    if report is None:
        return None
    return report_fill(report_id=report.pk)


def report_request(
    *, organization: Organization, month: dt.date, journey: Journey | None = None, user=None
) -> MonthlyReport:
    """On demand: a new PENDING version, generated by a Celery task after commit (the page polls until ready)."""
    from reports.tasks import generate_report

    report = report_create_pending(
        organization=organization, month=month, journey=journey, trigger=MonthlyReport.Trigger.ON_DEMAND, user=user
    )
    if report is None:  # only a scheduled run is ever refused
        raise RuntimeError("an on-demand report version was not created")
    transaction.on_commit(lambda: generate_report.delay(report.pk))
    return report


# -- the monthly schedule ----------------------------------------------------------------------------------------


def first_working_day(month: dt.date) -> dt.date:
    """The first Monday-to-Friday day of the month (public holidays are not counted)."""
    day = month_start(month)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def organizations_due(*, now: dt.datetime | None = None) -> list[tuple[Organization, dt.date]]:
    """(organization, previous month) for every organization whose local date today is its first working day."""
    now = now or timezone.now()
    due = []
    for org in Organization.objects.order_by("pk"):
        local = now.astimezone(ZoneInfo(org.timezone)).date()
        if local == first_working_day(local):
            due.append((org, add_months(month_start(local), -1)))
    return due


# An on-demand version still PENDING after this long lost its task (broker down, worker killed): generate it again.
PENDING_STALE_AFTER = dt.timedelta(minutes=15)


def reports_sweep_pending(*, now: dt.datetime | None = None) -> list[int]:
    """Generate versions whose task was lost; ids of the versions filled (each claim is conditional: safe to race)."""
    now = now or timezone.now()
    stale = MonthlyReport.objects.filter(
        status=MonthlyReport.Status.PENDING, created_at__lt=now - PENDING_STALE_AFTER
    ).values_list("pk", flat=True)
    return [pk for pk in stale if report_fill(report_id=pk).status != MonthlyReport.Status.PENDING]


def reports_monthly_run(*, now: dt.datetime | None = None) -> list[int]:
    """Generate last month's scheduled report for every organization due today (and any version whose task was
    lost); ids of the scheduled versions made."""
    reports_sweep_pending(now=now)
    made = []
    for org, month in organizations_due(now=now):
        report = report_generate(organization=org, month=month, trigger=MonthlyReport.Trigger.SCHEDULE)
        if report is not None:
            made.append(report.pk)
    return made
