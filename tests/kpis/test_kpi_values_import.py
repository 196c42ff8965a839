"""Operational KPI values imported from a file through the upload and mapping pages; re-imports change nothing."""

import pytest

from imports.models import ImportJob
from kpis.models import Kpi, KpiValue
from tests.imports.helpers import import_file

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def upload(client_for, django_capture_on_commit_callbacks, media_in_tmp):
    def run(membership, content: str) -> ImportJob:
        return import_file(
            client_for(membership), django_capture_on_commit_callbacks, content, kind=ImportJob.Kind.KPI_VALUES
        )

    return run


def test_kpi_values_import_upserts_and_reports_bad_rows(upload, cast_a, cast_b, world_a):
    Kpi.objects.create(organization=cast_a.org, code="fcr", name="FCR", kind="imported")
    Kpi.objects.create(organization=cast_b.org, code="other", name="Other", kind="imported")
    tp1, tp2, _ = world_a.touchpoints
    content = (
        "kpi,touchpoint,day,value\n"
        f"fcr,{tp1.pk},2026-10-01,72.5\n"
        f'FCR,{tp2.name},01.10.2026,"70,1"\n'
        f"other,{tp1.pk},2026-10-01,1\n"
        f"fcr,999999,2026-10-01,1\n"
        f"fcr,{tp1.pk},not a day,1\n"
        f"fcr,{tp1.pk},2026-10-02,\n"
    )
    job = upload(cast_a.cx_manager, content)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.error_count) == (2, 4)
    assert {(e["row"], e["column"]) for e in job.errors} == {(4, "kpi"), (5, "touchpoint"), (6, "day"), (7, "value")}
    assert sorted(KpiValue.objects.values_list("touchpoint_id", "value")) == sorted([(tp1.pk, 72.5), (tp2.pk, 70.1)])
    again = upload(cast_a.cx_manager, content)
    assert (again.created_count, again.updated_count) == (0, 0)
    changed = upload(cast_a.cx_manager, f"kpi,touchpoint,day,value\nfcr,{tp1.pk},2026-10-01,80\n")
    assert changed.updated_count == 1 and KpiValue.objects.count() == 2
    assert KpiValue.objects.get(touchpoint=tp1).value == 80


def test_a_mean_kpi_may_be_given_numerator_and_denominator_and_keeps_them(upload, cast_a, world_a):
    Kpi.objects.create(organization=cast_a.org, code="fcr", name="FCR", kind="imported", unit="%")
    tp = world_a.touchpoints[0]
    job = upload(cast_a.cx_manager, f"code;touchpoint_id;date;count;total\nfcr;{tp.pk};2026-10-01;45;60\n")
    assert (job.created_count, job.error_count) == (1, 0), job.errors
    value = KpiValue.objects.get()
    assert (value.value, value.numerator, value.denominator) == (75.0, 45.0, 60.0)
    assert value.source == KpiValue.Source.IMPORT
