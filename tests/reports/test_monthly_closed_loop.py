"""The report's closed-loop section equals the closed-loop analytics page for the same month."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from actions.models import FeedbackCase
from reports.models import MonthlyReport
from reports.services import report_generate
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import build_loop, respond
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def loop_a(cast_a):
    return build_loop(cast_a)


def test_closed_loop_figures_equal_the_analytics_page(client_for, loop_a, settings):
    settings.ACTIONS_MAX_RESPONSE_AGE_DAYS = 3650  # the month is in the past: its detractors still open cases
    tz = ZoneInfo(loop_a.org.timezone)
    opened = dt.datetime(2026, 10, 12, 9, 0, tzinfo=tz)
    late = loop_a.root_causes["late"]

    def case(nps, **fields):
        customer = CustomerFactory(organization=loop_a.org)
        response = respond(loop_a, nps=nps, customer=customer, submitted_at=opened - H)
        response_processed.send(sender=Response, response=response)
        c = FeedbackCase.objects.get(response=response)
        FeedbackCase.objects.filter(pk=c.pk).update(opened_at=opened, due_at=opened + 48 * H, **fields)

    case(
        2,
        status="closed",
        first_contact_at=opened + H,
        time_to_first_contact=H,
        closed_at=opened + 2 * H,
        time_to_close=2 * H,
        root_cause=late,
    )
    case(
        5,
        status="closed",
        first_contact_at=opened + 3 * H,
        time_to_first_contact=3 * H,
        closed_at=opened + 50 * H,
        time_to_close=50 * H,
        root_cause=late,
    )
    case(6, status="claimed", root_cause=loop_a.root_causes["no_show"])
    respond(loop_a, nps=3, customer=False, submitted_at=opened)  # a detractor without a case
    # Outside the month: not counted.
    response = respond(
        loop_a,
        nps=1,
        customer=CustomerFactory(organization=loop_a.org),
        submitted_at=dt.datetime(2026, 11, 2, 9, 0, tzinfo=tz),
    )
    response_processed.send(sender=Response, response=response)

    report = report_generate(organization=loop_a.org, month=dt.date(2026, 10, 1), trigger="on_demand")
    assert report.status == MonthlyReport.Status.READY, report.error
    loop = report.figures["closed_loop"]
    page = client_for(loop_a.cast.executive).get("/actions/analytics/", {"start": "2026-10-01", "end": "2026-10-31"})
    total = page.context["data"].total
    assert (
        (loop["cases"], loop["contacted"], loop["closed"], loop["closed_in_sla"])
        == (
            total.cases,
            total.contacted,
            total.closed,
            total.closed_in_sla,
        )
        == (3, 2, 2, 1)
    )
    assert (loop["detractors"], loop["detractors_with_case"]) == (total.detractors, total.detractors_with_case)
    assert loop["detractors"] == 4 and loop["detractors_with_case"] == 3
    assert loop["median_first_contact_seconds"] == total.median_first_contact.total_seconds() == 2 * 3600
    assert loop["median_close_seconds"] == total.median_close.total_seconds() == 26 * 3600
    assert [(r["label"], r["count"]) for r in loop["root_causes"]] == [
        (r.label, r.count) for r in page.context["data"].pareto
    ]
    assert loop["root_causes"][0]["count"] == 2
