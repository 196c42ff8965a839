"""Issue 13, review of the case inbox: a bulk assignment survives a case closed in the meantime; htmx filtering
updates the tabs and the filter badge; shares near 0 or 100 %; the overdue link and the status filter fit the tab;
the closed case page does not count the inbox tabs."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from actions.models import FeedbackCase
from actions.templatetags.actions_tags import pct
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

pytestmark = pytest.mark.django_db

INBOX = reverse("actions:inbox")
BULK = reverse("actions:case_bulk_assign")
HTMX = {"HX-Request": "true", "HX-Target": "inbox-results"}


def open_case(loop, **kwargs) -> FeedbackCase:
    response = respond(loop, **{"nps": 2, "comment": "Technician was two hours late", **kwargs})
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


def close(case: FeedbackCase) -> None:
    FeedbackCase.objects.filter(pk=case.pk).update(status=FeedbackCase.Status.CLOSED, closed_at=timezone.now())


def listed(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-testid="case-card" data-case="(\d+)"', html)}


# -- 1. one case that cannot be assigned does not fail the others ---------------------------------------------


def test_a_case_closed_meanwhile_is_skipped_and_the_others_are_assigned(loop_a, client_for):
    first, closed = open_case(loop_a), open_case(loop_a)
    member = loop_a.frontline.user
    c = client_for(loop_a.lead)
    close(closed)  # a colleague closes it while the lead is choosing
    response = c.post(BULK, {"cases": [first.pk, closed.pk], "target": f"user:{member.pk}"}, follow=True)
    page = response.content.decode()
    first.refresh_from_db()
    closed.refresh_from_db()
    assert first.assignee == member
    assert closed.assignee is None and closed.status == FeedbackCase.Status.CLOSED and closed.events.count() == 1
    assert "1 case assigned." in page
    assert f"Case #{closed.pk} was not changed: It has been closed." in page
    assert "Select a valid choice" not in page


def test_a_case_moved_out_of_sight_is_skipped_and_the_others_are_assigned(loop_a, loop_b, client_for):
    first, moved = open_case(loop_a), open_case(loop_a)
    theirs = open_case(loop_b)
    FeedbackCase.objects.filter(pk=moved.pk).update(team=loop_a.other_team)  # no longer the lead's to see
    c = client_for(loop_a.lead)
    page = c.post(
        BULK, {"cases": [first.pk, moved.pk, theirs.pk], "target": f"user:{loop_a.frontline.user.pk}"}, follow=True
    ).content.decode()
    first.refresh_from_db()
    moved.refresh_from_db()
    theirs.refresh_from_db()
    assert first.assignee == loop_a.frontline.user
    assert moved.assignee is None and theirs.assignee is None and theirs.events.count() == 1
    assert f"Case #{moved.pk} was not changed: It is no longer among your cases." in page
    assert "Select a valid choice" not in page


def test_a_bulk_assignment_without_cases_or_with_bad_ids_changes_nothing(loop_a, client_for):
    case = open_case(loop_a)
    c = client_for(loop_a.lead)
    page = c.post(BULK, {"target": f"user:{loop_a.frontline.user.pk}"}, follow=True).content.decode()
    assert "Select at least one case." in page
    page = c.post(BULK, {"cases": ["x"], "target": f"user:{loop_a.frontline.user.pk}"}, follow=True).content.decode()
    assert "Select cases from the list." in page
    case.refresh_from_db()
    assert case.assignee is None


# -- 2. htmx filtering updates the tabs and the filter badge ----------------------------------------------------


def test_an_htmx_filter_answer_brings_the_tabs_and_the_filter_badge(loop_a, client_for):
    ours = open_case(loop_a, comment="Broken router")
    open_case(loop_a, comment="Slow invoice")
    c = client_for(loop_a.cast.cx_manager)
    page = c.get(INBOX, {"tab": "team", "q": "router", "score": "detractor"}, headers=HTMX).content.decode()
    assert page.startswith('<div id="inbox-results"') and "<html" not in page
    assert listed(page) == {ours.pk}
    tabs = page.split('<nav id="inbox-tabs"')[1].split("</nav>")[0]
    assert tabs.startswith(' aria-label="Case lists" hx-swap-oob="true"')
    assert 'href="?tab=queue&amp;q=router&amp;score=detractor"' in tabs
    assert 'href="?tab=closed&amp;q=router&amp;score=detractor"' in tabs
    assert re.search(r'<span id="filter-count" hx-swap-oob="true">[^<]*<span[^>]*data-testid="filter-count">2<', page)
    assert '<span id="filter-clear" hx-swap-oob="true"><a' in page and 'data-testid="clear-filters"' in page
    # No filter left: the badge and the link are emptied, the tabs lose the filters.
    page = c.get(INBOX, {"tab": "team", "sort": "due"}, headers=HTMX).content.decode()
    assert '<span id="filter-count" hx-swap-oob="true"></span>' in page
    assert '<span id="filter-clear" hx-swap-oob="true"></span>' in page
    assert 'href="?tab=queue&amp;sort=due"' in page
    # The full page has each of them once, in place, without out-of-band markers.
    full = c.get(INBOX, {"tab": "team", "q": "router"}).content.decode()
    assert full.count('<nav id="inbox-tabs"') == 1 and full.count('<span id="filter-count"') == 1
    assert "hx-swap-oob" not in full


# -- 3. shares close to 0 or 100 % ------------------------------------------------------------------------------


def test_shares_closer_to_0_or_100_than_two_decimals_say_so():
    assert pct(0.0004) == "< 0.01 %" and pct(99.996) == "> 99.99 %" and pct(99.995) == "> 99.99 %"
    assert pct(0.0004, 1) == "< 0.001 %" and pct(0.004, 1) == "0.004 %"
    assert pct(0.005) == "0.01 %" and pct(99.994) == "99.99 %"
    assert pct(0) == "0 %" and pct(100) == "100 %"
    with translation.override("sv"):
        assert pct(0.0004) == "< 0,01 %" and pct(99.996) == "> 99,99 %"


def test_a_share_near_0_is_escaped_in_the_page(loop_a):
    from django.template import Context, Template

    html = Template("{% load actions_tags %}{{ v|pct }}").render(Context({"v": 0.0001}))
    assert html == "&lt; 0.01 %"


# -- 4. the overdue link and the status filter fit the tab ------------------------------------------------------


def test_the_overdue_link_leads_to_an_open_tab_and_status_choices_fit_the_tab(loop_a, client_for):
    late = open_case(loop_a)
    FeedbackCase.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    c = client_for(loop_a.cast.cx_manager)
    page = c.get(INBOX, {"tab": "closed"}).content.decode()
    link = re.search(r'href="([^"]*)" data-testid="overdue-count"', page).group(1)
    assert link == "?tab=team&amp;overdue=on"
    assert listed(c.get(INBOX + link.replace("&amp;", "&")).content.decode()) == {late.pk}
    # The closed tab has no status filter (all its cases are closed) ...
    assert 'name="status"' not in page
    # ... and the open tabs offer only the statuses of open cases.
    page = c.get(INBOX, {"tab": "team"}).content.decode()
    status = page.split('name="status"')[1].split("</select>")[0]
    assert 'value="contacted"' in status and 'value="reopened"' in status and 'value="closed"' not in status
    assert re.search(r'href="\?tab=team&amp;overdue=on" data-testid="overdue-count"', page)
    # An old link with a closed status on an open tab: a clear message, the other filters still apply.
    page = c.get(INBOX, {"tab": "team", "status": "closed", "overdue": "on"}).content.decode()
    assert "Choose one of the statuses of open cases." in page and listed(page) == {late.pk}
    # A status carried over to the closed tab is ignored there rather than emptying it.
    close(late)
    assert listed(c.get(INBOX, {"tab": "closed", "status": "contacted"}).content.decode()) == {late.pk}


# -- 5. the closed case page does not count the inbox tabs ------------------------------------------------------


def counted_tabs(queries) -> bool:
    return any('AS "overdue"' in q["sql"] for q in queries)


def test_a_closed_case_page_offers_the_next_case_without_counting_the_tabs(loop_a, client_for):
    closed, waiting = open_case(loop_a), open_case(loop_a)
    close(closed)
    c = client_for(loop_a.frontline)
    url = reverse("actions:case_detail", args=[closed.pk])
    c.get(url)  # warm the session
    for query in ("", "?from=tab%3Dclosed", "?from=tab%3Dqueue%26q%3Dlate"):
        with CaptureQueriesContext(connection) as queries:
            page = c.get(url + query).content.decode()
        assert not counted_tabs(queries.captured_queries), query
        # Nothing is assigned to the agent: the next case is the queue's, as the inbox's default tab would be.
        assert re.search(rf'cases/{waiting.pk}/[^"]*"[^>]*data-testid="next-case"', page), query
    with CaptureQueriesContext(connection) as queries:
        c.get(INBOX)
    assert counted_tabs(queries.captured_queries)  # the marker does find the counting query


def test_a_frontline_agents_own_case_comes_next_before_the_queue(loop_a, client_for):
    closed, queued, mine = open_case(loop_a), open_case(loop_a), open_case(loop_a)
    close(closed)
    FeedbackCase.objects.filter(pk=mine.pk).update(assignee=loop_a.frontline.user, status="claimed")
    page = client_for(loop_a.frontline).get(reverse("actions:case_detail", args=[closed.pk])).content.decode()
    assert re.search(rf'cases/{mine.pk}/"[^>]*data-testid="next-case"', page)
    assert queued.pk != mine.pk
