"""Issue 13, "scores where the journey is": score, n, target and status on the journey map and the touchpoint page,
trends that keep months under the minimum n as gaps, an empty state that says what is missing, one NPS KPI, and
change figures that say what they are compared with."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.scoping import context_for_membership
from core.templatetags.cx_numbers import score
from journeys.models import Touchpoint
from kpis import charts, rollups
from kpis.dashboards import filters_from
from kpis.forms import DashboardFilterForm, KpiForm
from kpis.models import Kpi, Target
from tests.factories import JourneyFactory, StageFactory, TeamFactory, TouchpointFactory
from tests.kpis.conftest import make_world

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

TODAY = timezone.localdate()
MINUS = "\u2212"


def _month_back(months: int) -> dt.date:
    """A day in the middle of the month `months` before this one."""
    index = TODAY.year * 12 + TODAY.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 15)


@pytest.fixture
def scored(world_a, cast_a):
    """Touchpoints of world_a: `good` above its target, `bad` below it, `thin` with too few answers (no target)."""
    good, bad, thin = world_a.touchpoints
    min_n = cast_a.org.min_n
    made = []
    for i in range(max(min_n, 10) * 2):
        day = TODAY - dt.timedelta(days=i % 60)
        made.append(world_a.respond(good, day, nps=[10, 10, 9, 8][i % 4], process=False))
        made.append(world_a.respond(bad, day, nps=[2, 5, 9, 6][i % 4], process=False))
        # the previous period too, so the page shows a change (and what it is compared with)
        made.append(world_a.respond(bad, day - dt.timedelta(days=95), nps=[10, 9, 9, 8][i % 4], process=False))
    for _ in range(3):
        made.append(world_a.respond(thin, TODAY - dt.timedelta(days=2), nps=9, process=False))
    rollups.mark_dirty_for_responses(r.pk for r in made)
    rollups.aggregate_dirty()
    kpi = Kpi.objects.create(organization=cast_a.org, code="nps", name="NPS", kind="survey", metric="nps")
    period = dict(period_start=TODAY - dt.timedelta(days=400), period_end=TODAY + dt.timedelta(days=30))
    for tp, value in ((good, 20), (bad, 30)):
        Target.objects.create(
            organization=cast_a.org,
            kpi=kpi,
            scope="touchpoint",
            touchpoint=tp,
            journey=tp.journey,
            value=value,
            **period,
        )
    world_a.kpi = kpi
    return world_a


def _map_card(page: str, touchpoint) -> str:
    match = re.search(rf'<article[^>]*data-touchpoint-id="{touchpoint.pk}".*?</article>', page, re.S)
    assert match, f"no card for {touchpoint}"
    return match.group(0)


# -- 1. scores on the journey map and the touchpoint page --------------------------------------------------------


def test_journey_map_shows_score_n_target_status_and_links_for_every_touchpoint(client_for, cast_a, scored):
    good, bad, thin = scored.touchpoints
    # The frontline member's team answers for these touchpoints (others' touchpoints get no Responses/Cases links).
    Touchpoint.objects.filter(pk__in=[good.pk, bad.pk, thin.pk]).update(responsible_team=cast_a.team)
    response = client_for(cast_a.frontline).get(reverse("journeys:journey_map", args=[scored.journey.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    scores = response.context["scores"]
    good_score = scores.get(good.pk).score
    bad_score = scores.get(bad.pk).score

    card = _map_card(page, good)
    assert 'data-status="above"' in card
    assert f">{score(good_score.value, 'nps')}<" in card
    assert f"n={good_score.n}" in card and "Target: +20" in card and "Target met" in card
    card = _map_card(page, bad)
    assert 'data-status="below"' in card and "Below target" in card and "Target: +30" in card
    assert f">{score(bad_score.value, 'nps')}<" in card and f"n={bad_score.n}" in card
    assert bad_score.value < 0 and score(bad_score.value, "nps").startswith(MINUS)
    card = _map_card(page, thin)
    assert 'data-status="insufficient"' in card
    assert f"Too few responses (3 of {cast_a.org.min_n})" in card and "n=3" in card and "Target: none" in card
    for tp in (good, bad, thin):
        card = _map_card(page, tp)
        assert f'href="{reverse("kpis:touchpoint_dashboard", args=[tp.pk])}"' in card
        assert f'href="{reverse("surveys:response_list")}?touchpoint={tp.pk}"' in card
        assert f'href="{reverse("actions:inbox")}?touchpoint={tp.pk}"' in card
    assert f'href="{reverse("kpis:journey_dashboard")}?journey={scored.journey.pk}"' in page
    # The figures are the gap dashboard's own.
    gap = client_for(cast_a.frontline).get(reverse("kpis:journey_dashboard"), {"journey": scored.journey.pk})
    cards = {c.touchpoint.pk: c.assessment for col in gap.context["data"].stages for c in col.cards}
    assert cards[good.pk].score.value == pytest.approx(good_score.value)
    assert cards[bad.pk].gap == pytest.approx(scores.get(bad.pk).gap)


def test_frontline_gets_no_responses_or_cases_links_for_another_teams_touchpoint(client_for, cast_a, scored):
    """The explorer and the inbox show a frontline member only their teams' responses and cases: a link to another
    team's touchpoint would open their own team's list under that touchpoint's name."""
    good, bad, thin = scored.touchpoints
    other_team = TeamFactory(organization=cast_a.org, name="Field technicians")
    Touchpoint.objects.filter(pk=good.pk).update(responsible_team=cast_a.team)
    Touchpoint.objects.filter(pk=bad.pk).update(responsible_team=other_team)  # thin: no team at all
    responses_link = f'href="{reverse("surveys:response_list")}?touchpoint='
    cases_link = f'href="{reverse("actions:inbox")}?touchpoint='
    for member, reachable in (
        (cast_a.frontline, {good}),
        (cast_a.cx_manager, {good, bad, thin}),
        (cast_a.executive, {good, bad, thin}),
    ):
        c = client_for(member)
        page = c.get(reverse("journeys:journey_map", args=[scored.journey.pk])).content.decode()
        for tp in (good, bad, thin):
            card = _map_card(page, tp)
            assert f'href="{reverse("kpis:touchpoint_dashboard", args=[tp.pk])}"' in card
            assert (f'{responses_link}{tp.pk}"' in card) is (tp in reachable), (member.role, tp.name)
            assert (f'{cases_link}{tp.pk}"' in card) is (tp in reachable), (member.role, tp.name)
            for url in (
                reverse("journeys:touchpoint_detail", args=[tp.pk]),
                reverse("kpis:touchpoint_dashboard", args=[tp.pk]),
            ):
                detail = c.get(url).content.decode()
                assert (f'{responses_link}{tp.pk}"' in detail) is (tp in reachable), (member.role, url)
                assert (f'{cases_link}{tp.pk}"' in detail) is (tp in reachable), (member.role, url)


def _score_block(n: int, min_n: int, *, sufficient: bool) -> str:
    """The map's score block for a touchpoint with `n` answers, compiled afresh from its source (so a filter
    swapped in by the test is the one it uses)."""
    from types import SimpleNamespace

    from django.template import Context, engines

    a = SimpleNamespace(
        score=SimpleNamespace(sufficient=sufficient, value=12.5, n=n),
        status="below" if sufficient else "insufficient",
        status_label="Below target",
        target=None,
    )
    touchpoint = SimpleNamespace(pk=1, name="Install", kpi_assessment=a, responsible_team_id=None)
    scores = SimpleNamespace(filters=SimpleNamespace(spec="nps"), min_n=min_n)
    engine = engines["django"].engine
    source = engine.find_template("journeys/_touchpoint_score.html")[0].source
    return engine.from_string(source).render(Context({"touchpoint": touchpoint, "scores": scores}))


def test_the_maps_n_and_minimum_n_go_through_the_num_filter(monkeypatch):
    """n and the minimum n are written by `num` (the locale's digits and grouping), never as raw integers."""
    from core.templatetags import cx_numbers

    monkeypatch.setitem(cx_numbers.register.filters, "num", lambda value, decimals=0: f"<{value}>")
    block = _score_block(1234, 30, sufficient=True)
    assert 'data-testid="tp-n">n=&lt;1234&gt;<' in block, block
    block = _score_block(1234, 5000, sufficient=False)
    assert "(&lt;1234&gt; of &lt;5000&gt;)" in block, block


def test_journey_map_reads_the_scores_in_a_fixed_number_of_queries(client_for, cast_a, scored):
    c = client_for(cast_a.cx_manager)
    url = reverse("journeys:journey_map", args=[scored.journey.pk])
    c.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(6):
        tp = TouchpointFactory(stage=scored.stages[1], journey=scored.journey, organization=cast_a.org, position=5 + i)
        scored.respond(tp, TODAY, nps=10)
    rollups.aggregate_dirty()
    assert count() == before


def test_touchpoint_page_shows_the_score_its_links_and_the_comparison(client_for, cast_a, scored):
    bad = scored.touchpoints[1]
    response = client_for(cast_a.executive).get(reverse("journeys:touchpoint_detail", args=[bad.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    block = page[page.index('data-testid="touchpoint-score-card"') :]
    assert 'data-status="below"' in block and "Below target" in block and "Target: +30" in block
    assert f'href="{reverse("actions:inbox")}?touchpoint={bad.pk}"' in block
    assert f'href="{reverse("surveys:response_list")}?touchpoint={bad.pk}"' in block
    assert f'href="{reverse("kpis:touchpoint_dashboard", args=[bad.pk])}"' in block
    prev_start = date_format(TODAY - dt.timedelta(days=179), "SHORT_DATE_FORMAT")
    prev_end = date_format(TODAY - dt.timedelta(days=90), "SHORT_DATE_FORMAT")
    assert f"vs. the previous 90 days ({prev_start} – {prev_end})" in block


def test_another_organizations_member_gets_404_and_sees_no_scores(client_for, cast_a, cast_b, scored):
    c = client_for(cast_b.admin)
    assert c.get(reverse("journeys:journey_map", args=[scored.journey.pk])).status_code == 404
    assert c.get(reverse("journeys:touchpoint_detail", args=[scored.touchpoints[0].pk])).status_code == 404
    own = make_world(cast_b.org)
    page = c.get(reverse("journeys:journey_map", args=[own.journey.pk])).content.decode()
    assert 'data-status="above"' not in page and 'data-status="below"' not in page
    assert 'data-status="insufficient"' in page  # org B's touchpoints have no answers at all


# -- 2. the trend covers the period; thin months are gaps -------------------------------------------------------


def test_touchpoint_trend_keeps_months_under_the_minimum_n_as_gaps(client_for, cast_a, world_a):
    tp = world_a.touchpoints[0]
    min_n = cast_a.org.min_n
    made = []
    for months_back in (1, 3):  # enough answers; month 2 gets too few
        made += [world_a.respond(tp, _month_back(months_back), nps=9, process=False) for _ in range(min_n)]
    made.append(world_a.respond(tp, _month_back(2), nps=9, process=False))
    rollups.mark_dirty_for_responses(r.pk for r in made)
    rollups.aggregate_dirty()
    start = _month_back(17).replace(day=1)
    response = client_for(cast_a.cx_manager).get(
        reverse("kpis:touchpoint_dashboard", args=[tp.pk]),
        {"period": "custom", "start": start.isoformat(), "end": TODAY.isoformat()},
    )
    figure = response.context["data"].trend_figure
    line = next(t for t in figure["data"] if t.get("mode") == "lines+markers")
    months = [dt.date.fromisoformat(x[:10]) for x in line["x"]]
    # Every month of the selected (18-month) period is on the axis, none dropped.
    assert months[0] == start and months[-1] == TODAY.replace(day=1) and len(months) == 18
    by_month = dict(zip(months, line["y"], strict=True))
    assert by_month[_month_back(1).replace(day=1)] is not None
    assert by_month[_month_back(3).replace(day=1)] is not None
    assert by_month[_month_back(2).replace(day=1)] is None  # a gap, not a point
    assert line["connectgaps"] is False
    axis = figure["layout"]["xaxis"]
    assert axis["range"][0] < start.isoformat() and axis["range"][1] > TODAY.replace(day=1).isoformat()
    assert axis["ticktext"][0] == date_format(start, "YEAR_MONTH_FORMAT")
    page = response.content.decode()
    assert 'data-testid="trend-chart"' in page and 'data-testid="empty-state"' not in page


# -- 3. a new journey / touchpoint: what is missing, not an empty chart ------------------------------------------


def test_a_new_journey_shows_what_is_missing_instead_of_empty_figures(client_for, cast_a):
    journey = JourneyFactory(organization=cast_a.org, name="Move house")
    stage = StageFactory(journey=journey, name="Notice", position=0)
    tp = TouchpointFactory(stage=stage, name="Moving form", position=0)
    c = client_for(cast_a.cx_manager)

    page = c.get(reverse("journeys:journey_map", args=[journey.pk])).content.decode()
    assert 'data-testid="empty-state"' in page and "No scores yet" in page
    assert f"at least {cast_a.org.min_n} responses" in page
    assert f'href="{reverse("surveys:survey_create")}"' in page
    assert f'href="{reverse("kpis:kpi_create")}"' in page  # no KPI yet: define one, then its target

    gap = c.get(reverse("kpis:journey_dashboard"), {"journey": journey.pk}).content.decode()
    assert 'data-testid="empty-state"' in gap and 'data-testid="gap-chart"' not in gap

    kpi = Kpi.objects.create(organization=cast_a.org, code="nps", name="NPS", kind="survey", metric="nps")
    detail = c.get(reverse("kpis:touchpoint_dashboard", args=[tp.pk])).content.decode()
    assert 'data-testid="empty-state"' in detail and 'data-testid="trend-chart"' not in detail
    assert f'href="{reverse("kpis:target_create", args=[kpi.pk])}"' in detail
    assert "Set a target" in detail and "Publish a survey" in detail


def test_read_only_roles_see_the_empty_state_without_edit_links(client_for, cast_a):
    journey = JourneyFactory(organization=cast_a.org, name="Move house")
    stage = StageFactory(journey=journey, name="Notice", position=0)
    TouchpointFactory(stage=stage, name="Moving form", position=0)
    page = client_for(cast_a.frontline).get(reverse("journeys:journey_map", args=[journey.pk])).content.decode()
    assert 'data-testid="empty-state"' in page
    assert f'href="{reverse("surveys:survey_create")}"' not in page
    assert "A CX manager or an administrator can publish surveys and set targets." in page


# -- 4. one NPS KPI --------------------------------------------------------------------------------------------


def _kpi_options(page: str) -> list[str]:
    select = re.search(r'<select name="kpi".*?</select>', page, re.S)
    assert select
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select.group(0))]


def test_nps_and_net_promoter_score_are_not_offered_as_two_kpis(client_for, cast_a, world_a):
    kpi = Kpi.objects.create(
        organization=cast_a.org, code="nps", name="Net Promoter Score", kind="survey", metric="nps"
    )
    Kpi.objects.create(organization=cast_a.org, code="csat", name="Customer satisfaction", kind="survey", metric="csat")
    c = client_for(cast_a.cx_manager)
    for url in (reverse("kpis:overview"), reverse("kpis:journey_dashboard")):
        options = _kpi_options(c.get(url).content.decode())
        assert options == ["Net Promoter Score", "Customer satisfaction"]
    # A link that names the KPI still works and shows it chosen.
    response = c.get(reverse("kpis:overview"), {"kpi": kpi.pk})
    assert response.context["filters"].kpi == kpi
    assert _kpi_options(response.content.decode())[0] == "Net Promoter Score"


def test_a_second_kpi_for_the_same_figure_is_refused(cast_a):
    Kpi.objects.create(organization=cast_a.org, code="nps", name="Net Promoter Score", kind="survey", metric="nps")
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    data = {"name": "NPS", "code": "nps2", "kind": "survey", "metric": "nps", "direction": "higher"}
    data["aggregation"] = "mean"
    form = KpiForm(data, ctx=ctx)
    assert not form.is_valid()
    assert "Net Promoter Score" in str(form.errors["metric"])
    # A CSAT KPI, and the same CSAT as a top-2-box share, are different figures.
    assert KpiForm({**data, "code": "csat", "metric": "csat"}, ctx=ctx).is_valid()


def test_the_filter_form_without_a_kpi_row_still_names_the_primary_metric(cast_a):
    ctx = context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user)
    form = DashboardFilterForm(QueryDict(""), ctx=ctx)
    assert form.fields["kpi"].empty_label == "NPS"
    filters, _form = filters_from(ctx=ctx, params=QueryDict(""))
    assert filters.kpi is None


# -- 5. a change says what it is compared with -------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["kpis:touchpoint_dashboard", "kpis:journey_dashboard", "kpis:overview"])
def test_change_figures_name_the_period_they_are_compared_with(client_for, cast_a, scored, url_name):
    bad = scored.touchpoints[1]
    args = [bad.pk] if url_name == "kpis:touchpoint_dashboard" else []
    page = client_for(cast_a.cx_manager).get(reverse(url_name, args=args), {"period": "90"}).content.decode()
    prev_start = date_format(TODAY - dt.timedelta(days=179), "SHORT_DATE_FORMAT")
    prev_end = date_format(TODAY - dt.timedelta(days=90), "SHORT_DATE_FORMAT")
    changes = re.findall(r'data-testid="change">([^<]+)</span> <span[^>]*data-testid="compared-with">([^<]+)<', page)
    assert changes, "no change figure on the page"
    for _delta, compared in changes:
        assert compared == f"vs. the previous 90 days ({prev_start} – {prev_end})"


# -- 6. chart labels -------------------------------------------------------------------------------------------


def test_gap_chart_cuts_long_names_on_the_axis_and_keeps_them_whole_in_the_hover(client_for, cast_a, scored):
    good = scored.touchpoints[0]
    good.name = "Technician visit with installation of the fibre router and the TV box in the living room"
    good.save(update_fields=["name"])
    response = client_for(cast_a.cx_manager).get(reverse("kpis:journey_dashboard"), {"journey": scored.journey.pk})
    figure = response.context["data"].figure
    axis = figure["layout"]["yaxis"]
    assert axis["automargin"] is True and figure["layout"]["xaxis"]["automargin"] is True
    index = axis["tickvals"].index(good.name)
    label = axis["ticktext"][index]
    assert label.endswith("\u2026") and len(label) <= charts.LABEL_CHARS
    bars = figure["data"][0]
    assert good.name in bars["y"] and "%{y}" in bars["hovertemplate"]  # the whole name on hover
    page = response.content.decode()
    assert json.loads(re.search(r'id="gap-figure"[^>]*>(.*?)</script>', page, re.S).group(1))["layout"]["yaxis"]


def test_every_chart_axis_grows_its_margin_and_has_a_translated_title(client_for, cast_a, scored):
    tp = scored.touchpoints[0]
    data = client_for(cast_a.cx_manager).get(reverse("kpis:touchpoint_dashboard", args=[tp.pk])).context["data"]
    for figure in (data.trend_figure, data.distribution_figure):
        for axis in ("xaxis", "yaxis"):
            assert figure["layout"][axis]["automargin"] is True
    assert data.trend_figure["layout"]["xaxis"]["title"]["text"] == "Month"
    assert charts.short_label("Short name") == "Short name"
