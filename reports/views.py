"""Monthly report pages: the archive, one version (read from its snapshot), the month switcher, generating on
demand (a Celery task; the page polls with htmx until the version is ready) and what changed between versions.

Admins, CX managers and executives read and generate reports; frontline staff get 403.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from accounts.scoping import org_required
from reports import selectors, services
from reports.changes import headline_changes
from reports.charts import localized_charts
from reports.delivery.services import delivery_mark_read
from reports.figures import add_months, month_start, parse_month
from reports.models import MonthlyReport
from reports.rendering import chart_element_id, render_report_body

REPORT_ROLES = selectors.REPORT_ROLES


def _this_month(request: HttpRequest) -> dt.date:

    return month_start(timezone.now().astimezone(request.org.organization.zone).date())


def _journey_from(request: HttpRequest, value: str | None):
    if not value:
        return None
    try:
        return selectors.report_journey_get(ctx=request.org, pk=int(value))
    except ValueError:
        raise Http404 from None


def _spec(report: MonthlyReport) -> str:
    metric = (report.figures or {}).get("metric") or {}
    return f"{metric.get('key', 'nps')}|{metric.get('measure', '')}"


def _month_url(month: dt.date, journey_id: int | None) -> str:
    query = f"?month={month:%Y-%m}" + (f"&journey={journey_id}" if journey_id else "")
    return reverse("reports:month") + query


@org_required(REPORT_ROLES)
@require_safe
def archive(request: HttpRequest) -> HttpResponse:
    """Every month's reports, each scope with its versions (newest first)."""
    reports = list(selectors.report_list(ctx=request.org)[:600])
    groups: list[dict] = []
    index: dict[tuple, dict] = {}
    for r in reports:
        key = (r.month, r.journey_id)
        if key not in index:
            index[key] = {"month": r.month, "journey": r.journey, "versions": []}
            groups.append(index[key])
        index[key]["versions"].append(r)
    this_month = _this_month(request)
    return render(
        request,
        "reports/monthly/archive.html",
        {
            "groups": groups,
            "journeys": selectors.report_journey_choices(ctx=request.org),
            "default_month": add_months(this_month, -1),
            "max_month": add_months(this_month, -1),
        },
    )


@org_required(REPORT_ROLES)
@require_safe
def month(request: HttpRequest) -> HttpResponse:
    """The newest ready version of a month and scope (the month switcher's target), or an offer to generate it."""
    wanted = parse_month(request.GET.get("month"))
    journey = _journey_from(request, request.GET.get("journey"))
    if wanted is None:
        wanted = add_months(_this_month(request), -1)
    report = selectors.report_latest(ctx=request.org, month=wanted, journey_id=journey.pk if journey else None)
    if report is not None:
        return redirect("reports:report_detail", pk=report.pk)
    journey_id = journey.pk if journey else None
    pending = selectors.report_list(ctx=request.org).filter(month=wanted, journey_id=journey_id).first()
    return render(
        request,
        "reports/monthly/missing.html",
        {
            "month": wanted,
            "journey": journey,
            "pending": pending,
            "is_past": wanted < _this_month(request),
            "prev_url": _month_url(add_months(wanted, -1), journey_id),
            "next_url": _month_url(add_months(wanted, 1), journey_id) if wanted < _this_month(request) else None,
        },
    )


@org_required(REPORT_ROLES)
@require_safe
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get(ctx=request.org, pk=pk)
    if report.status == MonthlyReport.Status.READY:
        # The recipient of its e-mail opened it: "reports read" in the program's health.
        delivery_mark_read(report=report, user=request.user)
    language = get_language() or report.language
    body = ""
    if report.status == MonthlyReport.Status.READY:
        body = (
            report.html
            if language == report.language and report.html
            else render_report_body(report, language=language)
        )
    charts = [
        (chart_element_id(name), fig) for name, fig in localized_charts(report.figures or {}, language=language).items()
    ]
    this_month = _this_month(request)
    return render(
        request,
        "reports/monthly/detail.html",
        {
            "report": report,
            "body": body,
            "charts": charts,
            "versions": selectors.report_versions(ctx=request.org, report=report),
            "prev_url": _month_url(add_months(report.month, -1), report.journey_id),
            "next_url": _month_url(add_months(report.month, 1), report.journey_id)
            if add_months(report.month, 1) < this_month
            else None,
        },
    )


@org_required(REPORT_ROLES)
@require_safe
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx poll of a version being generated: the same fragment until it is ready, then a page refresh."""
    report = selectors.report_get(ctx=request.org, pk=pk)
    if report.status != MonthlyReport.Status.PENDING and request.htmx:
        return HttpResponseClientRefresh()
    return render(request, "reports/monthly/_status.html", {"report": report})


@org_required(REPORT_ROLES)
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    """Generate a new version of a past month (optionally one journey) in the background."""
    wanted = parse_month(request.POST.get("month"))
    journey = _journey_from(request, request.POST.get("journey"))
    if wanted is None or wanted >= _this_month(request):
        messages.error(request, _("Choose a month that has ended."))
        return redirect("reports:archive")
    report = services.report_request(
        organization=request.org.organization, month=wanted, journey=journey, user=request.user
    )
    messages.info(request, _("The report is being generated."))
    return redirect("reports:report_detail", pk=report.pk)


@org_required(REPORT_ROLES)
@require_safe
def report_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """The headline figures of this version beside another version of the same month and scope (default: the one
    before it)."""
    report = selectors.report_get(ctx=request.org, pk=pk)
    versions = [v for v in selectors.report_versions(ctx=request.org, report=report) if v.status == "ready"]
    other_pk = request.GET.get("from")
    others = [v for v in versions if v.pk != report.pk]
    if other_pk:
        other = next((v for v in others if str(v.pk) == other_pk), None)
        if other is None:
            raise Http404
    else:
        other = next((v for v in others if v.version < report.version), None)
    rows = []
    if other is not None:
        older, newer = sorted([other, report], key=lambda v: v.version)
        older_figures = selectors.report_get(ctx=request.org, pk=older.pk).figures
        newer_figures = selectors.report_get(ctx=request.org, pk=newer.pk).figures
        rows = headline_changes(older_figures, newer_figures)
    else:
        older = newer = None
    return render(
        request,
        "reports/monthly/changes.html",
        {
            "report": report,
            "older": older,
            "newer": newer,
            "others": others,
            "rows": rows,
            "changed": [r for r in rows if r.changed],
            "spec": _spec(report),
        },
    )
