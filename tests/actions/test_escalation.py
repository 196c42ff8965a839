"""SLA escalation with frozen time: each level is sent once, to the right people, however often the task runs.

The e-mails go through the outbox: written with the level, sent by the task queued after the commit.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import TestCase

from accounts.scoping import context_for_membership
from actions.models import CaseEvent, EscalationLevel, FeedbackCase
from actions.services.cases import case_close, case_reopen
from actions.tasks import escalate_cases
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def open_case(loop, hours: int = 8) -> FeedbackCase:
    loop.rule.sla_hours, loop.rule.notify_team = hours, False
    loop.rule.save()
    response = respond(loop, nps=2)
    response_processed.send(sender=Response, response=response)
    return FeedbackCase.objects.get(response=response)


def run_at(moment: dt.datetime) -> dict:
    with time_machine.travel(moment, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return escalate_cases.delay().get()


def recipients() -> set[str]:
    return {address for m in mail.outbox for address in m.to}


def test_reminder_to_the_lead_at_75_percent_then_cx_managers_when_overdue_each_once(loop_a):
    with time_machine.travel(T0, tick=False):
        case = open_case(loop_a, hours=8)
    lead_email, cx_email = loop_a.lead.user.email, loop_a.cast.cx_manager.user.email

    assert run_at(T0 + dt.timedelta(hours=5, minutes=59)) == {2: 0, 1: 0}
    assert mail.outbox == []

    assert run_at(T0 + dt.timedelta(hours=6, minutes=1)) == {2: 0, 1: 1}
    assert [m.to for m in mail.outbox] == [[lead_email]]
    assert "nearing" in mail.outbox[0].subject
    case.refresh_from_db()
    assert case.escalation_level == EscalationLevel.NEARING

    for minutes in (2, 30, 90):  # the task runs every few minutes: nothing more until the SLA passes
        run_at(T0 + dt.timedelta(hours=6, minutes=minutes))
    assert len(mail.outbox) == 1

    assert run_at(T0 + dt.timedelta(hours=8, minutes=1)) == {2: 1, 1: 0}
    overdue = mail.outbox[1:]
    assert {m.to[0] for m in overdue} == {cx_email, lead_email} and len(overdue) == 2  # one e-mail each
    assert all("overdue" in m.subject for m in overdue)
    run_at(T0 + dt.timedelta(hours=9))
    run_at(T0 + dt.timedelta(days=3))
    assert len(mail.outbox) == 3
    kinds = list(case.events.filter(kind=CaseEvent.Kind.ESCALATED).values_list("new_value", flat=True))
    assert len(kinds) == 2


def test_the_assignee_is_reminded_with_the_lead(loop_a):
    with time_machine.travel(T0, tick=False):
        case = open_case(loop_a)
        FeedbackCase.objects.filter(pk=case.pk).update(assignee=loop_a.frontline.user)
    run_at(T0 + dt.timedelta(hours=7))
    assert sorted(m.to for m in mail.outbox) == sorted([[loop_a.lead.user.email], [loop_a.frontline.user.email]])


def test_a_case_found_already_overdue_goes_straight_to_the_cx_managers_once(loop_a):
    with time_machine.travel(T0, tick=False):
        case = open_case(loop_a)
    run_at(T0 + dt.timedelta(days=2))
    run_at(T0 + dt.timedelta(days=2, minutes=5))
    assert recipients() == {loop_a.cast.cx_manager.user.email, loop_a.lead.user.email}
    assert len(mail.outbox) == 2 and all("overdue" in m.subject for m in mail.outbox)
    case.refresh_from_db()
    assert case.escalation_level == EscalationLevel.OVERDUE


def test_closed_cases_are_not_escalated_and_a_reopened_case_escalates_again(loop_a):
    ctx = context_for_membership(loop_a.cast.cx_manager, user=loop_a.cast.cx_manager.user)
    with time_machine.travel(T0, tick=False):
        case = open_case(loop_a)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        case_close(ctx=ctx, case=case, resolution="Called back", without_contact=True)
    run_at(T0 + dt.timedelta(days=1))
    assert mail.outbox == []
    reopened_at = T0 + dt.timedelta(days=1, hours=1)
    with time_machine.travel(reopened_at, tick=False):
        case_reopen(ctx=ctx, case=case, reason="Customer called again")
    case.refresh_from_db()
    assert case.due_at == reopened_at + dt.timedelta(hours=8) and case.escalation_level == 0
    run_at(reopened_at + dt.timedelta(hours=9))
    assert recipients() == {loop_a.cast.cx_manager.user.email, loop_a.lead.user.email}
    assert len(mail.outbox) == 2  # the overdue e-mail, once to each


def test_a_team_without_a_lead_reminds_the_cx_managers(loop_a):
    loop_a.team.lead = None
    loop_a.team.save()
    with time_machine.travel(T0, tick=False):
        open_case(loop_a)
    run_at(T0 + dt.timedelta(hours=7))
    assert mail.outbox[0].to == [loop_a.cast.cx_manager.user.email]


def test_the_escalation_task_is_registered_and_scheduled_every_five_minutes():
    from core.periodic_tasks import declared_tasks
    from cxplatform.celery import app

    assert "actions.escalate_cases" in app.tasks
    [entry] = [e for e in declared_tasks() if e["name"] == "actions.escalate_cases"]
    assert entry["task"] == "actions.escalate_cases" and entry["every_seconds"] == 300
