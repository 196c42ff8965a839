"""Churn by compound failures counts only customers whose 180 days of follow-up are over (anchor day + 180 <=
today): a customer anchored a month ago who has not churned yet is no evidence of staying, and counted as "not
churned" would lower the rate, most in the high buckets (anchored late). Planted data, expected figures by hand and
statsmodels' Wilson interval; the page and the API say the same."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from statsmodels.stats.proportion import proportion_confint

from program.synergy.selectors import compound_failures
from tests.factories import CustomerFactory
from tests.program.test_synergy_compound import make_synergy_world
from tests.program.test_synergy_pages import key_client
from value.models import ChurnEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast_a):
    """Bucket 0: ten customers followed up (one good answer 300 days ago; two churned), one anchored exactly 180
    days ago (complete), and three still in follow-up: anchored 30 days ago and not churned, 179 days ago, and 20
    days ago but churned 10 days ago (a churn that counts neither way yet). Bucket 3+: four customers with three
    detractor answers, the third 200 days ago (one churned), and two whose third came 40 days ago."""
    w = make_synergy_world(cast_a)
    w.org.min_n = 1
    w.org.save(update_fields=["min_n"])
    tz = w.org.zone
    today = timezone.localdate(timezone=tz)

    def day(back: int, hour: int = 12) -> dt.datetime:
        return dt.datetime.combine(today - dt.timedelta(days=back), dt.time(hour), tz)

    def customer(*answers: tuple[int, int], churned_back: int | None = None):
        c = CustomerFactory(organization=w.org)
        for back, score in answers:
            w.respond(c, day(back), nps=score)
        if churned_back is not None:
            ChurnEvent.objects.create(organization=w.org, customer=c, date=today - dt.timedelta(days=churned_back))
        return c

    for i in range(10):
        customer((300, 9), churned_back=250 if i < 2 else None)
    customer((180, 10))
    w.late = customer((30, 10))  # the one the brief names: anchored a month ago, not churned
    customer((179, 9))
    customer((20, 9), churned_back=10)
    for i in range(4):
        customer((240, 2), (220, 3), (200, 1), churned_back=150 if i == 0 else None)
    for _ in range(2):
        customer((80, 0), (60, 1), (40, 2))
    return w


def test_customers_still_in_follow_up_are_left_out_of_the_churn_rate(world):
    today = timezone.localdate(timezone=world.org.zone)
    data = compound_failures(ctx=world.ctx(), start=today - dt.timedelta(days=364), end=today)
    zero, top = data.by_customer[0], data.by_customer[3]
    assert (zero.customers, zero.followed_up, zero.follow_up_open, zero.churned) == (14, 11, 3, 2)
    assert zero.churn_rate == pytest.approx(2 / 11)  # not 2 / 14, nor 3 / 14 with the early churner
    assert zero.interval == pytest.approx(proportion_confint(2, 11, alpha=0.05, method="wilson"))
    assert (top.customers, top.followed_up, top.follow_up_open, top.churned) == (6, 4, 2, 1)
    assert top.churn_rate == pytest.approx(1 / 4)
    assert top.interval == pytest.approx(proportion_confint(1, 4, alpha=0.05, method="wilson"))
    assert data.follow_up_open == 5


def test_a_customer_anchored_a_month_ago_does_not_lower_the_rate(world):
    today = timezone.localdate(timezone=world.org.zone)
    start = today - dt.timedelta(days=364)
    with_late = compound_failures(ctx=world.ctx(), start=start, end=today).by_customer[0]
    world.late.delete()
    without_late = compound_failures(ctx=world.ctx(), start=start, end=today).by_customer[0]
    assert with_late.customers == without_late.customers + 1
    assert with_late.follow_up_open == without_late.follow_up_open + 1
    assert (with_late.churned, with_late.followed_up, with_late.churn_rate, with_late.interval) == (
        without_late.churned,
        without_late.followed_up,
        without_late.churn_rate,
        without_late.interval,
    )


def test_nobody_followed_up_means_no_rate_and_below_the_minimum_the_page_says_too_few(world, client_for):
    today = timezone.localdate(timezone=world.org.zone)
    data = compound_failures(ctx=world.ctx(), start=today - dt.timedelta(days=100), end=today)
    top = data.by_customer[3]
    assert (top.customers, top.followed_up, top.churn_rate, top.interval, top.churn_sufficient) == (
        2,
        0,
        None,
        None,
        False,
    )
    world.org.min_n = 5
    world.org.save(update_fields=["min_n"])
    page = client_for(world.cast.cx_manager).get(reverse("program:compound")).content.decode()
    # Bucket 3+ has six customers (enough for revenue) but four followed up: too few for a churn rate.
    row = page.split('data-bucket="3+"')[-1].split("</tr>")[0]
    assert 'data-testid="churn-too-few"' in row and "n = 4" in row and 'data-testid="churn"' not in row


def test_the_page_and_the_api_show_the_customers_in_follow_up_apart(world, client_for):
    response = client_for(world.cast.executive).get(reverse("program:compound"))
    page = response.content.decode()
    assert "Follow-up not complete yet" in page and 'data-testid="follow-up-note"' in page
    assert "5 customers are still in follow-up." in page
    zero = page.split('data-bucket="0"')[-1].split("</tr>")[0]  # the customer table's row
    assert '<td class="text-end" data-testid="follow-up-open">3</td>' in zero and "(2 of 11)" in zero
    assert "18.2\u00a0%" in zero  # 2 of 11

    data = key_client(world.cast, scopes=["program"]).get(reverse("program-compound")).json()
    zero, top = data["by_customer"][0], data["by_customer"][3]
    assert (zero["customers"], zero["followed_up"], zero["follow_up_open"], zero["churned"]) == (14, 11, 3, 2)
    assert zero["churn_rate"] == pytest.approx(2 / 11) and zero["churn_sufficient"] is True
    assert (top["followed_up"], top["follow_up_open"], top["churn_rate"]) == (4, 2, pytest.approx(0.25))
