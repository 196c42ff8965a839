"""Revenue and churn file imports through the shared import runner (upload page -> job -> eager task -> rows)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from imports.models import ImportJob
from tests.factories import CustomerFactory
from value.models import ChurnEvent, CustomerRevenue

pytestmark = pytest.mark.django_db

REVENUE = """external_id;month;amount;currency
C-1;2026-09;549,00;SEK
C-1;2026-10;549.00;
C-2;2026-10-01;2 490,50;SEK
C-404;2026-10;100;SEK
C-2;2026-10-15;100;SEK
C-2;2026-13;100;SEK
C-1;2026-08;abc;SEK
C-1;2026-07;100;NOK
C-1;2026-10;600;SEK
"""

CHURN = """customer,churn_date,reason
C-1,2026-10-31,Moved abroad
C-2,31.08.2026,Price
C-3,2026-02-30,Price
C-404,2026-10-01,
C-1,2026-10-31,Twice
"""


@pytest.fixture
def customers(cast_a):
    return {ext: CustomerFactory(organization=cast_a.org, external_id=ext) for ext in ("C-1", "C-2", "C-3")}


@pytest.fixture
def import_as(client_for, django_capture_on_commit_callbacks):
    def run(membership, content, *, kind: str, name: str = "data.csv") -> ImportJob:
        data = content.encode() if isinstance(content, str) else content
        c = client_for(membership)
        with django_capture_on_commit_callbacks(execute=True):
            response = c.post(reverse("imports:job_create"), {"kind": kind, "file": SimpleUploadedFile(name, data)})
        assert response.status_code == 302, response.content.decode()[:2000]
        return ImportJob.objects.latest("pk")

    return run


def test_revenue_import_upserts_good_rows_and_reports_each_bad_one(import_as, cast_a, customers):
    job = import_as(cast_a.cx_manager, REVENUE, kind=ImportJob.Kind.REVENUE)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.total_rows, job.created_count, job.error_count) == (9, 3, 6)
    stored = {(r.customer.external_id, r.month): r.amount for r in CustomerRevenue.objects.for_org(cast_a.org)}
    assert stored == {
        ("C-1", dt.date(2026, 9, 1)): Decimal("549.00"),
        ("C-1", dt.date(2026, 10, 1)): Decimal("549.00"),
        ("C-2", dt.date(2026, 10, 1)): Decimal("2490.50"),
    }
    messages = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert 'No customer with id "C-404"' in messages[(5, "external_id")]
    assert "first day of a month" in messages[(6, "month")]
    assert "not a month" in messages[(7, "month")]
    assert "not a number" in messages[(8, "amount")]
    assert "SEK" in messages[(9, "currency")]
    assert "row 3" in messages[(10, "month")]  # C-1 2026-10 given twice in the file


def test_importing_the_same_revenue_file_again_changes_nothing_and_a_new_amount_updates(import_as, cast_a, customers):
    good = "external_id,month,amount\nC-1,2026-09,549\nC-2,2026-09,2490\n"
    import_as(cast_a.cx_manager, good, kind=ImportJob.Kind.REVENUE)
    again = import_as(cast_a.cx_manager, good, kind=ImportJob.Kind.REVENUE)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    changed = import_as(cast_a.cx_manager, "external_id,month,amount\nC-1,2026-09,599\n", kind=ImportJob.Kind.REVENUE)
    assert (changed.created_count, changed.updated_count) == (0, 1)
    assert CustomerRevenue.objects.for_org(cast_a.org).count() == 2
    assert CustomerRevenue.objects.get(customer=customers["C-1"]).amount == Decimal("599.00")


def test_revenue_import_from_xlsx(import_as, cast_a, customers):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer", "Period", "Amount"])
    ws.append(["C-1", "2026-10", 549.5])
    ws.append(["C-2", dt.datetime(2026, 10, 1), 1200])
    buffer = io.BytesIO()
    wb.save(buffer)
    job = import_as(cast_a.cx_manager, buffer.getvalue(), kind=ImportJob.Kind.REVENUE, name="revenue.xlsx")
    assert job.status == ImportJob.Status.DONE and job.error_count == 0, job.errors
    assert CustomerRevenue.objects.for_org(cast_a.org).count() == 2
    assert CustomerRevenue.objects.get(customer=customers["C-2"]).month == dt.date(2026, 10, 1)


def test_churn_import_upserts_and_reports_bad_rows(import_as, cast_a, customers):
    job = import_as(cast_a.cx_manager, CHURN, kind=ImportJob.Kind.CHURN)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.error_count) == (2, 3)
    stored = {(e.customer.external_id, e.date): e.reason for e in ChurnEvent.objects.for_org(cast_a.org)}
    assert stored == {("C-1", dt.date(2026, 10, 31)): "Moved abroad", ("C-2", dt.date(2026, 8, 31)): "Price"}
    columns = {(e["row"], e["column"]) for e in job.errors}
    assert columns == {(4, "date"), (5, "external_id"), (6, "date")}
    again = import_as(cast_a.cx_manager, CHURN, kind=ImportJob.Kind.CHURN)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)


def test_churn_import_without_reason_column_keeps_stored_reasons(import_as, cast_a, customers):
    ChurnEvent.objects.create(organization=cast_a.org, customer=customers["C-1"], date=dt.date(2026, 5, 1), reason="X")
    job = import_as(cast_a.cx_manager, "external_id,date\nC-1,2026-05-01\n", kind=ImportJob.Kind.CHURN)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 1)
    assert ChurnEvent.objects.get(customer=customers["C-1"]).reason == "X"


def test_import_never_touches_another_organizations_customers(import_as, cast_a, cast_b):
    theirs = CustomerFactory(organization=cast_b.org, external_id="B-1")
    job = import_as(cast_a.cx_manager, "external_id,month,amount\nB-1,2026-10,100\n", kind=ImportJob.Kind.REVENUE)
    assert job.error_count == 1 and job.created_count == 0
    assert not CustomerRevenue.objects.filter(customer=theirs).exists()


def test_missing_required_column_fails_the_job_with_the_expected_columns(import_as, cast_a, customers):
    job = import_as(cast_a.cx_manager, "external_id,amount\nC-1,100\n", kind=ImportJob.Kind.REVENUE)
    assert job.status == ImportJob.Status.FAILED
    assert "month" in job.message and not CustomerRevenue.objects.exists()


@pytest.mark.parametrize("kind", [ImportJob.Kind.REVENUE, ImportJob.Kind.CHURN])
def test_sample_files_are_offered_for_revenue_and_churn(client_for, cast_a, kind):
    response = client_for(cast_a.cx_manager).get(reverse("imports:sample_csv", args=[kind]))
    assert response.status_code == 200
    assert b"external_id" in response.content and b"C-1001" in response.content
