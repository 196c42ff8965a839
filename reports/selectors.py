"""Reads of the monthly report, scoped by an OrgContext (who may see reports: admins, CX managers, executives)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from accounts.models import Role
from accounts.scoping import OrgContext, get_in_org
from journeys.models import Journey
from reports.models import MonthlyReport

REPORT_ROLES = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE})


def _require_reader(ctx: OrgContext) -> None:
    # Frontline staff get a 404, as for any object they may not see (no confirmation that a report exists).
    if ctx.role not in REPORT_ROLES:
        raise Http404


def report_list(*, ctx: OrgContext) -> QuerySet[MonthlyReport]:
    """Every version of every report of the organization, newest month first, without the stored page or PDF."""
    _require_reader(ctx)
    has_pdf = MonthlyReport.objects.filter(pk=OuterRef("pk"), pdf__isnull=False)
    return (
        MonthlyReport.objects.for_org(ctx.organization)
        .select_related("journey", "created_by")
        .defer("pdf", "html", "figures")
        .annotate(has_pdf=Exists(has_pdf))
        .order_by("-month", "journey__name", "journey_id", "-version")
    )


def report_get(*, ctx: OrgContext, pk: int) -> MonthlyReport:
    """One report version (figures and page, never the PDF binary), with `has_pdf`."""
    _require_reader(ctx)
    has_pdf = MonthlyReport.objects.filter(pk=OuterRef("pk"), pdf__isnull=False)
    qs = MonthlyReport.objects.select_related("journey", "organization").defer("pdf").annotate(has_pdf=Exists(has_pdf))
    return get_in_org(qs, ctx, pk=pk)


def report_versions(*, ctx: OrgContext, report: MonthlyReport) -> list[MonthlyReport]:
    """Every version of the report's (organization, scope, month), newest first."""
    # journey_id=None is Django's IS NULL (the organization-wide report); django-stubs rejects None in a lookup.
    versions = report_list(ctx=ctx).filter(month=report.month, journey_id=report.journey_id)  # type: ignore[misc]
    return list(versions.order_by("-version"))


def report_latest(*, ctx: OrgContext, month: dt.date, journey_id: int | None) -> MonthlyReport | None:
    """The newest ready version of a month and scope (None if none)."""
    return (
        report_list(ctx=ctx)
        .filter(month=month, journey_id=journey_id, status=MonthlyReport.Status.READY)  # type: ignore[misc]  # as above
        .order_by("-version")
        .first()
    )


def report_journey_get(*, ctx: OrgContext, pk: int) -> Journey:
    return get_in_org(Journey.objects.all(), ctx, pk=pk)


def report_journey_choices(*, ctx: OrgContext) -> QuerySet[Journey]:
    return Journey.objects.for_org(ctx.organization).active().order_by("name")
