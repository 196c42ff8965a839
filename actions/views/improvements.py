"""Improvement actions: kanban board (htmx moves), roadmap, create/edit, measured impact, wins feed."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.scoping import ALL_ROLES, WRITE_PROGRAM_ROLES, org_required
from actions.forms import ImprovementActionForm, PublishForm
from actions.models import ImprovementAction, Origin
from actions.selectors import improvements as selectors
from actions.selectors.cases import root_cause_get
from actions.services import improvements as services
from actions.valuation import action_value_estimates
from journeys.selectors import touchpoint_get

# Panels other apps add to the improvement page (program: "you said, we did") without actions knowing them. Receivers
# get `action=` (already scoped to the viewer) and `ctx=`, and return a dict merged into the page's context; they only
# read.
improvement_page_context = Signal()


def _board_context(request: HttpRequest) -> dict:
    columns = selectors.improvement_board(ctx=request.org)
    actions = [a for _status, _label, column in columns for a in column]
    return {
        "columns": columns,
        "estimates": action_value_estimates(ctx=request.org, actions=actions),
        "neighbours": {a.pk: services.board_neighbours(a.status) for a in actions},
    }


@org_required(ALL_ROLES)
@require_safe
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "actions/board.html", _board_context(request))


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def improvement_move(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.improvement_get(ctx=request.org, pk=pk)
    error = ""
    try:
        services.improvement_move(ctx=request.org, action=action, status=request.POST.get("status", ""))
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.htmx:
        return render(request, "actions/_board.html", _board_context(request) | {"board_error": error})
    if error:
        messages.error(request, error)
    return redirect("actions:board")


@org_required(ALL_ROLES)
@require_safe
def roadmap(request: HttpRequest) -> HttpResponse:
    data = selectors.improvement_roadmap(ctx=request.org, today=timezone.localdate())
    data["estimates"] = action_value_estimates(ctx=request.org, actions=data["actions"])
    return render(request, "actions/roadmap.html", data)


def _initial_from_query(request: HttpRequest) -> dict:
    """Prefill from a recurring root cause (?root_cause=) or a touchpoint gap (?touchpoint=)."""
    initial: dict = {"owner": request.user.pk}
    if rc_id := request.GET.get("root_cause"):
        rc = root_cause_get(ctx=request.org, pk=rc_id)
        initial |= {"root_cause": rc.pk, "origin": Origin.ROOT_CAUSE, "title": _("Fix: %(cause)s") % {"cause": rc.name}}
    if tp_id := request.GET.get("touchpoint"):
        tp = touchpoint_get(ctx=request.org, pk=tp_id)
        initial["touchpoints"] = [tp.pk]
        if "root_cause" not in initial:
            initial |= {"origin": Origin.TOUCHPOINT_GAP, "title": _("Close the gap at %(tp)s") % {"tp": tp.name}}
    return initial


@org_required(WRITE_PROGRAM_ROLES)
@require_http_methods(["GET", "POST"])
def improvement_create(request: HttpRequest) -> HttpResponse:
    form = ImprovementActionForm(request.POST or None, ctx=request.org, initial=_initial_from_query(request))
    if request.method == "POST" and form.is_valid():
        try:
            action = services.improvement_create(
                ctx=request.org,
                fields=form.cleaned_fields(),
                touchpoints=list(form.cleaned_data["touchpoints"]),
                link_root_cause_cases=form.cleaned_data.get("link_root_cause_cases", False),
            )
            messages.success(request, _("Improvement action created."))
            return redirect("actions:improvement_detail", pk=action.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "actions/improvement_form.html", {"form": form, "action": None})


@org_required(WRITE_PROGRAM_ROLES)
@require_http_methods(["GET", "POST"])
def improvement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.improvement_get(ctx=request.org, pk=pk)
    form = ImprovementActionForm(request.POST or None, ctx=request.org, instance=action)
    if request.method == "POST" and form.is_valid():
        try:
            services.improvement_update(
                ctx=request.org,
                action=action,
                fields=form.cleaned_fields(),
                touchpoints=list(form.cleaned_data["touchpoints"]),
            )
            messages.success(request, _("Improvement action saved."))
            return redirect("actions:improvement_detail", pk=action.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    return render(request, "actions/improvement_form.html", {"form": form, "action": action})


@org_required(ALL_ROLES)
@require_safe
def improvement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.improvement_get(ctx=request.org, pk=pk)
    estimate = action_value_estimates(ctx=request.org, actions=[action])[action.pk]
    can_measure = action.status in (ImprovementAction.Status.DONE, ImprovementAction.Status.IMPACT_MEASURED)
    context = {
        "action": action,
        "estimate": estimate,
        "cases": selectors.improvement_cases(ctx=request.org, action=action),
        "can_measure": can_measure and request.org.can_edit_program,
        "publish_form": PublishForm(initial={"story": action.win_story}),
    }
    for _receiver, extra in improvement_page_context.send(sender=ImprovementAction, action=action, ctx=request.org):
        context |= extra or {}
    return render(request, "actions/improvement_detail.html", context)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def improvement_measure(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.improvement_get(ctx=request.org, pk=pk)
    try:
        action = services.improvement_measure_impact(ctx=request.org, action=action)
        if action.is_success:
            messages.success(request, _("Impact measured: a significant improvement."))
        else:
            messages.info(request, _("Impact measured: no significant improvement."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("actions:improvement_detail", pk=action.pk)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def improvement_publish(request: HttpRequest, pk: int) -> HttpResponse:
    action = selectors.improvement_get(ctx=request.org, pk=pk)
    form = PublishForm(request.POST)
    try:
        if request.POST.get("unpublish"):
            services.improvement_unpublish(ctx=request.org, action=action)
            messages.success(request, _("Removed from the wins feed."))
        elif form.is_valid():
            services.improvement_publish(ctx=request.org, action=action, story=form.cleaned_data["story"])
            messages.success(request, _("Published to the wins feed."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("actions:improvement_detail", pk=action.pk)


@org_required(ALL_ROLES)
@require_safe
def wins(request: HttpRequest) -> HttpResponse:
    return render(request, "actions/wins.html", {"wins": selectors.wins_feed(ctx=request.org)})
