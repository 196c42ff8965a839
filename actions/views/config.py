"""Configuration pages for CX managers: alert rules, the root-cause taxonomy, the business calendar."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.scoping import ALL_ROLES, WRITE_PROGRAM_ROLES, org_required
from actions.forms import AlertRuleForm, BusinessCalendarForm, HolidayForm, RootCauseEditForm
from actions.selectors import config as selectors
from actions.selectors.cases import root_cause_get, root_cause_tree
from actions.services import config as services


@org_required(WRITE_PROGRAM_ROLES)
@require_safe
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = selectors.alert_rule_list(ctx=request.org).prefetch_related("themes__parent")
    return render(request, "actions/rule_list.html", {"rules": rules})


@org_required(WRITE_PROGRAM_ROLES)
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    rule = selectors.alert_rule_get(ctx=request.org, pk=pk) if pk else None
    form = AlertRuleForm(request.POST or None, instance=rule, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            services.alert_rule_save(ctx=request.org, rule=rule, fields=form.cleaned_data)
            messages.success(request, _("Alert rule saved."))
            return redirect("actions:rule_list")
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "actions/rule_form.html", {"form": form, "rule": rule})


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.alert_rule_delete(ctx=request.org, rule=selectors.alert_rule_get(ctx=request.org, pk=pk))
    messages.success(request, _("Alert rule deleted."))
    return redirect("actions:rule_list")


@org_required(ALL_ROLES)
@require_http_methods(["GET", "POST"])
def root_cause_list(request: HttpRequest) -> HttpResponse:
    """The taxonomy (everyone reads it); CX managers add nodes here."""
    ctx = request.org
    form = RootCauseEditForm(request.POST or None, ctx=ctx) if ctx.can_edit_program else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.root_cause_save(ctx=ctx, root_cause=None, **form.cleaned_data)
                messages.success(request, _("Root cause added."))
                return redirect("actions:root_cause_list")
            except ValidationError as exc:
                form.add_error(None, exc)
    return render(
        request,
        "actions/root_cause_list.html",
        {"tree": root_cause_tree(ctx=ctx, active_only=False), "form": form},
    )


@org_required(WRITE_PROGRAM_ROLES)
@require_http_methods(["GET", "POST"])
def root_cause_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    node = root_cause_get(ctx=ctx, pk=pk)
    initial = {
        "name": node.name,
        "parent": node.parent_id,
        "description": node.description,
        "is_active": node.is_active,
    }
    form = RootCauseEditForm(request.POST or None, ctx=ctx, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.root_cause_save(ctx=ctx, root_cause=node, **form.cleaned_data)
            messages.success(request, _("Root cause saved."))
            return redirect("actions:root_cause_list")
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "actions/root_cause_form.html", {"form": form, "node": node})


@org_required(WRITE_PROGRAM_ROLES)
@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    current = selectors.business_calendar_get(ctx=ctx)
    initial = {"working_days": current.working_days, "day_start": current.day_start, "day_end": current.day_end}
    form = BusinessCalendarForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.business_calendar_save(ctx=ctx, **form.cleaned_data)
            messages.success(request, _("Business calendar saved."))
            return redirect("actions:calendar")
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(
        request,
        "actions/calendar.html",
        {
            "form": form,
            "holiday_form": HolidayForm(),
            "holidays": selectors.holiday_list(ctx=ctx),
            "timezone": ctx.organization.timezone,
        },
    )


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def holiday_add(request: HttpRequest) -> HttpResponse:
    form = HolidayForm(request.POST)
    if form.is_valid():
        services.holiday_add(ctx=request.org, **form.cleaned_data)
        messages.success(request, _("Holiday saved."))
    else:
        messages.error(request, _("Give the holiday a date and a name."))
    return redirect("actions:calendar")


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def holiday_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.holiday_delete(ctx=request.org, holiday=selectors.holiday_get(ctx=request.org, pk=pk))
    messages.success(request, _("Holiday removed."))
    return redirect("actions:calendar")
