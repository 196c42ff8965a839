"""Owner scorecards (index, one member's, my own) and the team leaderboard.

Admins, CX managers and executives see every scorecard and the leaderboard; any other member sees only their own
scorecard (another's is 404) and is sent from the index to it. A member who owns nothing gets their (empty)
scorecard saying so, rather than a 404: "my scorecard" is in everyone's reach and should explain itself.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.scoping import ALL_ROLES, OrgContext, org_required
from core.forms import BootstrapFormMixin
from reports import scorecards

MONTHS_OFFERED = 13
CUSTOM = "custom"


class PeriodForm(BootstrapFormMixin, forms.Form):
    """A calendar month (default: the last full one in the organization's time zone) or a custom date range."""

    month = forms.ChoiceField(label=_("Period"), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, data, *, ctx: OrgContext):
        super().__init__(data)
        self.default_start, _end = scorecards.last_full_month(ctx=ctx)
        months = []
        month = self.default_start
        for _i in range(MONTHS_OFFERED):
            months.append((month.strftime("%Y-%m"), formats.date_format(month, "YEAR_MONTH_FORMAT")))
            month = (month - dt.timedelta(days=1)).replace(day=1)
        self.fields["month"].choices = [*months, (CUSTOM, _("Custom"))]

    def period(self) -> tuple[dt.date, dt.date]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        choice = data.get("month") or ""
        if choice == CUSTOM and data.get("start") and data.get("end") and data["start"] <= data["end"]:
            return data["start"], data["end"]
        try:
            return scorecards.month_range(dt.date.fromisoformat(f"{choice}-01"))
        except ValueError:
            return scorecards.month_range(self.default_start)


def _period(request: HttpRequest) -> dict:
    """The period's dashboard filters, its form, and its query string for the links between scorecard pages."""
    ctx = request.org
    params = request.GET.copy()
    form = PeriodForm(params, ctx=ctx)
    start, end = form.period()
    month = params.get("month")
    if month != CUSTOM and month not in dict(form.fields["month"].choices):
        params["month"] = start.strftime("%Y-%m")  # so the select shows what the figures are for
        form = PeriodForm(params, ctx=ctx)
    if params["month"] == CUSTOM:
        query = urlencode({"month": CUSTOM, "start": start.isoformat(), "end": end.isoformat()})
    else:
        query = urlencode({"month": params["month"]})
    return {
        "filters": scorecards.scorecard_filters(ctx=ctx, start=start, end=end),
        "period_form": form,
        "period_query": query,
    }


def _render_scorecard(request: HttpRequest, member) -> HttpResponse:
    period = _period(request)
    data = scorecards.scorecard(ctx=request.org, member=member, filters=period["filters"])
    return render(
        request,
        "reports/scorecards/detail.html",
        {
            **period,
            "data": data,
            "filters": data.filters,
            "is_own": request.user.pk == member.user_id,
            "see_all": scorecards.can_see_every_scorecard(request.org),
        },
    )


@org_required(ALL_ROLES)
@require_safe
def scorecard_index(request: HttpRequest) -> HttpResponse:
    if not scorecards.can_see_every_scorecard(request.org):
        return redirect("reports:scorecard_mine")
    period = _period(request)
    owners, filters = scorecards.scorecard_index(ctx=request.org, filters=period["filters"])
    return render(
        request,
        "reports/scorecards/index.html",
        {**period, "owners": owners, "filters": filters, "see_all": True},
    )


@org_required(ALL_ROLES)
@require_safe
def scorecard_mine(request: HttpRequest) -> HttpResponse:
    return _render_scorecard(request, scorecards.own_membership(ctx=request.org))


@org_required(ALL_ROLES)
@require_safe
def member_scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_scorecard(request, scorecards.scorecard_member_get(ctx=request.org, pk=pk))


@org_required(scorecards.SEE_ALL_ROLES)
@require_safe
def team_leaderboard(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    filters = period["filters"]
    board = scorecards.team_leaderboard(ctx=request.org, start=filters.start, end=filters.end)
    return render(request, "reports/scorecards/leaderboard.html", {**period, "board": board, "see_all": True})
