"""Closed-loop analytics page. `?pareto=origin` reads the Pareto by the touchpoint where the problem started instead
of by root cause."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import Role
from accounts.scoping import org_required
from actions.charts import pareto_figure
from actions.forms import AnalyticsFilterForm
from actions.selectors.analytics import loop_analytics
from core.charts import escape_text

DEFAULT_PERIOD_DAYS = 90
ANALYTICS_ROLES = frozenset({Role.ADMIN, Role.CX_MANAGER, Role.EXECUTIVE})
PARETO_VIEWS = ("root_cause", "origin")


def _origin_figure(rows) -> dict:
    """The Pareto chart of origins: the root-cause chart with its x axis named for touchpoints."""
    figure = pareto_figure(rows)
    figure["layout"]["xaxis"]["title"]["text"] = escape_text(_("Where the problem started"))
    return figure


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
    pareto = request.GET.get("pareto")
    pareto = pareto if pareto in PARETO_VIEWS else "root_cause"
    data = loop_analytics(ctx=request.org, start=start, end=end, by_origin=pareto == "origin")
    if not form.is_bound or set(request.GET) <= {"pareto"}:
        form = AnalyticsFilterForm(initial={"start": start, "end": end})
    if pareto == "origin":
        figure = _origin_figure(data.origin.rows) if data.origin.rows else None
    else:
        figure = pareto_figure(data.pareto) if data.pareto else None
    period = {"start": start.isoformat(), "end": end.isoformat()}
    links = {
        "root_cause": "?" + urlencode(period) + "#pareto",
        "origin": "?" + urlencode(period | {"pareto": "origin"}) + "#pareto",
    }
    return render(
        request,
        "actions/analytics.html",
        {"form": form, "data": data, "pareto_view": pareto, "pareto_links": links, "pareto_fig": figure},
    )
