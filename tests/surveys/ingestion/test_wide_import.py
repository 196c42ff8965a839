"""Wide exports import as they are: one row per respondent, a rating per touchpoint (0 = not applicable), an overall
satisfied / dissatisfied label, a respondent id and no date. Figures are checked against pandas on the same file."""

from __future__ import annotations

import datetime as dt
import io
import random

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers.models import Customer
from imports.models import ImportJob, SavedMapping
from surveys.models import Answer, Question, Response
from tests.factories import CustomerFactory, JourneyFactory, StageFactory, TouchpointFactory
from tests.surveys.ingestion.factories import QuestionFactory, SurveyFactory, SurveyVersionFactory
from tests.surveys.ingestion.test_import import form_data

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

SERVICES = [
    "Inflight wifi service",
    "Departure/Arrival time convenient",
    "Ease of Online booking",
    "Gate location",
    "Food and drink",
    "Online boarding",
    "Seat comfort",
    "Inflight entertainment",
    "On-board service",
    "Leg room service",
    "Baggage handling",
    "Checkin service",
    "Inflight service",
    "Cleanliness",
]
FILE_DATE = dt.date(2026, 2, 14)


class Airline:
    """An airline's program: one journey, a touchpoint per rated service, a survey with a CSAT question and an
    overall satisfied yes/no question."""

    def __init__(self, cast) -> None:
        self.org = cast.org
        self.journey = JourneyFactory(organization=self.org, name="Flight")
        stage = StageFactory(journey=self.journey)
        self.touchpoints = {name: TouchpointFactory(stage=stage, name=name) for name in SERVICES}
        self.survey = SurveyFactory(organization=self.org, name="Passenger survey", journey=self.journey)
        self.version = SurveyVersionFactory(survey=self.survey, number=1)
        QuestionFactory(version=self.version, code="csat", kind=Question.Kind.CSAT)
        QuestionFactory(version=self.version, code="satisfied", kind=Question.Kind.YES_NO)
        self.survey.current_version = self.version
        self.survey.save(update_fields=["current_version"])


@pytest.fixture
def airline(cast_a):
    return Airline(cast_a)


@pytest.fixture
def manager(cast_a, client_for):
    return client_for(cast_a.cx_manager)


def airline_export(rows: int = 400, seed: int = 3, start_id: int = 70000) -> pd.DataFrame:
    """The shape of a public airline satisfaction export: id, ratings 0-5 (0 = not applicable), a label."""
    rng = random.Random(seed)
    data = []
    for i in range(rows):
        mood = rng.random()
        ratings = []
        for _service in SERVICES:
            if rng.random() < 0.05:
                ratings.append(0)
            else:
                base = 4 if mood > 0.45 else 2
                ratings.append(max(1, min(5, base + rng.choice((-2, -1, 0, 0, 1, 1)))))
        label = "satisfied" if mood > 0.55 else "neutral or dissatisfied"
        data.append([start_id + i, *ratings, label])
    return pd.DataFrame(data, columns=["id", *SERVICES, "satisfaction"])


def to_csv(frame: pd.DataFrame) -> bytes:
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue().encode()


def upload(client, version, content: bytes, name: str = "airline.csv") -> str:
    r = client.post(
        reverse("surveys:response_import"), {"version": version.pk, "file": SimpleUploadedFile(name, content)}
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    return r["Location"]


def confirm(client, map_url: str, overrides: dict, django_capture_on_commit_callbacks) -> ImportJob:
    page = client.get(map_url)
    assert page.status_code == 200
    data = {**form_data(page.context["form"]), **overrides}
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(map_url, data)
    assert r.status_code == 302, r.context["form"].errors if r.context else r.content[:500]
    job = ImportJob.objects.get(pk=int(map_url.rstrip("/").split("/")[-2]))
    job.refresh_from_db()
    return job


def wide_overrides(frame: pd.DataFrame) -> dict:
    """What the manager changes on the prefilled mapping: the id column is the respondent, 0 means "not applicable"
    in every rating column, customers are created, and the whole file gets one date."""
    overrides = {"col_0": "customer", "create_customers": "on", "file_date": FILE_DATE.isoformat()}
    for i in range(1, len(SERVICES) + 1):
        overrides[f"col_{i}_na"] = "0, n/a"
    return overrides


def rollup(client, **params) -> dict:
    query = {"from": "2026-01-01", "to": "2026-03-31", "group": "total", **params}
    r = client.get("/api/v1/rollups/", query)
    assert r.status_code == 200, r.content
    return r.json()[0]


def test_a_wide_file_imports_one_response_per_touchpoint_with_the_figures_pandas_gives(
    airline, manager, django_capture_on_commit_callbacks
):
    frame = airline_export()
    map_url = upload(manager, airline.version, to_csv(frame))
    page = manager.get(map_url)
    form = page.context["form"]
    # Columns named after a touchpoint are prefilled as its CSAT answers; the label column is recognised as yes/no
    # values once mapped, and there is no date column, so the file gets one date (today by default).
    assert form.initial["col_1"] == "q:csat"
    assert form.initial["col_1_tp"] == str(airline.touchpoints[SERVICES[0]].pk)
    assert form.initial[f"col_{len(SERVICES) + 1}_yes"] == "satisfied"
    assert form.initial[f"col_{len(SERVICES) + 1}_no"] == "neutral or dissatisfied"
    assert "No date column recognised." in page.content.decode()
    # The preview shows the zeros as values outside 1-5 until they are declared not applicable.
    check = page.context["form"].checks[1]
    assert check["off"] == int((frame.iloc[:, 1] == 0).sum()) and check["off_values"][0][0] == "0"

    label_column = len(SERVICES) + 1
    overrides = {**wide_overrides(frame), f"col_{label_column}": "q:satisfied", f"col_{label_column}_tp": "none"}
    job = confirm(manager, map_url, overrides, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.error_count == 0, job.errors

    ratings = frame[SERVICES].where(frame[SERVICES] > 0)  # 0 = not applicable
    expected_responses = int(ratings.notna().sum().sum()) + len(frame)  # one per rated service + one overall
    assert job.created_count == expected_responses
    assert Response.objects.count() == expected_responses
    assert Customer.objects.filter(organization=airline.org).count() == frame["id"].nunique()
    assert not Response.objects.filter(customer__isnull=True).exists()
    assert set(Response.objects.values_list("submitted_at__date", flat=True)) <= {
        FILE_DATE,
        FILE_DATE - dt.timedelta(1),
    }

    for name in SERVICES:
        column = ratings[name].dropna()
        figures = rollup(manager, touchpoint=airline.touchpoints[name].pk, metric="csat")
        assert figures["n"] == len(column)
        assert figures["mean"] == pytest.approx(column.mean())
        assert figures["top_box"] == pytest.approx(100 * (column >= 4).mean())

    overall = rollup(manager, journey=airline.journey.pk, source="survey", metric="satisfied:yes")
    assert overall["n"] == len(frame)
    assert overall["top_box"] == pytest.approx(100 * (frame["satisfaction"] == "satisfied").mean())
    # A respondent's responses share the customer and the date; the label is a journey-level answer.
    first = Customer.objects.get(external_id=str(frame["id"][0]))
    assert Response.objects.filter(customer=first).count() == int(ratings.iloc[0].notna().sum()) + 1
    assert Answer.objects.filter(metric="satisfied:yes", touchpoint__isnull=True).count() == len(frame)


def test_importing_the_same_wide_file_again_creates_nothing(airline, manager, django_capture_on_commit_callbacks):
    frame = airline_export(rows=60)
    content = to_csv(frame)
    first = confirm(
        manager, upload(manager, airline.version, content), wide_overrides(frame), django_capture_on_commit_callbacks
    )
    assert first.error_count == 0 and first.created_count > 60 * 10
    stored = Response.objects.count()
    again = confirm(
        manager, upload(manager, airline.version, content), wide_overrides(frame), django_capture_on_commit_callbacks
    )
    assert (again.created_count, again.unchanged_count, again.error_count) == (0, first.created_count, 0)
    assert Response.objects.count() == stored
    assert Customer.objects.filter(organization=airline.org).count() == 60


def test_the_confirmed_mapping_is_reused_for_the_next_file_with_the_same_header(
    airline, manager, django_capture_on_commit_callbacks
):
    january = airline_export(rows=30, seed=1)
    confirm(
        manager,
        upload(manager, airline.version, to_csv(january)),
        wide_overrides(january),
        django_capture_on_commit_callbacks,
    )
    saved = SavedMapping.objects.get(organization=airline.org, kind="responses")
    assert saved.mapping["version_id"] == airline.version.pk

    february = airline_export(rows=25, seed=2, start_id=90000)
    map_url = upload(manager, airline.version, to_csv(february), name="february.csv")
    page = manager.get(map_url)
    assert "Mapping from" in page.content.decode() and "reused" in page.content.decode()
    initial = page.context["form"].initial
    assert initial["col_0"] == "customer"
    assert initial["col_3_na"] == "0, n/a"
    assert initial["create_customers"] is True
    # Nothing to change: accept the page as it is (only the file's date is new).
    job = confirm(manager, map_url, {"file_date": "2026-02-20"}, django_capture_on_commit_callbacks)
    assert job.status == ImportJob.Status.DONE and job.error_count == 0
    assert Customer.objects.filter(external_id__startswith="9").count() == 25


def test_unknown_respondents_are_row_errors_unless_customers_may_be_created(
    airline, manager, django_capture_on_commit_callbacks
):
    frame = airline_export(rows=5)
    known = CustomerFactory(organization=airline.org, external_id=str(frame["id"][0]))
    overrides = {**wide_overrides(frame), "create_customers": ""}
    job = confirm(
        manager, upload(manager, airline.version, to_csv(frame)), overrides, django_capture_on_commit_callbacks
    )
    assert job.error_count == 4
    assert {e["column"] for e in job.errors} == {"id"}
    assert set(Response.objects.values_list("customer", flat=True)) == {known.pk}


def test_a_label_that_is_neither_yes_nor_no_is_an_error_for_that_row(
    airline, manager, django_capture_on_commit_callbacks
):
    frame = airline_export(rows=4)
    frame.loc[2, "satisfaction"] = "maybe"
    label_column = len(SERVICES) + 1
    overrides = {**wide_overrides(frame), f"col_{label_column}": "q:satisfied", f"col_{label_column}_tp": "none"}
    job = confirm(
        manager, upload(manager, airline.version, to_csv(frame)), overrides, django_capture_on_commit_callbacks
    )
    assert job.error_count == 1
    assert job.errors[0]["row"] == 4
    assert job.errors[0]["column"] == "satisfaction"
    assert job.errors[0]["message"].startswith("“maybe” is neither a yes value (satisfied)")


def test_an_upload_waiting_for_its_mapping_links_to_the_responses_mapping_step(airline, manager):
    map_url = upload(manager, airline.version, to_csv(airline_export(rows=5)))
    job_pk = int(map_url.rstrip("/").split("/")[-2])
    page = manager.get(reverse("imports:job_detail", args=[job_pk])).content.decode()
    assert f'href="{map_url}"' in page and 'data-testid="mapping-link"' in page
