"""Revenue and churn files as CX teams hold them, imported through the upload and mapping pages.

The churn export of the usual shape (one row per customer: id, a 1-5 satisfaction score, the monthly charge, a
Yes/No churn label, no date) is imported as it is, three times from the same file: as customers, as revenue of
one month, and as churn events on one date. The stored figures are checked against pandas on the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from django.db.models import Sum
from django.urls import reverse

from customers.models import Customer
from imports.models import ImportJob, SavedMapping
from tests.factories import CustomerFactory
from tests.imports.helpers import import_file, upload
from value.models import ChurnEvent, CustomerRevenue

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

REVENUE = ImportJob.Kind.REVENUE
CHURN = ImportJob.Kind.CHURN


def churn_export(rows: int = 240, *, seed: int = 7) -> str:
    """The common churn file: no date, a 1-5 satisfaction score, monthly charges with decimals, Churn Yes/No."""
    rng = random.Random(seed)
    lines = ["customerID,Satisfaction Score,Contract,MonthlyCharges,TotalCharges,Churn"]
    for i in range(rows):
        satisfaction = rng.randint(1, 5)
        churned = rng.random() < (0.55 if satisfaction <= 2 else 0.12)
        charge = round(rng.uniform(18.25, 118.75), 2)
        months = rng.randint(1, 72)
        contract = rng.choice(["Month-to-month", "One year", "Two year"])
        total = f"{charge * months:.2f}"
        lines.append(f"{i:04d}-TLCO,{satisfaction},{contract},{charge},{total},{'Yes' if churned else 'No'}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def import_as(client_for, django_capture_on_commit_callbacks):
    def run(membership, content, *, kind, name="data.csv", **mapping) -> ImportJob:
        return import_file(
            client_for(membership), django_capture_on_commit_callbacks, content, kind=kind, name=name, **mapping
        )

    return run


@pytest.fixture
def customers(cast_a):
    return {ext: CustomerFactory(organization=cast_a.org, external_id=ext) for ext in ("C-1", "C-2", "C-3")}


def test_the_churn_export_imports_as_customers_revenue_and_churn_and_matches_pandas(import_as, client_for, cast_a):
    content = churn_export()
    frame = pd.read_csv(io.StringIO(content), dtype={"customerID": str})
    manager = cast_a.cx_manager

    # 1. Customers: the id column is the key, no name needed, the other columns are ignored with a warning.
    people = import_as(manager, content, kind=ImportJob.Kind.CUSTOMERS)
    assert people.status == ImportJob.Status.DONE, people.message
    assert (people.created_count, people.error_count) == (len(frame), 0)
    assert people.warnings == [
        'Not imported (no field chosen): "Satisfaction Score", "Contract", "MonthlyCharges", "TotalCharges", "Churn".'
    ]

    # 2. Revenue: the monthly charge of one month (the file has no month; the page asks for it).
    page = client_for(manager).get(reverse("imports:job_mapping", args=[_upload_only(client_for, manager, content)]))
    form = page.context["form"]
    prefilled = {cell: form.initial[form.column_key(i)] for i, cell in enumerate(form.header)}
    assert prefilled["customerID"] == "external_id" and prefilled["MonthlyCharges"] == "amount"
    assert prefilled["Satisfaction Score"] == prefilled["Churn"] == prefilled["TotalCharges"] == ""
    text = page.content.decode()
    assert "Amounts without a currency are taken as SEK, the organization&#x27;s currency." in text
    assert "Satisfaction Score" in text and 'data-testid="unmatched-warning"' in text
    revenue = import_as(manager, content, kind=REVENUE, options={"month": "2026-11"})
    assert revenue.status == ImportJob.Status.DONE, revenue.message
    assert (revenue.created_count, revenue.error_count) == (len(frame), 0)
    stored = CustomerRevenue.objects.for_org(cast_a.org)
    assert set(stored.values_list("month", flat=True)) == {dt.date(2026, 11, 1)}
    expected_total = frame["MonthlyCharges"].map(lambda v: Decimal(str(v))).sum()
    assert stored.aggregate(total=Sum("amount"))["total"] == expected_total

    # 3. Churn: the label says who left; one date for the whole file; rows labelled "No" are skipped.
    churn = import_as(manager, content, kind=CHURN, options={"date": "2026-11-30"})
    assert churn.status == ImportJob.Status.DONE, churn.message
    churned = frame[frame["Churn"] == "Yes"]
    assert churn.created_count == len(churned) and churn.error_count == 0
    assert churn.unchanged_count == (frame["Churn"] == "No").sum()
    events = ChurnEvent.objects.for_org(cast_a.org)
    assert events.count() == len(churned)
    assert set(events.values_list("date", flat=True)) == {dt.date(2026, 11, 30)}
    assert set(events.values_list("customer__external_id", flat=True)) == set(churned["customerID"])
    assert any("labelled as not churned" in w for w in churn.warnings)
    # Churn by satisfaction score is the file's own.
    stored_ids = set(events.values_list("customer__external_id", flat=True))
    for _score, group in frame.groupby("Satisfaction Score"):
        assert len(set(group["customerID"]) & stored_ids) == (group["Churn"] == "Yes").sum()

    # Importing the same churn file again changes nothing.
    again = import_as(manager, content, kind=CHURN, options={"date": "2026-11-30"})
    assert (again.created_count, again.updated_count) == (0, 0)
    assert ChurnEvent.objects.for_org(cast_a.org).count() == len(churned)


def _upload_only(client_for, membership, content: str, kind: str = REVENUE) -> int:
    response = upload(client_for(membership), content, kind=kind)
    assert response.status_code == 302
    return ImportJob.objects.latest("pk").pk


def test_a_label_without_a_date_is_refused_on_the_mapping_page_and_asks_for_the_date(client_for, cast_a):
    c = client_for(cast_a.cx_manager)
    job_id = _upload_only(client_for, cast_a.cx_manager, "id,Churn\nC-1,Yes\n", kind=CHURN)
    url = reverse("imports:job_mapping", args=[job_id])
    page = c.get(url).content.decode()
    assert "The date these customers left" in page and "e.g. the export date" in page
    refused = c.post(url, {"column_0": "external_id", "column_1": "churned"})
    assert "The file has a churn label but no date" in refused.content.decode()
    nothing = c.post(url, {"column_0": "external_id", "column_1": ""})
    assert "Choose the churn date column, or a churn label column" in nothing.content.decode()
    assert ImportJob.objects.get(pk=job_id).needs_mapping


def test_a_revenue_file_without_a_month_needs_the_month_of_the_file(client_for, cast_a):
    c = client_for(cast_a.cx_manager)
    job_id = _upload_only(client_for, cast_a.cx_manager, "id,MonthlyCharges\nC-1,29.85\n")
    url = reverse("imports:job_mapping", args=[job_id])
    refused = c.post(url, {"column_0": "external_id", "column_1": "amount"}).content.decode()
    assert "give the month of every row" in refused
    bad = c.post(url, {"column_0": "external_id", "column_1": "amount", "option_month": "november"}).content.decode()
    assert "Month of every row" in bad and "is not a month" in bad
    assert ImportJob.objects.get(pk=job_id).needs_mapping


def test_unknown_customers_are_errors_unless_the_import_may_create_them(import_as, cast_a, customers):
    content = "Kundnummer;Månad;Belopp\nC-1;2026-10;549,00\nNEW-1;2026-10;1 234,50\n"
    refused = import_as(cast_a.cx_manager, content, kind=REVENUE)
    assert (refused.created_count, refused.error_count) == (1, 1)
    assert refused.errors == [{"row": 3, "column": "external_id", "message": 'No customer with id "NEW-1".'}]
    created = import_as(cast_a.cx_manager, content, kind=REVENUE, options={"create_customers": True})
    assert (created.created_count, created.unchanged_count, created.error_count) == (1, 1, 0)
    assert "1 customer that did not exist yet was created (id only)." in created.warnings
    new = Customer.objects.get(organization=cast_a.org, external_id="NEW-1")
    assert new.name == "" and CustomerRevenue.objects.get(customer=new).amount == Decimal("1234.50")


def test_churn_events_may_create_unknown_customers_too(import_as, cast_a):
    job = import_as(
        cast_a.cx_manager,
        "customer_id,churned,reason\nX-1,ja,Price\nX-2,nej,\nX-3,churned,Moved\n",
        kind=CHURN,
        options={"date": "2026-10-31", "create_customers": True},
    )
    assert (job.created_count, job.unchanged_count, job.error_count) == (2, 1, 0), job.errors
    assert sorted(ChurnEvent.objects.values_list("customer__external_id", "reason")) == [
        ("X-1", "Price"),
        ("X-3", "Moved"),
    ]
    # Only the churned customers were created: the one that stayed is not needed.
    assert sorted(Customer.objects.for_org(cast_a.org).values_list("external_id", flat=True)) == ["X-1", "X-3"]


def test_revenue_without_a_currency_column_is_in_the_organizations_currency(import_as, client_for, cast_a, customers):
    cast_a.org.currency = "NOK"
    cast_a.org.save()
    job_id = _upload_only(client_for, cast_a.cx_manager, "external_id,month,amount\nC-1,2026-10,399\n")
    page = client_for(cast_a.cx_manager).get(reverse("imports:job_mapping", args=[job_id])).content.decode()
    assert "Amounts without a currency are taken as NOK, the organization&#x27;s currency." in page
    job = import_as(
        cast_a.cx_manager, 'external_id,month,amount\nC-1,2026-10,399\nC-2,2026-10,"1 299,50 kr"\n', kind=REVENUE
    )
    assert (job.created_count, job.error_count) == (2, 0), job.errors
    assert CustomerRevenue.objects.get(customer=customers["C-2"]).amount == Decimal("1299.50")
    nok = import_as(cast_a.cx_manager, "external_id,month,amount,valuta\nC-3,2026-10,100,NOK\n", kind=REVENUE)
    assert (nok.created_count, nok.error_count) == (1, 0)


def test_amounts_in_another_currency_are_refused_naming_both_currencies(import_as, cast_a, customers):
    assert cast_a.org.currency == "SEK"
    content = "external_id,month,amount,currency\nC-1,2026-10,49.99,USD\nC-2,2026-10,499,SEK\nC-3,2026-10,10,XYZ\n"
    job = import_as(cast_a.cx_manager, content + "C-3,2026-11,EUR 12.50,\n", kind=REVENUE)
    assert (job.created_count, job.error_count) == (1, 3)
    messages = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert "USD" in messages[(2, "currency")] and "SEK" in messages[(2, "currency")]
    assert "not converted" in messages[(2, "currency")]
    assert messages[(4, "currency")] == '"XYZ" is not an ISO 4217 currency code.'
    assert "EUR" in messages[(5, "amount")] and "SEK" in messages[(5, "amount")]
    assert list(CustomerRevenue.objects.values_list("customer__external_id", "amount")) == [("C-2", Decimal("499.00"))]


def test_a_confirmed_mapping_is_reused_for_the_next_file_with_the_same_header(import_as, client_for, cast_a, customers):
    header = "Kund;Period;Belopp inkl. moms;Belopp exkl. moms;Kommentar"
    first = f"{header}\nC-1;2026-09;687,50;550,00;x\n"
    # "Belopp exkl. moms" is no synonym: the user chooses it (and ignores the other amount) and ticks an option.
    job = import_as(
        cast_a.cx_manager,
        first,
        kind=REVENUE,
        columns={"Belopp inkl. moms": None, "Belopp exkl. moms": "amount"},
        options={"create_customers": True},
    )
    assert job.status == ImportJob.Status.DONE and job.created_count == 1, job.errors
    assert CustomerRevenue.objects.get(customer=customers["C-1"]).amount == Decimal("550.00")
    assert SavedMapping.objects.filter(organization=cast_a.org, kind=REVENUE).count() == 1

    second = f"{header}\nC-2;2026-10;250,00;200,00;\nNEW-9;2026-10;125,00;100,00;\n"
    c = client_for(cast_a.cx_manager)
    job_id = _upload_only(client_for, cast_a.cx_manager, second)
    page = c.get(reverse("imports:job_mapping", args=[job_id]))
    text = page.content.decode()
    assert 'data-testid="mapping-reused"' in text and "Mapping from " in text and " reused" in text
    form = page.context["form"]
    assert [form.initial[form.column_key(i)] for i in range(5)] == ["external_id", "month", "", "amount", ""]
    assert form.initial[form.option_key("create_customers")] is True
    # Another organization never sees it.
    assert not SavedMapping.objects.filter(kind=REVENUE).exclude(organization=cast_a.org).exists()
    again = import_as(cast_a.cx_manager, second, kind=REVENUE)
    assert (again.created_count, again.error_count) == (2, 0)
    assert CustomerRevenue.objects.get(customer=customers["C-2"]).amount == Decimal("200.00")


def test_revenue_import_reports_each_bad_row_and_reimport_changes_nothing(import_as, cast_a, customers):
    content = (
        "external_id;month;amount;currency\n"
        "C-1;2026-09;549,00;SEK\n"
        "C-1;2026-10;549.00;\n"
        "C-2;2026-10-01;2 490,50;SEK\n"
        "C-404;2026-10;100;SEK\n"
        "C-2;2026-10-15;100;SEK\n"
        "C-2;2026-13;100;SEK\n"
        "C-1;2026-08;abc;SEK\n"
        "C-1;2026-10;600;SEK\n"
    )
    job = import_as(cast_a.cx_manager, content, kind=REVENUE)
    assert (job.total_rows, job.created_count, job.error_count) == (8, 3, 5)
    messages = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert 'No customer with id "C-404"' in messages[(5, "external_id")]
    assert "first day of a month" in messages[(6, "month")]
    assert "not a month" in messages[(7, "month")]
    assert "not a number" in messages[(8, "amount")]
    assert "row 3" in messages[(9, "month")]
    again = import_as(cast_a.cx_manager, content, kind=REVENUE)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)


def test_churn_file_with_dates_and_reasons_upserts(import_as, cast_a, customers):
    content = "customer,churn_date,reason\nC-1,2026-10-31,Moved abroad\nC-2,31.08.2026,Price\nC-3,2026-02-30,Price\n"
    job = import_as(cast_a.cx_manager, content, kind=CHURN)
    assert (job.created_count, job.error_count) == (2, 1)
    assert job.errors[0]["row"] == 4 and job.errors[0]["column"] == "date"
    stored = {(e.customer.external_id, e.date): e.reason for e in ChurnEvent.objects.for_org(cast_a.org)}
    assert stored == {("C-1", dt.date(2026, 10, 31)): "Moved abroad", ("C-2", dt.date(2026, 8, 31)): "Price"}


def test_churn_labels_that_are_not_yes_or_no_are_row_errors(import_as, cast_a, customers):
    job = import_as(
        cast_a.cx_manager, "id,Exited\nC-1,maybe\nC-2,1\nC-3,\n", kind=CHURN, options={"date": "2026-09-30"}
    )
    assert (job.created_count, job.error_count) == (1, 2)
    messages = {e["row"]: e["message"] for e in job.errors}
    assert "not a churn label" in messages[2] and "missing" in messages[4]


def test_revenue_from_xlsx_with_synonym_headers(import_as, cast_a, customers):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Customer", "Billing month", "Revenue"])
    ws.append(["C-1", "2026-10", 549.5])
    ws.append(["C-2", dt.datetime(2026, 10, 1), 1200])
    buffer = io.BytesIO()
    wb.save(buffer)
    job = import_as(cast_a.cx_manager, buffer.getvalue(), kind=REVENUE, name="revenue.xlsx")
    assert job.status == ImportJob.Status.DONE and job.error_count == 0, job.errors
    assert CustomerRevenue.objects.get(customer=customers["C-2"]).month == dt.date(2026, 10, 1)


def test_another_organizations_customers_are_never_touched(import_as, cast_a, cast_b):
    theirs = CustomerFactory(organization=cast_b.org, external_id="B-1")
    job = import_as(cast_a.cx_manager, "external_id,month,amount\nB-1,2026-10,100\n", kind=REVENUE)
    assert job.error_count == 1 and job.created_count == 0
    assert not CustomerRevenue.objects.filter(customer=theirs).exists()
    created = import_as(
        cast_a.cx_manager,
        "external_id,month,amount\nB-1,2026-10,100\n",
        kind=REVENUE,
        options={"create_customers": True},
    )
    assert created.created_count == 1
    assert Customer.objects.filter(external_id="B-1").count() == 2  # one per organization
    assert not CustomerRevenue.objects.filter(customer=theirs).exists()


def test_a_churn_file_without_a_reason_column_keeps_stored_reasons(import_as, cast_a, customers):
    ChurnEvent.objects.create(organization=cast_a.org, customer=customers["C-1"], date=dt.date(2026, 5, 1), reason="X")
    job = import_as(cast_a.cx_manager, "external_id,date\nC-1,2026-05-01\n", kind=CHURN)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 1)
    assert ChurnEvent.objects.get(customer=customers["C-1"]).reason == "X"


@pytest.mark.parametrize("kind", [ImportJob.Kind.REVENUE, ImportJob.Kind.CHURN])
def test_sample_files_are_offered_for_revenue_and_churn(client_for, cast_a, kind):
    response = client_for(cast_a.cx_manager).get(reverse("imports:sample_csv", args=[kind]))
    assert response.status_code == 200
    assert b"external_id" in response.content and b"C-1001" in response.content
