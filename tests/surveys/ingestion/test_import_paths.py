"""The two import paths give the same result: the set-based PostgreSQL path and the portable path (the SQLite demo's),
run here on PostgreSQL against the same messy file, must store the same responses, answers, customers, idempotency
keys and row errors. File formats (delimiters, encodings, XLSX) are checked on both paths."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.test import override_settings

from customers.models import Customer
from imports.models import ImportJob
from surveys.models import Answer, Question, Response
from tests.factories import CustomerFactory, JourneyFactory, StageFactory, TouchpointFactory
from tests.surveys.ingestion.factories import QuestionFactory, SurveyFactory, SurveyVersionFactory
from tests.surveys.ingestion.test_wide_import import upload

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

ENGINES = ["sql", "portable"]
HEADER = ["Id", "Date", "Touchpoint", "Customer", "Lang", "Kanal", "NPS", "Billing CSAT", "Overall", "Plan", "Comment"]
LONG = "x" * 95


class World:
    def __init__(self, cast) -> None:
        self.org = cast.org
        journey = JourneyFactory(organization=self.org, name="Move")
        stage = StageFactory(journey=journey)
        self.order = TouchpointFactory(stage=stage, name="Order")
        self.install = TouchpointFactory(stage=stage, name="Installation")
        self.billing = TouchpointFactory(stage=StageFactory(journey=JourneyFactory(organization=self.org)), name="Bill")
        self.known = CustomerFactory(organization=self.org, external_id="K-1")
        survey = SurveyFactory(organization=self.org, name="Move survey", journey=journey)
        self.version = SurveyVersionFactory(survey=survey, number=1)
        nps = QuestionFactory(version=self.version, code="nps", kind=Question.Kind.NPS, required=True)
        QuestionFactory(version=self.version, code="csat", kind=Question.Kind.CSAT)
        QuestionFactory(version=self.version, code="recommend", kind=Question.Kind.YES_NO)
        options = [{"code": c, "text": {"en": c}} for c in ("mobile", "broadband")]
        QuestionFactory(version=self.version, code="plan", kind=Question.Kind.SINGLE_CHOICE, options=options)
        QuestionFactory(version=self.version, code="why", kind=Question.Kind.TEXT, follow_up_for=nps)
        survey.current_version = self.version
        survey.save(update_fields=["current_version"])

    def mapping(self) -> dict:
        return {
            "col_0": "response_id",
            "col_1": "submitted_at",
            "col_2": "touchpoint",
            "col_3": "customer",
            "col_4": "language",
            "col_5": "channel",
            "col_6": "q:nps",
            "col_6_tp": "row",
            "col_6_na": "n/a, vet ej",
            "col_7": "q:csat",
            "col_7_tp": str(self.billing.pk),
            "col_7_na": "0",
            "col_8": "q:recommend",
            "col_8_tp": "none",
            "col_8_yes": "Ja, yes",
            "col_8_no": "Nej, no",
            "col_9": "q:plan",
            "col_9_tp": "row",
            "col_10": "q:why",
            "col_10_tp": "row",
            "date_format": "dmy",
            "default_language": "sv",
            "default_touchpoint": str(self.install.pk),
            "create_customers": "on",
        }

    def rows(self) -> list[list[str]]:
        order = self.order.name
        return [
            ["A1", "2026-03-01", order, "K-1", "sv", "web", "9", "4", "ja", "mobile", "Bra"],
            ["", "1.3.2026 14:05", str(self.order.pk), "N-1", "nb", "", "7", "0", "", "", ""],
            ["", "13/03/2026", "", "N-2", "", "email", "3", "2", "nej", "broadband", "  Dålig  "],
            ["A4", "2026-03-01T10:00:00+01:00", order, "", "en", "", "10", "", "Yes", "", ""],
            ["", "2026-10-25 02:30", order, "N-1", "da", "", "8", "5", "", "", "ok"],
            ["", "2026-03-29 02:30:15", order, "", "", "", "6", "", "", "", "hmm"],
            ["", "02.03.2026", order, "", "", "", "n/a", "3", "", "", ""],  # N/A score: not a required error
            ["", "03.03.2026", order, "", "", "", "", "3", "", "mobile", ""],  # empty required score
            ["", "04.03.2026", order, "", "", "", "8", "", "maybe", "", ""],  # not yes or no
            ["", "05.03.2026", order, "", "", "", "11", "6", "", "tv", ""],  # off scale, off scale, no option
            ["", "06.03.2026", order, "", "", "", "4.0", "4,00", "", "", ""],  # whole numbers written as decimals
            ["", "07.03.2026", "Nowhere", "", "klingon!", "fax", "5", "", "", "", ""],
            ["", "31.02.2026", order, "", "", "", "5", "", "", "", ""],
            ["", "", order, "", "", "", "5", "", "", "", ""],
            ["", "01.01.2099", order, "", "", "", "5", "", "", "", ""],
            ["A1", "2026-03-01", order, "K-1", "sv", "web", "9", "4", "ja", "mobile", "Bra"],  # duplicate id
            ["", "1.3.2026 14:05", str(self.order.pk), "N-1", "nb", "", "7", "0", "", "", ""],  # duplicate content
            [LONG, "08.03.2026", order, "", "", "", "5", "", "", "", ""],  # id too long
            ["", "09.03.2026", order, "", "", "", "vet ej", "0", "", "", ""],  # nothing but N/A codes
            ["", "10.03.2026", order, "C" * 101, "", "", "5", "", "", "", ""],  # customer id too long
            ["", "11.03.2026", "", "N-3", "en", "", "", "", "no", "", ""],  # only the journey-level answer
            ["B" * 90, "12.03.2026", order, "N-3", "", "", "9", "1", "yes", "", "fin"],  # longest id + suffixes
            ["", "2026-03-14 9:05", order, "", "", "", "5", "", "", "", ""],  # one-digit hour: not a date
            ["", "2026-03-14 12:00 +02:00", order, "", "", "", "5", "", "", "", "tz"],
        ]


@pytest.fixture
def world(cast_a):
    return World(cast_a)


@pytest.fixture
def manager(cast_a, client_for):
    return client_for(cast_a.cx_manager)


def csv_content(rows, header=HEADER, delimiter=",", encoding="utf-8", bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def run(manager, world, content: bytes, engine: str, capture, name: str = "messy.csv", **overrides) -> ImportJob:
    with override_settings(SURVEYS_IMPORT_ENGINE="portable" if engine == "portable" else "auto"):
        map_url = upload(manager, world.version, content, name=name)
        with capture(execute=True):
            r = manager.post(map_url, {**world.mapping(), **overrides})
        assert r.status_code == 302, r.context["form"].errors if r.context else r.content[:300]
    job = ImportJob.objects.order_by("-pk").first()
    assert job.status == ImportJob.Status.DONE, job.message
    return job


def snapshot(world) -> dict:
    responses = []
    for r in (
        Response.objects.filter(organization=world.org).select_related("customer").prefetch_related("answers__question")
    ):
        answers = sorted(
            (
                a.question.code,
                a.metric,
                a.value,
                a.text,
                tuple(a.choices),
                a.touchpoint_id,
                a.submitted_on,
                a.customer_id == r.customer_id,
            )
            for a in r.answers.all()
        )
        responses.append(
            (
                r.submitted_at,
                r.touchpoint_id,
                r.journey_id,
                r.customer.external_id if r.customer else None,
                r.language,
                r.channel,
                r.source,
                r.version_id,
                r.processed_at is not None,
                tuple(answers),
            )
        )
    customers = sorted(
        Customer.objects.filter(organization=world.org).values_list("external_id", "language", "name", "may_survey")
    )
    external_keys = sorted(
        k
        for k in Response.objects.filter(organization=world.org).values_list("idempotency_key", flat=True)
        if not k.startswith("imp:")
    )
    return {"responses": sorted(responses, key=repr), "customers": customers, "external_keys": external_keys}


def report(job: ImportJob) -> list[list[str]]:
    with job.error_report.open("rb") as fh:
        return list(csv.reader(io.StringIO(fh.read().decode("utf-8-sig"))))


def counts(job: ImportJob) -> tuple:
    return job.total_rows, job.created_count, job.unchanged_count, job.error_count, job.options.get("skipped_rows")


def test_both_paths_store_the_same_responses_keys_and_errors(world, manager, django_capture_on_commit_callbacks):
    content = csv_content(world.rows())
    sql = run(manager, world, content, "sql", django_capture_on_commit_callbacks)
    first = snapshot(world)
    assert counts(sql) == (24, 20, 4, 11, 0)
    created_customers = {"N-1", "N-2", "N-3"}
    assert {c[0] for c in first["customers"]} == {"K-1", *created_customers}
    # Start again from nothing: the portable path creates the same customers (new ids) and responses.
    Response.objects.filter(organization=world.org).delete()
    Customer.objects.filter(organization=world.org, external_id__in=created_customers).delete()

    portable = run(manager, world, content, "portable", django_capture_on_commit_callbacks)
    assert counts(portable) == counts(sql)
    assert snapshot(world) == first
    assert report(portable) == report(sql)
    assert portable.errors == sql.errors
    # The keys are the same: each path finds every response the other stored.
    assert counts(run(manager, world, content, "sql", django_capture_on_commit_callbacks))[1:3] == (0, 24)
    assert counts(run(manager, world, content, "portable", django_capture_on_commit_callbacks))[1:3] == (0, 24)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_messy_rows_import_as_a_user_expects(world, manager, django_capture_on_commit_callbacks, engine):
    job = run(manager, world, csv_content(world.rows()), engine, django_capture_on_commit_callbacks)
    errors = {row[-2]: row[-1] for row in report(job)[1:]}
    assert errors == {
        "9": "NPS: This question is required.",
        "10": "Overall: “maybe” is neither a yes value (ja, yes) nor a no value (nej, no).",
        "11": "NPS: “11” is not a whole number on the scale 0-10.; Billing CSAT: “6” is not a whole number on the "
        "scale 1-5.; Plan: Choose one of the options.",
        "13": "Touchpoint: Unknown touchpoint.; Lang: Not a language code (e.g. sv, nb, da, en).; Kanal: Unknown "
        "channel.",
        "14": "Date: Not a date (expected DD.MM.YYYY / DD/MM/YYYY, optionally with a time).",
        "15": "Date: A date is required.",
        "16": "Date: The date is in the future.",
        "19": "Id: The id is too long.",
        "20": "The row has no answers.",
        "21": "Customer: The customer id is longer than 100 characters.",
        "24": "Date: Not a date (expected DD.MM.YYYY / DD/MM/YYYY, optionally with a time).",
    }
    stockholm = dt.timezone(dt.timedelta(hours=1))
    times = set(Response.objects.values_list("submitted_at", flat=True))
    assert dt.datetime(2026, 3, 1, 14, 5, tzinfo=stockholm) in times  # 1.3.2026 14:05, one-digit day and month
    assert dt.datetime(2026, 3, 13, tzinfo=stockholm) in times  # 13/03/2026: day first
    assert dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC) in times  # its own offset
    assert dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC) in times  # the autumn hour taken twice: the later one
    assert dt.datetime(2026, 3, 29, 1, 30, 15, tzinfo=dt.UTC) in times  # a time in the spring gap
    # A row becomes one response per touchpoint of its answers: the row's, the billing one, the journey's.
    a1 = Response.objects.filter(idempotency_key__startswith="ext:A1")
    assert sorted(a1.values_list("idempotency_key", flat=True)) == ["ext:A1", "ext:A1@-", f"ext:A1@{world.billing.pk}"]
    assert set(a1.values_list("customer__external_id", "submitted_at")) == {
        ("K-1", dt.datetime(2026, 3, 1, tzinfo=stockholm))
    }
    assert Answer.objects.get(response__idempotency_key="ext:A1@-").metric == "recommend:yes"
    assert Answer.objects.get(response__idempotency_key="ext:A1@-").value == 1.0
    assert Answer.objects.filter(text="Dålig").exists()  # trimmed
    assert Answer.objects.filter(metric="nps", value=4.0).exists()  # "4.0"
    assert Customer.objects.get(external_id="N-1").language == "nb"  # the first row that names the customer
    assert Customer.objects.get(external_id="N-2").language == "sv"  # the file's default language
    # The row without a touchpoint cell falls back to the default touchpoint.
    assert Response.objects.filter(customer__external_id="N-2", touchpoint=world.install).exists()
    long_keys = Response.objects.filter(idempotency_key__startswith="ext:" + "B" * 90)
    assert long_keys.count() == 3  # the longest id still fits the key with its touchpoint suffix


@pytest.mark.parametrize("engine", ENGINES)
def test_a_semicolon_windows_1252_file_with_nordic_letters_and_day_first_dates(
    world, manager, django_capture_on_commit_callbacks, engine
):
    world.order.name = "Beställning på nätet"
    world.order.save()
    rows = [
        ["", "01.03.2026", "Beställning på nätet", "", "sv", "", "9", "", "", "", "Väldigt bra, tack"],
        ["", "02.03.2026 08:15", "beställning på nätet", "", "nb", "", "6", "", "nej", "", "Kø og ventetid"],
    ]
    content = csv_content(rows, delimiter=";", encoding="cp1252")
    job = run(manager, world, content, engine, django_capture_on_commit_callbacks)
    assert job.error_count == 0 and job.created_count == 3
    assert "Windows-1252" in job.message
    assert set(Answer.objects.exclude(text="").values_list("text", flat=True)) == {
        "Väldigt bra, tack",
        "Kø og ventetid",
    }
    assert Response.objects.filter(touchpoint=world.order).count() == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_a_utf8_file_with_a_byte_order_mark_and_tabs(world, manager, django_capture_on_commit_callbacks, engine):
    rows = [["", "2026-03-01", "Order", "", "da", "", "10", "", "ja", "", "Særdeles god"]]
    job = run(manager, world, csv_content(rows, delimiter="\t", bom=True), engine, django_capture_on_commit_callbacks)
    assert job.error_count == 0 and job.created_count == 2
    assert Answer.objects.filter(text="Særdeles god").exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_an_excel_file(world, manager, django_capture_on_commit_callbacks, engine):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(["", dt.datetime(2026, 3, 1, 9, 15), "Order", None, "sv", None, 10, 0, "Ja", None, "Bra"])
    sheet.append(["", dt.date(2026, 3, 2), world.order.pk, None, None, None, 6.0, 4, True, "mobile", None])
    out = io.BytesIO()
    workbook.save(out)
    job = run(
        manager,
        world,
        out.getvalue(),
        engine,
        django_capture_on_commit_callbacks,
        name="r.xlsx",
        col_8_yes="ja, true",
        col_8_no="nej, false",
    )
    assert job.error_count == 0, job.errors
    assert job.created_count == 5  # row 1: order + journey (0 = N/A billing); row 2: order, billing, journey
    assert sorted(Answer.objects.filter(metric="nps").values_list("value", flat=True)) == [6.0, 10.0]
    assert Response.objects.filter(submitted_at=dt.datetime(2026, 3, 1, 8, 15, tzinfo=dt.UTC)).count() == 2
