"""The value dashboard: reads the latest snapshot only; CX managers can queue a recomputation."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scoping import WRITE_PROGRAM_ROLES, org_required
from value import selectors, services
from value.presenters import dashboard_context


@org_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    context = dashboard_context(selectors.value_snapshot_latest(ctx=ctx))
    context["in_progress"] = selectors.value_snapshot_in_progress(ctx=ctx)
    context["can_recompute"] = ctx.can_edit_program
    return render(request, "value/dashboard.html", context)


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
