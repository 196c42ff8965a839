"""Recovery after "you said, we did": each customer's next score at the same touchpoint against the score that opened
their case, judged with a paired t-test; checked against an independent recomputation (numpy, scipy, by hand)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone
from scipy import stats

from core.numbers import format_number
from program.models import CustomerUpdateRecipient
from program.updates.recovery import recovery
from program.updates.selectors import customer_update_recovery
from tests.actions.conftest import respond
from tests.program.test_updates_send import case_for, customer, make_world, send

FIRST = [2, 3, 6, 4, 0, 5]
NEXT = [8, 9, 7, 4, 6, 10]


def by_hand_p(first: list[float], next_: list[float]) -> float:
    d = np.array(next_, dtype=float) - np.array(first, dtype=float)
    t = d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))
    return float(2 * stats.t.sf(abs(t), len(d) - 1))


def test_recovery_arithmetic_matches_numpy_scipy_and_the_t_test_by_hand():
    r = recovery("nps", list(zip(FIRST, NEXT, strict=True)))
    assert r.n == 6 and r.enough
    assert r.mean_first == pytest.approx(np.mean(FIRST))
    assert r.mean_next == pytest.approx(np.mean(NEXT))
    assert r.mean_change == pytest.approx(np.mean(np.array(NEXT) - np.array(FIRST)))
    assert r.p_value == pytest.approx(stats.ttest_rel(NEXT, FIRST).pvalue)
    assert r.p_value == pytest.approx(by_hand_p(FIRST, NEXT))
    assert r.significant and r.p_value < 0.05
    # Every first score is a detractor (0-6); 8, 9, 7, 10 are not any more, 4 and 6 still are.
    assert (r.bad_first, r.moved_out) == (6, 4)
    assert r.share_moved_out == pytest.approx(4 / 6)


def test_fewer_than_five_pairs_are_too_few_to_call_anything():
    r = recovery("nps", [(0, 10), (1, 10), (2, 10), (0, 9)])
    assert r.n == 4 and not r.enough
    assert r.p_value is not None and r.p_value < 0.05  # computed, but not called a change on four customers
    assert not r.significant


def test_bottom_box_on_a_csat_scale_and_an_undefined_test():
    r = recovery("csat", [(1, 4), (2, 2), (3, 5), (2, 3), (1, 1)])
    assert (r.bad_first, r.moved_out) == (4, 2)  # 1-2 is the bottom box of 1-5: 4 and 3 left it
    same = recovery("csat", [(1, 3), (2, 4), (3, 5), (1, 3), (2, 4)])  # everyone +2: no variance, no t-test
    assert same.p_value is None and not same.significant and same.mean_change == 2
    assert recovery("nps", []).mean_first is None


@pytest.fixture
def planted(cast_a):
    """Seven customers told 30 days ago about their detractor cases at the loop's touchpoint; six answered again."""
    world = make_world(cast_a)
    now = timezone.now()
    people = [customer(world, language="sv") for _ in range(7)]
    for person, score in zip(people, [*FIRST, 1], strict=True):
        case_for(world, person, nps=score, days_ago=60)
    update = send(world, at=now - dt.timedelta(days=30))
    loop = world.loop
    for i, (person, score) in enumerate(zip(people, NEXT, strict=False)):
        respond(loop, nps=score, customer=person, submitted_at=now - dt.timedelta(days=20 - i))
    # What must not count: a later second answer, another touchpoint, another metric, an answer before the update.
    respond(loop, nps=1, customer=people[0], submitted_at=now - dt.timedelta(days=5))
    respond(loop, nps=0, customer=people[1], touchpoint=loop.other_touchpoint, submitted_at=now - dt.timedelta(days=25))
    respond(loop, csat=1, customer=people[2], submitted_at=now - dt.timedelta(days=25))
    respond(loop, nps=0, customer=people[3], submitted_at=now - dt.timedelta(days=35))
    return world, update, people


def test_the_recovery_pairs_each_customers_first_answer_after_the_message_with_their_case(planted):
    world, _update, people = planted
    report = customer_update_recovery(ctx=world.ctx(), action=world.action)
    nexts = {row.recipient.customer_id: row.next_score for row in report.rows}
    assert nexts == {**{p.pk: float(s) for p, s in zip(people, NEXT, strict=False)}, people[6].pk: None}
    r = report.recovery
    assert (r.metric, r.n, report.waiting) == ("nps", 6, 1)
    assert r.mean_first == pytest.approx(np.mean(FIRST)) and r.mean_next == pytest.approx(np.mean(NEXT))
    assert r.p_value == pytest.approx(stats.ttest_rel(NEXT, FIRST).pvalue)
    assert (r.bad_first, r.moved_out) == (6, 4)


def test_an_answer_before_the_email_went_out_is_not_the_next_score(planted):
    world, update, people = planted
    # The first customer's e-mail went out only 10 days ago: their answer 20 days ago came before it.
    CustomerUpdateRecipient.objects.filter(update=update, customer=people[0]).update(
        sent_at=timezone.now() - dt.timedelta(days=10)
    )
    report = customer_update_recovery(ctx=world.ctx(), action=world.action, update=update)
    row = next(row for row in report.rows if row.recipient.customer_id == people[0].pk)
    assert row.next_score == 1.0  # the answer 5 days ago
    assert report.recovery.n == 6


def test_the_update_page_shows_the_recovery_with_n_and_the_verdict(planted, client_for):
    world, update, _people = planted
    page = client_for(world.loop.cast.cx_manager).get(reverse("program:customer_update_detail", args=[update.pk]))
    html = page.content.decode()
    p = stats.ttest_rel(NEXT, FIRST).pvalue
    assert "n = 6" in html
    assert f"The change is unlikely to be chance (p = {format_number(p, 3)}, paired t-test)." in html
    assert "Out of the bad band (detractors): 4 of 6" in html
    assert "1 customer told has not answered again yet." in html
    # The improvement page's panel summarises the same.
    panel = client_for(world.loop.cast.executive).get(reverse("actions:improvement_detail", args=[world.action.pk]))
    assert "n = 6" in panel.content.decode()


def test_below_five_pairs_the_page_says_too_few_answers_yet(cast_a, client_for):
    world = make_world(cast_a)
    now = timezone.now()
    people = [customer(world, language="en") for _ in range(3)]
    for person in people:
        case_for(world, person, nps=2, days_ago=60)
    update = send(world, at=now - dt.timedelta(days=30))
    for person in people:
        respond(world.loop, nps=10, customer=person, submitted_at=now - dt.timedelta(days=3))
    html = client_for(cast_a.cx_manager).get(reverse("program:customer_update_detail", args=[update.pk])).content
    html = html.decode()
    assert "n = 3" in html
    assert "Too few answers yet: 3 customers have answered again, and at least 5 are needed" in html
    assert "unlikely to be chance" not in html
