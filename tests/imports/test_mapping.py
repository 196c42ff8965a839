"""The mapping step every import kind shares: preview, fields prefilled from names and synonyms, unknown columns
ignored with a warning, nothing queued before the mapping is confirmed, and other organizations get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import Customer
from imports.models import ImportJob
from imports.registry import get_handler
from imports.services import import_job_run
from tests.factories import CustomerFactory
from tests.imports.helpers import import_file, mapping_post_data, upload

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

EXPORT = (
    "CustomerID;Förnamn;Efternamn;E-post;Mobil;Kundtyp;Loyalty tier;Last visit\n"
    "K-100;Åsa;Öberg;asa@example.se;070-123 45 67;Privat;Gold;2026-10-01\n"
    "K-101;;;;;Företag;Silver;\n"
)


@pytest.fixture
def import_as(client_for, django_capture_on_commit_callbacks):
    def run(membership, content, *, kind="customers", name="customers.csv", **mapping) -> ImportJob:
        return import_file(
            client_for(membership), django_capture_on_commit_callbacks, content, kind=kind, name=name, **mapping
        )

    return run


def test_a_customer_file_with_unknown_columns_customerid_and_no_name_is_imported(import_as, client_for, cast_a):
    job = import_as(cast_a.cx_manager, EXPORT)
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.created_count, job.error_count) == (2, 0), job.errors
    assert job.warnings == ['Not imported (no field chosen): "Loyalty tier", "Last visit".']
    asa = Customer.objects.get(organization=cast_a.org, external_id="K-100")
    assert (asa.name, asa.email, asa.phone, asa.segment) == ("Åsa Öberg", "asa@example.se", "0701234567", "Privat")
    assert Customer.objects.get(external_id="K-101").name == ""
    page = client_for(cast_a.cx_manager).get(reverse("imports:job_detail", args=[job.pk])).content.decode()
    assert 'data-testid="job-warnings"' in page and "Loyalty tier" in page


def test_the_mapping_page_shows_the_first_rows_the_guess_and_the_unknown_columns(client_for, cast_a):
    c = client_for(cast_a.cx_manager)
    response = upload(c, EXPORT.encode("cp1252"), kind="customers", name="kunder.csv")
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("imports:job_mapping", args=[job.pk])
    assert job.status == ImportJob.Status.PENDING and job.needs_mapping and job.total_rows == 2
    page = c.get(response["Location"])
    text = page.content.decode()
    assert "Windows-1252" in text and "semicolon" in text
    assert "Åsa" in text and "asa@example.se" in text  # the preview rows
    assert 'data-testid="unmatched-warning"' in text
    form = page.context["form"]
    guessed = [form.initial[form.column_key(i)] for i in range(len(form.header))]
    assert guessed == ["external_id", "first_name", "last_name", "email", "phone", "segment", "", ""]
    # The job page waits for the mapping without polling, and links to it.
    detail = c.get(reverse("imports:job_detail", args=[job.pk])).content.decode()
    assert 'data-testid="mapping-link"' in detail and "hx-trigger" not in detail


def test_nothing_runs_before_the_mapping_is_confirmed_and_a_started_job_cannot_be_remapped(
    client_for, django_capture_on_commit_callbacks, cast_a
):
    c = client_for(cast_a.cx_manager)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload(c, "id,name\nA,Anna\n", kind="customers")
    assert callbacks == []  # nothing queued
    job = ImportJob.objects.get()
    assert import_job_run(job_id=job.pk) is None  # a stray task finds nothing to claim
    assert not Customer.objects.exists()
    url = reverse("imports:job_mapping", args=[job.pk])
    form = c.get(url).context["form"]
    with django_capture_on_commit_callbacks(execute=True):
        c.post(url, mapping_post_data(form))
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.created_count == 1
    assert "preview" not in job.options  # the preview rows are not kept once the import started
    assert c.get(url)["Location"] == reverse("imports:job_detail", args=[job.pk])
    assert c.post(url, mapping_post_data(form))["Location"] == reverse("imports:job_detail", args=[job.pk])
    assert Customer.objects.count() == 1


def test_a_blank_name_keeps_the_stored_name_and_columns_left_unmapped_are_left_alone(import_as, cast_a):
    CustomerFactory(organization=cast_a.org, external_id="K-1", name="Kept Name", email="kept@example.se")
    job = import_as(cast_a.cx_manager, "ID,Name,E-mail\nK-1,,new@example.se\n", columns={"E-mail": None})
    assert (job.updated_count, job.unchanged_count) == (0, 1)
    kept = Customer.objects.get(external_id="K-1")
    assert (kept.name, kept.email) == ("Kept Name", "kept@example.se")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("ID", "external_id"),
        ("CustomerID", "external_id"),
        ("customer_id", "external_id"),
        ("Customer ID", "external_id"),
        ("customer", "external_id"),
        ("external_id", "external_id"),
        ("Kundnummer", "external_id"),
        ("kundenummer", "external_id"),
        ("Kundenr", "external_id"),
        ("Namn", "name"),
        ("E-mail", "email"),
        ("Telefon", "phone"),
        ("Språk", "language"),
        ("Segment", "segment"),
    ],
)
def test_customer_key_and_field_synonyms_are_recognised(header, field):
    assert get_handler("customers").guess_mapping([header]) == [field]


@pytest.mark.parametrize(
    ("kind", "header", "expected"),
    [
        ("revenue", ["customerID", "MonthlyCharges", "Churn"], ["external_id", "amount", None]),
        ("revenue", ["Kund", "Månad", "Belopp", "Valuta"], ["external_id", "month", "amount", "currency"]),
        ("revenue", ["id", "period", "Revenue"], ["external_id", "month", "amount"]),
        ("churn", ["customerID", "MonthlyCharges", "Churn"], ["external_id", None, "churned"]),
        ("churn", ["CustomerId", "Exited", "Churn Reason"], ["external_id", "churned", "reason"]),
        ("churn", ["kundnummer", "slutdatum", "orsak"], ["external_id", "date", "reason"]),
        ("kpi_values", ["KPI", "Touchpoint", "Date", "Value"], ["kpi", "touchpoint", "day", "value"]),
    ],
)
def test_fact_synonyms_are_recognised(kind, header, expected):
    assert get_handler(kind).guess_mapping(header) == expected


def test_another_organization_gets_404_on_the_mapping_page_and_cannot_start_the_job(client_for, cast_a, cast_b):
    upload(client_for(cast_a.cx_manager), "id,name\nA,Anna\n", kind="customers")
    job = ImportJob.objects.get()
    url = reverse("imports:job_mapping", args=[job.pk])
    intruder = client_for(cast_b.admin)
    assert intruder.get(url).status_code == 404
    assert intruder.post(url, {"column_0": "external_id", "column_1": "name"}).status_code == 404
    assert intruder.get(reverse("imports:job_detail", args=[job.pk])).status_code == 404
    for role in ("frontline", "executive"):
        assert client_for(cast_a.member(role)).get(url).status_code == 403
    job.refresh_from_db()
    assert job.needs_mapping and not Customer.objects.exists()


def test_an_upload_waiting_for_its_mapping_can_be_discarded_and_its_file_goes_too(client_for, cast_a, cast_b):
    c = client_for(cast_a.cx_manager)
    upload(c, "id,name\nA,Anna\n", kind="customers", name="wrong-file.csv")
    job = ImportJob.objects.get()
    storage, stored = job.file.storage, job.file.name
    assert storage.exists(stored)
    url = reverse("imports:job_discard", args=[job.pk])
    assert 'data-testid="discard-button"' in c.get(reverse("imports:job_mapping", args=[job.pk])).content.decode()
    assert client_for(cast_b.admin).post(url).status_code == 404
    assert c.get(url).status_code == 405
    response = c.post(url, follow=True)
    assert "The upload wrong-file.csv was discarded." in response.content.decode()
    assert not ImportJob.objects.exists() and not storage.exists(stored)


def test_a_started_import_cannot_be_discarded(import_as, client_for, cast_a):
    job = import_as(cast_a.cx_manager, "id,name\nA,Anna\n")
    response = client_for(cast_a.cx_manager).post(reverse("imports:job_discard", args=[job.pk]), follow=True)
    assert "cannot be discarded" in response.content.decode()
    assert ImportJob.objects.filter(pk=job.pk).exists() and Customer.objects.count() == 1


def test_a_utf8_file_with_one_bad_byte_is_refused_not_read_as_windows_1252(client_for, cast_a):
    """Regression (issue 12, defect 10): one invalid byte made the whole UTF-8 file read as Windows-1252, and every
    name was stored as mojibake ("Ã…sa"). Now the upload is refused with the line; nothing is queued or stored."""
    rows = [f"K-{i};Åsa;Öberg{i}\n" for i in range(2000)]
    rows[1200] = "K-1200;Bj\xf6rn;Ek\n"  # one name typed in a Windows editor: a lone 0xF6 byte
    data = "CustomerID;Förnamn;Efternamn\n".encode() + "".join(rows[:1200]).encode()
    data += rows[1200].encode("cp1252") + "".join(rows[1201:]).encode()
    c = client_for(cast_a.cx_manager)
    response = upload(c, data, kind="customers", name="kunder.csv")
    assert response.status_code == 200  # the upload page again, with the error on the file field
    errors = " ".join(response.context["form"].errors["file"])
    assert "UTF-8" in errors and "line 1202" in errors
    assert not ImportJob.objects.exists() and not Customer.objects.exists()

    # A file that really is Windows-1252 (no UTF-8 character anywhere) is still read as such.
    legacy = ("CustomerID;Förnamn;Efternamn\n" + "".join(rows)).encode("cp1252")
    page = c.get(upload(c, legacy, kind="customers", name="kunder.csv")["Location"]).content.decode()
    assert "Windows-1252" in page and "Åsa" in page
