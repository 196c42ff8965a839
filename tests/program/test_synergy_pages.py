"""The compound-failure page, the touchpoint-history page and their API, per role and across organizations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role
from accounts.scoping import context_for_membership
from accounts.services import api_key_create
from tests.factories import CustomerFactory
from tests.program.test_synergy_compound import make_synergy_world
from value.models import ChurnEvent

pytestmark = pytest.mark.django_db


def key_client(cast, *, scopes: list[str] | None = None) -> APIClient:
    _key, raw = api_key_create(
        ctx=context_for_membership(cast.admin, user=cast.admin.user), name="synergy", scopes=scopes or []
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def world(cast_a):
    """Org A: 35 customers with three poor experiences in 60 days and a bad fourth, 35 with one good answer; 14 of
    the first group churned 30 days after their third poor experience."""
    w = make_synergy_world(cast_a)
    tz = w.org.zone
    start = dt.datetime.combine(timezone.localdate(timezone=tz) - dt.timedelta(days=300), dt.time(12), tz)
    tp_sales, tp_invoice, tp_chat = w.touchpoints
    for i in range(35):
        c = CustomerFactory(organization=w.org, name=f"Struggling customer {i}")
        w.customers.append(c)
        for k, (tp, score) in enumerate([(tp_sales, 4), (tp_invoice, 2), (tp_chat, 3), (tp_invoice, 1)]):
            w.respond(c, start + dt.timedelta(days=20 * k, hours=i), touchpoint=tp, nps=score)
        if i < 14:
            ChurnEvent.objects.create(organization=w.org, customer=c, date=(start + dt.timedelta(days=70)).date())
        happy = CustomerFactory(organization=w.org, name=f"Happy customer {i}")
        w.respond(happy, start + dt.timedelta(days=5, hours=i), touchpoint=tp_sales, nps=10)
    return w


@pytest.mark.parametrize("role", Role.values)
def test_every_role_reads_the_compound_page(world, client_for, role):
    response = client_for(world.cast.member(role)).get(reverse("program:compound"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="compound-chart"' in page
    # The 3+ bucket: 35 detractors, NPS minus 100 (written with U+2212).
    assert 'data-bucket="3+"' in page and "\u2212100.0" in page


def test_the_compound_page_shows_the_planted_compound_effect(world, client_for):
    response = client_for(world.cast.cx_manager).get(reverse("program:compound"))
    data = response.context["data"]
    by_response = {b.label: b for b in data.by_response}
    assert by_response["0"].n == 70 and by_response["3+"].n == 35
    assert by_response["3+"].nps.score == -100.0
    by_customer = {b.label: b for b in data.by_customer}
    assert (by_customer["0"].customers, by_customer["0"].churned) == (35, 0)
    assert (by_customer["3+"].customers, by_customer["3+"].churned) == (35, 14)
    assert "40.0\u00a0%" in response.content.decode()  # 14 of 35 churned


def test_the_journey_filter_and_an_invalid_one(world, client_for, cast_b):
    other = make_synergy_world(cast_b)
    c = client_for(world.cast.executive)
    response = c.get(reverse("program:compound"), {"journey": world.journeys[0].pk})
    assert response.status_code == 200 and response.context["data"].journey == world.journeys[0]
    # Onboarding: the first poor experience of each struggling customer and every happy answer.
    assert {b.label: b.n for b in response.context["data"].by_response}["0"] == 70
    response = c.get(reverse("program:compound"), {"journey": other.journeys[0].pk})
    assert response.status_code == 200 and response.context["data"].journey is None
    assert 'data-testid="filter-error"' in response.content.decode()


def test_another_organizations_member_sees_none_of_the_figures(world, cast_b, client_for):
    make_synergy_world(cast_b)
    for role in Role.values:
        response = client_for(cast_b.member(role)).get(reverse("program:compound"))
        assert response.status_code == 200
        assert response.context["data"].responses == 0 and 'data-testid="compound-empty"' in response.content.decode()


@pytest.mark.parametrize("role", Role.values)
def test_every_role_reads_a_customers_history_and_the_customer_page_links_it(world, client_for, role):
    customer = world.customers[0]
    c = client_for(world.cast.member(role))
    page = c.get(reverse("program:customer_history", args=[customer.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="poor-mark"') == 4 and "4 poor experiences in a row" in html
    summary = c.get(reverse("program:customer_history_summary", args=[customer.pk])).content.decode()
    assert "4 experiences, 4 poor; at most 4 poor within 90 days." in summary
    assert reverse("program:customer_history", args=[customer.pk]) in summary
    detail = c.get(reverse("customers:customer_detail", args=[customer.pk])).content.decode()
    assert reverse("program:customer_history_summary", args=[customer.pk]) in detail


def test_another_organizations_customer_history_is_not_found(world, cast_b, client_for):
    customer = world.customers[0]
    for role in Role.values:
        c = client_for(cast_b.member(role))
        assert c.get(reverse("program:customer_history", args=[customer.pk])).status_code == 404
        assert c.get(reverse("program:customer_history_summary", args=[customer.pk])).status_code == 404


def test_the_api_gives_the_compound_figures_and_the_history(world):
    api = key_client(world.cast, scopes=["program"])
    data = api.get(reverse("program-compound")).json()
    three = next(b for b in data["by_response"] if b["poor_before"] == "3+")
    assert three["responses"] == 35 and three["nps"] == -100.0 and three["sufficient"] is True
    churn = next(b for b in data["by_customer"] if b["most_poor_in_90_days"] == "3+")
    assert churn["customers"] == 35 and churn["churned"] == 14 and churn["churn_rate"] == pytest.approx(0.4)
    assert churn["churn_low"] < 0.4 < churn["churn_high"]
    zero = next(b for b in data["by_response"] if b["poor_before"] == "0")
    assert zero["responses"] == 70
    journey = api.get(reverse("program-compound"), {"journey": world.journeys[1].pk}).json()
    assert journey["journey"] == world.journeys[1].pk
    assert api.get(reverse("program-compound"), {"start": "2026-05-02", "end": "2026-05-01"}).status_code == 400

    customer = world.customers[0]
    history = api.get(reverse("program-customer-history", args=[customer.pk])).json()
    assert [e["score"] for e in history["experiences"]] == [4, 2, 3, 1]
    assert history["streaks"][0]["length"] == 4 and history["most_poor_in_90_days"] == 4
    # A key limited to another area may not read it.
    assert key_client(world.cast, scopes=["voice"]).get(reverse("program-compound")).status_code == 403


def test_the_api_gives_another_organizations_key_nothing(world, cast_b):
    other = key_client(cast_b)
    customer = world.customers[0]
    assert other.get(reverse("program-customer-history", args=[customer.pk])).status_code == 404
    assert other.get(reverse("program-compound"), {"journey": world.journeys[0].pk}).status_code == 404
    data = other.get(reverse("program-compound")).json()
    assert sum(b["responses"] for b in data["by_response"]) == 0
    assert sum(b["customers"] for b in data["by_customer"]) == 0


def test_the_pages_use_a_fixed_number_of_queries(world, client_for, django_assert_max_num_queries):
    c = client_for(world.cast.frontline)
    customer = world.customers[0]
    for name, args in (("program:compound", []), ("program:customer_history", [customer.pk])):
        assert c.get(reverse(name, args=args)).status_code == 200  # warm the session
        with django_assert_max_num_queries(12):
            assert c.get(reverse(name, args=args)).status_code == 200
    # More history does not mean more queries.
    for k in range(10):
        world.respond(customer, timezone.now() - dt.timedelta(days=k), touchpoint=world.touchpoints[k % 3], csat=1)
    with django_assert_max_num_queries(12):
        assert c.get(reverse("program:customer_history", args=[customer.pk])).status_code == 200
