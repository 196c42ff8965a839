"""The value dashboard: reads the latest snapshot only; CX managers queue a recomputation and choose the key-driver
outcome."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import WRITE_PROGRAM_ROLES, OrgContext, org_required
from value import selectors, services
from value.forms import DriverSettingsForm
from value.presenters import dashboard_context


def _page(request: HttpRequest, ctx: OrgContext, form: DriverSettingsForm | None = None, status: int = 200):
    context = dashboard_context(selectors.value_snapshot_latest(ctx=ctx))
    context["in_progress"] = selectors.value_snapshot_in_progress(ctx=ctx)
    context["can_recompute"] = ctx.can_edit_program
    if ctx.can_edit_program:
        row = selectors.value_settings_get(ctx=ctx)
        context["driver_form"] = form or DriverSettingsForm.for_row(
            row, outcome_metrics=selectors.outcome_metrics(ctx=ctx)
        )
    return render(request, "value/dashboard.html", context, status=status)


@org_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    return _page(request, request.org)


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    snapshot = services.value_recompute_request(ctx=request.org)
    # Without a broker the task has already run (eagerly, on commit): show its outcome.
    snapshot.refresh_from_db()
    if snapshot.status == snapshot.Status.DONE:
        messages.success(request, _("The value model has been recomputed."))
    elif snapshot.status == snapshot.Status.FAILED:
        messages.error(request, _("The value model could not be computed. The previous figures are still shown."))
    else:
        messages.info(request, _("Recomputation queued. The figures below update when it has finished."))
    return redirect("value:dashboard")


@org_required(WRITE_PROGRAM_ROLES)
@require_POST
def driver_settings(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    row = selectors.value_settings_get(ctx=ctx)
    form = DriverSettingsForm.for_row(row, outcome_metrics=selectors.outcome_metrics(ctx=ctx), data=request.POST)
    if not form.is_valid():
        return _page(request, ctx, form=form, status=400)
    services.value_settings_update(
        ctx=ctx,
        driver_outcome=form.cleaned_data["driver_outcome"],
        driver_min_effect=form.cleaned_data["driver_min_effect"],
    )
    snapshot = services.value_recompute_request(ctx=ctx)
    snapshot.refresh_from_db()
    if snapshot.status == snapshot.Status.DONE:
        messages.success(request, _("Key-driver settings saved; the value model has been recomputed with them."))
    else:
        messages.success(
            request, _("Key-driver settings saved. The figures below update when the recomputation has finished.")
        )
    return redirect("value:dashboard")
