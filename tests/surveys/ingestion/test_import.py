"""Import of historical responses: upload, column mapping, bulk load, row-level errors, idempotent re-import."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import override_settings
from django.urls import reverse

from accounts.scoping import context_for_membership
from imports.models import ImportJob
from kpis.models import Rollup
from surveys.ingestion import importers
from surveys.ingestion.services import responses_sweep_unprocessed
from surveys.models import Answer, Response
from surveys.signals import response_processed
from tests.factories import TouchpointFactory

pytestmark = pytest.mark.django_db

HEADER = ["Date", "Touchpoint", "Customer", "NPS", "CSAT", "Comment", "Language"]


def csv_bytes(rows, header=HEADER, delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def run_import(
    prog, content: bytes, name="responses.csv", mapping_overrides=None, *, django_capture_on_commit_callbacks
):
    """Upload and map through the pages, then run the queued job; return the finished job."""
    client = prog.client
    upload = SimpleUploadedFile(name, content)
    r = client.post(reverse("surveys:response_import"), {"version": prog.survey.current_version_id, "file": upload})
    assert r.status_code == 302, r.content.decode()[:2000]
    map_url = r["Location"]
    page = client.get(map_url)
    assert page.status_code == 200
    data = form_data(page.context["form"])
    data["default_touchpoint"] = ""
    data["default_language"] = "sv"
    data.update(mapping_overrides or {})
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(map_url, data)
    assert r.status_code == 302, r.context["form"].errors if r.context else r.content[:500]
    job = ImportJob.objects.get(pk=int(map_url.rstrip("/").split("/")[-2]))
    assert r["Location"] == reverse("imports:job_detail", args=[job.pk])
    return job


def form_data(form) -> dict:
    """What the browser posts when the user accepts every prefilled choice of the mapping form."""
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else value)
    return data


@pytest.fixture
def prog(prog_a, client_for):
    prog_a.client = client_for(prog_a.cast.cx_manager)
    return prog_a


@pytest.fixture
def do_import(prog, django_capture_on_commit_callbacks):
    def run(content, **kwargs):
        return run_import(
            prog, content, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks, **kwargs
        )

    return run


def report_rows(job: ImportJob) -> list[dict[str, str]]:
    with job.error_report.open("rb") as fh:
        return list(csv.DictReader(io.StringIO(fh.read().decode("utf-8-sig"))))


def test_good_bad_and_duplicate_rows(prog, do_import):
    tp, cust = prog.touchpoint, prog.customer
    rows = [
        ["2026-03-01", tp.name, cust.external_id, "9", "4", "Great", "sv"],  # 2 good, by name
        ["2026-03-01 14:30", str(tp.pk), "", "0", "", "=cmd|' /C calc'!A0", ""],  # 3 good, by id, no customer
        ["02.03.2026", tp.name.upper(), "", "7", "5", "", "en"],  # 4 good, DD.MM.YYYY, name case-insensitive
        ["2026-03-01", tp.name, cust.external_id, "9", "4", "Great", "sv"],  # 5 duplicate of row 2
        ["2026-03-01", tp.name, cust.external_id, "11", "4", "", "sv"],  # 6 score out of range
        ["2026-02-30", tp.name, "", "5", "", "", "sv"],  # 7 no such day
        ["2026-03-01", "Nowhere", "", "5", "", "", "sv"],  # 8 unknown touchpoint
        ["2026-03-01", tp.name, "NOBODY", "5", "", "", "sv"],  # 9 unknown customer
        ["2026-03-01", tp.name, "", "", "3", "", "sv"],  # 10 nps required
        ["", tp.name, "", "8", "", "", "sv"],  # 11 date required
        ["2026-03-01", tp.name, "", "8", "6", "", "klingon!"],  # 12 csat out of range, bad language
        ["2090-01-01", tp.name, "", "8", "", "", "sv"],  # 13 future
    ]
    job = do_import(csv_bytes(rows))
    assert job.status == ImportJob.Status.DONE, job.message
    assert (job.total_rows, job.created_count, job.unchanged_count, job.error_count) == (12, 3, 1, 8)
    responses = Response.objects.filter(organization=prog.org).order_by("submitted_at")
    assert responses.count() == 3
    assert {r.source for r in responses} == {"import"}
    # Their follow-up ran after the chunk was committed: the dashboards show them without a rollup rebuild.
    assert all(r.processed_at is not None for r in responses)
    assert Rollup.objects.filter(touchpoint=tp, metric="nps").aggregate(n=Sum("n"))["n"] == 3
    first = responses.get(customer=prog.customer)
    assert first.submitted_at == dt.datetime(2026, 3, 1, tzinfo=dt.UTC) - dt.timedelta(hours=1)  # Stockholm midnight
    assert first.journey_id == prog.journey.pk and first.language == "sv"
    answers = {(a.question.code, a.metric, a.value, a.text) for a in Answer.objects.filter(response=first)}
    assert answers == {("nps", "nps", 9.0, ""), ("csat", "csat", 4.0, ""), ("why", "", None, "Great")}
    assert set(Answer.objects.filter(response=first).values_list("submitted_on", flat=True)) == {dt.date(2026, 3, 1)}
    # Each answer carries its response's customer (the segment rollups read it from there).
    assert {a.customer_id == a.response.customer_id for a in Answer.objects.select_related("response")} == {True}
    assert responses.get(language="en").submitted_at.date() == dt.date(2026, 3, 1)  # 2 March 00:00 in Stockholm
    report = report_rows(job)
    assert [r["import_row"] for r in report] == ["6", "7", "8", "9", "10", "11", "12", "13"]
    by_row = {r["import_row"]: r["import_error"] for r in report}
    assert by_row["6"] == "NPS: “11” is not a whole number on the scale 0-10."
    assert "Date:" in by_row["7"]
    assert "Touchpoint: Unknown touchpoint." in by_row["8"]
    assert by_row["9"].startswith("Customer: Unknown customer")
    assert "NPS: This question is required." in by_row["10"]
    assert "A date is required" in by_row["11"]
    assert "CSAT:" in by_row["12"] and "Language:" in by_row["12"]
    assert "future" in by_row["13"]
    assert report[0]["Touchpoint"] == tp.name  # the row as it was in the file
    assert job.errors[0] == {"row": 6, "column": "NPS", "message": "“11” is not a whole number on the scale 0-10."}


def test_importing_the_same_rows_again_creates_nothing(prog, do_import):
    rows = [[f"2026-03-0{d}", prog.touchpoint.name, "", str(d), "", f"c{d}", "sv"] for d in range(1, 6)]
    first = do_import(csv_bytes(rows))
    assert first.created_count == 5
    # Same rows, other column order and delimiter, another file name: still the same responses.
    order = [6, 5, 4, 3, 2, 1, 0]
    again = do_import(
        csv_bytes([[r[i] for i in order] for r in rows], header=[HEADER[i] for i in order], delimiter=";"),
        name="copy.csv",
    )
    assert (again.created_count, again.unchanged_count, again.error_count) == (0, 5, 0)
    assert Response.objects.count() == 5
    assert Answer.objects.count() == 10


def test_a_response_id_column_makes_re_imports_exact(prog, do_import):
    header = ["id", "date", "nps"]
    do_import(
        csv_bytes([["A-1", "2026-01-01", "9"], ["A-2", "2026-01-01", "9"]], header=header),
        mapping_overrides={"col_0": "response_id"},
    )
    job = do_import(
        csv_bytes([["A-1", "2026-01-02", "3"], ["A-3", "2026-01-01", "9"]], header=header),
        mapping_overrides={"col_0": "response_id"},
    )
    assert (job.created_count, job.unchanged_count) == (1, 1)
    assert set(Response.objects.values_list("idempotency_key", flat=True)) >= {"ext:A-1", "ext:A-3"}


def test_ragged_rows_and_blank_lines_fall_back_to_row_by_row_reading(prog, do_import):
    content = (
        b"Date,Touchpoint,NPS\n"
        b"2026-03-01," + prog.touchpoint.name.encode() + b",9\n"
        b"\n"
        b"2026-03-02," + prog.touchpoint.name.encode() + b",8,extra,cells\n"
        b"2026-03-03," + prog.touchpoint.name.encode() + b",7\n"
    )
    job = do_import(content)
    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.error_count) == (2, 1)
    assert report_rows(job)[0]["import_row"] == "4"
    assert "cells" in report_rows(job)[0]["import_error"]


def test_a_windows_1252_file_is_read(prog, do_import):
    prog.touchpoint.name = "Flytt på nätet"
    prog.touchpoint.save()
    content = "Date;Touchpoint;NPS;Comment\n2026-03-01;Flytt på nätet;10;Väldigt bra\n".encode("cp1252")
    job = do_import(content)
    assert job.created_count == 1, job.errors
    assert Answer.objects.get(text__startswith="V").text == "Väldigt bra"


def test_an_excel_file_is_imported(prog, do_import):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Date", "Touchpoint", "NPS", "Comment"])
    sheet.append([dt.datetime(2026, 3, 1, 9, 15), prog.touchpoint.pk, 10, "Bra"])
    sheet.append([dt.date(2026, 3, 2), prog.touchpoint.name, 6.0, None])
    out = io.BytesIO()
    workbook.save(out)
    job = do_import(out.getvalue(), name="responses.xlsx")
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.created_count == 2
    assert sorted(Answer.objects.filter(metric="nps").values_list("value", flat=True)) == [6.0, 10.0]


def test_a_default_touchpoint_and_timezone_offsets(prog, do_import):
    header = ["date", "nps"]
    rows = [["2026-06-01T10:00:00Z", "9"], ["2026-06-01 10:00+02:00", "9"], ["2026-06-01T10:00:00", "8"]]
    job = do_import(csv_bytes(rows, header=header), mapping_overrides={"default_touchpoint": prog.other_touchpoint.pk})
    assert job.created_count == 3
    times = sorted(Response.objects.values_list("submitted_at", flat=True))
    assert times == [
        dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 1, 10, tzinfo=dt.UTC),
    ]
    assert set(Response.objects.values_list("touchpoint_id", "journey_id")) == {
        (prog.other_touchpoint.pk, prog.other_touchpoint.journey_id)
    }


def test_an_ambiguous_touchpoint_name_asks_for_the_id(prog, do_import):
    TouchpointFactory(stage=prog.other_touchpoint.stage, name=prog.touchpoint.name)
    job = do_import(csv_bytes([["2026-03-01", prog.touchpoint.name, "", "9", "", "", ""]]))
    assert job.error_count == 1
    assert "use the id" in job.errors[0]["message"]


@override_settings(SURVEYS_IMPORT_CHUNK_ROWS=2)
def test_imported_responses_are_followed_up_once_after_each_chunk(prog, do_import):
    rows = [[f"2026-03-0{d}", prog.touchpoint.name, "", str(d), "", "", "sv"] for d in range(1, 4)]
    seen = []

    def receiver(sender, response, **kwargs):
        seen.append((response.pk, Response.objects.count()))

    response_processed.connect(receiver)
    try:
        do_import(csv_bytes(rows))
    finally:
        response_processed.disconnect(receiver)
    ids = sorted(Response.objects.values_list("pk", flat=True))
    assert sorted(pk for pk, _n in seen) == ids  # each once
    # The first chunk (two rows) was followed up before the second chunk was stored.
    assert [n for _pk, n in seen] == [2, 2, 3]
    assert not Response.objects.filter(processed_at__isnull=True).exists()
    assert responses_sweep_unprocessed(min_age_seconds=0) == 0


def test_the_mapping_must_name_a_question_and_a_date(prog):
    upload = SimpleUploadedFile("r.csv", csv_bytes([["2026-01-01", "", "", "9", "", "", ""]]))
    r = prog.client.post(
        reverse("surveys:response_import"), {"version": prog.survey.current_version_id, "file": upload}
    )
    map_url = r["Location"]
    base = {"date_format": "iso", "default_language": "sv"}
    r = prog.client.post(map_url, base)
    assert r.status_code == 200
    assert "Map at least one column to a question." in r.context["form"].non_field_errors()
    r = prog.client.post(map_url, {**base, "col_0": "submitted_at", "col_1": "submitted_at", "col_3": "q:nps"})
    assert "Column Date is already the Date." in r.context["form"].errors["col_1"]
    r = prog.client.post(map_url, {**base, "col_3": "q:nps", "file_date": ""})
    assert "give one date for the whole file" in str(r.context["form"].errors["file_date"])
    r = prog.client.post(map_url, {**base, "col_3": "q:nps", "col_3_tp": "row", "col_4": "q:nps", "col_4_tp": "row"})
    assert "already holds nps at this touchpoint" in str(r.context["form"].errors["col_4"])
    assert ImportJob.objects.get().status == ImportJob.Status.PENDING
    assert "mapping" not in ImportJob.objects.get().options


def test_a_job_runs_once_even_if_queued_twice(prog, do_import):
    job = do_import(csv_bytes([["2026-03-01", prog.touchpoint.name, "", "9", "", "", ""]]))
    assert importers.response_import_run(job_id=job.pk) is None
    assert Response.objects.count() == 1


@pytest.mark.parametrize("role", ["frontline", "executive"])
def test_only_program_editors_import(prog, client_for, role):
    c = client_for(prog.cast.member(role))
    assert c.get(reverse("surveys:response_import")).status_code == 403


def test_another_organization_cannot_see_or_start_an_import(prog, prog_b, client_for):
    upload = SimpleUploadedFile("r.csv", csv_bytes([["2026-01-01", "", "", "9", "", "", ""]]))
    r = prog.client.post(
        reverse("surveys:response_import"), {"version": prog.survey.current_version_id, "file": upload}
    )
    map_url = r["Location"]
    other = client_for(prog_b.cast.admin)
    assert other.get(map_url).status_code == 404
    assert other.post(map_url, {"col_0": "submitted_at", "col_3": "q:nps", "default_language": "sv"}).status_code == 404
    assert "mapping" not in ImportJob.objects.get().options
    # Org B cannot attach a file to org A's survey version either.
    upload = SimpleUploadedFile("r.csv", csv_bytes([]))
    r = other.post(reverse("surveys:response_import"), {"version": prog.survey.current_version_id, "file": upload})
    assert r.status_code == 200 and "version" in r.context["form"].errors
    ctx = context_for_membership(prog_b.cast.admin, user=prog_b.cast.admin.user)
    with pytest.raises(importers.ImportFileError):
        importers.response_import_create(
            ctx=ctx, version=prog.survey.current_version, uploaded_file=SimpleUploadedFile("x.csv", b"a\n1\n")
        )


@override_settings(SURVEYS_IMPORT_SET_BASED_FK_CHECKS=False)
def test_the_import_also_works_with_per_row_foreign_key_checks(prog, do_import):
    rows = [[f"2026-03-0{d}", prog.touchpoint.name, prog.customer.external_id, str(d), "", "", "sv"] for d in (1, 2)]
    job = do_import(csv_bytes(rows))
    assert job.created_count == 2
    assert Answer.objects.count() == 2


def test_chunk_reference_locks_notice_a_row_deleted_after_the_check(prog, do_import):
    from django.db import connection

    from surveys.ingestion.importers.plan import Plan, Tables
    from surveys.ingestion.importers.sql import _lock_references, build_clean, build_touchpoint_lookup

    rows = [["2026-03-01", prog.touchpoint.name, prog.customer.external_id, "9", "", "", "sv"]]
    job = do_import(csv_bytes(rows))
    plan = Plan.load(job)
    tables = Tables(job.pk)
    with connection.cursor() as cursor:
        header = ", ".join(f"c{i} text" for i in range(len(plan.header)))
        cursor.execute(f"CREATE TEMP TABLE {tables.stage} (row_number bigint, bad text, {header})")
        cursor.execute(
            f"INSERT INTO {tables.stage} VALUES (2, NULL, %s, %s, %s, '9', '', '', 'sv')",  # noqa: S608
            ["2026-03-02", prog.touchpoint.name, prog.customer.external_id],
        )
        build_touchpoint_lookup(cursor, plan, tables)
        build_clean(cursor, plan, tables)
        params = {"org": plan.org_id, "survey": plan.survey_id, "version": plan.version_id, "lo": 2, "hi": 3}
        assert _lock_references(cursor, plan, tables, params)
        Response.objects.all().delete()
        prog.customer.delete()
        assert not _lock_references(cursor, plan, tables, params)
        tables.drop(cursor)
