"""The frontline inbox and the case page: claim, contact, root cause, close, reopen, timeline, who may do what."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.scoping import context_for_membership
from actions.models import CaseEvent, ContactAttempt, FeedbackCase
from actions.services.cases import case_claim
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def open_case(loop, **kwargs) -> FeedbackCase:
    response = respond(loop, **{"nps": 2, "comment": "Technician was two hours late", **kwargs})
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


def url(name: str, case: FeedbackCase) -> str:
    return reverse(f"actions:{name}", args=[case.pk])


def test_frontline_user_works_a_case_from_claim_to_close(loop_a, client_for):
    case = open_case(loop_a)
    c = client_for(loop_a.frontline)
    page = c.get(reverse("actions:inbox") + "?tab=queue").content.decode()
    assert f"#{case.pk}" in page and "Technician was two hours late" in page

    response = c.post(url("case_claim", case), follow=True)
    assert "The case is yours." in response.content.decode()
    case.refresh_from_db()
    assert case.assignee == loop_a.frontline.user and case.status == FeedbackCase.Status.CLAIMED
    assert f"#{case.pk}" in c.get(reverse("actions:inbox") + "?tab=mine").content.decode()

    c.post(url("case_contact", case), {"channel": "phone", "outcome": "no_answer", "note": "Voicemail full"})
    case.refresh_from_db()
    assert case.first_contact_at is None and case.status == FeedbackCase.Status.CLAIMED
    c.post(url("case_contact", case), {"channel": "phone", "outcome": "reached", "note": "Apologised"})
    case.refresh_from_db()
    assert case.status == FeedbackCase.Status.CONTACTED
    assert case.time_to_first_contact == case.first_contact_at - case.opened_at
    assert ContactAttempt.objects.filter(case=case).count() == 2

    # Closing needs a root cause.
    c.post(url("case_close", case), {"resolution": "Offered a discount"})
    case.refresh_from_db()
    assert case.is_open
    c.post(url("case_root_cause", case), {"root_cause": loop_a.root_causes["late"].pk})
    c.post(url("case_note", case), {"note": "Will follow up with the partner"})
    c.post(url("case_close", case), {"resolution": "Offered a discount", "root_cause": loop_a.root_causes["late"].pk})
    case.refresh_from_db()
    assert case.status == FeedbackCase.Status.CLOSED and case.closed_by == loop_a.frontline.user
    assert case.time_to_close == case.closed_at - case.opened_at
    assert case.root_cause == loop_a.root_causes["late"] and case.resolution == "Offered a discount"

    c.post(url("case_reopen", case), {"reason": "Customer called again"})
    case.refresh_from_db()
    assert case.status == FeedbackCase.Status.REOPENED and case.closed_at is None and case.reopen_count == 1

    kinds = list(case.events.order_by("created_at", "pk").values_list("kind", flat=True))
    assert kinds == [
        CaseEvent.Kind.CREATED,
        CaseEvent.Kind.CLAIMED,
        CaseEvent.Kind.CONTACT,
        CaseEvent.Kind.CONTACT,
        CaseEvent.Kind.STATUS,
        CaseEvent.Kind.ROOT_CAUSE,
        CaseEvent.Kind.NOTE,
        CaseEvent.Kind.RESOLUTION,
        CaseEvent.Kind.CLOSED,
        CaseEvent.Kind.REOPENED,
    ]
    root_cause_event = case.events.get(kind=CaseEvent.Kind.ROOT_CAUSE)
    assert root_cause_event.new_value == "Technician › Late" and root_cause_event.actor == loop_a.frontline.user
    status_event = case.events.get(kind=CaseEvent.Kind.STATUS)
    assert (status_event.old_value, status_event.new_value) == ("claimed", "contacted")
    page = c.get(url("case_detail", case)).content.decode()
    assert "Voicemail full" in page and "Technician › Late" in page and "Customer called again" in page


def test_the_second_claimer_is_told_who_has_the_case(loop_a, client_for):
    case = open_case(loop_a)
    case_claim(ctx=context_for_membership(loop_a.lead, user=loop_a.lead.user), case=case)
    response = client_for(loop_a.frontline).post(url("case_claim", case), follow=True)
    assert "Already claimed by Lena Lead." in response.content.decode()
    case.refresh_from_db()
    assert case.assignee == loop_a.lead.user
    assert case.events.filter(kind=CaseEvent.Kind.CLAIMED).count() == 1


def test_a_colleague_cannot_work_a_case_someone_else_claimed_but_the_team_lead_can(loop_a, client_for):
    case = open_case(loop_a)
    colleague = loop_a.frontline
    case_claim(ctx=context_for_membership(loop_a.lead, user=loop_a.lead.user), case=case)
    FeedbackCase.objects.filter(pk=case.pk).update(assignee=loop_a.cast.admin.user)
    response = client_for(colleague).post(url("case_note", case), {"note": "x"})
    assert response.status_code == 403
    assert client_for(loop_a.lead).post(url("case_note", case), {"note": "Lead note"}).status_code == 302
    assert case.events.filter(kind=CaseEvent.Kind.NOTE).get().note == "Lead note"


def test_team_lead_assigns_a_case_and_frontline_cannot(loop_a, client_for):
    case = open_case(loop_a)
    assert (
        client_for(loop_a.frontline).post(url("case_assign", case), {"assignee": loop_a.frontline.user.pk}).status_code
        == 403
    )
    case.refresh_from_db()
    assert case.assignee is None
    client_for(loop_a.lead).post(url("case_assign", case), {"assignee": loop_a.frontline.user.pk})
    case.refresh_from_db()
    assert case.assignee == loop_a.frontline.user and case.status == FeedbackCase.Status.CLAIMED
    event = case.events.get(kind=CaseEvent.Kind.ASSIGNED)
    assert event.actor == loop_a.lead.user and event.old_value == ""


def test_a_lead_cannot_assign_to_someone_outside_the_team(loop_a, client_for):
    case = open_case(loop_a)
    client_for(loop_a.lead).post(url("case_assign", case), {"assignee": loop_a.other_frontline.user.pk})
    case.refresh_from_db()
    assert case.assignee is None


def test_executives_read_cases_but_change_nothing(loop_a, client_for):
    case = open_case(loop_a)
    c = client_for(loop_a.cast.executive)
    page = c.get(url("case_detail", case)).content.decode()
    assert "Technician was two hours late" in page and 'data-testid="claim"' not in page
    for name, data in [
        ("case_claim", {}),
        ("case_note", {"note": "x"}),
        ("case_close_without_contact", {}),
        ("case_contact", {"channel": "phone", "outcome": "reached"}),
    ]:
        assert c.post(url(name, case), data).status_code == 403
    case.refresh_from_db()
    assert case.assignee is None and case.is_open and case.events.count() == 1


def test_frontline_users_see_only_their_teams_cases(loop_a, client_for):
    mine = open_case(loop_a)
    theirs = open_case(loop_a, touchpoint=loop_a.other_touchpoint)
    c = client_for(loop_a.frontline)
    for tab in ("team", "queue"):
        page = c.get(reverse("actions:inbox") + f"?tab={tab}").content.decode()
        assert f"#{mine.pk}<" in page and f"#{theirs.pk}<" not in page
    before = list(FeedbackCase.objects.order_by("pk").values_list())
    assert c.get(url("case_detail", theirs)).status_code == 404
    for name in (
        "case_claim",
        "case_assign",
        "case_contact",
        "case_note",
        "case_root_cause",
        "case_close",
        "case_close_without_contact",
        "case_reopen",
    ):
        assert (
            c.post(
                url(name, theirs), {"note": "x", "resolution": "x", "channel": "phone", "outcome": "reached"}
            ).status_code
            == 404
        )
    assert list(FeedbackCase.objects.order_by("pk").values_list()) == before
    # CX managers see both.
    page = client_for(loop_a.cast.cx_manager).get(reverse("actions:inbox") + "?tab=team").content.decode()
    assert f"#{mine.pk}<" in page and f"#{theirs.pk}<" in page


def test_inbox_lists_overdue_cases_first_with_bounded_queries(loop_a, client_for, django_assert_max_num_queries):
    cases = [open_case(loop_a) for _ in range(12)]
    now = timezone.now()
    FeedbackCase.objects.filter(pk=cases[5].pk).update(due_at=now - dt.timedelta(hours=3))
    FeedbackCase.objects.filter(pk=cases[9].pk).update(due_at=now - dt.timedelta(hours=1))
    c = client_for(loop_a.frontline)
    c.get(reverse("actions:inbox"))  # warm the session
    # session, user, membership, teams, led teams, counts, page count, list, comments, and the filters' team and
    # touchpoint choices: constant in the number of cases.
    with django_assert_max_num_queries(12):
        page = c.get(reverse("actions:inbox") + "?tab=team").content.decode()
    first_two = [page.index(f"#{cases[5].pk}<"), page.index(f"#{cases[9].pk}<")]
    others = [page.index(f"#{c.pk}<") for i, c in enumerate(cases) if i not in (5, 9)]
    assert first_two[0] < first_two[1] < min(others)
    assert 'data-testid="overdue-count">2 overdue' in page


def test_closing_without_contact_needs_no_root_cause(loop_a, client_for):
    loop_a.customer.may_contact = False
    loop_a.customer.save()
    case = open_case(loop_a)
    c = client_for(loop_a.frontline)
    c.post(url("case_claim", case))
    c.post(url("case_close_without_contact", case), {"resolution": ""})
    case.refresh_from_db()
    assert case.status == FeedbackCase.Status.CLOSED and case.closed_without_contact
    assert "not agreed to be contacted" in case.resolution
