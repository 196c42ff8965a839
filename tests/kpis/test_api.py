"""The KPI API: KPIs, targets with history, benchmarks, KPI values (upsert) and rollup reads, per organization."""

import datetime as dt

import pytest

from kpis import rollups
from kpis.models import Benchmark, Kpi, KpiValue, Target

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

DAY = dt.date(2026, 5, 4)


@pytest.fixture
def kpis_a(cast_a):
    nps = Kpi.objects.create(organization=cast_a.org, code="nps", name="NPS", kind="survey", metric="nps")
    fcr = Kpi.objects.create(organization=cast_a.org, code="fcr", name="FCR", kind="imported", unit="%")
    return nps, fcr


def test_api_key_creates_a_kpi_and_lists_only_its_organizations(api_key_client, cast_a, cast_b, kpis_a):
    Kpi.objects.create(organization=cast_b.org, code="other", name="Other org KPI", kind="imported")
    client = api_key_client(cast_a.org)
    created = client.post(
        "/api/v1/kpis/", {"code": "complaints", "name": "Complaints", "kind": "imported"}, format="json"
    )
    assert created.status_code == 201, created.json()
    codes = {k["code"] for k in client.get("/api/v1/kpis/").json()["results"]}
    assert codes == {"nps", "fcr", "complaints"}


def test_target_api_records_history(api_key_client, cast_a, world_a, kpis_a):
    nps, _ = kpis_a
    client = api_key_client(cast_a.org)
    tp = world_a.touchpoints[0]
    body = {
        "kpi": nps.pk,
        "scope": "touchpoint",
        "touchpoint": tp.pk,
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "value": 20,
    }
    created = client.post("/api/v1/targets/", body, format="json")
    assert created.status_code == 201, created.json()
    target_id = created.json()["id"]
    changed = client.patch(f"/api/v1/targets/{target_id}/", {"value": 28, "reason": "Stretch"}, format="json")
    assert changed.status_code == 200, changed.json()
    history = changed.json()["history"]
    assert [(h["field"], h["old_value"], h["new_value"], h["reason"]) for h in history] == [
        ("value", "20", "28", "Stretch"),
        ("created", "", "20", ""),
    ]
    assert Target.objects.get().journey == tp.journey


def test_target_api_refuses_another_organizations_touchpoint_and_kpi(api_key_client, cast_a, cast_b, world_a, kpis_a):
    nps, _ = kpis_a
    client = api_key_client(cast_b.org)
    body = {
        "kpi": nps.pk,
        "scope": "touchpoint",
        "touchpoint": world_a.touchpoints[0].pk,
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "value": 1,
    }
    response = client.post("/api/v1/targets/", body, format="json")
    assert response.status_code == 400 and set(response.json()) >= {"kpi", "touchpoint"}
    assert not Target.objects.exists()


def test_other_organizations_rows_are_not_found_and_not_changed(
    api_key_client, api_session_client, cast_a, cast_b, world_a, kpis_a
):
    nps, fcr = kpis_a
    tp = world_a.touchpoints[0]
    target = Target.objects.create(
        organization=cast_a.org,
        kpi=nps,
        scope="touchpoint",
        touchpoint=tp,
        journey=tp.journey,
        period_start=DAY,
        period_end=DAY,
        value=10,
    )
    bench = Benchmark.objects.create(
        organization=cast_a.org, kpi=nps, source_name="Telia", value=5, period_start=DAY, period_end=DAY
    )
    KpiValue.objects.create(organization=cast_a.org, kpi=fcr, touchpoint=tp, day=DAY, value=50)
    for client in (api_key_client(cast_b.org), api_session_client(cast_b.admin)):
        for url in (f"/api/v1/kpis/{nps.pk}/", f"/api/v1/targets/{target.pk}/", f"/api/v1/benchmarks/{bench.pk}/"):
            assert client.get(url).status_code == 404
            assert client.patch(url, {"value": 99, "name": "x"}, format="json").status_code == 404
            assert client.delete(url).status_code == 404
        for url in ("/api/v1/kpis/", "/api/v1/targets/", "/api/v1/benchmarks/", "/api/v1/kpi-values/"):
            assert client.get(url).json()["results"] == []
        assert client.get("/api/v1/rollups/", {"touchpoint": tp.pk}).status_code == 404
        assert client.get("/api/v1/rollups/", {"journey": world_a.journey.pk}).status_code == 404
        assert client.get("/api/v1/rollups/", {"group": "total"}).json()[0]["n"] == 0
        sent = client.post(
            "/api/v1/kpi-values/", [{"kpi": "fcr", "touchpoint": tp.pk, "day": "2026-05-04", "value": 1}], format="json"
        )
        assert sent.status_code == 400
    assert (
        Target.objects.get().value == 10 and Benchmark.objects.get().value == 5 and KpiValue.objects.get().value == 50
    )
    assert Kpi.objects.get(pk=nps.pk).name == "NPS"


def test_kpi_values_upsert_is_idempotent(api_key_client, cast_a, world_a, kpis_a):
    client = api_key_client(cast_a.org)
    tp = world_a.touchpoints[0]
    rows = [{"kpi": "fcr", "touchpoint": tp.pk, "day": f"2026-05-0{d}", "value": 70 + d} for d in range(1, 4)]
    assert client.post("/api/v1/kpi-values/", rows, format="json").json() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }
    assert client.post("/api/v1/kpi-values/", rows, format="json").json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
    }
    rows[0]["value"] = 10
    assert client.post("/api/v1/kpi-values/", rows, format="json").json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 2,
    }
    assert KpiValue.objects.count() == 3
    listed = client.get("/api/v1/kpi-values/", {"kpi": "fcr", "from": "2026-05-02"}).json()["results"]
    assert sorted(r["value"] for r in listed) == [72, 73]


def test_kpi_values_are_refused_for_survey_kpis_and_unknown_codes(api_key_client, cast_a, world_a, kpis_a):
    client = api_key_client(cast_a.org)
    tp = world_a.touchpoints[0]
    for code in ("nps", "nope"):
        response = client.post(
            "/api/v1/kpi-values/", {"kpi": code, "touchpoint": tp.pk, "day": "2026-05-01", "value": 1}, format="json"
        )
        assert response.status_code == 400
    assert not KpiValue.objects.exists()


def test_executive_session_reads_but_cannot_write(api_session_client, cast_a, kpis_a):
    client = api_session_client(cast_a.executive)
    assert client.get("/api/v1/kpis/").status_code == 200
    assert (
        client.post("/api/v1/kpis/", {"code": "x", "name": "x", "kind": "imported"}, format="json").status_code == 403
    )
    assert Kpi.objects.count() == 2


def test_rollup_reads_by_day_month_and_total(api_key_client, cast_a, world_a):
    tp = world_a.touchpoints[0]
    for score in (10, 10, 9, 3):
        world_a.respond(tp, DAY, nps=score)
    world_a.respond(tp, DAY + dt.timedelta(days=30), nps=0)
    rollups.aggregate_dirty()
    client = api_key_client(cast_a.org)
    params = {"touchpoint": tp.pk, "from": "2026-05-01", "to": "2026-06-30"}
    days = client.get("/api/v1/rollups/", {**params, "group": "day"}).json()
    assert [(r["period"], r["n"], r["nps"]) for r in days] == [("2026-05-04", 4, 50.0), ("2026-06-03", 1, -100.0)]
    months = client.get("/api/v1/rollups/", {**params, "group": "month"}).json()
    assert [(r["period"], r["n"]) for r in months] == [("2026-05-01", 4), ("2026-06-01", 1)]
    total = client.get("/api/v1/rollups/", {**params, "group": "total"}).json()[0]
    assert total["n"] == 5 and total["nps"] == pytest.approx(20.0) and total["nps_margin_of_error"] > 0
    assert total["sufficient"] is False
    journey = client.get(
        "/api/v1/rollups/", {"journey": world_a.journey.pk, "from": "2026-05-01", "to": "2026-06-30", "group": "total"}
    ).json()
    assert journey[0]["n"] == 5
    assert client.get("/api/v1/rollups/", {"group": "week"}).status_code == 400
    assert client.get("/api/v1/rollups/", {"from": "yesterday"}).status_code == 400
