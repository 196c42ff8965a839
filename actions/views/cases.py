"""The frontline inbox and the case page; one small view per action on a case."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.scoping import ALL_ROLES, org_required
from actions.forms import (
    AssignForm,
    BulkAssignForm,
    CloseForm,
    CloseWithoutContactForm,
    ContactAttemptForm,
    InboxFilterForm,
    NoteForm,
    ReopenForm,
    RootCauseForm,
)
from actions.models import FeedbackCase
from actions.policies import can_act_on_case, can_assign_case, can_bulk_assign, can_claim_case
from actions.selectors import cases as selectors
from actions.services import cases as services
from core.numbers import format_number

PAGE_SIZE = 50

# Panels other apps add to the case page without actions knowing them (voice: the comment's themes, sentiment and
# suggested root cause). Receivers get `case=` (already scoped to the viewer) and `ctx=`, and return a dict merged
# into the page's context; they only read.
case_page_context = Signal()


def _errors(request: HttpRequest, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _validation_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# The inbox's own query parameters: the tab and its filters (the page is not part of where an agent "came from").
INBOX_PARAMS = ("tab", *InboxFilterForm.FILTER_FIELDS, "sort")


def _inbox_filters(request: HttpRequest, query: QueryDict, tab: str) -> tuple[InboxFilterForm, dict]:
    """(filter form, valid filters) of an inbox query string on a tab."""
    bound = any(query.get(name) for name in INBOX_PARAMS if name != "tab")
    form = InboxFilterForm(query if bound else None, ctx=request.org, tab=tab, initial={"sort": "due"})
    return form, form.filters()


def _inbox_state(request: HttpRequest, query: QueryDict) -> tuple[str, InboxFilterForm, dict, dict]:
    """(tab, filter form, filters, tab counts) of an inbox query string."""
    ctx = request.org
    counts = selectors.case_inbox_counts(ctx=ctx)
    tab = query.get("tab")
    if tab not in selectors.INBOX_TABS:
        tab = selectors.default_tab(ctx=ctx, counts=counts)
    form, filters = _inbox_filters(request, query, tab)
    return tab, form, filters, counts


def _inbox_query(query: QueryDict) -> str:
    """The inbox's own parameters of a query string, encoded (empty ones dropped)."""
    return urlencode([(k, v) for k in INBOX_PARAMS for v in query.getlist(k) if v])


def _came_from(request: HttpRequest) -> str:
    """The inbox query string the agent opened the case from (carried as ?from=... and in the forms)."""
    raw = request.POST.get("from") if request.method == "POST" else request.GET.get("from")
    return _inbox_query(QueryDict(raw or ""))


def _to_case(request: HttpRequest, case) -> HttpResponse:
    url = reverse("actions:case_detail", args=[case.pk])
    came_from = _came_from(request)
    return redirect(f"{url}?{urlencode({'from': came_from})}" if came_from else url)


@org_required(ALL_ROLES)
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    tab, form, filters, counts = _inbox_state(request, request.GET)
    page = Paginator(selectors.case_inbox(ctx=ctx, tab=tab, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = _inbox_query(request.GET)
    without_tab = request.GET.copy()
    without_tab.pop("tab", None)
    without_tab.pop("page", None)
    context = {
        "tab": tab,
        "counts": counts,
        "page": page,
        "filter_form": form,
        "filter_errors": [e for errors in form.errors.values() for e in errors] if form.is_bound else [],
        "active_filters": form.active_count(),
        "inbox_query": query or urlencode({"tab": tab}),
        "tab_query": _inbox_query(without_tab),
        # The overdue badge counts open cases: it leads to an open tab (the closed tab has none overdue).
        "overdue_tab": tab if tab in selectors.OPEN_TABS else selectors.default_tab(ctx=ctx, counts=counts),
        "can_bulk_assign": can_bulk_assign(ctx) and tab != "closed",
    }
    if context["can_bulk_assign"]:
        context["bulk_form"] = BulkAssignForm(ctx=ctx, cases_qs=selectors.case_base_queryset(ctx=ctx))
    if request.htmx and request.htmx.target == "inbox-results":
        # Only the results are swapped; the tabs (whose links carry the filters) and the filter badge come along
        # as out-of-band swaps, so they never keep the filters of the page load.
        return render(request, "actions/_inbox_results.html", context | {"oob": True})
    return render(request, "actions/inbox.html", context)


@org_required(ALL_ROLES)
@require_POST
def case_bulk_assign(request: HttpRequest) -> HttpResponse:
    """Several cases of the inbox to one person or to a team's queue (team leads, CX managers, admins)."""
    ctx = request.org
    if not can_bulk_assign(ctx):
        raise PermissionDenied
    # Every case the user sees, open or not: one closed in the meantime is skipped with its reason, not an error
    # of the whole form.
    form = BulkAssignForm(request.POST, ctx=ctx, cases_qs=selectors.case_base_queryset(ctx=ctx))
    if form.is_valid():
        kind, target = form.cleaned_data["target"]
        result = services.case_bulk_assign(
            ctx=ctx,
            cases=form.cleaned_data["cases"],
            assignee=target if kind == "user" else None,
            team=target if kind == "team" else None,
        )
        if result.done:
            n = len(result.done)
            messages.success(
                request, ngettext("%(n)s case assigned.", "%(n)s cases assigned.", n) % {"n": format_number(n)}
            )
        for case, reason in result.skipped:
            messages.warning(request, _("Case #%(id)s was not changed: %(reason)s") % {"id": case.pk, "reason": reason})
        for pk in form.unseen:
            messages.warning(
                request,
                _("Case #%(id)s was not changed: %(reason)s")
                % {"id": pk, "reason": _("It is no longer among your cases.")},
            )
    else:
        _errors(request, form)
    url = reverse("actions:inbox")
    came_from = _came_from(request)
    return redirect(f"{url}?{came_from}" if came_from else url)


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
    came_from = _came_from(request)
    context["came_from"] = came_from
    context["inbox_url"] = reverse("actions:inbox") + (f"?{came_from}" if came_from else "")
    if not case.is_open:
        # The next case of the list the agent came from; the tab counts are not shown here, so not counted.
        query = QueryDict(came_from)
        tab = query.get("tab") if query.get("tab") in selectors.OPEN_TABS else None
        _form, filters = _inbox_filters(request, query, tab or "")
        context["next_case"] = selectors.case_next(ctx=ctx, tab=tab, filters=filters, exclude=case)
    if can_act:
        context |= {
            "contact_form": ContactAttemptForm(),
            "note_form": NoteForm(),
            "root_cause_form": RootCauseForm(
                ctx=ctx,
                current_origin=case.origin_touchpoint_id,
                initial={"root_cause": case.root_cause_id, "origin_touchpoint": case.origin_touchpoint_id},
            ),
            "close_form": CloseForm(
                ctx=ctx,
                current_origin=case.origin_touchpoint_id,
                initial={
                    "resolution": case.resolution,
                    "root_cause": case.root_cause_id,
                    "origin_touchpoint": case.origin_touchpoint_id,
                },
            ),
            "close_without_contact_form": CloseWithoutContactForm(),
            "reopen_form": ReopenForm(),
        }
    if context["can_assign"]:
        context["assign_form"] = AssignForm(ctx=ctx, case=case, initial={"assignee": case.assignee_id})
    for _receiver, extra in case_page_context.send(sender=FeedbackCase, case=case, ctx=ctx):
        context |= extra or {}
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
    return _to_case(request, case)


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
    return _to_case(request, case)


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
    return _to_case(request, case)


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
    return _to_case(request, case)


@org_required(ALL_ROLES)
@require_POST
def case_root_cause(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    form = RootCauseForm(request.POST, ctx=request.org, current_origin=case.origin_touchpoint_id)
    if form.is_valid():
        try:
            services.case_set_root_cause(
                ctx=request.org,
                case=case,
                root_cause=form.cleaned_data["root_cause"],
                origin_touchpoint=_origin(request, form),
            )
            messages.success(request, _("Root cause saved."))
        except ValidationError as exc:
            messages.error(request, _validation_message(exc))
    else:
        _errors(request, form)
    return _to_case(request, case)


def _origin(request: HttpRequest, form):
    """Where the problem started, as the form sent it; a post without the field leaves it as it is."""
    return form.cleaned_data["origin_touchpoint"] if "origin_touchpoint" in request.POST else services.UNCHANGED


@org_required(ALL_ROLES)
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(ctx=request.org, pk=pk)
    form = CloseForm(request.POST, ctx=request.org, current_origin=case.origin_touchpoint_id)
    if form.is_valid():
        try:
            services.case_close(
                ctx=request.org,
                case=case,
                resolution=form.cleaned_data["resolution"],
                root_cause=form.cleaned_data["root_cause"],
                origin_touchpoint=_origin(request, form),
            )
            messages.success(request, _("Case closed."))
        except ValidationError as exc:
            messages.error(request, _validation_message(exc))
    else:
        _errors(request, form)
    return _to_case(request, case)


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
    return _to_case(request, case)


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
    return _to_case(request, case)


@org_required(ALL_ROLES)
@require_safe
def customer_cases(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Fragment for the customer page (loaded with hx-get): the customer's cases this user may see."""
    customer = selectors.customer_get(ctx=request.org, pk=customer_pk)
    cases = list(selectors.customer_cases(ctx=request.org, customer=customer)[: selectors.HISTORY_LIMIT])
    return render(request, "actions/_customer_cases.html", {"customer": customer, "cases": cases})
