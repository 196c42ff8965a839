"""Journey pages: the journey list, the journey map (with htmx edits), touchpoint and persona pages.

Every member reads; only CX managers and admins write (`WRITE_PROGRAM_ROLES`: others get 403). Edits made with
htmx return the re-rendered map fragment; the same endpoints answer plain form posts with a redirect, so the pages
work without JavaScript too.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, retarget

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from journeys import selectors, services, weights
from journeys.forms import JourneyForm, PersonaForm, StageForm, TouchpointForm, TouchpointQuickForm
from journeys.models import Journey, Touchpoint

MAP_TARGET = "#journey-map"

# Panels other apps add to the pages that show touchpoints, the journey map and a touchpoint's page (kpis: each
# touchpoint's score), without journeys knowing them. Receivers get `touchpoints=` (a list, already scoped to the
# viewer) and `ctx=`, and return a dict merged into the page's context; they only read.
touchpoints_page_context = Signal()


def _panels_for(request: HttpRequest, touchpoints: list[Touchpoint]) -> dict:
    context: dict = {}
    for _receiver, extra in touchpoints_page_context.send(sender=Touchpoint, touchpoints=touchpoints, ctx=request.org):
        context |= extra or {}
    return context


def _map_context(request: HttpRequest, journey: Journey) -> dict:
    stages = selectors.journey_map(ctx=request.org, journey=journey)
    touchpoints = [tp for stage in stages for tp in stage.ordered_touchpoints]
    context = {"journey": journey, "stages": stages, "touchpoint_count": len(touchpoints)}
    return context | _panels_for(request, touchpoints)


def _map_fragment(request: HttpRequest, journey: Journey) -> HttpResponse:
    return render(request, "journeys/_journey_map.html", _map_context(request, journey))


def _after_map_edit(request: HttpRequest, journey: Journey, message: str | None = None) -> HttpResponse:
    """htmx: the fresh map fragment in place of the whole map; plain post: back to the map page."""
    if request.htmx:
        return reswap(retarget(_map_fragment(request, journey), MAP_TARGET), "outerHTML")
    if message:
        messages.success(request, message)
    return redirect("journeys:journey_map", pk=journey.pk)


def _unsaved_copy(instance):
    """A copy for a ModelForm: validation writes the posted values onto its instance, the service needs the original."""
    return copy.copy(instance)


def _flag(request: HttpRequest, name: str) -> bool:
    return request.POST.get(name, "1") not in ("0", "false", "")


# -- journeys ----------------------------------------------------------------------------------------------------


@org_required()
def journey_list(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    journeys = selectors.journey_overview_list(ctx=request.org, archived=archived)
    return render(request, "journeys/journey_list.html", {"journeys": journeys, "archived": archived})


@org_required(WRITE_PROGRAM_ROLES)
def journey_create(request: HttpRequest) -> HttpResponse:
    form = JourneyForm(request.POST or None, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        method = fields.pop("score_method")
        with transaction.atomic():
            journey = services.journey_create(ctx=request.org, **fields)
            weights.journey_set_score_method(journey=journey, method=method)
        messages.success(request, _("Journey created. Add its stages next."))
        return redirect("journeys:journey_map", pk=journey.pk)
    return render(request, "journeys/journey_form.html", {"form": form, "journey": None})


@org_required()
def journey_map(request: HttpRequest, pk: int) -> HttpResponse:
    """The journey map page; an htmx request gets just the map (how an inline form is cancelled)."""
    journey = selectors.journey_get(ctx=request.org, pk=pk)
    if request.htmx:
        return _map_fragment(request, journey)
    return render(request, "journeys/journey_map.html", _map_context(request, journey))


@org_required(WRITE_PROGRAM_ROLES)
def journey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    journey = selectors.journey_get(ctx=request.org, pk=pk)
    form = JourneyForm(request.POST or None, instance=_unsaved_copy(journey), ctx=request.org)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        method = fields.pop("score_method")
        with transaction.atomic():
            services.journey_update(journey=journey, data=fields)
            weights.journey_set_score_method(journey=journey, method=method)
        messages.success(request, _("Journey saved."))
        return redirect("journeys:journey_map", pk=journey.pk)
    return render(request, "journeys/journey_form.html", {"form": form, "journey": journey})


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def journey_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """POST archived=1 archives, archived=0 restores."""
    journey = selectors.journey_get(ctx=request.org, pk=pk)
    archived = _flag(request, "archived")
    services.journey_archive(journey=journey, archived=archived)
    messages.success(request, _("Journey archived.") if archived else _("Journey restored."))
    return redirect("journeys:journey_map", pk=journey.pk)


# -- stages ------------------------------------------------------------------------------------------------------


def _stage_form_response(request: HttpRequest, form: StageForm, journey: Journey, stage=None) -> HttpResponse:
    template = "journeys/_stage_form.html" if request.htmx else "journeys/stage_form.html"
    return render(request, template, {"form": form, "journey": journey, "stage": stage})


@org_required(WRITE_PROGRAM_ROLES)
def stage_create(request: HttpRequest, journey_pk: int) -> HttpResponse:
    journey = selectors.journey_get(ctx=request.org, pk=journey_pk)
    form = StageForm(request.POST or None, auto_id="stage-new-%s")
    if request.method == "POST" and form.is_valid():
        services.stage_create(ctx=request.org, journey=journey, **form.cleaned_data)
        return _after_map_edit(request, journey, _("Stage added."))
    return _stage_form_response(request, form, journey)


@org_required(WRITE_PROGRAM_ROLES)
def stage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    stage = selectors.stage_get(ctx=request.org, pk=pk)
    form = StageForm(request.POST or None, instance=_unsaved_copy(stage), auto_id=f"stage-{stage.pk}-%s")
    if request.method == "POST" and form.is_valid():
        services.stage_update(stage=stage, data=form.cleaned_data)
        return _after_map_edit(request, stage.journey, _("Stage saved."))
    return _stage_form_response(request, form, stage.journey, stage)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def stage_move(request: HttpRequest, pk: int) -> HttpResponse:
    stage = selectors.stage_get(ctx=request.org, pk=pk)
    direction = request.POST.get("direction")
    if direction not in ("left", "right"):
        return HttpResponse(_("Unknown direction."), status=400)
    services.stage_move(stage=stage, direction=direction)
    return _after_map_edit(request, stage.journey)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    stage = selectors.stage_get(ctx=request.org, pk=pk)
    try:
        services.stage_delete(stage=stage)
    except services.StageNotEmpty:
        if request.htmx:
            return HttpResponse(_("Move or remove the stage's touchpoints first."), status=409)
        messages.error(request, _("Move or remove the stage's touchpoints first."))
        return redirect("journeys:journey_map", pk=stage.journey_id)
    return _after_map_edit(request, stage.journey, _("Stage deleted."))


# -- touchpoints -------------------------------------------------------------------------------------------------


@org_required(WRITE_PROGRAM_ROLES)
def touchpoint_create(request: HttpRequest, stage_pk: int) -> HttpResponse:
    """htmx: a quick inline form in the stage column; otherwise the full form on its own page."""
    stage = selectors.stage_get(ctx=request.org, pk=stage_pk)
    data = request.POST if request.method == "POST" else None
    quick = request.htmx or request.POST.get("quick") == "1"
    if quick:
        # Several columns can hold an open quick form at once: keep their element ids apart.
        form = TouchpointQuickForm(data, ctx=request.org, auto_id=f"tp-new-{stage.pk}-%s")
    else:
        form = TouchpointForm(data, ctx=request.org, initial={"stage": stage})
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        target_stage = fields.pop("stage", stage)
        weight = fields.pop("score_weight", None)  # the quick form has no weight
        with transaction.atomic():
            touchpoint = services.touchpoint_create(ctx=request.org, stage=target_stage, **fields)
            if weight is not None:
                weights.touchpoint_set_score_weight(touchpoint=touchpoint, weight=weight)
        if quick:
            return _after_map_edit(request, target_stage.journey, _("Touchpoint added."))
        messages.success(request, _("Touchpoint added."))
        return redirect("journeys:touchpoint_detail", pk=touchpoint.pk)
    template = "journeys/_touchpoint_quick_form.html" if request.htmx else "journeys/touchpoint_form.html"
    return render(request, template, {"form": form, "stage": stage, "journey": stage.journey, "touchpoint": None})


@org_required()
def touchpoint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    touchpoint = selectors.touchpoint_get(ctx=request.org, pk=pk)
    context = {"touchpoint": touchpoint} | _panels_for(request, [touchpoint])
    return render(request, "journeys/touchpoint_detail.html", context)


@org_required(WRITE_PROGRAM_ROLES)
def touchpoint_edit(request: HttpRequest, pk: int) -> HttpResponse:
    touchpoint = selectors.touchpoint_get(ctx=request.org, pk=pk)
    form = TouchpointForm(request.POST or None, instance=_unsaved_copy(touchpoint), ctx=request.org)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        weight = fields.pop("score_weight")
        with transaction.atomic():
            services.touchpoint_update(touchpoint=touchpoint, data=fields)
            weights.touchpoint_set_score_weight(touchpoint=touchpoint, weight=weight)
        messages.success(request, _("Touchpoint saved."))
        return redirect("journeys:touchpoint_detail", pk=touchpoint.pk)
    context = {"form": form, "touchpoint": touchpoint, "stage": touchpoint.stage, "journey": touchpoint.journey}
    return render(request, "journeys/touchpoint_form.html", context)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def touchpoint_move(request: HttpRequest, pk: int) -> HttpResponse:
    touchpoint = selectors.touchpoint_get(ctx=request.org, pk=pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down", "left", "right"):
        return HttpResponse(_("Unknown direction."), status=400)
    services.touchpoint_move(touchpoint=touchpoint, direction=direction)
    return _after_map_edit(request, touchpoint.journey)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def touchpoint_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    """POST active=1 activates, active=0 deactivates (a touchpoint is never deleted from the UI)."""
    touchpoint = selectors.touchpoint_get(ctx=request.org, pk=pk)
    active = _flag(request, "active")
    services.touchpoint_set_active(touchpoint=touchpoint, active=active)
    if request.htmx:
        return _after_map_edit(request, touchpoint.journey)
    messages.success(request, _("Touchpoint activated.") if active else _("Touchpoint deactivated."))
    return redirect("journeys:touchpoint_detail", pk=touchpoint.pk)


# -- personas ----------------------------------------------------------------------------------------------------


@org_required()
def persona_list(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    personas = selectors.persona_list(ctx=request.org, include_archived=True).filter(is_archived=archived)
    return render(request, "journeys/persona_list.html", {"personas": personas, "archived": archived})


@org_required(WRITE_PROGRAM_ROLES)
def persona_create(request: HttpRequest) -> HttpResponse:
    form = PersonaForm(request.POST or None, ctx=request.org)
    if request.method == "POST" and form.is_valid():
        services.persona_create(ctx=request.org, **form.cleaned_data)
        messages.success(request, _("Persona created."))
        return redirect("journeys:persona_list")
    return render(request, "journeys/persona_form.html", {"form": form, "persona": None})


@org_required(WRITE_PROGRAM_ROLES)
def persona_edit(request: HttpRequest, pk: int) -> HttpResponse:
    persona = selectors.persona_get(ctx=request.org, pk=pk)
    form = PersonaForm(request.POST or None, instance=_unsaved_copy(persona), ctx=request.org)
    if request.method == "POST" and form.is_valid():
        services.persona_update(persona=persona, data=form.cleaned_data)
        messages.success(request, _("Persona saved."))
        return redirect("journeys:persona_list")
    return render(request, "journeys/persona_form.html", {"form": form, "persona": persona})


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def persona_archive(request: HttpRequest, pk: int) -> HttpResponse:
    """POST archived=1 archives, archived=0 restores."""
    persona = selectors.persona_get(ctx=request.org, pk=pk)
    archived = _flag(request, "archived")
    services.persona_archive(persona=persona, archived=archived)
    messages.success(request, _("Persona archived.") if archived else _("Persona restored."))
    # Back to the list the button was on.
    return redirect(reverse("journeys:persona_list") + ("" if archived else "?archived=1"))
