"""Closed-loop analytics page."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.models import Role
from accounts.scoping import org_required
from actions.figures import pareto_figure
from actions.forms import AnalyticsFilterForm
from actions.selectors.analytics import loop_analytics

DEFAULT_PERIOD_DAYS = 90
ANALYTICS_ROLES = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE})


@org_required(ANALYTICS_ROLES)
@require_safe
def analytics(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = AnalyticsFilterForm(request.GET or None)
    start, end = today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today
    if form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    if end < start:
        start, end = end, start
    data = loop_analytics(ctx=request.org, start=start, end=end)
    if not form.is_bound:
        form = AnalyticsFilterForm(initial={"start": start, "end": end})
    return render(
        request,
        "actions/analytics.html",
        {"form": form, "data": data, "pareto_fig": pareto_figure(data.pareto) if data.pareto else None},
    )
