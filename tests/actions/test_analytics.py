"""Closed-loop analytics: the figures on the page against hand-computed numbers and against the raw rows."""

import datetime as dt
import statistics

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.scoping import context_for_membership
from actions.models import FeedbackCase
from actions.selectors.analytics import loop_analytics
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)


@pytest.fixture
def world(loop_a):
    now = timezone.now()
    x = CustomerFactory(organization=loop_a.org)
    y = CustomerFactory(organization=loop_a.org)

    def case(*, touchpoint=None, customer=None, nps, **fields):
        response = respond(loop_a, nps=nps, touchpoint=touchpoint, customer=customer, submitted_at=now - 70 * H)
        response_processed.send(sender=Response, response=response)
        c = FeedbackCase.objects.get(response=response)
        opened = now - 60 * H
        FeedbackCase.objects.filter(pk=c.pk).update(opened_at=opened, due_at=opened + 48 * H, **fields)
        return c

    opened = now - 60 * H
    late, no_show = loop_a.root_causes["late"], loop_a.root_causes["no_show"]
    c1 = case(
        customer=x,
        nps=2,
        status="closed",
        first_contact_at=opened + H,
        time_to_first_contact=H,
        closed_at=opened + 2 * H,
        time_to_close=2 * H,
        root_cause=late,
    )
    c2 = case(
        customer=y,
        nps=5,
        status="closed",
        first_contact_at=opened + 3 * H,
        time_to_first_contact=3 * H,
        closed_at=opened + 50 * H,
        time_to_close=50 * H,
        root_cause=late,
    )
    c3 = case(customer=False, nps=6, status="claimed", root_cause=no_show)  # open and overdue (due 12 h ago)
    c4 = case(customer=False, nps=1, touchpoint=loop_a.other_touchpoint)
    FeedbackCase.objects.filter(pk=c4.pk).update(due_at=now + 10 * H)
    # Detractors and promoters without a case (the rule is off), and the customers' next scores after their case.
    loop_a.rule.is_active = False
    loop_a.rule.save()
    for nps, customer, at in [(4, False, now - 70 * H), (9, False, now - 70 * H), (9, x, now - H), (4, y, now - H)]:
        response_processed.send(sender=Response, response=respond(loop_a, nps=nps, customer=customer, submitted_at=at))
    return loop_a, (c1, c2, c3, c4)


def test_figures_per_touchpoint_team_and_total(world):
    loop, _cases = world
    ctx = context_for_membership(loop.cast.cx_manager, user=loop.cast.cx_manager.user)
    today = timezone.localdate()
    data = loop_analytics(ctx=ctx, start=today - dt.timedelta(days=30), end=today)

    tp = {row.key: row for row in data.by_touchpoint}[loop.touchpoint.pk]
    # Detractors at the touchpoint: c1, c2, c3 and two without a case (NPS 4, 4).
    assert (tp.detractors, tp.detractors_with_case) == (5, 3) and tp.share_detractors_with_case == 60.0
    assert (tp.cases, tp.contacted, tp.closed, tp.closed_in_sla, tp.overdue_open) == (3, 2, 2, 1, 1)
    assert tp.share_closed_in_sla == pytest.approx(100 / 3)
    assert tp.median_first_contact == 2 * H and tp.median_close == 26 * H
    other = {row.key: row for row in data.by_touchpoint}[loop.other_touchpoint.pk]
    assert (other.detractors, other.cases, other.contacted, other.overdue_open) == (1, 1, 0, 0)
    assert other.median_first_contact is None and other.share_closed_in_sla is None

    teams = {row.key: row for row in data.by_team}
    assert teams[loop.team.pk].cases == 3 and teams[loop.other_team.pk].cases == 1
    assert teams[loop.team.pk].detractors == 5

    t = data.total
    assert (t.detractors, t.detractors_with_case, t.cases, t.contacted) == (6, 4, 4, 2)
    assert t.median_first_contact == 2 * H and t.median_close == 26 * H

    # Cross-check the totals against the raw rows.
    rows = list(FeedbackCase.objects.filter(organization=loop.org))
    assert t.cases == len(rows)
    assert t.contacted == sum(r.first_contact_at is not None for r in rows)
    assert t.median_close == statistics.median(r.time_to_close for r in rows if r.time_to_close)
    assert t.closed_in_sla == sum(r.closed_within_sla is True for r in rows)

    assert [(p.label, p.count, round(p.cumulative_share)) for p in data.pareto] == [
        ("Technician › Late", 2, 67),
        ("Technician › No-show", 1, 100),
    ]
    [reached] = data.next_score
    assert reached.contacted and reached.n == 2
    assert (reached.mean_before, reached.mean_after) == (3.5, 6.5)
    assert reached.improved == 1 and reached.detractors_recovered == 1  # x: 2 -> 9; y: 5 -> 4


def test_the_page_shows_the_figures_with_bounded_queries(world, client_for, django_assert_max_num_queries):
    loop, _cases = world
    c = client_for(loop.cast.executive)
    c.get(reverse("actions:analytics"))
    with django_assert_max_num_queries(18):
        page = c.get(reverse("actions:analytics")).content.decode()
    assert 'data-testid="share-with-case">67 %' in page
    assert 'data-testid="share-contacted">50 %' in page
    assert 'data-testid="median-contact">2 h' in page and 'data-testid="median-close">1 d 2 h' in page
    assert 'data-plotly="pareto-fig"' in page and 'id="pareto-fig"' in page
    assert "Technician › Late" in page


def test_a_period_without_cases_shows_empty_figures(world, client_for):
    loop, _cases = world
    page = client_for(loop.cast.cx_manager).get(
        reverse("actions:analytics"), {"start": "2020-01-01", "end": "2020-02-01"}
    )
    html = page.content.decode()
    assert 'data-testid="share-with-case">–' in html and "No case in this period has a root cause yet." in html


def test_frontline_users_do_not_get_the_analytics(loop_a, client_for):
    assert client_for(loop_a.frontline).get(reverse("actions:analytics")).status_code == 403
