"""The closed loop's e-mails through the outbox: written with the change, sent once, truthful case fields."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from accounts.scoping import context_for_membership
from actions.models import CaseEvent, EscalationLevel, FeedbackCase
from actions.services.cases import case_close
from actions.services.escalation import case_escalate, cases_escalate
from outbox.models import OutboxMessage
from outbox.services import outbox_sweep
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def open_case(loop, **rule) -> FeedbackCase:
    for field, value in rule.items():
        setattr(loop.rule, field, value)
    loop.rule.save()
    response = respond(loop, nps=2)
    response_processed.send(sender=Response, response=response)  # in the test's transaction: nothing is sent yet
    return FeedbackCase.objects.get(response=response)


def test_the_new_case_e_mails_are_written_with_the_case_and_roll_back_with_it(loop):
    loop.rule.reply_to_customer = True
    loop.rule.save()
    response = respond(loop, nps=2)
    with pytest.raises(RuntimeError), transaction.atomic():
        response_processed.send(sender=Response, response=response)
        assert OutboxMessage.objects.filter(ref_id=FeedbackCase.objects.get().pk).count() == 3
        raise RuntimeError("the follow-up failed after the case was opened")
    assert not FeedbackCase.objects.exists() and not OutboxMessage.objects.exists()
    outbox_sweep()
    assert mail.outbox == []


def test_team_e_mails_are_in_the_organizations_language(loop):
    loop.org.default_language = "sv"
    loop.org.save()
    case = open_case(loop)
    rows = OutboxMessage.objects.filter(ref_id=case.pk, kind="actions.case_opened")
    assert {r.language for r in rows} == {"sv"} and rows.count() == 2
    outbox_sweep()
    assert all(m.extra_headers["Content-Language"] == "sv" for m in mail.outbox)


def test_a_reply_whose_customer_withdrew_consent_before_it_went_out_is_cancelled(loop):
    customer = CustomerFactory(organization=loop.org, may_contact=True, language="da")
    loop.customer = customer
    case = open_case(loop, notify_team=False, reply_to_customer=True)
    reply = OutboxMessage.objects.get(ref_id=case.pk)
    assert reply.subject.startswith("Tak for din feedback") and reply.language == "da"
    customer.may_contact = False
    customer.save()
    outbox_sweep()
    reply.refresh_from_db()
    assert reply.status == OutboxMessage.Status.CANCELLED and mail.outbox == []
    case.refresh_from_db()
    assert case.customer_replied_at is None and not case.events.filter(kind=CaseEvent.Kind.REPLIED).exists()


def test_team_notified_at_is_stamped_when_an_e_mail_has_gone_out_not_before(loop, mail_server):
    case = open_case(loop)
    mail_server.down()
    outbox_sweep()
    case.refresh_from_db()
    assert case.team_notified_at is None and not case.events.filter(kind=CaseEvent.Kind.NOTIFIED).exists()
    mail_server.up()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        outbox_sweep()
    case.refresh_from_db()
    assert case.team_notified_at is not None and len(mail.outbox) == 2
    assert case.events.filter(kind=CaseEvent.Kind.NOTIFIED).count() == 1


def test_an_escalation_while_the_mail_server_is_down_is_sent_once_when_it_is_back(loop, mail_server):
    t0 = timezone.now()
    with time_machine.travel(t0, tick=False):
        case = open_case(loop, notify_team=False, sla_hours=8)
    mail_server.down()
    with time_machine.travel(t0 + dt.timedelta(hours=7), tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        assert cases_escalate() == {2: 0, 1: 1}
    case.refresh_from_db()
    assert case.escalation_level == EscalationLevel.NEARING and mail.outbox == []  # the level is reached
    assert mail_server.refused == 1 and OutboxMessage.objects.get().status == "pending"
    assert case.events.get(kind=CaseEvent.Kind.ESCALATED).note == loop.lead.user.email
    mail_server.up()
    with time_machine.travel(t0 + dt.timedelta(hours=7, minutes=5), tick=False):
        outbox_sweep()
        assert cases_escalate() == {2: 0, 1: 0}
        outbox_sweep()
    assert [m.to for m in mail.outbox] == [[loop.lead.user.email]] and "nearing" in mail.outbox[0].subject


def test_a_reopened_case_escalates_with_new_e_mails_but_one_level_never_twice(loop):
    case = open_case(loop, notify_team=False)
    assert case_escalate(case_id=case.pk, level=2) is True
    assert case_escalate(case_id=case.pk, level=2) is False
    FeedbackCase.objects.filter(pk=case.pk).update(escalation_level=0, reopen_count=1)  # what case_reopen does
    assert case_escalate(case_id=case.pk, level=2) is True
    outbox_sweep()
    keys = sorted(OutboxMessage.objects.values_list("dedupe_key", flat=True))
    lead, cx = loop.lead.user.email, loop.cast.cx_manager.user.email
    assert keys == sorted(f"case:{case.pk}:escalated:{n}:2:{a}" for n in (0, 1) for a in (lead, cx))
    assert len(mail.outbox) == 4


def test_staff_e_mails_of_a_case_closed_before_they_went_out_are_not_sent(loop):
    case = open_case(loop)  # the team e-mails wait (no commit in this test's transaction)
    assert case_escalate(case_id=case.pk, level=2) is True
    ctx = context_for_membership(loop.cast.cx_manager, user=loop.cast.cx_manager.user)
    case_close(ctx=ctx, case=case, resolution="Handled by phone", without_contact=True)
    outbox_sweep()
    assert mail.outbox == []
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxMessage.Status.CANCELLED}
    case.refresh_from_db()
    assert case.team_notified_at is None
