"""Staff e-mails of the closed loop in each recipient's saved language, times in the organization's time zone.

The organization speaks Norwegian and sits in New York; its team frontline member saved Swedish, the team lead
Danish, the CX manager nothing (so Norwegian). The case is due at 16:00 UTC = 11:00 in New York (17:00 in
Stockholm, where the server's clock and the old rendering put it).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from accounts.models import UserPreference
from actions.models import EscalationLevel, FeedbackCase
from actions.services.notifications import (
    KIND_CASE_ESCALATED,
    KIND_CASE_OPENED,
    case_escalation_enqueue,
    case_notifications_enqueue,
)
from outbox.models import OutboxMessage
from surveys.models import Response
from surveys.signals import response_processed
from tests.actions.conftest import respond

pytestmark = pytest.mark.django_db

DUE = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def nordic_loop(loop_a):
    org = loop_a.org
    org.default_language, org.timezone = "nb", "America/New_York"
    org.save(update_fields=["default_language", "timezone"])
    UserPreference.objects.create(user=loop_a.frontline.user, language="sv")
    UserPreference.objects.create(user=loop_a.lead.user, language="da")
    UserPreference.objects.create(user=loop_a.cast.cx_manager.user, language="")  # blank: the organization's
    # A case without e-mails yet (the rule's notify_team is off while it opens), due at a known UTC time.
    loop_a.rule.notify_team, loop_a.rule.reply_to_customer = False, False
    loop_a.rule.save()
    response = respond(loop_a, nps=2)
    response_processed.send(sender=Response, response=response)
    case = FeedbackCase.objects.get(response=response)
    case.due_at = DUE
    case.save(update_fields=["due_at"])
    loop_a.rule.notify_team = True
    loop_a.rule.save()
    case.rule = loop_a.rule
    return loop_a, case


def rows(kind: str) -> dict[str, OutboxMessage]:
    return {m.recipient: m for m in OutboxMessage.objects.filter(kind=kind)}


def test_each_team_member_gets_the_new_case_in_their_saved_language_with_the_org_time(nordic_loop):
    loop, case = nordic_loop
    with transaction.atomic():
        case_notifications_enqueue(case=case)
    sent = rows(KIND_CASE_OPENED)
    swede, dane = sent[loop.frontline.user.email], sent[loop.lead.user.email]
    assert len(sent) == 2  # one row per recipient, as before

    assert swede.language == "sv"
    assert swede.subject.startswith(f"Nytt feedbackärende #{case.pk}:")
    assert f"Ett nytt feedbackärende #{case.pk} har öppnats vid" in swede.body
    assert "Förfaller: 23 november 2026 11:00" in swede.body

    assert dane.language == "da"
    assert dane.subject.startswith(f"Ny feedbacksag #{case.pk}:")
    assert f"En ny feedbacksag #{case.pk} blev åbnet ved" in dane.body
    assert "Frist: 23. november 2026 11:00" in dane.body

    for message in (swede, dane):
        assert "16:00" not in message.body and "17:00" not in message.body

    # Idempotent as before: the dedupe key per event and recipient is unchanged.
    with transaction.atomic():
        again = case_notifications_enqueue(case=case)
    assert sorted(again) == sorted(m.pk for m in sent.values())
    assert OutboxMessage.objects.filter(kind=KIND_CASE_OPENED).count() == 2
    assert {m.dedupe_key for m in sent.values()} == {
        f"case:{case.pk}:team_notified:{address.lower()}" for address in sent
    }


def test_escalations_go_out_in_each_language_and_the_org_language_for_those_without_one(nordic_loop):
    loop, case = nordic_loop
    case.assignee = loop.frontline.user
    case.save(update_fields=["assignee"])
    with transaction.atomic():
        to = case_escalation_enqueue(case=case, level=EscalationLevel.OVERDUE)
    sent = rows(KIND_CASE_ESCALATED)
    assert sorted(sent) == sorted(to) and len(to) == 3

    swede = sent[loop.frontline.user.email]
    dane = sent[loop.lead.user.email]
    norwegian = sent[loop.cast.cx_manager.user.email]
    assert (swede.language, dane.language, norwegian.language) == ("sv", "da", "nb")
    assert swede.subject == f"Ärende #{case.pk} är försenat"
    assert dane.subject == f"Sag #{case.pk} er forfalden"
    assert norwegian.subject == f"Sak #{case.pk} har forfalt"
    assert "Förfaller: 23 november 2026 11:00" in swede.body
    assert "Frist: 23. november 2026 11:00" in dane.body
    assert "Frist: 23. november 2026 11:00" in norwegian.body


def test_the_customer_reply_keeps_the_customers_language(nordic_loop):
    loop, case = nordic_loop
    loop.customer.language, loop.customer.may_contact = "da", True
    loop.customer.save(update_fields=["language", "may_contact"])
    loop.rule.notify_team, loop.rule.reply_to_customer = False, True
    loop.rule.save()
    case.rule = loop.rule
    UserPreference.objects.filter(user=loop.frontline.user).update(language="sv")
    with transaction.atomic():
        case_notifications_enqueue(case=case)
    reply = OutboxMessage.objects.get(recipient=loop.customer.email)
    assert reply.language == "da"
