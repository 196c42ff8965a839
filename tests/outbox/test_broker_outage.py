"""Issue 12, defect 3: follow-up e-mails lost for good when the broker was down as cases opened.

Each new case queued its team notification with `on_commit(notify_case_opened.delay)`; with the broker unreachable
the publish failed after the commit and nothing ever looked for the case again (481 of 2,497 cases). Now the e-mails
are outbox rows committed with the case, and the sweep sends them, each recipient once. Real commits (transactional
tests) and a real unreachable broker: a Redis URL on a local port where nothing listens.
"""

import time
from collections import Counter

import pytest
from django.core import mail
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django.urls import reverse

from actions.models import CaseEvent, FeedbackCase
from actions.tasks import notify_case_opened
from outbox.models import OutboxMessage
from outbox.services import Email, outbox_enqueue
from outbox.tasks import sweep_outbox
from surveys.distribution.tasks import send_due_invitations
from surveys.ingestion.services import responses_sweep_unprocessed
from surveys.models import Invitation
from tests.actions.conftest import respond
from tests.factories import CustomerFactory, TouchpointFactory
from tests.outbox.conftest import unreachable_broker
from tests.surveys.factories import make_survey

pytestmark = pytest.mark.django_db(transaction=True)


def test_cases_opened_while_the_broker_is_down_are_all_notified_by_the_sweep_each_recipient_once(loop):
    loop.rule.notify_team, loop.rule.reply_to_customer = True, True
    loop.rule.save()
    consenting = [CustomerFactory(organization=loop.org, may_contact=True, language="sv") for _ in range(3)]
    silent = CustomerFactory(organization=loop.org, may_contact=False)
    customers = [*consenting, silent]
    for i in range(24):
        respond(loop, nps=2 if i % 3 else 9, customer=customers[i % len(customers)])  # two in three are detractors
    team = {loop.frontline.user.email, loop.lead.user.email}

    # The follow-up runs (the ingestion sweep, in batches of 5: several commits) while no broker answers.
    started = time.monotonic()
    with unreachable_broker():
        processed = responses_sweep_unprocessed(min_age_seconds=0, batch_size=5, time_budget_seconds=None)
    assert processed == 24 and time.monotonic() - started < 15  # nobody waits for the broker
    cases = list(FeedbackCase.objects.select_related("customer").order_by("pk"))
    assert len(cases) == 16
    assert mail.outbox == []
    replied = [c for c in cases if c.customer.may_contact]
    team_expected = {(address, f"#{c.pk}:") for c in cases for address in team}
    total = len(team_expected) + len(replied)
    # Nothing is lost: every e-mail waits in the outbox, committed with its case.
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count() == total
    assert not FeedbackCase.objects.filter(team_notified_at__isnull=False).exists()  # not claimed as sent

    # The periodic sweep (on a worker; here in-process) sends them all.
    assert sweep_outbox()["claimed"] == total
    team_sent = Counter(
        (m.to[0], next(w for w in m.subject.split() if w.startswith("#"))) for m in mail.outbox if m.to[0] in team
    )
    assert set(team_sent) == team_expected and set(team_sent.values()) == {1}  # each member, each case, once
    replies = Counter(m.to[0] for m in mail.outbox if m.to[0] not in team)
    assert replies == Counter(c.customer.email for c in replied)  # one reply per case to its customer
    assert all(m.subject.startswith("Tack för din återkoppling") for m in mail.outbox if m.to[0] not in team)
    assert not FeedbackCase.objects.filter(team_notified_at__isnull=True).exists()
    assert {c.pk for c in FeedbackCase.objects.filter(customer_replied_at__isnull=False)} == {c.pk for c in replied}
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.NOTIFIED).count() == len(cases)
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.REPLIED).count() == len(replied)

    # Sweeping again, the follow-up delivered again, the old task run again: nothing more is sent.
    assert sweep_outbox()["claimed"] == 0
    assert responses_sweep_unprocessed(min_age_seconds=0) == 0
    for case in cases:
        assert notify_case_opened(case.pk) == []
    sweep_outbox()
    assert len(mail.outbox) == total
    assert OutboxMessage.objects.count() == total


def test_with_the_broker_up_again_new_cases_are_sent_at_once_by_their_task(loop):
    respond(loop, nps=1)
    responses_sweep_unprocessed(min_age_seconds=0)  # eager tasks: the after-commit send runs in-process
    case = FeedbackCase.objects.get()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([loop.frontline.user.email, loop.lead.user.email])
    assert FeedbackCase.objects.get(pk=case.pk).team_notified_at is not None
    assert sweep_outbox()["claimed"] == 0


def test_an_escalation_reached_while_the_broker_is_down_is_sent_by_the_sweep(loop):
    from actions.services.escalation import case_escalate

    loop.rule.notify_team = False
    loop.rule.save()
    respond(loop, nps=1)
    responses_sweep_unprocessed(min_age_seconds=0)
    case = FeedbackCase.objects.get()
    with unreachable_broker():
        assert case_escalate(case_id=case.pk, level=2) is True
    assert mail.outbox == [] and OutboxMessage.objects.filter(status="pending").count() == 2
    sweep_outbox()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([loop.cast.cx_manager.user.email, loop.lead.user.email])
    assert all("overdue" in m.subject for m in mail.outbox)


def test_invitations_made_while_the_broker_is_down_are_sent_by_their_sweep_once(cast_a, client_for):
    touchpoint = TouchpointFactory(stage__journey__organization=cast_a.org)
    survey = make_survey(cast_a.org, touchpoints=[touchpoint])
    customers = [CustomerFactory(organization=cast_a.org, external_id=f"C{i}", language="nb") for i in range(3)]
    manager = client_for(cast_a.cx_manager)
    with unreachable_broker():
        page = manager.post(
            reverse("surveys:invitation_list", args=[survey.pk]), {"external_ids": "C0 C1 C2"}, follow=True
        )
    assert page.status_code == 200 and "3 invited." in page.content.decode()  # no error after the commit
    assert mail.outbox == [] and Invitation.objects.filter(sent_at__isnull=True).count() == 3
    assert send_due_invitations() == 3
    assert send_due_invitations() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(c.email for c in customers)
    assert not Invitation.objects.filter(sent_at__isnull=True).exists()


def test_an_invitation_the_mail_server_refuses_is_retried_without_holding_up_the_others(
    cast_a, client_for, mail_server, monkeypatch
):
    from django.core.mail.backends import locmem

    touchpoint = TouchpointFactory(stage__journey__organization=cast_a.org)
    survey = make_survey(cast_a.org, touchpoints=[touchpoint])
    for i in range(3):
        CustomerFactory(organization=cast_a.org, external_id=f"C{i}", email=f"c{i}@example.com")
    mail_server.down()
    page = client_for(cast_a.cx_manager).post(
        reverse("surveys:invitation_list", args=[survey.pk]), {"external_ids": "C0 C1 C2"}, follow=True
    )
    assert page.status_code == 200 and mail_server.refused == 3  # tried at once (eager), refused, kept unsent
    assert Invitation.objects.filter(sent_at__isnull=True).count() == 3
    mail_server.up()
    accept = locmem.EmailBackend.send_messages

    def refuse_one(backend, messages):
        if any("c0@example.com" in m.to for m in messages):
            raise ConnectionRefusedError("recipient refused")
        return accept(backend, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse_one)
    assert send_due_invitations() == 2  # c0 fails; c1 and c2 go out all the same
    monkeypatch.setattr(locmem.EmailBackend, "send_messages", accept)
    assert send_due_invitations() == 1 and send_due_invitations() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["c0@example.com", "c1@example.com", "c2@example.com"]


def test_enqueue_outside_a_transaction_is_refused(cast_a):
    email = Email(recipient="a@example.com", subject="S", body="B")
    with pytest.raises(TransactionManagementError):
        outbox_enqueue(organization_id=cast_a.org.pk, kind="test.note", key="k", emails=[email])
    with transaction.atomic():
        assert len(outbox_enqueue(organization_id=cast_a.org.pk, kind="test.note", key="k", emails=[email])) == 1


def test_an_invitation_whose_worker_died_after_its_claim_is_sent_by_the_sweep_once(cast_a, client_for, settings):
    """The claim and the record of the send are two steps: a claim that never became a send is taken over."""
    import datetime as dt

    from django.utils import timezone

    from surveys.distribution.services import invitation_send

    touchpoint = TouchpointFactory(stage__journey__organization=cast_a.org)
    survey = make_survey(cast_a.org, touchpoints=[touchpoint])
    CustomerFactory(organization=cast_a.org, external_id="C0")
    with unreachable_broker():
        client_for(cast_a.cx_manager).post(reverse("surveys:invitation_list", args=[survey.pk]), {"external_ids": "C0"})
    invitation = Invitation.objects.get()
    now = timezone.now()
    # A worker claimed it a moment ago and is still sending: neither a second worker nor the sweep sends it again.
    Invitation.objects.filter(pk=invitation.pk).update(send_claimed_at=now)
    assert invitation_send(invitation_id=invitation.pk, now=now) is False
    assert send_due_invitations() == 0 and mail.outbox == []
    # That worker died before the mail server took the message: after the claim timeout, the sweep sends it once.
    old = now - dt.timedelta(seconds=settings.SURVEYS_INVITATION_CLAIM_TIMEOUT_SECONDS + 1)
    Invitation.objects.filter(pk=invitation.pk).update(send_claimed_at=old)
    assert send_due_invitations() == 1
    assert send_due_invitations() == 0
    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
