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
from outbox.models import OutboxMessage
from program.models import CustomerUpdateRecipient
from program.updates.recovery import min_pairs_for, recovery
from program.updates.selectors import customer_update_recovery
from program.updates.services import KIND
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


def test_below_the_minimum_only_n_is_given():
    pairs = [(0, 10), (1, 10), (2, 10), (0, 9)]
    r = recovery("nps", pairs)
    assert r.n == 4 and not r.enough and r.min_pairs == 5
    # Four customers who all rose would pass a t-test, but nothing is shown or called a change on four.
    assert stats.ttest_rel([10, 10, 10, 9], [0, 1, 2, 0]).pvalue < 0.05
    assert (r.mean_first, r.mean_next, r.mean_change, r.p_value) == (None, None, None, None)
    assert (r.bad_first, r.moved_out, r.share_moved_out) == (None, None, None)
    assert not r.significant
    # The minimum is the organization's minimum n, never below five.
    assert not recovery("nps", list(zip(FIRST, NEXT, strict=True)), min_pairs=10).enough
    assert recovery("nps", list(zip(FIRST, NEXT, strict=True)), min_pairs=6).mean_change == pytest.approx(
        np.mean(np.array(NEXT) - np.array(FIRST))
    )


@pytest.mark.parametrize(("min_n", "expected"), [(30, 30), (8, 8), (2, 5), (0, 5)])
def test_the_minimum_of_pairs_is_the_organizations_minimum_n_and_at_least_five(cast_a, min_n, expected):
    cast_a.org.min_n = min_n
    assert min_pairs_for(cast_a.org) == expected


def test_bottom_box_on_a_csat_scale_and_an_undefined_test():
    r = recovery("csat", [(1, 4), (2, 2), (3, 5), (2, 3), (1, 1)])
    assert (r.bad_first, r.moved_out) == (4, 2)  # 1-2 is the bottom box of 1-5: 4 and 3 left it
    same = recovery("csat", [(1, 3), (2, 4), (3, 5), (1, 3), (2, 4)])  # everyone +2: no variance, no t-test
    assert same.p_value is None and not same.significant and same.mean_change == 2
    assert recovery("nps", []).mean_first is None


def told_at(update, at: dt.datetime) -> None:
    """Stamp every recipient's e-mail as sent at `at`, as the outbox's hook would have then."""
    CustomerUpdateRecipient.objects.filter(update=update).update(sent_at=at)


def set_min_n(world, n: int) -> None:
    world.org.min_n = n
    world.org.save(update_fields=["min_n"])


@pytest.fixture
def planted(cast_a):
    """Seven customers told 30 days ago about their detractor cases at the loop's touchpoint; six answered again.
    The organization's minimum n is 5 here, so six pairs are enough."""
    world = make_world(cast_a)
    set_min_n(world, 5)
    now = timezone.now()
    people = [customer(world, language="sv") for _ in range(7)]
    for person, score in zip(people, [*FIRST, 1], strict=True):
        case_for(world, person, nps=score, days_ago=60)
    update = send(world, at=now - dt.timedelta(days=30))
    told_at(update, now - dt.timedelta(days=30) + dt.timedelta(minutes=3))
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
    assert report.comparison is not None and report.comparison.n == 0 and report.comparison.mean_change is None


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


def test_below_the_organizations_minimum_n_no_figure_is_shown_anywhere(planted, client_for):
    world, update, _people = planted
    set_min_n(world, 10)  # six pairs, ten needed
    report = customer_update_recovery(ctx=world.ctx(), action=world.action, update=update)
    assert report.recovery.n == 6 and report.recovery.min_pairs == 10 and not report.recovery.enough
    assert report.recovery.mean_change is None and report.recovery.p_value is None

    c = client_for(world.loop.cast.cx_manager)
    html = c.get(reverse("program:customer_update_detail", args=[update.pk])).content.decode()
    assert "n = 6" in html
    assert "Too few answers yet: 6 customers have answered again, and at least 10 are needed" in html
    mean_first = format_number(float(np.mean(FIRST)), 1)
    for hidden in ('data-testid="recovery-first"', 'data-testid="recovery-change"', "paired t-test", "Out of the bad"):
        assert hidden not in html
    assert f">{mean_first}<" not in html
    panel = c.get(reverse("actions:improvement_detail", args=[world.action.pk])).content.decode()
    assert "n = 6" in panel and "Too few answers yet" in panel and 'data-testid="recovery-change"' not in panel

    from tests.program.test_updates_api import key_client

    body = key_client(world.loop.cast).get(f"/api/v1/program/customer-updates/{update.pk}/").json()["recovery"]
    assert body["n"] == 6 and body["enough"] is False and body["min_pairs"] == 10
    for key in ("mean_first", "mean_next", "mean_change", "p_value", "bad_first", "moved_out", "share_moved_out"):
        assert body[key] is None, key


def test_only_customers_whose_email_went_out_are_paired_the_others_reported_apart(planted, client_for):
    world, update, people = planted
    # The first customer's e-mail was cancelled (consent withdrawn), the seventh's has not gone out yet: their next
    # answers do not count, whatever they say.
    respond(world.loop, nps=10, customer=people[6], submitted_at=timezone.now() - dt.timedelta(days=10))
    rows = {r.customer_id: r for r in CustomerUpdateRecipient.objects.filter(update=update)}
    CustomerUpdateRecipient.objects.filter(pk__in=[rows[people[0].pk].pk, rows[people[6].pk].pk]).update(sent_at=None)
    OutboxMessage.objects.filter(kind=KIND, ref_id=rows[people[0].pk].pk).update(status="cancelled")
    report = customer_update_recovery(ctx=world.ctx(), action=world.action, update=update)
    assert (report.not_sent, report.pending_send, report.waiting) == (1, 1, 0)
    r = report.recovery
    assert r.n == 5 and r.enough
    assert r.mean_change == pytest.approx(np.mean(np.array(NEXT[1:]) - np.array(FIRST[1:])))
    assert r.p_value == pytest.approx(stats.ttest_rel(NEXT[1:], FIRST[1:]).pvalue)
    CustomerUpdateRecipient.objects.filter(pk=rows[people[1].pk].pk).update(sent_at=None)
    assert customer_update_recovery(ctx=world.ctx(), action=world.action, update=update).recovery.n == 4
    html = client_for(world.loop.cast.cx_manager).get(reverse("program:customer_update_detail", args=[update.pk]))
    html = html.content.decode()
    assert "1 customer was not told after all (the e-mail was cancelled or failed): not counted." in html
    assert "2 customers' e-mails have not gone out yet: not counted until they have." in html


def test_the_verdict_comes_with_the_regression_to_the_mean_caveat_and_the_customers_not_told(planted, client_for):
    world, update, _people = planted
    loop, now = world.loop, timezone.now()
    # Customers of the same cases who could not be told (no consent to be contacted): their first score, and their
    # next answer at the same touchpoint after the update; one answered only before it, one at another touchpoint.
    firsts, nexts = [1, 2, 4, 0, 3], [5, 2, 6, 3, 3]
    silent = [customer(world, language="sv", may_contact=False) for _ in range(7)]
    for person, score in zip(silent, [*firsts, 2, 2], strict=True):
        case_for(world, person, nps=score, days_ago=45)
    for i, (person, score) in enumerate(zip(silent, nexts, strict=False)):
        respond(loop, nps=score, customer=person, submitted_at=now - dt.timedelta(days=15 - i))
    respond(loop, nps=9, customer=silent[5], submitted_at=now - dt.timedelta(days=35))
    respond(loop, nps=9, customer=silent[6], touchpoint=loop.other_touchpoint, submitted_at=now - dt.timedelta(days=9))

    report = customer_update_recovery(ctx=world.ctx(), action=world.action, update=update)
    c = report.comparison
    assert c.n == 5 and c.enough
    assert c.mean_change == pytest.approx(np.mean(np.array(nexts) - np.array(firsts)))
    html = client_for(loop.cast.cx_manager).get(reverse("program:customer_update_detail", args=[update.pk]))
    html = html.content.decode()
    assert "part of any rise is regression to the mean" in html
    change = format_number(float(np.mean(np.array(nexts) - np.array(firsts))), 2)
    assert f"Customers of the same cases who were not told: mean change +{change} (n = 5)." in html

    set_min_n(world, 6)  # the told have 6 pairs, the comparison 5: its figure is withheld, its n shown
    html = client_for(loop.cast.cx_manager).get(reverse("program:customer_update_detail", args=[update.pk]))
    html = html.content.decode()
    assert "not told: too few answers yet to compare (n = 5, at least 6 needed)." in html
    assert f"+{change}" not in html
    api = key_client_for(world).get(f"/api/v1/program/customer-updates/{update.pk}/").json()["recovery"]
    assert api["comparison"] == {"n": 5, "enough": False, "min_pairs": 6, "mean_change": None}


def key_client_for(world):
    from tests.program.test_updates_api import key_client

    return key_client(world.loop.cast)
