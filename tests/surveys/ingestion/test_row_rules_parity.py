"""One row rule, two implementations that must agree: every row below goes through the set-based SQL path
(`importers/sql.py`) and through the Python path (`importers/portable.py`, the SQLite demo's), both on PostgreSQL,
and must come out the same: stored with the same values (and the same idempotency keys), or refused with the same
errors. The rows are the shapes customer exports have: 0-10 and 1-5 scales written as decimals or out of range,
not-applicable codes, text with commas, quotes, line breaks and emoji, ISO and Nordic dates with and without a time
or an offset, unknown touchpoints and customers, choices, and files in other encodings or as a workbook.

An answer the import stores must also be one the submission API accepts (`validation.clean_answers`): the import
never lets in an answer the API would refuse."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from accounts.scoping import context_for_membership
from customers.models import Customer
from imports.models import ImportJob
from surveys.ingestion import importers
from surveys.ingestion.validation import clean_answers
from surveys.models import Answer, Question, Response
from tests.factories import CustomerFactory, JourneyFactory, StageFactory, TouchpointFactory
from tests.surveys.ingestion.factories import QuestionFactory, SurveyFactory, SurveyVersionFactory

pytestmark = pytest.mark.django_db

HEADER = ["Id", "Date", "Touchpoint", "Customer", "Lang", "Kanal", "NPS", "CSAT", "Recommend", "Plan", "Comment"]
BASE = {
    "Id": "",
    "Date": "02.03.2026",
    "Touchpoint": "Order",
    "Customer": "K-1",
    "Lang": "sv",
    "Kanal": "web",
    "NPS": "9",
    "CSAT": "4",
    "Recommend": "ja",
    "Plan": "mobile",
    "Comment": "Bra",
}
SQL_PATH, PYTHON_PATH = "auto", "portable"  # SURVEYS_IMPORT_ENGINE ("auto" is the SQL path on PostgreSQL)
CET, CEST = dt.timezone(dt.timedelta(hours=1)), dt.timezone(dt.timedelta(hours=2))
NOT_A_DATE = "Date: Not a date (expected DD.MM.YYYY / DD/MM/YYYY, optionally with a time)."
NOT_YES_NO = "Recommend: “{}” is neither a yes value (ja, yes, nöjd) nor a no value (nej, no, missnöjd)."
LONG_TEXT = "Lång text, med komma. " * 227 + "x" * 6  # 5000 characters


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    cells: dict[str, Any] = dataclasses.field(default_factory=dict)  # overrides of BASE
    refused: tuple[str, ...] = ()  # the row's errors, as the report lists them; () = stored
    stores: dict[str, Any] = dataclasses.field(default_factory=dict)  # question code -> stored value (None: skipped)
    at: dt.datetime | None = None  # the response's submitted_at
    mapping: dict[str, Any] = dataclasses.field(default_factory=dict)
    file: str = "utf-8"  # utf-8, utf-8-sig, cp1252, utf-16, damaged-utf-8, xlsx
    extra_cells: tuple[str, ...] = ()


def refused(case_id: str, cells: dict[str, Any], *errors: str, **kw: Any) -> Case:
    return Case(case_id, cells, refused=errors, **kw)


CASES = [
    # -- scores on 0-10 (NPS) and 1-5 (CSAT) ---------------------------------------------------------------------
    Case("nps-top", {"NPS": "10"}, stores={"nps": 10.0}),
    Case("nps-zero", {"NPS": "0"}, stores={"nps": 0.0}),
    Case("nps-padded-with-spaces", {"NPS": "  8 "}, stores={"nps": 8.0}),
    Case("nps-leading-zeros", {"NPS": "007"}, stores={"nps": 7.0}),
    Case("nps-decimal-point-zero", {"NPS": "7.0"}, stores={"nps": 7.0}),
    Case("nps-decimal-comma-zeros", {"NPS": "7,00"}, stores={"nps": 7.0}),
    refused("nps-out-of-range", {"NPS": "11"}, "NPS: “11” is not a whole number on the scale 0-10."),
    refused("nps-negative", {"NPS": "-1"}, "NPS: “-1” is not a whole number on the scale 0-10."),
    refused("nps-half-point", {"NPS": "7.5"}, "NPS: “7.5” is not a whole number on the scale 0-10."),
    refused("nps-four-digits", {"NPS": "0007"}, "NPS: “0007” is not a whole number on the scale 0-10."),
    refused("nps-fullwidth-digit", {"NPS": "９"}, "NPS: “９” is not a whole number on the scale 0-10."),
    refused("nps-with-tab", {"NPS": "\t8"}, "NPS: “\t8” is not a whole number on the scale 0-10."),
    refused("nps-with-line-break", {"NPS": "8\n"}, "NPS: “8\n” is not a whole number on the scale 0-10."),
    refused("nps-label", {"NPS": "Very likely"}, "NPS: “Very likely” is not a whole number on the scale 0-10."),
    Case("csat-top", {"CSAT": "5"}, stores={"csat": 5.0}),
    refused("csat-out-of-range", {"CSAT": "6"}, "CSAT: “6” is not a whole number on the scale 1-5."),
    Case("csat-zero-is-not-applicable", {"CSAT": "0"}, stores={"csat": None}),
    # -- not-applicable codes and blanks -------------------------------------------------------------------------
    Case("na-upper", {"NPS": "N/A", "Comment": ""}, stores={"nps": None, "why": None}),
    Case("na-lower", {"NPS": "n/a", "Comment": ""}, stores={"nps": None}),
    Case("na-dash", {"NPS": "-", "Comment": ""}, stores={"nps": None}),
    Case("na-99", {"NPS": "99", "Comment": ""}, stores={"nps": None}),
    Case("na-words-upper-case", {"NPS": "VET EJ", "Comment": ""}, stores={"nps": None}),
    refused("na-code-in-a-column-without-it", {"CSAT": "n/a"}, "CSAT: “n/a” is not a whole number on the scale 1-5."),
    refused("required-score-blank", {"NPS": ""}, "NPS: This question is required."),
    refused("required-follow-up-blank", {"Comment": ""}, "Comment: This question is required."),
    refused("required-follow-up-spaces", {"Comment": "   "}, "Comment: This question is required."),
    refused(
        "nothing-but-na",
        {"NPS": "n/a", "CSAT": "0", "Recommend": "", "Plan": "", "Comment": ""},
        "The row has no answers.",
    ),
    # -- yes/no labels and choices -------------------------------------------------------------------------------
    Case("yes-capitalised", {"Recommend": "JA"}, stores={"recommend": 1.0}),
    Case("no-word", {"Recommend": "Nej"}, stores={"recommend": 0.0}),
    Case("yes-nordic-capitals", {"Recommend": "NÖJD"}, stores={"recommend": 1.0}),
    refused("yes-no-unknown", {"Recommend": "maybe"}, NOT_YES_NO.format("maybe")),
    refused("yes-no-as-number", {"Recommend": "1"}, NOT_YES_NO.format("1")),
    Case("choice", {"Plan": " broadband "}, stores={"plan": ["broadband"]}),
    refused("choice-wrong-case", {"Plan": "Mobile"}, "Plan: Choose one of the options."),
    refused("choice-unknown", {"Plan": "tv"}, "Plan: Choose one of the options."),
    # -- text ----------------------------------------------------------------------------------------------------
    Case("text-quotes-commas", {"Comment": 'Bra, men "dyrt"; ring mig'}, stores={"why": 'Bra, men "dyrt"; ring mig'}),
    Case("text-line-breaks", {"Comment": "Rad ett\nRad två\r\nRad tre"}, stores={"why": "Rad ett\nRad två\r\nRad tre"}),
    Case("text-emoji", {"Comment": " 👍🏽 Toppen 😀 "}, stores={"why": "👍🏽 Toppen 😀"}),
    Case("text-at-the-limit", {"Comment": LONG_TEXT}, stores={"why": LONG_TEXT}),
    refused("text-over-the-limit", {"Comment": LONG_TEXT + "!"}, "Comment: Keep it under 5000 characters."),
    refused("emoji-over-the-limit", {"Comment": "😀" * 5001}, "Comment: Keep it under 5000 characters."),
    Case("text-na-word-kept", {"Comment": "N/A"}, stores={"why": "N/A"}),
    # -- dates ---------------------------------------------------------------------------------------------------
    Case("iso-date", {"Date": "2026-03-02"}, at=dt.datetime(2026, 3, 2, tzinfo=CET)),
    Case("iso-minutes", {"Date": "2026-03-02 14:05"}, at=dt.datetime(2026, 3, 2, 14, 5, tzinfo=CET)),
    Case("iso-t-seconds", {"Date": "2026-03-02T14:05:09"}, at=dt.datetime(2026, 3, 2, 14, 5, 9, tzinfo=CET)),
    Case("iso-fraction", {"Date": "2026-03-02 14:05:09.25"}, at=dt.datetime(2026, 3, 2, 14, 5, 9, 250000, tzinfo=CET)),
    Case("iso-offset", {"Date": "2026-03-02T14:05:00+02:00"}, at=dt.datetime(2026, 3, 2, 14, 5, tzinfo=CEST)),
    Case("iso-zulu", {"Date": "2026-03-02T13:05:00Z"}, at=dt.datetime(2026, 3, 2, 13, 5, tzinfo=dt.UTC)),
    Case("iso-offset-no-colon", {"Date": "2026-03-02 14:05+0200"}, at=dt.datetime(2026, 3, 2, 14, 5, tzinfo=CEST)),
    Case("iso-offset-hours", {"Date": "2026-03-02 14:05 +02"}, at=dt.datetime(2026, 3, 2, 14, 5, tzinfo=CEST)),
    Case("nordic-dots", {"Date": "2.3.2026"}, at=dt.datetime(2026, 3, 2, tzinfo=CET)),
    Case("nordic-dots-time", {"Date": "02.03.2026 14:05"}, at=dt.datetime(2026, 3, 2, 14, 5, tzinfo=CET)),
    Case("nordic-slashes", {"Date": "13/03/2026"}, at=dt.datetime(2026, 3, 13, tzinfo=CET)),
    Case("nordic-dashes", {"Date": "13-03-2026"}, at=dt.datetime(2026, 3, 13, tzinfo=CET)),
    Case("year-first-slashes", {"Date": "2026/03/13"}, at=dt.datetime(2026, 3, 13, tzinfo=CET)),
    Case(
        "us-month-first",
        {"Date": "03/13/2026 14:05"},
        at=dt.datetime(2026, 3, 13, 14, 5, tzinfo=CET),
        mapping={"date_format": "mdy"},
    ),
    Case(
        "us-one-digit-month",
        {"Date": "3/1/2026"},
        at=dt.datetime(2026, 3, 1, tzinfo=CET),
        mapping={"date_format": "mdy"},
    ),
    refused(
        "us-day-first-in-a-month-first-file",
        {"Date": "13/03/2026"},
        "Date: Not a date (expected MM/DD/YYYY, optionally with a time).",
        mapping={"date_format": "mdy"},
    ),
    Case("summer-time", {"Date": "2026-06-15 12:00"}, at=dt.datetime(2026, 6, 15, 12, tzinfo=CEST)),
    Case("spring-gap", {"Date": "2026-03-29 02:30"}, at=dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)),
    Case("autumn-twice", {"Date": "2026-10-25 02:30"}, at=dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)),
    refused("date-missing", {"Date": ""}, "Date: A date is required."),
    refused("date-february-31", {"Date": "31.02.2026"}, NOT_A_DATE),
    refused("date-month-13", {"Date": "2026-13-01"}, NOT_A_DATE),
    refused("date-hour-24", {"Date": "2026-03-02 24:00"}, NOT_A_DATE),
    refused("date-one-digit-hour", {"Date": "2026-03-02 9:05"}, NOT_A_DATE),
    refused("date-offset-15-hours", {"Date": "2026-03-02 10:00+15:00"}, NOT_A_DATE),
    refused("date-before-1900", {"Date": "31.12.1899"}, NOT_A_DATE),
    refused("date-words", {"Date": "2 mars 2026"}, NOT_A_DATE),
    refused("date-with-line-break", {"Date": "2026-03-02\n"}, NOT_A_DATE),
    refused("date-in-the-future", {"Date": "01.01.2099"}, "Date: The date is in the future."),
    # -- touchpoint, customer, language, channel, id --------------------------------------------------------------
    Case("touchpoint-lower-case", {"Touchpoint": " order "}),
    Case("touchpoint-nordic-capitals", {"Touchpoint": "BESTÄLLNING PÅ NÄTET"}),
    Case("touchpoint-blank-is-default", {"Touchpoint": ""}),
    refused("touchpoint-unknown", {"Touchpoint": "Nowhere"}, "Touchpoint: Unknown touchpoint."),
    refused(
        "touchpoint-ambiguous", {"Touchpoint": "shop"}, "Touchpoint: Several touchpoints have this name: use the id."
    ),
    Case("customer-new-is-created", {"Customer": "N-1", "Lang": "nb"}),
    Case("customer-blank", {"Customer": ""}),
    refused(
        "customer-unknown",
        {"Customer": "N-1"},
        "Customer: Unknown customer (tick “create customers that do not exist yet” to add them).",
        mapping={"create_customers": False},
    ),
    refused(
        "customer-id-too-long", {"Customer": "C" * 101}, "Customer: The customer id is longer than 100 characters."
    ),
    Case("language-upper-case", {"Lang": "SV"}),
    Case("language-region", {"Lang": "nb-NO"}),
    Case("language-blank-is-default", {"Lang": ""}),
    refused("language-unknown", {"Lang": "klingon!"}, "Lang: Not a language code (e.g. sv, nb, da, en)."),
    refused("language-with-line-break", {"Lang": "sv\n"}, "Lang: Not a language code (e.g. sv, nb, da, en)."),
    Case("channel-capitalised", {"Kanal": "Email"}),
    refused("channel-unknown", {"Kanal": "fax"}, "Kanal: Unknown channel."),
    Case("response-id-longest", {"Id": "R" * 90}),
    refused("response-id-too-long", {"Id": "R" * 91}, "Id: The id is too long."),
    refused(
        "many-errors-in-file-order",
        {"Touchpoint": "Nowhere", "Date": "", "Kanal": "fax", "NPS": "11", "Plan": "tv"},
        "Touchpoint: Unknown touchpoint.",
        "Date: A date is required.",
        "Kanal: Unknown channel.",
        "NPS: “11” is not a whole number on the scale 0-10.",
        "Plan: Choose one of the options.",
    ),
    # -- how the file is written ---------------------------------------------------------------------------------
    refused(
        "more-cells-than-the-header",
        {},
        "The row has 12 cells but the header has 11 columns.",
        extra_cells=("surplus",),
    ),
    Case(
        "windows-1252",
        {"Touchpoint": "Beställning på nätet", "Comment": "Kø og ventetid, Ærø"},
        stores={"why": "Kø og ventetid, Ærø"},
        file="cp1252",
    ),
    Case("utf-8-byte-order-mark", {"Comment": "Særdeles god"}, stores={"why": "Særdeles god"}, file="utf-8-sig"),
    Case("utf-16-tabs", {"Comment": "Kø, tack 😀"}, stores={"why": "Kø, tack 😀"}, file="utf-16"),
    refused("utf-16-header-labels", {"NPS": "11"}, "NPS: “11” is not a whole number on the scale 0-10.", file="utf-16"),
    Case("damaged-utf-8", {"Comment": "Väldigt bra"}, file="damaged-utf-8"),
    Case(
        "workbook-typed-cells",
        {"Date": dt.datetime(2026, 3, 2, 14, 5), "NPS": 9.0, "CSAT": 4, "Recommend": "Ja", "Id": 12345},
        stores={"nps": 9.0, "csat": 4.0, "recommend": 1.0},
        at=dt.datetime(2026, 3, 2, 14, 5, tzinfo=CET),
        file="xlsx",
    ),
    refused(
        "workbook-boolean",
        {"Recommend": True},
        NOT_YES_NO.format("true"),
        file="xlsx",
    ),
]


class World:
    """One organization's program: touchpoints (one of them sharing its name with another), a known customer and a
    survey with a required NPS, a CSAT on another touchpoint, a journey-level yes/no, a choice and a required
    follow-up comment."""

    def __init__(self, cast) -> None:
        self.org = cast.org
        self.ctx = context_for_membership(cast.admin, user=cast.admin.user)
        journey = JourneyFactory(organization=self.org, name="Move")
        stage = StageFactory(journey=journey)
        self.install = TouchpointFactory(stage=stage, name="Installation")
        TouchpointFactory(stage=stage, name="Order")
        TouchpointFactory(stage=stage, name="Beställning på nätet")
        TouchpointFactory(stage=stage, name="Shop")
        TouchpointFactory(stage=StageFactory(journey=JourneyFactory(organization=self.org)), name="shop ")
        self.bill = TouchpointFactory(stage=StageFactory(journey=JourneyFactory(organization=self.org)), name="Bill")
        CustomerFactory(organization=self.org, external_id="K-1")
        survey = SurveyFactory(organization=self.org, name="Move survey", journey=journey)
        self.version = SurveyVersionFactory(survey=survey, number=1)
        nps = QuestionFactory(version=self.version, code="nps", kind=Question.Kind.NPS, required=True)
        QuestionFactory(version=self.version, code="csat", kind=Question.Kind.CSAT)
        QuestionFactory(version=self.version, code="recommend", kind=Question.Kind.YES_NO)
        options = [{"code": c, "text": {"en": c}} for c in ("mobile", "broadband")]
        QuestionFactory(version=self.version, code="plan", kind=Question.Kind.SINGLE_CHOICE, options=options)
        QuestionFactory(version=self.version, code="why", kind=Question.Kind.TEXT, follow_up_for=nps, required=True)
        survey.current_version = self.version
        survey.save(update_fields=["current_version"])

    def mapping(self, **overrides: Any) -> dict[str, Any]:
        """The mapping as the mapping page stores it (see importers/plan.py)."""
        return {
            "format": 2,
            "columns": {
                "response_id": 0,
                "submitted_at": 1,
                "touchpoint": 2,
                "customer": 3,
                "language": 4,
                "channel": 5,
            },
            "answers": [
                {"column": 6, "question": "nps", "touchpoint": "row", "na": ["N/A", "n/a", "-", "99", "vet ej"]},
                {"column": 7, "question": "csat", "touchpoint": self.bill.pk, "na": ["0"]},
                {
                    "column": 8,
                    "question": "recommend",
                    "touchpoint": "none",
                    "yes": ["Ja", "yes", "nöjd"],
                    "no": ["nej", "no", "missnöjd"],
                },
                {"column": 9, "question": "plan", "touchpoint": "row"},
                {"column": 10, "question": "why", "touchpoint": "row"},
            ],
            "date_format": "dmy",
            "default_touchpoint_id": self.install.pk,
            "default_language": "sv",
            "create_customers": True,
            **overrides,
        }


@pytest.fixture
def world(cast_a) -> World:
    return World(cast_a)


def file_content(case: Case) -> tuple[str, bytes]:
    row = [{**BASE, **case.cells}[column] for column in HEADER] + list(case.extra_cells)
    if case.file == "xlsx":
        workbook = openpyxl.Workbook()
        workbook.active.append(HEADER)
        workbook.active.append(row)
        out = io.BytesIO()
        workbook.save(out)
        return "export.xlsx", out.getvalue()
    text = io.StringIO()
    delimiter = {"cp1252": ";", "utf-16": "\t"}.get(case.file, ",")  # as Excel writes them
    writer = csv.writer(text, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([HEADER, row])
    if case.file == "damaged-utf-8":  # one Windows-1252 byte in an otherwise UTF-8 file
        return "export.csv", text.getvalue().encode().replace(b"ra", b"r\xe4", 1)
    return "export.csv", text.getvalue().encode(case.file)


def run(world: World, case: Case, engine: str) -> ImportJob:
    name, content = file_content(case)
    with override_settings(SURVEYS_IMPORT_ENGINE=engine):
        job = importers.response_import_create(
            ctx=world.ctx, version=world.version, uploaded_file=SimpleUploadedFile(name, content)
        )
        importers.response_import_start(job=job, mapping=world.mapping(**case.mapping))
        done = importers.response_import_run(job_id=job.pk)
    assert done is not None
    return done


def outcome(world: World, job: ImportJob) -> dict[str, Any]:
    """What a user sees of the import: its errors per row, or the responses and answers it stored."""
    if job.status == ImportJob.Status.FAILED:
        return {"failed": job.message}
    responses = []
    for r in Response.objects.filter(organization=world.org).select_related("customer", "touchpoint"):
        answers = sorted(
            (a.question.code, a.metric, a.value, a.text, a.choices, a.touchpoint_id, a.submitted_on)
            for a in Answer.objects.filter(response=r).select_related("question")
        )
        responses.append(
            (
                r.submitted_at,
                r.touchpoint.name if r.touchpoint else None,
                r.journey_id,
                r.customer.external_id if r.customer else None,
                r.customer.language if r.customer else None,
                r.language,
                r.channel,
                r.source,
                answers,
                all(a.customer_id == r.customer_id for a in r.answers.all()),  # customer ids differ between runs
            )
        )
    errors = [(e["row"], f"{e['column']}: {e['message']}" if e["column"] else e["message"]) for e in job.errors]
    return {
        "counts": (job.total_rows, job.created_count, job.unchanged_count, job.error_count),
        "errors": errors,
        "responses": sorted(responses, key=repr),
    }


def start_again(world: World) -> None:
    Response.objects.filter(organization=world.org).delete()
    Customer.objects.filter(organization=world.org).exclude(external_id="K-1").delete()


def stored_values(world: World) -> dict[str, Any]:
    values = {}
    for code, value, text, choices in Answer.objects.filter(organization=world.org).values_list(
        "question__code", "value", "text", "choices"
    ):
        values[code] = value if value is not None else (text or choices)
    return values


def accepted_by_the_api(world: World, stored: dict[str, Any]) -> None:
    """Each stored answer, sent to the API as a respondent's client would send it, is accepted as it is."""
    for question in world.version.questions.filter(code__in=stored):
        value = stored[question.code]
        sent = int(value) if isinstance(value, float) else value[0] if isinstance(value, list) else value
        [clean] = clean_answers([question], {question.code: sent})
        assert (clean.value, clean.text, clean.choices) in [(value, "", []), (None, value, []), (None, "", value)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_both_paths_give_a_row_the_same_outcome(world, case):
    sql = run(world, case, SQL_PATH)
    first = outcome(world, sql)
    stored = stored_values(world)
    start_again(world)
    portable = run(world, case, PYTHON_PATH)
    assert outcome(world, portable) == first

    if case.file == "damaged-utf-8":
        assert "not valid UTF-8" in first["failed"]
        return
    assert [text for _row, text in first["errors"]] == list(case.refused)
    if case.refused:
        assert first["responses"] == []
        return
    assert first["responses"], "the row was stored"
    for code, value in case.stores.items():
        assert stored.get(code) == value, code
    if case.at is not None:
        assert {r[0] for r in first["responses"]} == {case.at}
    accepted_by_the_api(world, stored)
    # The same idempotency keys: the SQL path finds every response the portable path stored.
    again = run(world, case, SQL_PATH)
    assert (again.created_count, again.unchanged_count) == (0, portable.created_count)
