"""Revenue and churn API (batch upsert, lists) and the read-only value endpoints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from accounts.models import Role
from tests.factories import CustomerFactory
from value.models import ChurnEvent, CustomerRevenue, ValueSnapshot

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

REVENUE = "/api/v1/revenue/"
CHURN = "/api/v1/churn-events/"
SNAPSHOT = "/api/v1/value/snapshot/"
TOUCHPOINTS = "/api/v1/value/touchpoints/"


@pytest.fixture
def customers(cast_a):
    return {ext: CustomerFactory(organization=cast_a.org, external_id=ext) for ext in ("C-1", "C-2")}


def test_api_key_upserts_revenue_in_a_batch_and_lists_it(api_key_client, cast_a, customers):
    c = api_key_client(cast_a.org)
    rows = [
        {"customer": "C-1", "month": "2026-09", "amount": "549.00"},
        {"customer": "C-1", "month": "2026-10-01", "amount": 549},
        {"customer": "C-2", "month": "2026-10", "amount": "2490.50", "currency": "SEK"},
    ]
    response = c.post(REVENUE, rows, format="json")
    assert response.status_code == 200, response.json()
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0}
    rows[0]["amount"] = "600.00"
    assert c.post(REVENUE, rows, format="json").json() == {"created": 0, "updated": 1, "unchanged": 2}
    assert CustomerRevenue.objects.get(customer=customers["C-1"], month=dt.date(2026, 9, 1)).amount == Decimal("600")
    listed = c.get(REVENUE, {"customer": "C-1"}).json()
    assert listed["count"] == 2
    assert listed["results"][0] == {
        "id": listed["results"][0]["id"],
        "customer": "C-1",
        "month": "2026-10-01",
        "amount": "549.00",
        "updated_at": listed["results"][0]["updated_at"],
    }
    assert c.get(REVENUE, {"month_from": "2026-10-01"}).json()["count"] == 2


def test_one_bad_revenue_row_saves_nothing_and_names_every_problem(api_key_client, cast_a, customers):
    c = api_key_client(cast_a.org)
    rows = [
        {"customer": "C-1", "month": "2026-09", "amount": "549.00"},
        {"customer": "C-404", "month": "2026-09", "amount": "1"},
        {"customer": "C-2", "month": "2026-09-15", "amount": "1"},
        {"customer": "C-2", "month": "2026-08", "amount": "1", "currency": "EUR"},
        {"customer": "C-1", "month": "2026-09", "amount": "2"},
        {"customer": "C-1", "month": "2026-07"},
    ]
    response = c.post(REVENUE, rows, format="json")
    assert response.status_code == 400
    errors = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(5, "amount")}  # shape errors first
    response = c.post(REVENUE, rows[:5], format="json")
    assert response.status_code == 400
    errors = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert errors == {(1, "customer"), (2, "month"), (3, "currency"), (4, "month")}
    assert not CustomerRevenue.objects.exists()


def test_churn_events_are_upserted_and_listed(api_key_client, cast_a, customers):
    c = api_key_client(cast_a.org)
    response = c.post(CHURN, {"customer": "C-1", "date": "2026-10-31", "reason": "Price"}, format="json")
    assert response.status_code == 200 and response.json()["created"] == 1
    response = c.post(
        CHURN, [{"customer": "C-1", "date": "2026-10-31"}, {"customer": "C-2", "date": "2026-09-01"}], format="json"
    )
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 1}
    assert ChurnEvent.objects.get(customer=customers["C-1"]).reason == "Price"  # left out: kept
    listed = c.get(CHURN).json()
    assert [(r["customer"], r["date"], r["reason"]) for r in listed["results"]] == [
        ("C-1", "2026-10-31", "Price"),
        ("C-2", "2026-09-01", ""),
    ]
    assert c.get(CHURN, {"date_from": "2026-10-01"}).json()["count"] == 1
    assert c.get(CHURN, {"date_from": "yesterday"}).status_code == 400


def test_api_key_of_another_organization_sees_nothing_and_cannot_write_to_our_customers(
    api_key_client, cast_a, cast_b, customers
):
    CustomerRevenue.objects.create(
        organization=cast_a.org, customer=customers["C-1"], month=dt.date(2026, 9, 1), amount=1
    )
    ChurnEvent.objects.create(organization=cast_a.org, customer=customers["C-1"], date=dt.date(2026, 9, 1))
    ValueSnapshot.objects.create(
        organization=cast_a.org,
        status="done",
        currency="SEK",
        computed_at=dt.datetime.now(dt.UTC),
        results={"touchpoints": [{"touchpoint_id": 1, "supported": False, "n_customers": 3}]},
    )
    theirs = api_key_client(cast_b.org)
    assert theirs.get(REVENUE).json()["count"] == 0
    assert theirs.get(CHURN).json()["count"] == 0
    assert theirs.get(SNAPSHOT).status_code == 404
    assert theirs.get(TOUCHPOINTS).json() == {"results": []}
    response = theirs.post(REVENUE, [{"customer": "C-1", "month": "2026-09", "amount": "999"}], format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "customer"
    response = theirs.post(CHURN, [{"customer": "C-1", "date": "2026-01-01"}], format="json")
    assert response.status_code == 400
    assert CustomerRevenue.objects.get().amount == Decimal("1.00") and ChurnEvent.objects.count() == 1


def test_session_user_of_another_organization_sees_nothing(api_session_client, cast_a, cast_b, customers):
    CustomerRevenue.objects.create(
        organization=cast_a.org, customer=customers["C-1"], month=dt.date(2026, 9, 1), amount=1
    )
    c = api_session_client(cast_b.admin)
    assert c.get(REVENUE).json()["count"] == 0
    assert c.get(SNAPSHOT).status_code == 404


@pytest.mark.parametrize("role", [Role.FRONTLINE, Role.EXECUTIVE])
def test_read_only_roles_can_list_but_not_write(api_session_client, cast_a, customers, role):
    c = api_session_client(cast_a.member(role))
    assert c.get(REVENUE).status_code == 200
    response = c.post(REVENUE, [{"customer": "C-1", "month": "2026-09", "amount": "1"}], format="json")
    assert response.status_code == 403
    assert c.post(CHURN, [{"customer": "C-1", "date": "2026-09-01"}], format="json").status_code == 403
    assert not CustomerRevenue.objects.exists() and not ChurnEvent.objects.exists()


def test_anonymous_requests_are_refused(client):
    assert client.get(REVENUE).status_code in (401, 403)
    assert client.post(CHURN, [], content_type="application/json").status_code in (401, 403)


def test_snapshot_and_touchpoint_values_endpoints_read_the_latest_snapshot(api_key_client, cast_a):
    c = api_key_client(cast_a.org)
    assert c.get(SNAPSHOT).status_code == 404
    ValueSnapshot.objects.create(
        organization=cast_a.org,
        status="done",
        currency="SEK",
        computed_at=dt.datetime.now(dt.UTC),
        results={
            "touchpoints": [
                {
                    "touchpoint_id": 7,
                    "supported": True,
                    "value_per_point": 1234.5,
                    "low": 1000.0,
                    "high": 1500.0,
                    "n_customers": 321,
                },
                {
                    "touchpoint_id": 8,
                    "supported": False,
                    "reason_code": "too_few_events",
                    "reason_params": {"events": 3, "min": 10},
                    "n_customers": 150,
                },
            ]
        },
    )
    snapshot = c.get(SNAPSHOT).json()
    assert snapshot["currency"] == "SEK" and len(snapshot["results"]["touchpoints"]) == 2
    values = {r["touchpoint_id"]: r for r in c.get(TOUCHPOINTS).json()["results"]}
    assert values[7] == {
        "touchpoint_id": 7,
        "value_per_point": 1234.5,
        "low": 1000.0,
        "high": 1500.0,
        "n_customers": 321,
        "supported": True,
        "reason": "",
        "currency": "SEK",
        "metric": "nps",
        "measure": "nps",
        "unit": "NPS point",
    }
    assert values[8]["value_per_point"] is None and "Only 3 of these customers churned" in values[8]["reason"]


def test_touchpoint_values_name_the_metric_and_unit_of_a_csat_snapshot(api_key_client, cast_a):
    c = api_key_client(cast_a.org)
    assert c.get(TOUCHPOINTS).json() == {"results": []}
    ValueSnapshot.objects.create(
        organization=cast_a.org,
        status="done",
        currency="NOK",
        computed_at=dt.datetime.now(dt.UTC),
        parameters={"metric": "csat", "measure": "top_box"},
        results={"touchpoints": [{"touchpoint_id": 7, "supported": True, "value_per_point": 50.0, "n_customers": 9}]},
    )
    (row,) = c.get(TOUCHPOINTS).json()["results"]
    assert (row["metric"], row["measure"], row["unit"], row["currency"]) == (
        "csat",
        "top_box",
        "percentage point of top-2-box",
        "NOK",
    )


def test_batch_size_is_limited(api_key_client, cast_a, settings, monkeypatch):
    from value import api

    monkeypatch.setattr(api, "MAX_ROWS", 2)
    c = api_key_client(cast_a.org)
    rows = [{"customer": "C", "month": "2026-09", "amount": "1"}] * 3
    assert c.post(REVENUE, rows, format="json").status_code == 400
    assert c.post(REVENUE, [], format="json").status_code == 400
