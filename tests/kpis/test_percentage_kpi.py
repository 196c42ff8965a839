"""Percentage KPIs (late deliveries) are a ratio of sums, never the mean of daily percentages.

A day with 1 late delivery out of 1 and a day with 80 out of 1,000: the period is 81 / 1,001 = 8.09 %, not the
54 % the mean of 100 % and 8 % would show. Sent through the API, imported from a file, read on the touchpoint page
and from the API's period summary.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from imports.models import ImportJob
from kpis.models import Kpi, KpiValue
from tests.imports.helpers import import_file, upload

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

TODAY = timezone.localdate()
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - dt.timedelta(days=1)).replace(day=1)
QUIET_DAY, BUSY_DAY = LAST_MONTH + dt.timedelta(days=2), LAST_MONTH + dt.timedelta(days=3)
EXPECTED = 100 * 81 / 1001  # 8.0919...


@pytest.fixture
def late(cast_a):
    return Kpi.objects.create(
        organization=cast_a.org,
        code="late_deliveries",
        name="Late deliveries",
        kind=Kpi.Kind.IMPORTED,
        unit="%",
        direction=Kpi.Direction.LOWER,
        aggregation=Kpi.Aggregation.RATIO,
    )


def _period_figure(client_for, membership, touchpoint, kpi):
    page = client_for(membership).get(
        reverse("kpis:touchpoint_dashboard", args=[touchpoint.pk]),
        {"period": "custom", "start": LAST_MONTH.isoformat(), "end": TODAY.isoformat()},
    )
    assert page.status_code == 200
    return next(item for item in page.context["data"].linked if item.kpi == kpi), page.content.decode()


def test_late_deliveries_sent_through_the_api_show_the_ratio_of_sums(api_key_client, client_for, cast_a, world_a, late):
    tp = world_a.touchpoints[0]
    client = api_key_client(cast_a.org)
    rows = [
        {"kpi": "late_deliveries", "touchpoint": tp.pk, "day": QUIET_DAY.isoformat(), "numerator": 1, "denominator": 1},
        {
            "kpi": "late_deliveries",
            "touchpoint": tp.pk,
            "day": BUSY_DAY.isoformat(),
            "numerator": 80,
            "denominator": 1000,
        },
        {
            "kpi": "late_deliveries",
            "touchpoint": tp.pk,
            "day": THIS_MONTH.isoformat(),
            "numerator": 3,
            "denominator": 30,
        },
    ]
    sent = client.post("/api/v1/kpi-values/", rows, format="json")
    assert sent.status_code == 200, sent.json()
    assert sent.json() == {"created": 3, "updated": 0, "unchanged": 0}
    stored = {v.day: (v.value, v.numerator, v.denominator) for v in KpiValue.objects.all()}
    assert stored[QUIET_DAY] == (100.0, 1.0, 1.0) and stored[BUSY_DAY] == (8.0, 80.0, 1000.0)

    summary = client.get(
        "/api/v1/kpi-values/summary/", {"kpi": "late_deliveries", "from": LAST_MONTH.isoformat(), "to": BUSY_DAY}
    ).json()
    assert len(summary) == 1
    figure = summary[0]
    assert figure["aggregation"] == "ratio" and figure["days"] == 2
    assert (figure["numerator"], figure["denominator"]) == (81.0, 1001.0)
    assert round(figure["value"], 2) == 8.09

    item, page = _period_figure(client_for, cast_a.cx_manager, tp, late)
    assert item.value == pytest.approx(100 * 84 / 1031) and item.days == 3
    # The month with the quiet and the busy day is 8 % in the sparkline, not 54 %.
    # Month names in the locale's named format (YEAR_MONTH_FORMAT), never strftime.
    assert f"{date_format(LAST_MONTH, 'YEAR_MONTH_FORMAT')}: 8" in item.spark.title and "54" not in item.spark.title
    assert f"{date_format(THIS_MONTH, 'YEAR_MONTH_FORMAT')}: 10" in item.spark.title
    assert "Late deliveries" in page


def test_a_ratio_kpi_value_without_numerator_and_denominator_is_refused(api_key_client, cast_a, world_a, late):
    tp = world_a.touchpoints[0]
    client = api_key_client(cast_a.org)
    only_value = client.post(
        "/api/v1/kpi-values/",
        [{"kpi": "late_deliveries", "touchpoint": tp.pk, "day": "2026-10-01", "value": 8.0}],
        format="json",
    )
    assert only_value.status_code == 400
    assert "numerator and denominator" in str(only_value.json())
    zero = client.post(
        "/api/v1/kpi-values/",
        {"kpi": "late_deliveries", "touchpoint": tp.pk, "day": "2026-10-01", "numerator": 0, "denominator": 0},
        format="json",
    )
    assert zero.status_code == 400 and "greater than 0" in str(zero.json())
    half = client.post(
        "/api/v1/kpi-values/",
        {"kpi": "late_deliveries", "touchpoint": tp.pk, "day": "2026-10-01", "numerator": 3},
        format="json",
    )
    assert half.status_code == 400 and "both the numerator and the denominator" in str(half.json())
    wrong = client.post(
        "/api/v1/kpi-values/",
        {
            "kpi": "late_deliveries",
            "touchpoint": tp.pk,
            "day": "2026-10-01",
            "value": 50,
            "numerator": 1,
            "denominator": 10,
        },
        format="json",
    )
    assert wrong.status_code == 400 and "is not 100" in str(wrong.json())
    assert not KpiValue.objects.exists()


def test_late_deliveries_imported_from_a_file_show_the_ratio_of_sums(
    client_for, django_capture_on_commit_callbacks, cast_a, world_a, late
):
    tp = world_a.touchpoints[0]
    Kpi.objects.create(organization=cast_a.org, code="fcr", name="FCR", kind=Kpi.Kind.IMPORTED, unit="%")
    content = (
        "KPI;Kontaktpunkt;Datum;Täljare;Nämnare;Värde;Comment\n"
        f"late_deliveries;{tp.name};{QUIET_DAY};1;1;;quiet day\n"
        f"late_deliveries;{tp.name};{BUSY_DAY};80;1 000;;\n"
        f"late_deliveries;{tp.name};{THIS_MONTH};;;9,5;value only\n"
        f"fcr;{tp.name};{BUSY_DAY};;;72,5;\n"
    )
    job = import_file(
        client_for(cast_a.cx_manager), django_capture_on_commit_callbacks, content, kind=ImportJob.Kind.KPI_VALUES
    )
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.error_count) == (3, 1)
    assert job.errors[0]["row"] == 4 and job.errors[0]["column"] == "numerator"
    assert "give the day's numerator and denominator" in job.errors[0]["message"]
    assert job.warnings == ['Not imported (no field chosen): "Comment".']
    assert KpiValue.objects.get(kpi__code="fcr").value == 72.5

    item, _page = _period_figure(client_for, cast_a.cx_manager, tp, late)
    assert round(item.value, 2) == 8.09 and item.value == pytest.approx(EXPECTED)
    assert item.days == 2


def test_a_kpi_file_needs_a_value_or_both_parts_of_the_ratio(client_for, cast_a, world_a, late):
    c = client_for(cast_a.cx_manager)
    upload(c, "kpi,touchpoint,day,late\nlate_deliveries,1,2026-10-01,3\n", kind=ImportJob.Kind.KPI_VALUES)
    url = reverse("imports:job_mapping", args=[ImportJob.objects.latest("pk").pk])
    refused = c.post(url, {"column_0": "kpi", "column_1": "touchpoint", "column_2": "day", "column_3": "numerator"})
    assert "Choose both the numerator and the denominator column" in refused.content.decode()
    nothing = c.post(url, {"column_0": "kpi", "column_1": "touchpoint", "column_2": "day", "column_3": ""})
    assert "Choose the value column, or the numerator and denominator columns" in nothing.content.decode()


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [
        (Kpi.Aggregation.MEAN, (100 * 1 + 8 * 1) / 2),
        (Kpi.Aggregation.SUM, 108.0),
        (Kpi.Aggregation.RATIO, EXPECTED),
    ],
)
def test_each_aggregation_reads_the_same_days_its_own_way(aggregation, expected):
    sums = {"total": 108.0, "count": 2, "numerator_sum": 81.0, "denominator_sum": 1001.0, "ratio_days": 2}
    assert KpiValue.period_figure(aggregation, **sums) == pytest.approx(expected)


def test_a_ratio_period_without_any_parts_has_no_figure():
    assert KpiValue.period_figure(Kpi.Aggregation.RATIO, total=8.0, count=1) is None
    assert KpiValue.period_figure(Kpi.Aggregation.MEAN, total=None, count=0) is None


def test_the_kpi_form_offers_ratio_of_sums(client_for, cast_a):
    page = client_for(cast_a.cx_manager).get(reverse("kpis:kpi_create")).content.decode()
    assert 'value="ratio"' in page and "Ratio of sums" in page
