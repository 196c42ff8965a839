"""Issue 13, the frontline on a phone: inbox filters, search and sorting; "next case" after closing; bulk assignment
for team leads; full names in every people dropdown; the closed-loop table's consistent figures; expected and measured
values labelled; money with its range; the Pareto chart's labels."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.scoping import context_for_membership
from actions.charts import TICK_MAX_CHARS, pareto_figure
from actions.models import CaseEvent, FeedbackCase, ImprovementAction
from actions.selectors.analytics import ParetoRow, loop_analytics
from actions.templatetags.actions_tags import money_range, pct
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond
from tests.factories import CustomerFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX = reverse("actions:inbox")


def open_case(loop, **kwargs) -> FeedbackCase:
    response = respond(loop, **{"nps": 2, "comment": "Technician was two hours late", **kwargs})
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


def plain(text: str) -> str:
    """Text with its non-breaking spaces as plain ones (amounts keep their unit with U+00A0)."""
    return text.replace("\u00a0", " ")


def listed(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-testid="case-card" data-case="(\d+)"', html)}


# -- 1. inbox filters, search and sorting ----------------------------------------------------------------------


@pytest.fixture
def inbox_cases(loop_a):
    anna = CustomerFactory(organization=loop_a.org, name="Anna Lindqvist", email="anna@kund.se")
    bo = CustomerFactory(organization=loop_a.org, name="Bo Ek", email="bo@example.com")
    cases = SimpleNamespace(
        detractor=open_case(loop_a, nps=1, customer=anna, comment="Broken router"),
        passive=open_case(loop_a, nps=6, customer=bo, comment="Slow invoice", touchpoint=loop_a.other_touchpoint),
        low=open_case(loop_a, nps=4, customer=False, comment="Nobody called me back"),
    )
    # The passive one (7-8) needs a rule that opens a case for it.
    FeedbackCase.objects.filter(pk=cases.passive.pk).update(nps=7)
    FeedbackCase.objects.filter(pk=cases.low.pk).update(due_at=timezone.now() - dt.timedelta(hours=2))
    return loop_a, cases


def test_inbox_filters_by_status_team_touchpoint_overdue_and_score(inbox_cases, client_for):
    loop, cases = inbox_cases
    c = client_for(loop.cast.cx_manager)
    everything = {cases.detractor.pk, cases.passive.pk, cases.low.pk}
    assert listed(c.get(INBOX, {"tab": "team"}).content.decode()) == everything
    assert listed(c.get(INBOX, {"tab": "team", "touchpoint": loop.other_touchpoint.pk}).content.decode()) == {
        cases.passive.pk
    }
    assert listed(c.get(INBOX, {"tab": "team", "team": loop.team.pk}).content.decode()) == {
        cases.detractor.pk,
        cases.low.pk,
    }
    assert listed(c.get(INBOX, {"tab": "team", "overdue": "on"}).content.decode()) == {cases.low.pk}
    assert listed(c.get(INBOX, {"tab": "team", "score": "detractor"}).content.decode()) == {
        cases.detractor.pk,
        cases.low.pk,
    }
    assert listed(c.get(INBOX, {"tab": "team", "score": "passive"}).content.decode()) == {cases.passive.pk}
    assert listed(c.get(INBOX, {"tab": "team", "score_min": 3, "score_max": 8}).content.decode()) == {
        cases.passive.pk,
        cases.low.pk,
    }
    FeedbackCase.objects.filter(pk=cases.detractor.pk).update(status=FeedbackCase.Status.CONTACTED)
    assert listed(c.get(INBOX, {"tab": "team", "status": "contacted"}).content.decode()) == {cases.detractor.pk}


def test_inbox_search_covers_name_email_and_comment_and_sorts(inbox_cases, client_for):
    loop, cases = inbox_cases
    c = client_for(loop.cast.cx_manager)
    assert listed(c.get(INBOX, {"tab": "team", "q": "lindqvist"}).content.decode()) == {cases.detractor.pk}
    assert listed(c.get(INBOX, {"tab": "team", "q": "bo@example"}).content.decode()) == {cases.passive.pk}
    assert listed(c.get(INBOX, {"tab": "team", "q": "called me"}).content.decode()) == {cases.low.pk}
    page = c.get(INBOX, {"tab": "team", "sort": "score"}).content.decode()
    order = [int(pk) for pk in re.findall(r'data-case="(\d+)"', page)]
    assert order == [cases.detractor.pk, cases.low.pk, cases.passive.pk]
    page = c.get(INBOX, {"tab": "team"}).content.decode()  # default: due date, overdue first
    assert next(int(pk) for pk in re.findall(r'data-case="(\d+)"', page)) == cases.low.pk


def test_filters_stay_in_the_links_and_bad_input_is_reported(inbox_cases, client_for, loop_b):
    loop, cases = inbox_cases
    c = client_for(loop.frontline)
    page = c.get(INBOX, {"tab": "team", "score": "detractor", "q": "router"}).content.decode()
    # The tabs keep the filters; each case link carries where the agent came from.
    assert 'href="?tab=queue&amp;q=router&amp;score=detractor"' in page
    assert f"/cases/{cases.detractor.pk}/?from=tab%3Dteam%26q%3Drouter%26score%3Ddetractor" in page
    # Another organization's touchpoint: a clear error, nothing of theirs, and the other filters still apply.
    page = c.get(INBOX, {"tab": "team", "touchpoint": loop_b.touchpoint.pk, "q": "router"}).content.decode()
    assert 'data-testid="filter-error"' in page and listed(page) == {cases.detractor.pk}
    page = c.get(INBOX, {"tab": "team", "score_min": 8, "score_max": 2}).content.decode()
    assert "The highest score must not be below the lowest." in page


def test_the_inbox_answers_htmx_with_the_results_only(inbox_cases, client_for):
    loop, cases = inbox_cases
    c = client_for(loop.cast.cx_manager)
    page = c.get(
        INBOX, {"tab": "team", "q": "router"}, headers={"HX-Request": "true", "HX-Target": "inbox-results"}
    ).content.decode()
    assert page.startswith('<div id="inbox-results"') and "<html" not in page
    assert listed(page) == {cases.detractor.pk}


def test_another_organization_gets_nothing_from_the_inbox_filters(inbox_cases, client_for, loop_b):
    loop, _cases = inbox_cases
    page = (
        client_for(loop_b.cast.cx_manager)
        .get(INBOX, {"tab": "team", "touchpoint": loop.touchpoint.pk})
        .content.decode()
    )
    assert listed(page) == set() and 'data-testid="filter-error"' in page


# -- 2. next case after closing --------------------------------------------------------------------------------


def test_after_closing_the_next_case_of_the_same_filter_is_offered(loop_a, client_for):
    first = open_case(loop_a)
    elsewhere = open_case(loop_a, touchpoint=loop_a.other_touchpoint)
    second = open_case(loop_a)
    FeedbackCase.objects.filter(pk=elsewhere.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    c = client_for(loop_a.cast.cx_manager)
    came_from = f"tab=team&touchpoint={loop_a.touchpoint.pk}"
    response = c.post(
        reverse("actions:case_close", args=[first.pk]),
        {"resolution": "Called and fixed.", "root_cause": loop_a.root_causes["late"].pk, "from": came_from},
    )
    assert response.status_code == 302
    assert response.url == reverse("actions:case_detail", args=[first.pk]) + "?from=tab%3Dteam%26touchpoint%3D" + str(
        loop_a.touchpoint.pk
    )
    page = c.get(response.url).content.decode()
    # The overdue case at the other touchpoint comes first in "all open", but not in the agent's filtered list.
    next_url = (
        reverse("actions:case_detail", args=[second.pk]) + f"?from=tab%3Dteam%26touchpoint%3D{loop_a.touchpoint.pk}"
    )
    assert f'href="{next_url}"' in page
    assert 'data-testid="next-case"' in page
    # Without a filter it is the next open case of the default list (here the overdue one).
    page = c.get(reverse("actions:case_detail", args=[first.pk])).content.decode()
    assert re.search(rf'cases/{elsewhere.pk}/"[^>]*data-testid="next-case"', page)
    # No open case left in the list: said so.
    FeedbackCase.objects.filter(pk=second.pk).update(status=FeedbackCase.Status.CLOSED, closed_at=timezone.now())
    page = c.get(response.url).content.decode()
    assert 'data-testid="no-next-case"' in page and 'data-testid="next-case"' not in page


# -- 3. bulk assignment ------------------------------------------------------------------------------------------


BULK = reverse("actions:case_bulk_assign")


def test_a_team_lead_assigns_several_cases_at_once(loop_a, client_for):
    cases = [open_case(loop_a) for _ in range(3)]
    member = loop_a.frontline.user
    c = client_for(loop_a.lead)
    page = c.get(INBOX, {"tab": "team"}).content.decode()
    assert 'data-testid="bulk-assign"' in page and 'data-testid="select-case"' in page
    response = c.post(
        BULK, {"cases": [cases[0].pk, cases[2].pk], "target": f"user:{member.pk}", "from": "tab=team&score=detractor"}
    )
    assert response.status_code == 302 and response.url == INBOX + "?tab=team&score=detractor"
    for case in cases:
        case.refresh_from_db()
    assert cases[0].assignee == member and cases[2].assignee == member and cases[1].assignee is None
    assert cases[0].status == FeedbackCase.Status.CLAIMED
    event = cases[0].events.get(kind=CaseEvent.Kind.ASSIGNED)
    assert event.actor == loop_a.lead.user and event.new_value == (member.get_full_name() or member.username)


def test_a_cx_manager_moves_cases_to_another_teams_queue(loop_a, client_for):
    case = open_case(loop_a)
    c = client_for(loop_a.cast.cx_manager)
    c.post(reverse("actions:case_claim", args=[case.pk]))
    c.post(BULK, {"cases": [case.pk], "target": f"team:{loop_a.other_team.pk}"})
    case.refresh_from_db()
    assert case.team == loop_a.other_team and case.assignee is None and case.status == FeedbackCase.Status.NEW
    event = case.events.get(kind=CaseEvent.Kind.TEAM)
    assert (event.old_value, event.new_value) == (loop_a.team.name, loop_a.other_team.name)


def test_a_lead_cannot_move_cases_to_a_team_they_do_not_lead(loop_a, client_for):
    case = open_case(loop_a)
    before = list(FeedbackCase.objects.order_by("pk").values_list())
    response = client_for(loop_a.lead).post(BULK, {"cases": [case.pk], "target": f"team:{loop_a.other_team.pk}"})
    assert response.status_code == 302
    assert list(FeedbackCase.objects.order_by("pk").values_list()) == before


def test_a_lead_skips_cases_they_may_not_assign(loop_a, client_for):
    ours = open_case(loop_a)
    # A case of another team assigned to the lead: they see it, but it is not their team's to hand out.
    theirs = open_case(loop_a, touchpoint=loop_a.other_touchpoint)
    FeedbackCase.objects.filter(pk=theirs.pk).update(assignee=loop_a.lead.user, status="claimed")
    c = client_for(loop_a.lead)
    response = c.post(BULK, {"cases": [ours.pk, theirs.pk], "target": f"user:{loop_a.frontline.user.pk}"}, follow=True)
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.assignee == loop_a.frontline.user and theirs.assignee == loop_a.lead.user
    assert f"Case #{theirs.pk} was not changed" in response.content.decode()


@pytest.mark.parametrize("role", ["frontline", "executive"])
def test_frontline_and_executives_cannot_bulk_assign(loop_a, client_for, role):
    case = open_case(loop_a)
    c = client_for(loop_a.cast.member(role))
    assert 'data-testid="bulk-assign"' not in c.get(INBOX, {"tab": "team"}).content.decode()
    response = c.post(BULK, {"cases": [case.pk], "target": f"user:{loop_a.frontline.user.pk}"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.assignee is None and case.events.count() == 1


def test_another_organizations_cases_and_people_cannot_be_bulk_assigned(loop_a, loop_b, client_for):
    theirs = open_case(loop_b)
    ours = open_case(loop_a)
    c = client_for(loop_a.cast.cx_manager)
    c.post(BULK, {"cases": [theirs.pk], "target": f"user:{loop_a.frontline.user.pk}"})
    c.post(BULK, {"cases": [ours.pk], "target": f"user:{loop_b.frontline.user.pk}"})
    c.post(BULK, {"cases": [ours.pk], "target": f"team:{loop_b.team.pk}"})
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert theirs.assignee is None and theirs.events.count() == 1
    assert ours.assignee is None and ours.team == loop_a.team and ours.events.count() == 1


# -- 4. full names in people dropdowns ---------------------------------------------------------------------------


def test_people_dropdowns_show_full_names(loop_a, client_for):
    user = loop_a.frontline.user
    user.first_name, user.last_name = "Frida", "Frontlinjesson"
    user.save()
    nameless = MembershipFactory(organization=loop_a.org, user=UserFactory(username="nameless-agent"), role="frontline")
    nameless.teams.add(loop_a.team)
    case = open_case(loop_a)
    c = client_for(loop_a.cast.cx_manager)
    detail = c.get(reverse("actions:case_detail", args=[case.pk])).content.decode()
    assign = detail.split('name="assignee"')[1].split("</select>")[0]
    assert f'value="{user.pk}">Frida Frontlinjesson</option>' in assign
    assert f'value="{nameless.user.pk}">nameless-agent</option>' in assign
    assert f">{user.username}<" not in assign
    inbox = c.get(INBOX, {"tab": "team"}).content.decode()
    bulk = inbox.split('name="target"')[1].split("</select>")[0]
    assert f'value="user:{user.pk}">Frida Frontlinjesson</option>' in bulk
    form = c.get(reverse("actions:improvement_create")).content.decode()
    owner = form.split('name="owner"')[1].split("</select>")[0]
    assert f'value="{user.pk}">Frida Frontlinjesson</option>' in owner


# -- 5. the closed-loop table's figures agree ------------------------------------------------------------------


def test_the_loop_table_never_shows_a_share_with_a_case_next_to_no_cases(loop_a, client_for):
    """Reproduction: detractors whose case is counted elsewhere (moved to another team, or opened after the period)
    were counted as "with a case" in a row that shows no case."""
    now = timezone.now()
    moved = open_case(loop_a, nps=2)
    FeedbackCase.objects.filter(pk=moved.pk).update(team=loop_a.other_team)
    late = open_case(loop_a, nps=3, submitted_at=now - dt.timedelta(days=3))
    FeedbackCase.objects.filter(pk=late.pk).update(opened_at=now)
    ctx = context_for_membership(loop_a.cast.cx_manager, user=loop_a.cast.cx_manager.user)
    today = timezone.localdate()

    data = loop_analytics(ctx=ctx, start=today - dt.timedelta(days=30), end=today)
    teams = {row.key: row for row in data.by_team}
    ours = teams[loop_a.team.pk]
    assert ours.cases == 1 and ours.detractors == 2 and ours.detractors_with_case == 1
    other = teams[loop_a.other_team.pk]
    assert other.cases == 1 and other.detractors == 0

    # A period that ends before the late case was opened: its detractor has no case in that period.
    data = loop_analytics(ctx=ctx, start=today - dt.timedelta(days=30), end=today - dt.timedelta(days=1))
    for row in [*data.by_touchpoint, *data.by_team, data.total]:
        assert row.detractors_with_case <= row.cases, row
    tp = {row.key: row for row in data.by_touchpoint}[loop_a.touchpoint.pk]
    assert (tp.detractors, tp.detractors_with_case, tp.cases) == (1, 0, 0)
    assert tp.share_detractors_with_case == 0

    page = client_for(loop_a.cast.cx_manager).get(reverse("actions:analytics")).content.decode()
    table = page.split('data-testid="by-team"')[1].split("</table>")[0]
    row = table.split(f'data-key="{loop_a.team.pk}"')[1].split("</tr>")[0]
    assert '<td class="text-end" data-testid="cases">1</td>' in row and "1 <span" in row and "(50 %)" in row


def test_shares_between_0_and_100_never_round_to_either():
    assert (
        pct(99.6) == "99.6 %"
        and pct(99.96) == "99.96 %"
        and pct(0.3) == "0.3 %"
        and pct(100.0) == "100 %"
        and pct(0) == "0 %"
    )
    assert pct(66.7) == "67 %" and pct(None) == "–"


# -- 6. expected and measured values, money with its range ----------------------------------------------------


def test_money_shows_its_range_in_one_unit():
    big = SimpleNamespace(value=1_200_000, low=800_000, high=1_600_000, currency="SEK")
    assert plain(money_range(big)) == "1.2 M SEK (0.8–1.6 M SEK)"
    small = SimpleNamespace(value=5000, low=2500, high=7500, currency="SEK")
    assert plain(money_range(small, True)) == "5,000 SEK/yr (2,500–7,500 SEK)"
    assert money_range(SimpleNamespace(value=None, low=None, high=None, currency="SEK")) == "–"
    with translation.override("sv"):
        assert plain(money_range(big)) == "1,2 mn kr (0,8–1,6 mn kr)"


def test_expected_and_measured_values_are_labelled(loop_a, client_for):
    from tests.actions.test_improvements import value_snapshot

    value_snapshot(loop_a, value_per_point=1000)
    action = ImprovementAction.objects.create(
        organization=loop_a.org, title="SMS reminder", expected_uplift=5, cost=2500, horizon="quick_win"
    )
    action.touchpoints.add(loop_a.touchpoint)
    c = client_for(loop_a.cast.cx_manager)
    page = plain(c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode())
    expected = page.split('data-testid="expected-value"')[1].split("</dd>")[0]
    assert "Expected: 5,000 SEK/yr (2,500–7,500 SEK)" in expected
    assert "Expected: NPS +5" in page.split('data-testid="expected-uplift"')[1].split("</dd>")[0]
    ImprovementAction.objects.filter(pk=action.pk).update(
        status="impact_measured", impact_measured_at=timezone.now(), impact_delta=6.0, impact_significant=True
    )
    page = c.get(reverse("actions:improvement_detail", args=[action.pk])).content.decode()
    assert "Measured: NPS +6" in page.split('data-testid="expected-uplift"')[1].split("</dd>")[0]
    board = plain(c.get(reverse("actions:board")).content.decode())
    assert "Expected: 5,000 SEK/yr (2,500–7,500 SEK)" in board
    roadmap = c.get(reverse("actions:roadmap")).content.decode()
    assert "Expected: NPS +5" in roadmap and "Measured: NPS +6" in roadmap


# -- 7. Pareto labels ------------------------------------------------------------------------------------------


def test_pareto_labels_are_short_with_the_full_name_in_the_hover_and_translated_titles():
    long = "Installation › The technician did not bring the right router model for the customer's line"
    rows = [ParetoRow(1, long, 5, 50.0), ParetoRow(2, "Billing › Late", 5, 100.0)]
    fig = pareto_figure(rows)
    xaxis = fig["layout"]["xaxis"]
    assert xaxis["automargin"] and fig["layout"]["yaxis"]["automargin"] and fig["layout"]["yaxis2"]["automargin"]
    assert all(len(t) <= TICK_MAX_CHARS for t in xaxis["ticktext"]) and xaxis["ticktext"][1] == "Late"
    assert xaxis["ticktext"][0].endswith("…")
    bar = fig["data"][0]
    assert bar["customdata"][0] == long and "%{customdata}" in bar["hovertemplate"]
    # The legend sits above the plot, where it cannot run into the slanted labels.
    assert fig["layout"]["legend"]["yanchor"] == "bottom" and fig["layout"]["legend"]["y"] >= 1
    with translation.override("sv"):
        fig = pareto_figure(rows)
    assert fig["layout"]["yaxis"]["title"]["text"] == "Ärenden"
    assert fig["layout"]["xaxis"]["title"]["text"] == "Grundorsak"
    assert fig["layout"]["yaxis2"]["title"]["text"] == "Kumulativ %" and fig["data"][1]["name"] == "Kumulativ %"
