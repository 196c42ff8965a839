"""The relationship level: relationship-survey answers (no touchpoint, no journey) rolled up per organization and
day, kept current by the set-based follow-up, rebuilt and reconciled like the other rollups, and shown on the
overview beside the sum of touchpoints. Staff surveys (employee, leadership) never count."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.scoping import OrgContext
from imports.models import ImportJob
from kpis import rollups
from kpis.dashboards import filters_from, organization_overview
from kpis.dashboards.overview import relationship_assessment
from kpis.models import STAT_FIELDS, DirtyRollup, RelationshipRollup, Rollup
from surveys.models import Answer, Response, Survey, SurveyVersion
from tests.kpis.conftest import _questions, process_response

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

DAY = dt.date(2026, 3, 10)


def make_survey(org, kind: str, name: str | None = None) -> tuple[Survey, SurveyVersion, dict]:
    survey = Survey.objects.create(organization=org, name=name or f"{kind} survey", kind=kind, status="published")
    version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    return survey, version, _questions(version)


def answer(org, survey, version, questions, day: dt.date, *, nps=None, csat=None, journey=None) -> Response:
    """A response about the organization as a whole (no touchpoint), followed up the way ingestion does."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
    response = Response.objects.create(
        organization=org, survey=survey, version=version, journey=journey, submitted_at=moment
    )
    Answer.objects.bulk_create(
        Answer(
            organization=org,
            response=response,
            question=questions[code],
            submitted_on=day,
            metric=code,
            value=value,
        )
        for code, value in (("nps", nps), ("csat", csat))
        if value is not None
    )
    process_response(response)
    return response


@pytest.fixture
def rel_a(cast_a):
    return make_survey(cast_a.org, Survey.Kind.RELATIONSHIP)


def recomputed_from_source() -> dict:
    """The relationship rollup recomputed with pandas from the answers of relationship surveys."""
    rows = Answer.objects.filter(
        touchpoint=None,
        response__journey=None,
        response__survey__kind=Survey.Kind.RELATIONSHIP,
        value__isnull=False,
    ).exclude(metric="")
    frame = pd.DataFrame(list(rows.values("organization_id", "submitted_on", "metric", "value")))
    if frame.empty:
        return {}
    v = frame["value"]
    is_nps = frame["metric"] == "nps"
    frame = frame.assign(
        n=1,
        promoters=(is_nps & (v >= 9)).astype(int),
        passives=(is_nps & (v >= 7) & (v < 9)).astype(int),
        detractors=(is_nps & (v < 7)).astype(int),
        total=v,
        total_sq=v * v,
        **{f"c{i}": (v == i).astype(int) for i in range(11)},
    )
    grouped = frame.groupby(["organization_id", "submitted_on", "metric"])[STAT_FIELDS].sum()
    return {
        key: {f: (float(row[f]) if f in ("total", "total_sq") else int(row[f])) for f in STAT_FIELDS}
        for key, row in grouped.iterrows()
    }


def stored() -> dict:
    return {
        (r["organization_id"], r["day"], r["metric"]): {f: r[f] for f in STAT_FIELDS}
        for r in RelationshipRollup.objects.values()
    }


def test_relationship_answers_are_rolled_up_per_organization_and_day(world_a, rel_a, cast_a, cast_b):
    survey, version, questions = rel_a
    for i, score in enumerate((10, 9, 7, 3, 0, 10)):
        answer(cast_a.org, survey, version, questions, DAY - dt.timedelta(days=i % 2), nps=score, csat=1 + i % 5)
    # Touchpoint and journey surveys of the same organization are not relationship answers.
    world_a.respond(world_a.touchpoints[0], DAY, nps=0)
    world_a.respond(None, DAY, nps=0, journey=world_a.journey)
    b_survey, b_version, b_questions = make_survey(cast_b.org, Survey.Kind.RELATIONSHIP)
    answer(cast_b.org, b_survey, b_version, b_questions, DAY, nps=10)

    assert set(DirtyRollup.objects.filter(kind="r").values_list("key_id", "day")) == {
        (cast_a.org.pk, DAY),
        (cast_a.org.pk, DAY - dt.timedelta(days=1)),
        (cast_b.org.pk, DAY),
    }
    rollups.aggregate_dirty()
    assert stored() == recomputed_from_source()
    row = RelationshipRollup.objects.get(organization=cast_a.org, day=DAY, metric="nps")
    assert (row.n, row.promoters, row.passives, row.detractors) == (3, 1, 1, 1)  # 10, 7, 0
    assert RelationshipRollup.objects.get(organization=cast_b.org, metric="nps").n == 1
    # The touchpoint and journey answers went to their own rollups only.
    assert Rollup.objects.get(metric="nps").n == 1


def test_staff_surveys_never_count_even_with_scored_answers(cast_a, rel_a):
    survey, version, questions = rel_a
    answer(cast_a.org, survey, version, questions, DAY, nps=9)
    for kind in (Survey.Kind.EMPLOYEE, Survey.Kind.LEADERSHIP):
        staff = make_survey(cast_a.org, kind)
        # Written with a metric key, as a careless writer round the ingestion would: the kind still keeps them out.
        answer(cast_a.org, *staff, DAY, nps=0)
    rollups.aggregate_dirty()
    assert list(RelationshipRollup.objects.values_list("metric", "n", "detractors")) == [("nps", 1, 0)]
    call_command("rebuild_rollups", verbosity=0)
    assert list(RelationshipRollup.objects.values_list("metric", "n", "detractors")) == [("nps", 1, 0)]


def test_deleting_and_editing_relationship_answers_recomputes_the_day(cast_a, rel_a):
    survey, version, questions = rel_a
    keep = answer(cast_a.org, survey, version, questions, DAY, nps=10)
    gone = answer(cast_a.org, survey, version, questions, DAY, nps=0)
    rollups.aggregate_dirty()
    gone.delete()
    rollups.aggregate_dirty()
    assert list(RelationshipRollup.objects.values_list("n", "promoters")) == [(1, 1)]
    edited = Answer.objects.get(response=keep)
    edited.value = 2
    edited.save()
    rollups.aggregate_dirty()
    assert list(RelationshipRollup.objects.values_list("n", "detractors")) == [(1, 1)]


def test_rebuild_and_reconciliation_cover_the_relationship_rollup(cast_a, cast_b, rel_a):
    survey, version, questions = rel_a
    for i in range(8):
        answer(cast_a.org, survey, version, questions, DAY - dt.timedelta(days=i % 3), nps=i, csat=1 + i % 5)
    rollups.aggregate_dirty()
    incremental = stored()
    RelationshipRollup.objects.all().delete()
    call_command("rebuild_rollups", "--table", "relationship", verbosity=0)
    assert stored() == incremental == recomputed_from_source()

    RelationshipRollup.objects.filter(metric="nps", day=DAY).update(n=99)
    RelationshipRollup.objects.filter(metric="csat", day=DAY).delete()
    records = {r.organization_id: r for r in rollups.reconcile_rollups()}
    assert records[cast_a.org.pk].differences == 2 and records[cast_a.org.pk].fixed == 2
    assert {d["table"] for d in records[cast_a.org.pk].details} == {"relationship"}
    assert records[cast_b.org.pk].differences == 0
    assert stored() == recomputed_from_source()


def test_mark_dirty_for_range_marks_an_organizations_relationship_days(cast_a, rel_a):
    survey, version, questions = rel_a
    response = answer(cast_a.org, survey, version, questions, DAY, nps=10)
    rollups.aggregate_dirty()
    # Changed round the ORM (as a bulk fix would): only marking the range brings the rollup back in line.
    Answer.objects.filter(response=response).update(value=0)
    rollups.mark_dirty_for_range([], DAY, DAY, relationship_organization_ids=[cast_a.org.pk])
    rollups.aggregate_dirty()
    assert list(RelationshipRollup.objects.values_list("n", "detractors")) == [(1, 1)]


# -- import ---------------------------------------------------------------------------------------------------------


def _form_data(form) -> dict:
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else (value.isoformat() if hasattr(value, "isoformat") else value)
    return data


def test_imported_relationship_answers_reach_the_rollup_without_a_rebuild(
    client_for, cast_a, rel_a, django_capture_on_commit_callbacks
):
    version = rel_a[1]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Date", "NPS", "CSAT"])
    scores = [(f"2026-03-0{1 + i % 3}", str(i % 11), str(1 + i % 5)) for i in range(40)]
    writer.writerows(scores)
    client = client_for(cast_a.cx_manager)
    upload = SimpleUploadedFile("relationship.csv", out.getvalue().encode())
    r = client.post(reverse("surveys:response_import"), {"version": version.pk, "file": upload})
    assert r.status_code == 302
    map_url = r["Location"]
    data = _form_data(client.get(map_url).context["form"])
    data.update(default_touchpoint="", default_language="sv")
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(map_url, data)
    assert r.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.created_count == 40
    assert not Response.objects.filter(processed_at__isnull=True).exists()
    rollups.aggregate_dirty()  # what the queued aggregation task does
    assert stored() == recomputed_from_source()
    assert sum(v["n"] for k, v in stored().items() if k[2] == "nps") == 40


# -- the overview --------------------------------------------------------------------------------------------------


def _ctx(cast) -> OrgContext:
    return OrgContext(organization=cast.org, role="cx_manager")


def _filters(ctx, **params):
    from django.http import QueryDict

    q = QueryDict(mutable=True)
    q.update({"period": "custom", "start": "2026-03-01", "end": "2026-03-31", **params})
    return filters_from(ctx=ctx, params=q, today=dt.date(2026, 4, 2))[0]


def test_the_overview_has_the_relationship_score_with_change_and_n(world_a, cast_a, rel_a):
    cast_a.org.min_n = 5
    cast_a.org.save(update_fields=["min_n"])
    survey, version, questions = rel_a
    march = [10, 10, 10, 9, 9, 8, 3, 2]  # 5 promoters, 2 detractors of 8: +37.5
    february = [0, 1, 2, 3, 10, 6]  # 1 promoter, 5 detractors of 6: -66.7
    for s in march:
        answer(cast_a.org, survey, version, questions, dt.date(2026, 3, 5), nps=s)
    for s in february:
        answer(cast_a.org, survey, version, questions, dt.date(2026, 2, 10), nps=s)
    for s in (0, 0, 0, 0, 0):
        world_a.respond(world_a.touchpoints[0], dt.date(2026, 3, 5), nps=s)
    rollups.aggregate_dirty()
    ctx = _ctx(cast_a)
    filters = _filters(ctx)
    overview = organization_overview(ctx=ctx, filters=filters)
    rel = overview.relationship
    assert rel.score.n == 8
    assert rel.score.value == pytest.approx(100 * (5 - 2) / 8)
    assert rel.change is not None and rel.change.delta == pytest.approx(37.5 - 100 * (1 - 5) / 6)
    assert rel.change.significant
    # The organization's sum of touchpoints is untouched by the relationship answers.
    assert overview.organization.score.n == 5 and overview.organization.score.value == -100
    # The selector the monthly report calls gives the same figure.
    same = relationship_assessment(ctx=ctx, filters=filters)
    assert (same.score.n, same.score.value, same.change.delta) == (8, rel.score.value, rel.change.delta)


def test_the_relationship_figure_respects_min_n_and_the_metric(cast_a, rel_a):
    survey, version, questions = rel_a
    for s in (10, 10, 1):
        answer(cast_a.org, survey, version, questions, dt.date(2026, 3, 5), nps=s, csat=4)
    rollups.aggregate_dirty()
    ctx = _ctx(cast_a)
    rel = relationship_assessment(ctx=ctx, filters=_filters(ctx))
    assert rel.score.n == 3 and not rel.score.sufficient and rel.score.shown is None  # min n 30
    cast_a.org.primary_metric = "csat"
    cast_a.org.min_n = 2
    cast_a.org.save()
    rel = relationship_assessment(ctx=_ctx(cast_a), filters=_filters(_ctx(cast_a)))
    assert rel.score.metric == "csat" and rel.score.n == 3


def test_a_segment_slice_has_no_relationship_figure(cast_a, rel_a):
    ctx = _ctx(cast_a)
    whole = _filters(ctx)
    assert relationship_assessment(ctx=ctx, filters=whole) is not None
    assert relationship_assessment(ctx=ctx, filters=dataclasses.replace(whole, segment="Business")) is None
    assert relationship_assessment(ctx=ctx, filters=dataclasses.replace(whole, channel="web")) is None


def test_the_overview_page_shows_the_relationship_beside_the_sum_of_touchpoints(client_for, cast_a, cast_b, rel_a):
    cast_a.org.min_n = 2
    cast_a.org.save(update_fields=["min_n"])
    survey, version, questions = rel_a
    today = timezone.localdate()
    for s in (10, 10, 10, 0):
        answer(cast_a.org, survey, version, questions, today, nps=s)
    rollups.aggregate_dirty()
    for role in ("admin", "cx_manager", "executive", "frontline"):
        page = client_for(getattr(cast_a, role)).get(reverse("kpis:overview"))  # every member reads the overview
        html = page.content.decode()
        assert page.status_code == 200
        assert 'data-testid="relationship-score"' in html and 'data-testid="org-score"' in html
        assert "Relationship survey" in html and "Sum of touchpoints" in html
        assert page.context["data"].relationship.score.value == 50
        assert '<span class="fs-3 fw-semibold" data-testid="score">+50</span>' in html
    # Another organization's overview shows its own (empty) relationship figure, never org A's.
    other = client_for(cast_b.admin).get(reverse("kpis:overview"))
    assert other.context["data"].relationship.score.n == 0
    assert "No relationship survey answered in this period." in other.content.decode()
