"""A customer's touchpoint history: order, primary scores, poor runs, the most within 90 days, linked cases."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from actions.models import FeedbackCase
from program.synergy.selectors import customer_touchpoint_history
from tests.factories import CustomerFactory
from tests.program.test_synergy_compound import make_synergy_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast_a):
    return make_synergy_world(cast_a)


def _case(world, response, team) -> FeedbackCase:
    now = timezone.now()
    return FeedbackCase.objects.create(
        organization=world.org,
        response=response,
        touchpoint=response.touchpoint,
        customer=response.customer,
        team=team,
        nps=2,
        warn_at=now,
        due_at=now,
    )


def test_history_in_date_order_with_primary_scores_streaks_and_the_most_within_90_days(world):
    tz = world.org.zone
    c = CustomerFactory(organization=world.org)
    base = dt.datetime(2026, 1, 10, 23, 30, tzinfo=dt.UTC)  # 00:30 on 11 January in Stockholm
    tp_sales, tp_invoice, tp_chat = world.touchpoints
    day = dt.timedelta(days=1)
    # Stored out of order on purpose.
    r3 = world.respond(c, base + 40 * day, touchpoint=tp_chat, csat=1, nps=9)  # NPS wins over CSAT: not poor
    r1 = world.respond(c, base, touchpoint=tp_sales, nps=8)
    r2 = world.respond(c, base + 20 * day, touchpoint=tp_invoice, csat=2, ces=7)  # CSAT wins over CES: poor
    r4 = world.respond(c, base + 50 * day, touchpoint=tp_invoice, ces=2, overall=10)  # CES: poor
    r5 = world.respond(c, base + 55 * day, touchpoint=tp_chat, text="Still waiting")  # no score: no break
    r6 = world.respond(c, base + 60 * day, touchpoint=tp_sales, overall=2, yes=0)  # rating: poor
    r7 = world.respond(c, base + 65 * day, touchpoint=tp_sales, nps=6)  # detractor: poor
    r8 = world.respond(c, base + 200 * day, touchpoint=tp_chat, nps=3)  # poor, far later
    world.respond(c, base + 61 * day, staff=True, nps=0)  # the staff survey is never part of it
    world.respond(CustomerFactory(organization=world.org), base, nps=0)  # someone else

    history = customer_touchpoint_history(ctx=world.ctx(), customer=c)
    got = [(e.response.pk, e.metric, e.score, e.poor, e.streak) for e in history.experiences]
    assert got == [
        (r1.pk, "nps", 8, False, 0),
        (r2.pk, "csat", 2, True, 0),
        (r3.pk, "nps", 9, False, 0),
        (r4.pk, "ces", 2, True, 1),
        (r5.pk, "", None, False, 0),
        (r6.pk, "overall:1-10", 2, True, 2),
        (r7.pk, "nps", 6, True, 3),
        (r8.pk, "nps", 3, True, 4),
    ]
    assert history.experiences[0].date == dt.date(2026, 1, 11)  # the organization's day, not UTC's
    assert history.experiences[0].local_time.utcoffset() == dt.timedelta(hours=1)
    assert [(s.length, s.first, s.last) for s in history.streaks] == [
        (4, timezone.localtime(r4.submitted_at, tz).date(), timezone.localtime(r8.submitted_at, tz).date())
    ]
    assert history.longest_streak == 4 and history.poor == 5 and history.journeys == 2
    # Poor on days 20, 50, 60, 65 (and 200): four within 90 days, from day 20 to day 65.
    assert history.most_in_90_days == 4
    assert history.most_first == timezone.localtime(r2.submitted_at, tz).date()
    assert history.most_last == timezone.localtime(r7.submitted_at, tz).date()


def test_cases_are_linked_only_where_the_viewer_may_see_them(world, cast_a):
    from tests.factories import TeamFactory

    c = CustomerFactory(organization=world.org)
    now = timezone.now()
    mine = world.respond(c, now - dt.timedelta(days=3), nps=1)
    theirs = world.respond(c, now - dt.timedelta(days=2), nps=2)
    mine_case = _case(world, mine, cast_a.team)
    theirs_case = _case(world, theirs, TeamFactory(organization=world.org))

    manager = {e.response.pk: e.case for e in customer_touchpoint_history(ctx=world.ctx(), customer=c).experiences}
    assert manager == {mine.pk: mine_case, theirs.pk: theirs_case}
    frontline = customer_touchpoint_history(ctx=world.ctx("frontline"), customer=c)
    assert {e.response.pk: e.case for e in frontline.experiences} == {mine.pk: mine_case, theirs.pk: None}
