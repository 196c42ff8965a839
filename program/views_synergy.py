"""Pages of negative synergy: the compound-failure view and a customer's touchpoint history across journeys.

Every role reads both: the compound view shows organization-wide figures only (no customer), and the history page
follows the customer page's rule (customers.selectors.customer_get: any member of the organization); the cases it
links are those the viewer may see (a frontline user: their teams').
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.scoping import ALL_ROLES, org_required
from customers.selectors import customer_get
from program.synergy.charts import compound_figure
from program.synergy.forms import CompoundFilterForm
from program.synergy.selectors import compound_failures, customer_touchpoint_history


@org_required(ALL_ROLES)
@require_safe
def compound(request: HttpRequest) -> HttpResponse:
    ctx = request.org
    form = CompoundFilterForm(request.GET or None, ctx=ctx, today=timezone.localdate())
    start, end, journey = form.values()
    data = compound_failures(ctx=ctx, start=start, end=end, journey_id=journey.pk if journey else None)
    if not form.is_bound:
        form = CompoundFilterForm(ctx=ctx, today=timezone.localdate(), initial={"start": start, "end": end})
    return render(
        request,
        "program/compound.html",
        {"form": form, "filter_errors": form.error_messages(), "data": data, "figure": compound_figure(data)},
    )


@org_required(ALL_ROLES)
@require_safe
def customer_history(request: HttpRequest, customer_pk: int) -> HttpResponse:
    customer = customer_get(ctx=request.org, pk=customer_pk)
    history = customer_touchpoint_history(ctx=request.org, customer=customer)
    return render(request, "program/customer_history.html", {"customer": customer, "history": history})


@org_required(ALL_ROLES)
@require_safe
def customer_history_summary(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Fragment for the customer page (loaded with hx-get): one line about the history and a link to it."""
    customer = customer_get(ctx=request.org, pk=customer_pk)
    history = customer_touchpoint_history(ctx=request.org, customer=customer)
    return render(request, "program/customer_history_summary.html", {"customer": customer, "history": history})
