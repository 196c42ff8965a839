"""Response explorer, issue 13: the totals and the score of the filtered set above the list (one aggregate query, in
the organization's primary metric and measure), times in the organization's time zone, CSV times in ISO 8601."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.models import Role
from accounts.scoping import OrgContext
from surveys.explorer import selectors as explorer_selectors
from surveys.ingestion import selectors
from surveys.ingestion.services import response_submit

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

LIST = reverse("surveys:response_list")
CSV = reverse("surveys:response_export_csv")


def submit(prog, answers, *, touchpoint=None, when=None, language="sv"):
    response, _ = response_submit(
        organization=prog.org,
        survey=prog.survey,
        version=prog.survey.current_version,
        answers=answers,
        touchpoint=touchpoint or prog.touchpoint,
        language=language,
        channel="web",
        submitted_at=when or dt.datetime(2026, 5, 10, 12, tzinfo=dt.UTC),
    )
    return response


@pytest.fixture
def scored(prog_a):
    """Ten answers at the main touchpoint (4 promoters, 2 passives, 4 detractors: NPS 0) and three elsewhere."""
    prog_a.org.min_n = 3
    prog_a.org.save(update_fields=["min_n"])
    for nps, csat in [(10, 5), (9, 5), (9, 4), (10, 5), (7, 3), (8, 4), (0, 1), (3, 2), (6, 2), (5, 1)]:
        submit(prog_a, {"nps": nps, "csat": csat})
    for nps in (2, 3, 9):
        submit(prog_a, {"nps": nps}, touchpoint=prog_a.other_touchpoint)
    return prog_a


def test_the_totals_and_the_nps_of_the_filtered_set_are_shown_above_the_list(client_for, scored):
    c = client_for(scored.cast.cx_manager)
    r = c.get(LIST)
    summary = r.context["summary"]
    assert summary["responses"] == 13
    assert summary["score"].n == 13
    # 5 promoters, 2 passives, 6 detractors of 13: (5 - 6) / 13 = -7.7 -> a signed whole number with U+2212.
    page = r.content.decode()
    assert 'data-testid="score-value">\u22128<' in page
    assert '<strong class="fs-5">13</strong> responses' in page

    narrowed = c.get(LIST, {"touchpoint": scored.touchpoint.pk, "band": "promoter"})
    assert narrowed.context["summary"]["responses"] == 4
    assert 'data-testid="score-value">+100<' in narrowed.content.decode()


def test_the_summary_is_one_aggregate_query_over_the_filtered_set(scored):
    ctx = OrgContext(organization=scored.org, role=Role.ADMIN)
    qs = selectors.response_list(ctx=ctx, filters=selectors.ResponseFilters(touchpoint_id=scored.touchpoint.pk))
    with CaptureQueriesContext(connection) as queries:
        sums = explorer_selectors.response_summary(queryset=qs, metric="nps")
    assert len(queries) == 1
    assert "COUNT(DISTINCT" in queries[0]["sql"] and "LIMIT" not in queries[0]["sql"]
    assert (sums["responses"], sums["n"], sums["promoters"], sums["passives"], sums["detractors"]) == (10, 10, 4, 2, 4)
    assert sums["total"] == 10 + 9 + 9 + 10 + 7 + 8 + 0 + 3 + 6 + 5
    assert [sums[f"c{i}"] for i in (0, 3, 9, 10)] == [1, 1, 2, 2]


def test_the_score_is_in_the_organizations_primary_metric_and_measure(client_for, scored):
    scored.org.primary_metric, scored.org.primary_measure = "csat", ""
    scored.org.save(update_fields=["primary_metric", "primary_measure"])
    c = client_for(scored.cast.executive)
    page = c.get(LIST).content.decode()
    # CSAT mean of 5 5 4 5 3 4 1 2 2 1 = 3.2, shown with two decimals under the measure's label.
    assert "CSAT, mean" in page and 'data-testid="score-value">3.20<' in page

    scored.org.primary_measure = "top_box"
    scored.org.save(update_fields=["primary_measure"])
    page = c.get(LIST).content.decode()
    # Top-2-box (4 or 5): 5 of 10.
    assert "CSAT, top-2-box %" in page and 'data-testid="score-value">50.0\u00a0%<' in page


def test_too_few_answers_give_no_score(client_for, scored):
    scored.org.min_n = 30
    scored.org.save(update_fields=["min_n"])
    page = client_for(scored.cast.cx_manager).get(LIST).content.decode()
    assert 'data-testid="score-value"' not in page
    assert "too few answers for a score (n = 13, minimum 30)" in page


def test_frontline_totals_count_only_their_teams_touchpoints(client_for, scored, prog_b):
    summary = client_for(scored.cast.frontline).get(LIST).context["summary"]
    assert (summary["responses"], summary["score"].n) == (10, 10)
    other = client_for(prog_b.cast.admin).get(LIST).context["summary"]
    assert (other["responses"], other["score"].n) == (0, 0)
    assert "no answers in this set" in client_for(prog_b.cast.admin).get(LIST).content.decode()


def test_the_explorer_shows_times_in_the_organizations_zone_with_a_named_format(client_for, prog_a):
    prog_a.org.timezone = "Asia/Tokyo"
    prog_a.org.save(update_fields=["timezone"])
    response = submit(prog_a, {"nps": 9}, when=dt.datetime(2026, 5, 10, 12, 0, tzinfo=dt.UTC))
    c = client_for(prog_a.cast.cx_manager)
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    with timezone.override(tokyo):  # what the organization's time-zone middleware activates on every request
        page = c.get(LIST).content.decode()
        detail = c.get(reverse("surveys:response_detail", args=[response.pk])).content.decode()
    local = response.submitted_at.astimezone(tokyo)
    with translation.override(re.search(r'<html lang="([^"]+)"', page)[1]):
        short = formats.date_format(local, "SHORT_DATETIME_FORMAT")
        long = formats.date_format(local, "DATETIME_FORMAT")
    assert 'datetime="2026-05-10T21:00:00+09:00"' in page
    assert f">{short}</time>" in page
    assert f">{long}</time>" in detail


def test_the_csv_export_writes_times_in_iso_8601_with_the_offset(client_for, prog_a):
    prog_a.org.timezone = "Europe/Oslo"
    prog_a.org.save(update_fields=["timezone"])
    submit(prog_a, {"nps": 9}, when=dt.datetime(2026, 5, 10, 12, 0, 7, 120000, tzinfo=dt.UTC))
    submit(prog_a, {"nps": 3}, when=dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC))
    r = client_for(prog_a.cast.cx_manager).get(CSV)
    table = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert sorted(row[1] for row in table[1:]) == ["2026-01-10T13:00:00+01:00", "2026-05-10T14:00:07+02:00"]
