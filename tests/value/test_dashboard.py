"""The value dashboard: shows the snapshot's numbers, says why where it has none, roles and organizations."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from accounts.models import Role
from core.money import format_money, format_money_interval
from tests.value import synthetic
from tests.value.conftest import load_synthetic
from value.models import ValueSnapshot
from value.services import value_model_run

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

URL = reverse("value:dashboard")
RECOMPUTE = reverse("value:recompute")


def money(value: float, currency: str = "SEK") -> str:
    return f"{round(value):,}\u00a0{currency}"


def interval(low: float, high: float, currency: str = "SEK") -> str:
    return f"{round(low):,}\u2013{round(high):,}\u00a0{currency}"


def text_of(page: str, name: str) -> str:
    """Text inside the first element carrying data-testid=name (tags stripped, whitespace collapsed)."""
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</(td|p|span|div)>', page, re.S)
    assert match, name
    # Collapse ordinary whitespace only: the non-breaking space before a currency code is part of the figure.
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


@pytest.fixture
def computed(cast_a):
    data = synthetic.make(n=1200, effect=-0.8, seed=21)
    touchpoint = load_synthetic(cast_a.org, data)
    snapshot = value_model_run(organization=cast_a.org, as_of=data.as_of)
    return snapshot, touchpoint


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_dashboard_and_only_program_editors_see_recompute(client_for, cast_a, role):
    page = client_for(cast_a.member(role)).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "has not been computed yet" in html
    assert ('data-testid="recompute"' in html) == (role in (Role.ADMIN, Role.CX_MANAGER))


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client.post(RECOMPUTE).status_code == 302
    assert not ValueSnapshot.objects.exists()


def test_dashboard_numbers_equal_the_snapshot(client_for, cast_a, computed, django_assert_max_num_queries):
    snapshot, touchpoint = computed
    results = snapshot.results
    c = client_for(cast_a.executive)
    # Session, user, membership, teams, nav memberships, latest snapshot, queued run: the snapshot is read whole.
    with django_assert_max_num_queries(10):
        page = c.get(URL).content.decode()
    at_risk = results["revenue_at_risk"]
    assert at_risk["supported"]
    # The headline in thousands/millions as English writes them (core.money, tested in tests/core/test_money.py),
    # its 95 % interval on the same scale with the unit once.
    assert text_of(page, "revenue-at-risk") == f"{format_money(at_risk['amount'], 'SEK', compact=True)} a year"
    assert text_of(page, "revenue-at-risk-interval") == format_money_interval(
        at_risk["low"], at_risk["high"], "SEK", compact=True
    )
    assert re.fullmatch(r"[\d.]+\xa0(k|M)\xa0SEK", format_money(at_risk["amount"], "SEK", compact=True))
    row = next(r for r in results["touchpoints"] if r["touchpoint_id"] == touchpoint.pk)
    cell = page.split(f'data-touchpoint-id="{touchpoint.pk}"', 1)[1]
    assert text_of(cell, "value-per-point") == f"{money(row['value_per_point'])} ({interval(row['low'], row['high'])})"
    table = page.split('data-testid="category-table"', 1)[1]
    for category in results["categories"]["rows"]:
        part = table.split(f'data-category="{category["band"]}"', 1)[1]
        assert text_of(part, "n") == f"{category['n']:,}"
        assert text_of(part, "revenue") == money(category["mean_monthly_revenue"])
        assert text_of(part, "churn").startswith(f"{100 * category['annual_churn']:.1f}\u00a0%")
    computed_at = snapshot.computed_at.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert str(computed_at.year) in text_of(page, "snapshot-meta")
    # The charts travel as JSON for charts.js; each has a drawing target.
    charts = (
        "value_chart_category_revenue",
        "value_chart_category_churn",
        "value_chart_touchpoints",
        "value_chart_drivers",
        "value_chart_churn_reasons",
    )
    for chart_id in charts:
        assert f'data-plotly="{chart_id}"' in page
        figure = json.loads(
            re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', page, re.S)[1]
        )
        assert figure["data"]
    assert "<script>" not in page  # no inline script (strict CSP)


def test_unsupported_figures_show_the_reason_instead_of_a_number(client_for, cast_a):
    data = synthetic.make(n=60, effect=-1.5, seed=9)
    touchpoint = load_synthetic(cast_a.org, data)
    value_model_run(organization=cast_a.org, as_of=data.as_of)
    page = client_for(cast_a.cx_manager).get(URL).content.decode()
    assert "Only 60 customers have both a score (NPS) and revenue data" in text_of(page, "revenue-at-risk-unsupported")
    assert 'data-testid="revenue-at-risk"' not in page
    cell = page.split(f'data-touchpoint-id="{touchpoint.pk}"', 1)[1]
    assert "No figure" in text_of(cell, "value-unsupported")
    assert 'data-testid="value-per-point"' not in page
    assert "Only 60 customers" in text_of(page, "categories-unsupported")


@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.EXECUTIVE])
def test_read_only_roles_cannot_recompute(client_for, cast_a, role):
    assert client_for(cast_a.member(role)).post(RECOMPUTE).status_code == 403
    assert not ValueSnapshot.objects.exists()


def test_cx_manager_recomputes_and_sees_when_it_was_computed(client_for, cast_a, django_capture_on_commit_callbacks):
    c = client_for(cast_a.cx_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(RECOMPUTE)
    assert response.status_code == 302 and response["Location"] == URL
    snapshot = ValueSnapshot.objects.get(organization=cast_a.org)
    assert snapshot.status == "done" and snapshot.requested_by == cast_a.cx_manager.user
    page = c.get(URL).content.decode()
    # The test's transaction ran the task only after the response (as a real worker would): "queued" was said.
    assert "Recomputation queued" in page and "Computed" in text_of(page, "snapshot-meta")
    assert c.get(RECOMPUTE).status_code == 405


def test_another_organizations_member_sees_only_their_own_dashboard_and_recomputes_only_theirs(
    client_for, cast_a, cast_b, computed, django_capture_on_commit_callbacks
):
    page = client_for(cast_b.admin).get(URL).content.decode()
    assert "has not been computed yet" in page and "Technician visit" not in page
    with django_capture_on_commit_callbacks(execute=True):
        client_for(cast_b.admin).post(RECOMPUTE)
    assert ValueSnapshot.objects.filter(organization=cast_a.org).count() == 1
    assert ValueSnapshot.objects.filter(organization=cast_b.org).count() == 1


def test_a_queued_recomputation_is_shown_and_the_button_disabled(client_for, cast_a):
    ValueSnapshot.objects.create(organization=cast_a.org, status=ValueSnapshot.Status.PENDING)
    page = client_for(cast_a.cx_manager).get(URL).content.decode()
    assert "Queued" in text_of(page, "in-progress")
    assert re.search(r'data-testid="recompute"\s+disabled', page)


def test_a_snapshot_stored_before_every_scale_had_bands_still_reads_as_nps(client_for, cast_a):
    from django.utils import timezone

    ValueSnapshot.objects.create(
        organization=cast_a.org,
        status="done",
        currency="SEK",
        computed_at=timezone.now(),
        parameters={"as_of": "2026-11-01", "min_n": 30},
        results={
            "coverage": {"window_start": "2024-12-01"},
            "categories": {
                "supported": True,
                "n": 300,
                "sources": {"touchpoints": 300},
                "rows": [
                    {
                        "category": c,
                        "n": 100,
                        "sufficient": True,
                        "mean_monthly_revenue": 500.0,
                        "churn_rate": 0.105,
                        "annual_churn": 0.1,
                        "annual_churn_low": 0.05,
                        "annual_churn_high": 0.15,
                        "retention_12m": 0.9,
                    }
                    for c in ("promoter", "passive", "detractor")
                ],
            },
            "revenue_at_risk": {"supported": False, "reason_code": "too_few_customers", "reason_params": {"n": 5}},
            "touchpoints": [],
            "drivers": {"supported": False, "reason_code": "no_outcome_survey"},
        },
    )
    page = client_for(cast_a.executive).get(URL).content.decode()
    table = page.split('data-testid="category-table"', 1)[1]
    assert re.findall(r'data-testid="band-label">(.*?)</th>', table) == [
        "Promoters",
        "Passives",
        "Detractors",
    ]
    assert "no relationship or journey survey answers" in text_of(page, "drivers-unsupported")
    assert "recompute to see them" in page
