"""The program health page (the stage the program is in, the maturity profile month by month, each stage's criteria
with their evidence and where to fix them, what blocks the next stage, the three next steps), its Recompute button,
and the program settings (owner, steering group, cadence).

Every role reads both pages; admins and CX managers recompute and change the settings. Reads go through
program.health.selectors, writes through program.health.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from program.forms_health import ProgramSettingsForm
from program.health import charts, presenters, selectors, services
from program.health.rules import RULES, STAGES


def _points(history: list, current: dict) -> list[dict]:
    points = [{"month": s.month, "scores": s.scores, "stage": s.stage} for s in history]
    if not current["stored"]:
        summary = current["summary"]
        points.append({"month": current["month"], "scores": summary["scores"], "stage": summary["stage"]})
    return points


@org_required()
@require_safe
def health(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    history = selectors.health_history(ctx=ctx)
    current = selectors.health_current(ctx=ctx, history=history)
    pending = selectors.health_recompute_pending(ctx=ctx, computed_at=current["computed_at"])
    if request.htmx and request.GET.get("poll"):
        # The waiting notice polls: nothing to do until the recomputation has stored a newer snapshot.
        return HttpResponse(status=204) if pending else HttpResponseClientRefresh()
    summary = current["summary"]
    by_code = {c["code"]: c for c in summary["criteria"]}
    points = _points(history, current)
    table = [
        {
            "month": p["month"],
            "scores": [p["scores"].get(stage) for stage in STAGES],
            "stage": presenters.stage_label(p["stage"]) if p["stage"] else "",
        }
        for p in points
    ]
    return render(
        request,
        "program/health.html",
        {
            "summary": summary,
            "stage_label": presenters.stage_label(summary["stage"]) if summary["stage"] else "",
            "stages": presenters.stage_views(summary),
            "stage_names": [presenters.stage_label(stage) for stage in STAGES],
            "blockers": [presenters.criterion_view(by_code[code]) for code in summary["blockers"]],
            "next_steps": [presenters.criterion_view(by_code[code]) for code in summary["next_steps"]],
            "figure": charts.profile_figure(points),
            "table": table,
            "current": current,
            "pending": pending,
            "can_edit": ctx.can_edit_program,
            "today_only": [str(presenters.TITLES[rule.code]) for rule in RULES if rule.today_only],
        },
    )


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def health_recompute(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    services.health_recompute_request(ctx=ctx)
    current = selectors.health_current(ctx=ctx)
    if not selectors.health_recompute_pending(ctx=ctx, computed_at=current["computed_at"]):
        # Without a broker the task has already run (eagerly, on commit).
        messages.success(request, _("The program's health has been recomputed."))
    else:
        messages.info(request, _("Recomputation queued. The page refreshes when it has finished."))
    return redirect("program:health")


@org_required()
@require_http_methods(["GET", "HEAD", "POST"])
def program_settings(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    row = selectors.program_settings_get(ctx=ctx)
    form = None
    status = 200
    if request.method == "POST":
        if not ctx.can_edit_program:
            raise PermissionDenied
        form = ProgramSettingsForm(request.POST, instance=row, ctx=ctx)
        if form.is_valid():
            try:
                services.program_settings_update(
                    ctx=ctx,
                    owner=form.cleaned_data["owner"],
                    steering_group=list(form.cleaned_data["steering_group"]),
                    steering_cadence=form.cleaned_data["steering_cadence"],
                )
            except ValueError:  # someone left the organization while the form was open
                form.add_error(None, _("Choose members of the organization only."))
            else:
                messages.success(request, _("The program settings are saved."))
                return redirect("program:settings")
        status = 400
    elif ctx.can_edit_program:
        form = ProgramSettingsForm(instance=row, ctx=ctx)
    return render(
        request,
        "program/settings.html",
        {
            "row": row,
            "steering": selectors.steering_group(ctx=ctx, row=row),
            "form": form,
            "can_edit": ctx.can_edit_program,
        },
        status=status,
    )
