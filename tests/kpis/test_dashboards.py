"""The journey gap dashboard, the touchpoint page and the overview: numbers checked against the answers."""

import datetime as dt
import random
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from kpis import rollups
from kpis.models import Benchmark, Kpi, KpiValue, Target
from surveys.models import Answer
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

TODAY = timezone.localdate()


def nps_from_rows(touchpoints, start, end, **answer_filters) -> tuple[float, int]:
    values = list(
        Answer.objects.filter(
            touchpoint__in=touchpoints, metric="nps", submitted_on__gte=start, submitted_on__lte=end, **answer_filters
        ).values_list("value", flat=True)
    )
    promoters = sum(1 for v in values if v >= 9)
    detractors = sum(1 for v in values if v <= 6)
    return 100.0 * (promoters - detractors) / len(values), len(values)


@pytest.fixture
def program(world_a, cast_a):
    """Three touchpoints: one above its target, one clearly below, one with too few answers; plus a benchmark,
    operational values and a comment."""
    rng = random.Random(7)
    made = []  # marked dirty in one go below, the way a batch import does
    good, bad, thin = world_a.touchpoints
    business = CustomerFactory(organization=cast_a.org, segment="Business")
    consumer = CustomerFactory(organization=cast_a.org, segment="Consumer")
    for i in range(120):
        day = TODAY - dt.timedelta(days=rng.randrange(0, 80))
        made.append(
            world_a.respond(
                good, day, nps=rng.choice([10, 10, 9, 9, 8, 6]), customer=business if i % 3 else consumer, process=False
            )
        )
        made.append(
            world_a.respond(
                bad, day, nps=rng.choice([10, 7, 5, 3, 2, 8]), customer=consumer if i % 2 else business, process=False
            )
        )
    for _ in range(60):  # the previous quarter: the bad touchpoint was fine then, so its fall is significant
        day = TODAY - dt.timedelta(days=100 + rng.randrange(0, 60))
        made.append(world_a.respond(bad, day, nps=rng.choice([10, 9, 9, 8]), process=False))
    for _ in range(12):
        made.append(world_a.respond(thin, TODAY - dt.timedelta(days=3), nps=9, process=False))
    world_a.respond(good, TODAY - dt.timedelta(days=1), nps=10, comment="Technician was on time and friendly")
    rollups.mark_dirty_for_responses(r.pk for r in made)
    rollups.aggregate_dirty()
    nps = Kpi.objects.create(
        organization=cast_a.org, code="nps", name="NPS", kind="survey", metric="nps", unit="points"
    )
    fcr = Kpi.objects.create(
        organization=cast_a.org, code="fcr", name="First-contact resolution", kind="imported", unit="%"
    )
    year = dict(
        period_start=TODAY.replace(month=1, day=1) - dt.timedelta(days=400), period_end=TODAY + dt.timedelta(days=30)
    )
    for tp, value in ((good, 20), (bad, 30), (thin, 10)):
        Target.objects.create(
            organization=cast_a.org, kpi=nps, scope="touchpoint", touchpoint=tp, journey=tp.journey, value=value, **year
        )
    Target.objects.create(organization=cast_a.org, kpi=nps, scope="journey", journey=world_a.journey, value=25, **year)
    Benchmark.objects.create(organization=cast_a.org, kpi=nps, source_name="Telia", value=18, **year)
    for d in range(10):
        KpiValue.objects.create(
            organization=cast_a.org, kpi=fcr, touchpoint=good, day=TODAY - dt.timedelta(days=d), value=70 + d
        )
    return world_a


def _card(page: str, touchpoint) -> str:
    match = re.search(
        rf'<article[^>]*data-status="(\w+)"[^>]*data-touchpoint="{touchpoint.pk}".*?</article>', page, re.S
    )
    assert match, f"no card for {touchpoint}"
    return match.group(0)


def test_journey_gap_shows_each_touchpoints_nps_from_the_answers(client_for, cast_a, program):
    good, bad, thin = program.touchpoints
    response = client_for(cast_a.cx_manager).get(reverse("kpis:journey_dashboard"), {"period": "90"})
    assert response.status_code == 200
    page = response.content.decode()
    start = TODAY - dt.timedelta(days=89)
    for tp in (good, bad):
        expected, n = nps_from_rows([tp], start, TODAY)
        card = _card(page, tp)
        assert f"n={n}" in card
        assert f"{round(expected):+d}".replace("-", "\u2212") in card
    assert 'data-status="above"' in _card(page, good)
    assert 'data-status="below"' in _card(page, bad)
    thin_card = _card(page, thin)
    assert 'data-status="insufficient"' in thin_card and "insufficient (n=12)" in thin_card
    # The journey figure: the respondent-weighted sum of its touchpoints, and the page says so.
    journey_nps, journey_n = nps_from_rows(program.touchpoints, start, TODAY)
    data = response.context["data"]
    assert data.source == "touchpoints" and data.assessment.score.n == journey_n
    assert data.assessment.score.value == pytest.approx(journey_nps)
    assert "each respondent weighs the same" in page
    assert 'data-plotly="gap-figure"' in page and 'id="gap-figure"' in page


def test_a_significant_fall_is_flagged_and_the_benchmark_is_shown(client_for, cast_a, program):
    bad = program.touchpoints[1]
    response = client_for(cast_a.executive).get(reverse("kpis:touchpoint_dashboard", args=[bad.pk]), {"period": "90"})
    assessment = response.context["data"].assessment
    assert assessment.change is not None and assessment.change.delta < 0 and assessment.change.significant
    page = response.content.decode()
    assert "significant" in page and "Telia" in page


def test_journey_survey_answers_become_the_journey_score(client_for, cast_a, program):
    for score in [10] * 20 + [0] * 20:
        program.respond(None, TODAY - dt.timedelta(days=2), nps=score, journey=program.journey)
    rollups.aggregate_dirty()
    response = client_for(cast_a.cx_manager).get(reverse("kpis:journey_dashboard"))
    data = response.context["data"]
    assert data.source == "survey" and data.assessment.score.n == 40 and data.assessment.score.value == 0
    assert "From the journey survey" in response.content.decode()


def test_period_and_segment_filters_change_the_figures(client_for, cast_a, program):
    good = program.touchpoints[0]
    c = client_for(cast_a.cx_manager)
    url = reverse("kpis:journey_dashboard")
    start7 = TODAY - dt.timedelta(days=6)
    custom = c.get(url, {"period": "custom", "start": start7.isoformat(), "end": TODAY.isoformat()})
    expected, n = nps_from_rows([good], start7, TODAY)
    card = next(card for col in custom.context["data"].stages for card in col.cards if card.touchpoint == good)
    assert card.assessment.score.n == n
    business = c.get(url, {"period": "90", "segment": "Business"})
    expected, n = nps_from_rows([good], TODAY - dt.timedelta(days=89), TODAY, response__customer__segment="Business")
    card = next(card for col in business.context["data"].stages for card in col.cards if card.touchpoint == good)
    assert card.assessment.score.n == n and card.assessment.score.value == pytest.approx(expected)
    assert "Sum of the touchpoints" in business.content.decode()
    # An unknown segment or a garbage period falls back to the defaults instead of failing.
    assert c.get(url, {"period": "nonsense", "segment": "<script>"}).status_code == 200


def test_channel_filter_keeps_only_touchpoints_of_that_channel(client_for, cast_a, program):
    good, bad, _thin = program.touchpoints
    bad.channel = "phone"
    bad.save()
    page = client_for(cast_a.cx_manager).get(reverse("kpis:journey_dashboard"), {"channel": "phone"}).content.decode()
    assert f'data-touchpoint="{bad.pk}"' in page and f'data-touchpoint="{good.pk}"' not in page


def test_touchpoint_page_shows_trend_distribution_comments_and_linked_kpis(client_for, cast_a, program):
    good = program.touchpoints[0]
    response = client_for(cast_a.frontline).get(reverse("kpis:touchpoint_dashboard", args=[good.pk]), {"period": "30"})
    assert response.status_code == 200
    data = response.context["data"]
    counts = list(
        Answer.objects.filter(
            touchpoint=good, metric="nps", submitted_on__gte=TODAY - dt.timedelta(days=29)
        ).values_list("value", flat=True)
    )
    assert data.assessment.score.distribution == [counts.count(i) for i in range(11)]
    page = response.content.decode()
    assert "Technician was on time and friendly" in page
    assert 'data-plotly="trend-figure"' in page and 'data-plotly="distribution-figure"' in page
    linked = data.linked[0]
    assert linked.kpi.code == "fcr" and linked.value == pytest.approx(sum(70 + d for d in range(10)) / 10)
    assert linked.days == 10


def test_overview_ranks_touchpoints_by_gap_and_says_the_value_model_has_not_run(client_for, cast_a, program):
    _good, bad, _thin = program.touchpoints
    response = client_for(cast_a.executive).get(reverse("kpis:overview"))
    assert response.status_code == 200
    data = response.context["data"]
    assert data.touchpoints_by_gap[0].touchpoint == bad
    assert "Value model not run yet" in response.content.decode()


def test_overview_ranks_by_value_at_stake_when_the_value_model_has_run(client_for, cast_a, program, monkeypatch):
    from value import selectors as value_selectors
    from value.selectors import TouchpointValue

    _good, bad, thin = program.touchpoints
    values = {
        bad.pk: TouchpointValue(bad.pk, 1000.0, 500.0, 1500.0, 400, True),
        thin.pk: TouchpointValue(thin.pk, None, None, None, 3, False, "Too few customers with revenue."),
    }
    monkeypatch.setattr(value_selectors, "touchpoint_values", lambda *, ctx, **_: values)
    response = client_for(cast_a.cx_manager).get(reverse("kpis:overview"), {"period": "90"})
    data = response.context["data"]
    row = data.touchpoints_by_value[0]
    assert row.touchpoint == bad
    assert row.value_at_stake == pytest.approx(row.assessment.shortfall * 1000.0)
    page = response.content.decode()
    assert 'data-plotly="value-figure"' in page and "Too few customers with revenue." in page


def _count_queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx.captured_queries)


def test_dashboards_use_a_bounded_number_of_queries_that_does_not_grow_with_responses(
    client_for, cast_a, program, django_assert_max_num_queries
):
    c = client_for(cast_a.cx_manager)
    tp = program.touchpoints[0]
    pages = [
        (reverse("kpis:journey_dashboard"), {"period": "365"}),
        (reverse("kpis:journey_dashboard"), {"period": "90", "segment": "Business"}),
        (reverse("kpis:touchpoint_dashboard", args=[tp.pk]), {"period": "365"}),
        (reverse("kpis:overview"), {}),
    ]
    c.get(reverse("kpis:overview"))  # the first request of a session also saves the session
    before = []
    for url, params in pages:
        with django_assert_max_num_queries(25):
            before.append(_count_queries(c, url, params))
    for i in range(50):
        program.respond(program.touchpoints[i % 3], TODAY - dt.timedelta(days=i), nps=i % 11, comment="more")
    rollups.aggregate_dirty()
    assert [_count_queries(c, url, params) for url, params in pages] == before


@pytest.mark.parametrize("role", [Role.ADMIN, Role.CX_MANAGER, Role.FRONTLINE, Role.EXECUTIVE])
def test_every_role_reads_the_dashboards(client_for, cast_a, program, role):
    c = client_for(cast_a.member(role))
    tp = program.touchpoints[0]
    for url in (
        reverse("kpis:overview"),
        reverse("kpis:journey_dashboard"),
        reverse("kpis:touchpoint_dashboard", args=[tp.pk]),
    ):
        assert c.get(url).status_code == 200


def test_another_organizations_journey_and_touchpoint_are_not_found(client_for, cast_a, cast_b, program):
    c = client_for(cast_b.admin)
    assert c.get(reverse("kpis:touchpoint_dashboard", args=[program.touchpoints[0].pk])).status_code == 404
    assert c.get(reverse("kpis:journey_dashboard"), {"journey": program.journey.pk}).status_code == 404
    # Org B's own pages show none of org A's figures.
    page = c.get(reverse("kpis:overview")).content.decode()
    assert program.touchpoints[0].name not in page


def test_dashboards_need_a_login(client):
    assert client.get(reverse("kpis:overview")).status_code == 302
