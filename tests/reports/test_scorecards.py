"""Owner scorecards and the team leaderboard: figures against the dashboards' selectors, access by role and
organization, the leaderboard's ranking.

`build_scorecard_world` (also used by the browser test) builds a small program with owners.

In org A of the shared cast: journey "Onboarding" with three touchpoints (make_world), answers in the last full
month, an NPS KPI with touchpoint, stage and journey targets (the journey's linked to compensation), an imported
first-contact-resolution KPI, overdue and on-time cases, and improvement actions. Owners:
- the CX manager owns the journey, the "bad" touchpoint and the NPS KPI;
- the frontline member owns the "good" touchpoint, the FCR KPI and two actions;
- a second frontline member ("idle") owns nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from accounts.scoping import context_for_membership
from actions.models import FeedbackCase, ImprovementAction
from kpis import rollups
from kpis.models import Kpi, KpiValue, Target
from reports import scorecards
from tests.conftest import OrgCast
from tests.factories import MembershipFactory, ResponseFactory, UserFactory
from tests.kpis.conftest import World, make_world

H = dt.timedelta(hours=1)


@dataclass
class ScorecardWorld:
    cast: OrgCast
    world: World
    start: dt.date
    end: dt.date
    good: object
    bad: object
    thin: object
    nps: Kpi
    fcr: Kpi
    idle: Membership
    overdue_case: FeedbackCase
    measured_action: ImprovementAction


def make_case(world: World, touchpoint, *, team=None, opened: dt.datetime, status: str = "new", **fields):
    response = ResponseFactory(version=world.version, touchpoint=touchpoint, journey=touchpoint.journey)
    return FeedbackCase.objects.create(
        organization=world.org,
        response=response,
        touchpoint=touchpoint,
        team=team,
        status=status,
        nps=3,
        opened_at=opened,
        warn_at=opened + 24 * H,
        due_at=opened + 48 * H,
        **fields,
    )


def build_scorecard_world(cast: OrgCast) -> ScorecardWorld:
    org = cast.org
    ctx = context_for_membership(cast.cx_manager, user=cast.cx_manager.user)
    start, end = scorecards.last_full_month(ctx=ctx)
    world = make_world(org)  # TP 1.1, TP 1.2 (stage 1), TP 2.1 (stage 2)
    good, bad, thin = world.touchpoints
    manager, frontline = cast.cx_manager.user, cast.frontline.user
    world.journey.owner = manager
    world.journey.save(update_fields=["owner"])
    for tp, owner in ((good, frontline), (bad, manager)):
        tp.owner = owner
        tp.save(update_fields=["owner"])

    made = []
    days = (end - start).days + 1
    for i in range(40):
        day = start + dt.timedelta(days=i % days)
        made.append(world.respond(good, day, nps=[10, 10, 9, 8, 6][i % 5], process=False))
        made.append(world.respond(bad, day, nps=[10, 7, 5, 3, 2, 8][i % 6], process=False))
    for i in range(5):
        made.append(world.respond(thin, start + dt.timedelta(days=i), nps=9, process=False))
    # Answers outside the period must not count.
    for _ in range(10):
        made.append(world.respond(good, start - dt.timedelta(days=3), nps=0, process=False))
    rollups.mark_dirty_for_responses(r.pk for r in made)
    rollups.aggregate_dirty()

    nps = Kpi.objects.create(organization=org, code="nps", name="NPS", kind="survey", metric="nps", owner=manager)
    fcr = Kpi.objects.create(
        organization=org, code="fcr", name="First-contact resolution", kind="imported", unit="%", owner=frontline
    )
    year = dict(period_start=start - dt.timedelta(days=200), period_end=end + dt.timedelta(days=200))
    for tp, value in ((good, 20), (bad, 30), (thin, 10)):
        Target.objects.create(
            organization=org, kpi=nps, scope="touchpoint", touchpoint=tp, journey=tp.journey, value=value, **year
        )
    Target.objects.create(
        organization=org, kpi=nps, scope="journey", journey=world.journey, value=25, linked_to_compensation=True, **year
    )
    Target.objects.create(
        organization=org, kpi=nps, scope="stage", stage=world.stages[0], journey=world.journey, value=40, **year
    )
    Target.objects.create(
        organization=org, kpi=fcr, scope="touchpoint", touchpoint=good, journey=good.journey, value=75, **year
    )
    for d in range(10):
        KpiValue.objects.create(
            organization=org, kpi=fcr, touchpoint=good, day=start + dt.timedelta(days=d), value=70 + d
        )
    KpiValue.objects.create(organization=org, kpi=fcr, touchpoint=good, day=end + dt.timedelta(days=1), value=0)

    now = timezone.now()
    overdue = make_case(world, bad, team=cast.team, opened=now - 60 * H)  # due 12 h ago
    make_case(world, bad, team=cast.team, opened=now - 2 * H)  # not due yet
    make_case(world, good, team=cast.team, opened=now - 90 * H, status="closed", closed_at=now - 80 * H)
    ImprovementAction.objects.create(
        organization=org, title="Call back within a day", owner=frontline, status="in_progress"
    )
    measured = ImprovementAction.objects.create(
        organization=org,
        title="Text the technician's arrival time",
        owner=frontline,
        status="impact_measured",
        impact_measured_at=now,
        impact_metric="nps",
        impact_before_nps=10.0,
        impact_after_nps=22.0,
        impact_delta=12.0,
        impact_before_n=200,
        impact_after_n=210,
        impact_p_value=0.01,
        impact_significant=True,
    )
    idle = MembershipFactory(organization=org, user=UserFactory(username=f"{org.slug}-idle"), role=Role.FRONTLINE)
    return ScorecardWorld(
        cast=cast,
        world=world,
        start=start,
        end=end,
        good=good,
        bad=bad,
        thin=thin,
        nps=nps,
        fcr=fcr,
        idle=idle,
        overdue_case=overdue,
        measured_action=measured,
    )


pytestmark = pytest.mark.django_db


@pytest.fixture
def sw(cast_a) -> ScorecardWorld:
    return build_scorecard_world(cast_a)


def _ctx(membership):
    return context_for_membership(membership, user=membership.user)


def _url(name: str, *args, **params) -> str:
    query = QueryDict(mutable=True)
    query.update(params)
    return reverse(f"reports:{name}", args=args) + (f"?{query.urlencode()}" if params else "")


def _month(sw: ScorecardWorld) -> str:
    return sw.start.strftime("%Y-%m")


# -- figures ----------------------------------------------------------------------------------------------------


def test_default_period_is_the_last_full_month_in_the_organizations_time_zone(cast_a):
    ctx = _ctx(cast_a.cx_manager)
    cast_a.org.timezone = "Pacific/Auckland"  # already the 1st there while it is still the 31st in Stockholm
    assert scorecards.last_full_month(ctx=ctx, today=dt.date(2026, 3, 1)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert scorecards.last_full_month(ctx=ctx, today=dt.date(2026, 1, 15)) == (
        dt.date(2025, 12, 1),
        dt.date(2025, 12, 31),
    )
    moment = dt.datetime(2026, 5, 31, 13, 0, tzinfo=dt.UTC)  # 1 June 01:00 in Auckland
    import time_machine

    with time_machine.travel(moment, tick=False):
        assert scorecards.last_full_month(ctx=ctx) == (dt.date(2026, 5, 1), dt.date(2026, 5, 31))


def test_scorecard_figures_equal_the_dashboards_for_the_same_period(sw):
    from kpis import dashboards
    from tests.kpis.test_dashboards import nps_from_rows

    ctx = _ctx(sw.cast.executive)
    filters = scorecards.scorecard_filters(ctx=ctx, start=sw.start, end=sw.end)
    manager = scorecards.scorecard(ctx=ctx, member=sw.cast.cx_manager, filters=filters)
    frontline = scorecards.scorecard(ctx=ctx, member=sw.cast.frontline, filters=filters)
    # The dashboards, opened with the scorecard's own link parameters.
    dash_filters, _form = dashboards.filters_from(ctx=ctx, params=QueryDict(filters.query()))
    assert (dash_filters.start, dash_filters.end) == (sw.start, sw.end)

    for card, tp in ((frontline, sw.good), (manager, sw.bad)):
        [row] = card.touchpoints
        page = dashboards.touchpoint_page(ctx=ctx, touchpoint=tp, filters=dash_filters)
        ours, theirs = row.assessment, page.assessment
        assert (ours.score.value, ours.score.n, ours.score.moe) == (
            theirs.score.value,
            theirs.score.n,
            theirs.score.moe,
        )
        assert (ours.target.pk, ours.status) == (theirs.target.pk, theirs.status)
        # ...and both are the answers' NPS (the answers from before the month are left out).
        assert ours.score.value == pytest.approx(nps_from_rows([tp], sw.start, sw.end)[0])
        assert ours.score.n == 40

    gap = dashboards.journey_gap(ctx=ctx, journey=sw.world.journey, filters=dash_filters)
    [journey_row] = manager.journeys
    assert journey_row.assessment.score.value == gap.assessment.score.value
    assert journey_row.assessment.score.n == gap.assessment.score.n == 85
    assert journey_row.assessment.status == gap.assessment.status

    kpi_rows = {r.scope_label: r for r in manager.kpis}
    assert set(kpi_rows) == {"Onboarding", "Stage 1", "TP 1.1", "TP 1.2", "TP 2.1"}
    stage = gap.stages[0].assessment
    assert kpi_rows["Stage 1"].assessment.score.value == stage.score.value
    assert kpi_rows["Stage 1"].assessment.score.n == stage.score.n == 80
    assert kpi_rows["Stage 1"].target.value == 40
    assert kpi_rows["Onboarding"].linked_to_compensation and not kpi_rows["TP 1.1"].linked_to_compensation
    # Under the minimum n: no figure, no verdict.
    assert kpi_rows["TP 2.1"].status == "insufficient" and kpi_rows["TP 2.1"].assessment.score.shown is None

    [fcr] = frontline.kpis
    page = dashboards.touchpoint_page(ctx=ctx, touchpoint=sw.good, filters=dash_filters)
    [linked] = [k for k in page.linked if k.kpi == sw.fcr]
    assert fcr.value == linked.value == pytest.approx(74.5)  # the value after the month is left out
    assert (fcr.days, fcr.status) == (linked.days, linked.status) == (10, "below")


def test_scorecard_page_shows_the_figures_cases_and_actions(client_for, sw):
    page = client_for(sw.cast.executive).get(_url("member_scorecard", sw.cast.cx_manager.pk, month=_month(sw)))
    assert page.status_code == 200
    data = page.context["data"]
    html = page.content.decode()
    [row] = data.touchpoints
    assert f'data-touchpoint="{sw.bad.pk}"' in html
    assert f"±{row.assessment.score.moe:.1f}".replace(".", ",") in html or f"±{row.assessment.score.moe:.1f}" in html
    assert data.overdue_total == 1 and [c.pk for c in data.overdue_cases] == [sw.overdue_case.pk]
    assert f'data-case="{sw.overdue_case.pk}"' in html
    assert 'data-compensation="yes"' in html
    assert "insufficient (n=5)" in html

    page = client_for(sw.cast.executive).get(_url("member_scorecard", sw.cast.frontline.pk, month=_month(sw)))
    data = page.context["data"]
    assert [a.title for a in data.actions] == ["Call back within a day", "Text the technician's arrival time"]
    assert data.open_actions == 1
    assert "NPS +12" in page.content.decode()
    assert data.overdue_total == 0  # the good touchpoint's case is closed


def test_index_lists_every_owner_with_a_one_line_summary(client_for, sw):
    page = client_for(sw.cast.cx_manager).get(_url("scorecard_index", month=_month(sw)))
    assert page.status_code == 200
    owners = {o.member.pk: o for o in page.context["owners"]}
    assert set(owners) == {sw.cast.cx_manager.pk, sw.cast.frontline.pk}  # the idle member owns nothing
    manager, frontline = owners[sw.cast.cx_manager.pk], owners[sw.cast.frontline.pk]
    # The summary is the scorecard's own tally.
    ctx = _ctx(sw.cast.cx_manager)
    filters = scorecards.scorecard_filters(ctx=ctx, start=sw.start, end=sw.end)
    for summary in (manager, frontline):
        card = scorecards.scorecard(ctx=ctx, member=summary.member, filters=filters)
        assert summary.tally == card.tally
        assert summary.overdue_cases == card.overdue_total
        assert summary.open_actions == card.open_actions
    assert (manager.overdue_cases, manager.open_actions, manager.journeys, manager.touchpoints) == (1, 0, 1, 1)
    assert (frontline.tally.met, frontline.tally.missed) == (1, 1)  # good touchpoint met; FCR below target
    # Each target once: the journey's and the bad touchpoint's targets are also rows of the manager's NPS KPI.
    assert manager.tally == scorecards.Tally(met=1, near=1, missed=2, insufficient=1)
    assert (frontline.overdue_cases, frontline.open_actions) == (0, 1)


def test_a_period_without_answers_shows_nothing_under_the_minimum_n(client_for, sw):
    client = client_for(sw.cast.executive)
    # The current month is not offered (not complete yet): the default month is shown instead.
    current = (sw.end + dt.timedelta(days=1)).strftime("%Y-%m")
    page = client.get(_url("member_scorecard", sw.cast.cx_manager.pk, month=current))
    assert (page.context["data"].filters.start, page.context["data"].filters.end) == (sw.start, sw.end)
    earlier = (sw.start - dt.timedelta(days=1)).strftime("%Y-%m")
    page = client.get(_url("member_scorecard", sw.cast.frontline.pk, month=earlier))
    assert page.context["data"].filters.end == sw.start - dt.timedelta(days=1)
    [good] = page.context["data"].touchpoints
    assert good.assessment.score.n == 10 and good.assessment.status == "insufficient"  # the zeros before the month
    assert "insufficient (n=10)" in page.content.decode()
    custom = client_for(sw.cast.executive).get(
        _url(
            "member_scorecard",
            sw.cast.cx_manager.pk,
            month="custom",
            start=(sw.end + dt.timedelta(days=5)).isoformat(),
            end=(sw.end + dt.timedelta(days=9)).isoformat(),
        )
    )
    data = custom.context["data"]
    assert data.filters.start == sw.end + dt.timedelta(days=5)
    assert [r.assessment.status for r in data.touchpoints] == ["insufficient"]
    assert data.touchpoints[0].assessment.score.shown is None


# -- access -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "cx_manager", "executive"])
def test_admins_managers_and_executives_see_every_scorecard(client_for, sw, role):
    client = client_for(sw.cast.member(role))
    for member in (sw.cast.frontline, sw.cast.cx_manager, sw.idle):
        assert client.get(_url("member_scorecard", member.pk)).status_code == 200
    assert client.get(_url("scorecard_index")).status_code == 200
    assert client.get(_url("team_leaderboard")).status_code == 200


def test_an_owner_sees_only_their_own_scorecard(client_for, sw):
    client = client_for(sw.cast.frontline)
    own = client.get(_url("member_scorecard", sw.cast.frontline.pk))
    assert own.status_code == 200 and own.context["data"].member == sw.cast.frontline
    mine = client.get(_url("scorecard_mine"))
    assert mine.status_code == 200 and mine.context["data"].member == sw.cast.frontline
    assert [r.touchpoint for r in mine.context["data"].touchpoints] == [sw.good]
    assert client.get(_url("member_scorecard", sw.cast.cx_manager.pk)).status_code == 404
    assert client.get(_url("member_scorecard", sw.idle.pk)).status_code == 404
    index = client.get(_url("scorecard_index"))
    assert index.status_code == 302 and index["Location"] == reverse("reports:scorecard_mine")
    assert client.get(_url("team_leaderboard")).status_code == 403


def test_a_member_who_owns_nothing_gets_an_empty_scorecard_that_says_so(client_for, sw):
    page = client_for(sw.idle).get(_url("scorecard_mine"))
    assert page.status_code == 200
    assert not page.context["data"].owns_anything
    assert 'data-testid="owns-nothing"' in page.content.decode()


def test_another_organization_gets_nothing(client_for, sw, cast_b):
    for role in ("admin", "cx_manager", "executive", "frontline"):
        client = client_for(cast_b.member(role))
        for member in (sw.cast.frontline, sw.cast.cx_manager):
            assert client.get(_url("member_scorecard", member.pk)).status_code == 404
        for name in ("scorecard_index", "scorecard_mine", "team_leaderboard"):
            response = client.get(_url(name), follow=True)
            assert response.status_code in (200, 403)
            body = response.content.decode()
            assert sw.cast.org.name not in body and "TP 1.1" not in body and "Onboarding" not in body
            assert sw.cast.team.name not in body


def test_scorecards_need_a_login(client, sw):
    for url in (_url("scorecard_index"), _url("scorecard_mine"), _url("member_scorecard", sw.cast.frontline.pk)):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_scorecard_pages_use_a_number_of_queries_that_does_not_grow_with_owners(client_for, sw):
    from tests.factories import TouchpointFactory

    client = client_for(sw.cast.executive)
    urls = [
        _url("scorecard_index", month=_month(sw)),
        _url("member_scorecard", sw.cast.frontline.pk, month=_month(sw)),
        _url("team_leaderboard", month=_month(sw)),
    ]
    client.get(urls[0])  # warm the session and caches
    before = [_queries(client, url) for url in urls]
    assert max(before) <= 40
    # More owners, each with touchpoints, a KPI, an action and an overdue case.
    for i in range(4):
        owner = MembershipFactory(organization=sw.cast.org, user=UserFactory(username=f"owner-{i}"), role="frontline")
        tp = TouchpointFactory(
            organization=sw.cast.org,
            journey=sw.world.journey,
            stage=sw.world.stages[1],
            name=f"Extra {i}",
            owner=owner.user,
        )
        sw.cast.frontline.user.owned_touchpoints.add(
            TouchpointFactory(organization=sw.cast.org, journey=sw.world.journey, stage=sw.world.stages[1])
        )
        Kpi.objects.create(organization=sw.cast.org, code=f"k{i}", name=f"K{i}", kind="imported", owner=owner.user)
        ImprovementAction.objects.create(organization=sw.cast.org, title=f"A{i}", owner=owner.user)
        make_case(sw.world, tp, team=sw.cast.team, opened=timezone.now() - 60 * H)
    assert [_queries(client, url) for url in urls] == before


# -- team leaderboard ---------------------------------------------------------------------------------------------


def test_leaderboard_ranks_teams_and_lists_a_team_below_the_minimum_n_unranked(sw):
    from accounts.models import Team
    from actions.selectors.analytics import loop_analytics

    org = sw.cast.org
    org.min_n = 5
    org.save(update_fields=["min_n"])
    FeedbackCase.objects.filter(organization=org).delete()
    fast, slow, tiny = (Team.objects.create(organization=org, name=n) for n in ("Fast", "Slow", "Tiny"))
    now = timezone.now()
    opened = now - 100 * H
    for i in range(6):  # Fast: all contacted within an hour or two, five of six closed
        contact = opened + (i % 2 + 1) * H
        closed = {"status": "closed", "closed_at": opened + 10 * H, "time_to_close": 10 * H} if i < 5 else {}
        make_case(
            sw.world,
            sw.good,
            team=fast,
            opened=opened,
            first_contact_at=contact,
            time_to_first_contact=contact - opened,
            **closed,
        )
    for i in range(6):  # Slow: half contacted after the SLA, half never; two closed
        extra = {}
        if i < 3:
            extra = {"first_contact_at": opened + 60 * H, "time_to_first_contact": 60 * H}
        if i < 2:
            extra |= {"status": "closed", "closed_at": opened + 70 * H, "time_to_close": 70 * H}
        make_case(sw.world, sw.bad, team=slow, opened=opened, **extra)
    for _ in range(3):  # Tiny: perfect, but only three cases
        make_case(
            sw.world,
            sw.bad,
            team=tiny,
            opened=opened,
            first_contact_at=opened + H,
            time_to_first_contact=H,
            status="closed",
            closed_at=opened + 2 * H,
            time_to_close=2 * H,
        )
    ctx = _ctx(sw.cast.executive)
    today = scorecards.org_today(ctx=ctx)
    board = scorecards.team_leaderboard(ctx=ctx, start=today - dt.timedelta(days=30), end=today)
    rows = {r.label: r for r in board.rows}
    assert [r.label for r in board.rows[:2]] == ["Fast", "Slow"]
    assert (rows["Fast"].rank, rows["Slow"].rank, rows["Tiny"].rank) == (1, 2, None)
    assert rows[sw.cast.team.name].rank is None and rows[sw.cast.team.name].cases == 0  # listed, no cases
    assert rows["Fast"].share_contacted_in_sla == 100.0 and rows["Slow"].share_contacted_in_sla == 0.0
    assert rows["Fast"].share_closed == pytest.approx(500 / 6) and rows["Slow"].share_closed == pytest.approx(200 / 6)
    assert rows["Fast"].median_first_contact == 1.5 * H
    # The shared figures are the closed-loop analytics' own.
    loop = {r.key: r for r in loop_analytics(ctx=ctx, start=board.start, end=board.end).by_team}
    for team in (fast, slow, tiny):
        ours, theirs = rows[team.name], loop[team.pk]
        assert (ours.cases, ours.contacted, ours.closed, ours.closed_in_sla) == (
            theirs.cases,
            theirs.contacted,
            theirs.closed,
            theirs.closed_in_sla,
        )
        assert (ours.median_first_contact, ours.median_close) == (theirs.median_first_contact, theirs.median_close)


def test_leaderboard_page_shows_the_rank_and_marks_the_small_team(client_for, sw):
    from accounts.models import Team

    org = sw.cast.org
    org.min_n = 2
    org.save(update_fields=["min_n"])
    small = Team.objects.create(organization=org, name="Small team")
    make_case(sw.world, sw.bad, team=small, opened=timezone.now() - 3 * H)
    today = scorecards.org_today(ctx=_ctx(sw.cast.executive))
    page = client_for(sw.cast.executive).get(
        _url(
            "team_leaderboard", month="custom", start=(today - dt.timedelta(days=10)).isoformat(), end=today.isoformat()
        )
    )
    html = page.content.decode()
    assert page.status_code == 200
    # The cast's team has the three cases of the world (two of them opened in the period... all within 90 h).
    assert f'data-team="{sw.cast.team.pk}" data-rank="1"' in html
    assert f'data-team="{small.pk}" data-rank=""' in html
    assert "too few cases" in html
