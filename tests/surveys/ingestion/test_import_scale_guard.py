"""The scale guard: a review export whose rating went from 1-5 to 1-10 in the middle of the file is stopped at the
preview and imported in two parts, one per survey version; an ordinary file with a quiet month is not stopped."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest
from django.urls import reverse

from imports.models import ImportJob
from surveys.models import Answer, Question, Response
from tests.factories import JourneyFactory, StageFactory, TouchpointFactory
from tests.surveys.ingestion.factories import QuestionFactory, SurveyFactory, SurveyVersionFactory
from tests.surveys.ingestion.test_wide_import import upload

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

SWITCH_DAY = dt.date(2024, 7, 1)
# A review site's shares per star: J-shaped, as real reviews are.
FIVE_STARS = {1: 0.12, 2: 0.06, 3: 0.10, 4: 0.27, 5: 0.45}
TEN_POINTS = {1: 0.06, 2: 0.03, 3: 0.03, 4: 0.04, 5: 0.05, 6: 0.06, 7: 0.10, 8: 0.16, 9: 0.20, 10: 0.27}
NPS_SHARES = {0: 0.04, 1: 0.02, 2: 0.02, 3: 0.03, 4: 0.03, 5: 0.05, 6: 0.06, 7: 0.14, 8: 0.21, 9: 0.19, 10: 0.21}


class Reviews:
    """A review survey whose rating question is 1-5 in version 1 and 1-10 in version 2 (the current one)."""

    def __init__(self, cast) -> None:
        self.org = cast.org
        journey = JourneyFactory(organization=self.org, name="Stay")
        self.touchpoint = TouchpointFactory(stage=StageFactory(journey=journey), name="Hotel stay")
        self.survey = SurveyFactory(organization=self.org, name="Hotel reviews", journey=journey)
        self.v1 = SurveyVersionFactory(survey=self.survey, number=1)
        QuestionFactory(version=self.v1, code="rating", kind=Question.Kind.RATING, scale_min=1, scale_max=5)
        QuestionFactory(version=self.v1, code="review", kind=Question.Kind.TEXT)
        self.v2 = SurveyVersionFactory(survey=self.survey, number=2)
        QuestionFactory(version=self.v2, code="rating", kind=Question.Kind.RATING, scale_min=1, scale_max=10)
        QuestionFactory(version=self.v2, code="review", kind=Question.Kind.TEXT)
        self.nps_version = SurveyVersionFactory(survey=SurveyFactory(organization=self.org, name="NPS"), number=1)
        QuestionFactory(version=self.nps_version, code="nps", kind=Question.Kind.NPS)
        self.survey.current_version = self.v2
        self.survey.save(update_fields=["current_version"])


@pytest.fixture
def reviews(cast_a):
    return Reviews(cast_a)


@pytest.fixture
def manager(cast_a, client_for):
    return client_for(cast_a.cx_manager)


def draw(rng: random.Random, shares: dict[int, float]) -> int:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def review_export(seed: int = 11) -> tuple[bytes, list[tuple[dt.date, int]]]:
    """Two and a half years of hotel reviews, 5 to 12 a day; the site switched from 5 stars to 10 points."""
    rng = random.Random(seed)
    rows = []
    day = dt.date(2023, 1, 1)
    while day < dt.date(2025, 7, 1):
        for _ in range(rng.randint(0, 3)):
            rating = draw(rng, FIVE_STARS if day < SWITCH_DAY else TEN_POINTS)
            rows.append((day, rating))
        day += dt.timedelta(days=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Review id", "Published", "Rating", "Review"])
    for i, (published, rating) in enumerate(rows):
        writer.writerow([f"R{i:06d}", published.strftime("%d.%m.%Y"), rating, rng.choice(["Bra", "Fint", "", "Ok"])])
    return out.getvalue().encode(), rows


def first_ten_point_day(rows: list[tuple[dt.date, int]]) -> dt.date:
    """The first day whose reviews prove the new scale (a review of 6 or more)."""
    return min(d for d, rating in rows if d >= SWITCH_DAY and rating > 5)


def nps_export(seed: int = 5) -> bytes:
    """Two years of NPS answers with very different monthly volumes; two months happen to have no 9s and 10s."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Response", "Date", "NPS"])
    for month in range(24):
        first = dt.date(2024 + month // 12, month % 12 + 1, 1)
        volume = {0: 12, 11: 80}.get(month, rng.randint(5, 300))
        for _ in range(volume):
            score = draw(rng, NPS_SHARES)
            if month in (0, 11):  # the quiet months: nobody gave 9 or 10
                score = min(score, 8)
            moment = first + dt.timedelta(days=rng.randint(0, 27))
            writer.writerow([f"N{month:02d}-{rng.randint(0, 10**9)}", moment.isoformat(), score])
    return out.getvalue().encode()


def test_a_change_of_scale_stops_the_import_and_the_file_is_imported_in_two_versions(
    reviews, manager, django_capture_on_commit_callbacks
):
    content, rows = review_export()
    map_url = upload(manager, reviews.v2, content, name="reviews.csv")
    page = manager.get(map_url)
    form = page.context["form"]
    assert form.initial["col_1"] == "submitted_at" and form.initial["date_format"] == "dmy"
    assert form.initial["col_2"] == "q:rating"
    data = {k: v for k, v in _posted(form).items()}
    data.update(col_0="response_id", col_3="q:review")
    r = manager.post(map_url, data)
    assert r.status_code == 302 and r["Location"] == map_url  # back to the mapping page, stopped

    page = manager.get(map_url)
    text = page.content.decode()
    check = page.context["check"]
    split_on = dt.date.fromisoformat(check["split_on"])
    assert SWITCH_DAY <= split_on <= first_ten_point_day(rows)
    assert 'data-testid="scale-stop"' in text
    assert f"The scale changes on {split_on.isoformat()}" in text
    before = {int(k): v for k, v in check["switches"][0]["before"].items()}
    after = {int(k): v for k, v in check["switches"][0]["after"].items()}
    assert max(before) == 5 and max(after) == 10
    assert sum(before.values()) == sum(1 for d, _r in rows if d < split_on)
    assert sum(after.values()) == sum(1 for d, _r in rows if d >= split_on)
    # The versions whose rating scale fits each part are proposed.
    assert check["suggested"] == {"before": reviews.v1.pk, "after": reviews.v2.pk}
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.PENDING and "mapping" not in job.options
    assert not Response.objects.exists()

    # The 1-10 version cannot take the 1-5 part's... the other way round: the 1-5 version cannot take the 1-10 part.
    split_url = reverse("surveys:response_import_split", args=[job.pk])
    wrong = {"split_on": split_on.isoformat(), "before_version": reviews.v2.pk, "after_version": reviews.v1.pk}
    r = manager.post(split_url, wrong)
    assert r.status_code == 400
    assert "has the scale 1-5, but the values run from 1 to 10" in r.content.decode()

    right = {"split_on": split_on.isoformat(), "before_version": reviews.v1.pk, "after_version": reviews.v2.pk}
    with django_capture_on_commit_callbacks(execute=True):
        r = manager.post(split_url, right)
    assert r.status_code == 302
    first, second = ImportJob.objects.order_by("pk")
    assert (first.status, second.status) == (ImportJob.Status.DONE, ImportJob.Status.DONE), (
        first.message,
        second.message,
    )
    assert first.error_count == second.error_count == 0
    assert first.created_count + second.created_count == len(rows)  # no row lost
    counts = {m: Answer.objects.filter(metric=m).count() for m in ("rating:1-5", "rating:1-10")}
    assert counts == {
        "rating:1-5": sum(1 for d, _r in rows if d < split_on),
        "rating:1-10": sum(1 for d, _r in rows if d >= split_on),
    }
    assert not Answer.objects.filter(metric="rating:1-5", value__gt=5).exists()
    assert set(Response.objects.filter(answers__metric="rating:1-5").values_list("version", flat=True)) == {
        reviews.v1.pk
    }
    last_old = Response.objects.filter(version=reviews.v1).order_by("-submitted_at").first()
    assert last_old.submitted_at.date() < split_on
    assert "left to the other part of the split" in first.message


def test_five_point_values_then_the_whole_nps_range_are_stopped_too(reviews, manager):
    content, _rows = review_export(seed=3)
    map_url = upload(manager, reviews.nps_version, content, name="reviews.csv")
    form = manager.get(map_url).context["form"]
    data = {**_posted(form), "col_0": "response_id", "col_2": "q:nps"}
    manager.post(map_url, data)
    check = manager.get(map_url).context["check"]
    assert SWITCH_DAY <= dt.date.fromisoformat(check["split_on"]) <= first_ten_point_day(_rows)
    assert check["suggested"]["before"] is None  # no NPS version has a 1-5 scale: the page says to create one


def test_a_file_with_quiet_months_without_nines_and_tens_is_not_stopped(
    reviews, manager, django_capture_on_commit_callbacks
):
    map_url = upload(manager, reviews.nps_version, nps_export(), name="nps.csv")
    form = manager.get(map_url).context["form"]
    assert (form.initial["col_0"], form.initial["col_1"], form.initial["col_2"]) == (
        "response_id",
        "submitted_at",
        "q:nps",
    )
    data = _posted(form)
    data["default_touchpoint"] = reviews.touchpoint.pk
    with django_capture_on_commit_callbacks(execute=True):
        r = manager.post(map_url, data)
    assert r.status_code == 302 and r["Location"] != map_url
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE and job.error_count == 0
    assert Answer.objects.filter(metric="nps").count() == job.total_rows


def test_cancelling_at_the_stop_imports_nothing(reviews, manager):
    content, _rows = review_export(seed=4)
    map_url = upload(manager, reviews.v2, content, name="reviews.csv")
    manager.post(map_url, {**_posted(manager.get(map_url).context["form"]), "col_0": "response_id"})
    job = ImportJob.objects.get()
    r = manager.post(reverse("surveys:response_import_cancel", args=[job.pk]))
    assert r.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "Cancelled" in job.message
    assert manager.get(map_url).status_code == 404
    assert not Response.objects.exists()


def test_another_organization_cannot_split_or_cancel(reviews, manager, cast_b, client_for):
    content, _rows = review_export(seed=4)
    map_url = upload(manager, reviews.v2, content, name="reviews.csv")
    manager.post(map_url, {**_posted(manager.get(map_url).context["form"]), "col_0": "response_id"})
    job = ImportJob.objects.get()
    intruder = client_for(cast_b.admin)
    split = {"split_on": SWITCH_DAY.isoformat(), "before_version": reviews.v1.pk, "after_version": reviews.v2.pk}
    assert intruder.post(reverse("surveys:response_import_split", args=[job.pk]), split).status_code == 404
    assert intruder.post(reverse("surveys:response_import_cancel", args=[job.pk])).status_code == 404
    assert intruder.get(map_url).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING and "scale_check" in job.options


def _posted(form) -> dict:
    from tests.surveys.ingestion.test_import import form_data

    return form_data(form)
