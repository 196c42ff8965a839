"""KPI pages: definitions, targets with history, benchmarks, and the three dashboards.

Every role reads (executives and frontline staff read-only); CX managers and admins edit.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from journeys import selectors as journey_selectors
from kpis import dashboards, selectors, services
from kpis.forms import BenchmarkForm, KpiForm, TargetForm


def _form_error(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# -- dashboards -------------------------------------------------------------------------------------------------


@org_required()
def overview(request: HttpRequest) -> HttpResponse:
    filters, form = dashboards.filters_from(ctx=request.org, params=request.GET)
    data = dashboards.organization_overview(ctx=request.org, filters=filters)
    return render(request, "kpis/overview.html", {"data": data, "filters": data.filters, "filter_form": form})


@org_required()
def journey_dashboard(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    filters, form = dashboards.filters_from(ctx=ctx, params=request.GET)
    journeys = list(journey_selectors.journey_list(ctx=ctx).order_by("name"))
    wanted = request.GET.get("journey")
    if wanted:
        try:
            journey = journey_selectors.journey_get(ctx=ctx, pk=int(wanted))
        except ValueError:
            raise Http404 from None
    else:
        journey = journeys[0] if journeys else None
    data = dashboards.journey_gap(ctx=ctx, journey=journey, filters=filters) if journey else None
    return render(
        request,
        "kpis/journey_dashboard.html",
        {
            "data": data,
            "journey": journey,
            "journeys": journeys,
            "filters": data.filters if data else filters,
            "filter_form": form,
        },
    )


@org_required()
def touchpoint_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    touchpoint = journey_selectors.touchpoint_get(ctx=ctx, pk=pk)
    filters, form = dashboards.filters_from(ctx=ctx, params=request.GET, with_channel=False)
    data = dashboards.touchpoint_page(ctx=ctx, touchpoint=touchpoint, filters=filters)
    return render(
        request, "kpis/touchpoint_dashboard.html", {"data": data, "filters": data.filters, "filter_form": form}
    )


# -- KPI definitions --------------------------------------------------------------------------------------------


@org_required()
def kpi_list(request: HttpRequest) -> HttpResponse:
    return render(request, "kpis/kpi_list.html", {"kpis": selectors.kpi_list(ctx=request.org)})


@org_required(WRITE_PROGRAM_ROLES)
def kpi_create(request: HttpRequest) -> HttpResponse:
    form = KpiForm(request.POST or None, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            kpi = services.kpi_create(ctx=request.org, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("KPI created."))
            return redirect("kpis:kpi_detail", pk=kpi.pk)
    return render(request, "kpis/kpi_form.html", {"form": form})


@org_required()
def kpi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The KPI's page: its targets with their change history, and its benchmarks."""
    kpi = selectors.kpi_get(ctx=request.org, pk=pk)
    targets = list(selectors.target_list_with_history(ctx=request.org, kpi=kpi))
    today = timezone.localdate()
    return render(
        request,
        "kpis/kpi_detail.html",
        {
            "kpi": kpi,
            "current_targets": [t for t in targets if t.period_end >= today],
            "past_targets": [t for t in targets if t.period_end < today],
            "benchmarks": selectors.benchmark_list(ctx=request.org, kpi=kpi),
        },
    )


@org_required(WRITE_PROGRAM_ROLES)
def kpi_edit(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = selectors.kpi_get(ctx=request.org, pk=pk)
    form = KpiForm(request.POST or None, instance=kpi, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.kpi_update(ctx=request.org, kpi=kpi, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("KPI saved."))
            return redirect("kpis:kpi_detail", pk=kpi.pk)
    return render(request, "kpis/kpi_form.html", {"form": form, "kpi": kpi})


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def kpi_delete(request: HttpRequest, pk: int) -> HttpResponse:
    kpi = selectors.kpi_get(ctx=request.org, pk=pk)
    services.kpi_delete(ctx=request.org, kpi=kpi)
    messages.success(request, _("KPI deleted."))
    return redirect("kpis:kpi_list")


# -- targets ----------------------------------------------------------------------------------------------------


@org_required(WRITE_PROGRAM_ROLES)
def target_create(request: HttpRequest, kpi_pk: int) -> HttpResponse:
    kpi = selectors.kpi_get(ctx=request.org, pk=kpi_pk)
    form = TargetForm(request.POST or None, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.target_create(ctx=request.org, kpi=kpi, **form.service_fields())
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Target added."))
            return redirect("kpis:kpi_detail", pk=kpi.pk)
    return render(request, "kpis/target_form.html", {"form": form, "kpi": kpi})


@org_required(WRITE_PROGRAM_ROLES)
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = selectors.target_get(ctx=request.org, pk=pk)
    form = TargetForm(request.POST or None, instance=target, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.target_update(
                ctx=request.org, target=target, reason=form.cleaned_data.get("reason", ""), **form.service_fields()
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Target saved; the change is in its history."))
            return redirect("kpis:kpi_detail", pk=target.kpi_id)
    return render(request, "kpis/target_form.html", {"form": form, "kpi": target.kpi, "target": target})


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def target_delete(request: HttpRequest, pk: int) -> HttpResponse:
    target = selectors.target_get(ctx=request.org, pk=pk)
    services.target_delete(ctx=request.org, target=target)
    messages.success(request, _("Target deleted."))
    return redirect("kpis:kpi_detail", pk=target.kpi_id)


# -- benchmarks -------------------------------------------------------------------------------------------------


@org_required(WRITE_PROGRAM_ROLES)
def benchmark_create(request: HttpRequest, kpi_pk: int) -> HttpResponse:
    kpi = selectors.kpi_get(ctx=request.org, pk=kpi_pk)
    form = BenchmarkForm(request.POST or None, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.benchmark_create(ctx=request.org, kpi=kpi, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Benchmark added."))
            return redirect("kpis:kpi_detail", pk=kpi.pk)
    return render(request, "kpis/benchmark_form.html", {"form": form, "kpi": kpi})


@org_required(WRITE_PROGRAM_ROLES)
def benchmark_edit(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark = selectors.benchmark_get(ctx=request.org, pk=pk)
    form = BenchmarkForm(request.POST or None, instance=benchmark, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.benchmark_update(ctx=request.org, benchmark=benchmark, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Benchmark saved."))
            return redirect("kpis:kpi_detail", pk=benchmark.kpi_id)
    return render(request, "kpis/benchmark_form.html", {"form": form, "kpi": benchmark.kpi, "benchmark": benchmark})


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def benchmark_delete(request: HttpRequest, pk: int) -> HttpResponse:
    benchmark = selectors.benchmark_get(ctx=request.org, pk=pk)
    services.benchmark_delete(ctx=request.org, benchmark=benchmark)
    messages.success(request, _("Benchmark deleted."))
    return redirect("kpis:kpi_detail", pk=benchmark.kpi_id)
