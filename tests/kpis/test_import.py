"""Operational KPI values imported from a file through the imports app's runner; re-imports change nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import ImportJob
from kpis.models import Kpi, KpiValue

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(client_for, django_capture_on_commit_callbacks, media_in_tmp):
    def run(membership, content: str) -> ImportJob:
        c = client_for(membership)
        with django_capture_on_commit_callbacks(execute=True):
            response = c.post(
                reverse("imports:job_create"),
                {"kind": ImportJob.Kind.KPI_VALUES, "file": SimpleUploadedFile("values.csv", content.encode())},
            )
        assert response.status_code == 302, response.content.decode()[:1000]
        return ImportJob.objects.latest("pk")

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
    )
    job = upload(cast_a.cx_manager, content)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.error_count) == (2, 3)
    assert sorted(KpiValue.objects.values_list("touchpoint_id", "value")) == sorted([(tp1.pk, 72.5), (tp2.pk, 70.1)])
    again = upload(cast_a.cx_manager, content)
    assert (again.created_count, again.updated_count) == (0, 0)
    changed = upload(cast_a.cx_manager, f"kpi,touchpoint,day,value\nfcr,{tp1.pk},2026-10-01,80\n")
    assert changed.updated_count == 1 and KpiValue.objects.count() == 2
    assert KpiValue.objects.get(touchpoint=tp1).value == 80
