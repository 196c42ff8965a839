"""The frontline inbox and the case page; one small view per action on a case."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.scoping import ALL_ROLES, org_required
from actions.forms import (
    AssignForm,
    CloseForm,
    CloseWithoutContactForm,
    ContactAttemptForm,
    NoteForm,
    ReopenForm,
    RootCauseForm,
)
from actions.policies import can_act_on_case, can_assign_case, can_claim_case
from actions.selectors import cases as selectors
from actions.services import cases as services

PAGE_SIZE = 50


def _errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _validation_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@org_required(ALL_ROLES)
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    counts = selectors.case_inbox_counts(ctx=ctx)
    tab = request.GET.get("tab")
    if tab not in selectors.INBOX_TABS:
        tab = ("mine" if counts["mine"] else "queue") if ctx.is_frontline else "team"
    page = Paginator(selectors.case_inbox(ctx=ctx, tab=tab), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "actions/inbox.html", {"tab": tab, "counts": counts, "page": page})


@org_required(ALL_ROLES)
@require_safe
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ctx = request.org
    case = selectors.case_get(ctx=ctx, pk=pk)
    can_act = can_act_on_case(ctx, case)
    context = {
        "case": case,
        "answers": selectors.response_answers(response=case.response),
        "contact": selectors.customer_contact_details(case.customer),
        "history": selectors.customer_history(ctx=ctx, customer=case.customer, exclude_case=case)
        if case.customer
        else None,
        "timeline": selectors.case_timeline(case=case),
        "attempts": selectors.case_contact_attempts(case=case),
        "root_cause_label": selectors.root_cause_path(case.root_cause),
        "can_act": can_act,
        "can_claim": can_claim_case(ctx, case),
        "can_assign": can_assign_case(ctx, case) and case.is_open,
    }
    if can_act:
        context |= {
            "contact_form": ContactAttemptForm(),
            "note_form": NoteForm(),
            "root_cause_form": RootCauseForm(ctx=ctx, initial={"root_cause": case.root_cause_id}),
            "close_form": CloseForm(ctx=ctx, initial={"resolution": case.resolution, "root_cause": case.root_cause_id}),
            "close_without_contact_form": CloseWithoutContactForm(),
            "reopen_form": ReopenForm(),
        }
    if context["can_assign"]:
        context["assign_form"] = AssignForm(ctx=ctx, case=case, initial={"assignee": case.assignee_id})
    return render(request, "actions/case_detail.html", context)


@org_required(ALL_ROLES)
@require_POST
def case_claim(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    result = services.case_claim(ctx=request.org, case=case)
    if result.claimed:
        messages.success(request, _("The case is yours."))
    elif result.holder:
        messages.warning(request, _("Already claimed by %(name)s.") % {"name": result.holder})
    else:
        messages.warning(request, _("This case cannot be claimed."))
    return redirect("actions:case_detail", pk=case.pk)


@org_required(ALL_ROLES)
@require_POST
def case_assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    form = AssignForm(request.POST, ctx=request.org, case=case)
    if form.is_valid():
        try:
            services.case_assign(ctx=request.org, case=case, assignee=form.cleaned_data["assignee"])
            messages.success(request, _("Assignment saved."))
        except ValidationError as exc:
            messages.error(request, _validation_message(exc))
    else:
        _errors(request, form)
    return redirect("actions:case_detail", pk=case.pk)


@org_required(ALL_ROLES)
@require_POST
def case_contact(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    form = ContactAttemptForm(request.POST)
    if form.is_valid():
        try:
            services.case_log_contact(ctx=request.org, case=case, **form.cleaned_data)
            messages.success(request, _("Contact attempt logged."))
        except ValidationError as exc:
            messages.error(request, _validation_message(exc))
    else:
        _errors(request, form)
    return redirect("actions:case_detail", pk=case.pk)


@org_required(ALL_ROLES)
@require_POST
def case_note(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.case_add_note(ctx=request.org, case=case, note=form.cleaned_data["note"])
        messages.success(request, _("Note added."))
    else:
        _errors(request, form)
    return redirect("actions:case_detail", pk=case.pk)


@org_required(ALL_ROLES)
@require_POST
def case_root_cause(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    form = RootCauseForm(request.POST, ctx=request.org)
    if form.is_valid():
        services.case_set_root_cause(ctx=request.org, case=case, root_cause=form.cleaned_data["root_cause"])
        messages.success(request, _("Root cause saved."))
    else:
        _errors(request, form)
    return redirect("actions:case_detail", pk=case.pk)


@org_required(ALL_ROLES)
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    form = CloseForm(request.POST, ctx=request.org)
    if form.is_valid():
        try:
            services.case_close(
                ctx=request.org,
                case=case,
                resolution=form.cleaned_data["resolution"],
                root_cause=form.cleaned_data["root_cause"],
            )
            messages.success(request, _("Case closed."))
        except ValidationError as exc:
            messages.error(request, _validation_message(exc))
    else:
        _errors(request, form)
    return redirect("actions:case_detail", pk=case.pk)


@org_required(ALL_ROLES)
@require_POST
def case_close_without_contact(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    form = CloseWithoutContactForm(request.POST)
    if form.is_valid():
        try:
            services.case_close(
                ctx=request.org, case=case, resolution=form.cleaned_data["resolution"], without_contact=True
            )
            messages.success(request, _("Case closed without contact."))
        except ValidationError as exc:
            messages.error(request, _validation_message(exc))
    return redirect("actions:case_detail", pk=case.pk)


@org_required(ALL_ROLES)
@require_POST
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.case_reopen(ctx=request.org, case=case, reason=form.cleaned_data["reason"])
            messages.success(request, _("Case reopened."))
        except ValidationError as exc:
            messages.error(request, _validation_message(exc))
    return redirect("actions:case_detail", pk=case.pk)


@org_required(ALL_ROLES)
@require_safe
def customer_cases(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Fragment for the customer page (loaded with hx-get): the customer's cases this user may see."""
    customer = selectors.customer_get(ctx=request.org, pk=customer_pk)
    cases = list(selectors.customer_cases(ctx=request.org, customer=customer)[: selectors.HISTORY_LIMIT])
    return render(request, "actions/_customer_cases.html", {"customer": customer, "cases": cases})
