"""The re-survey of "you said, we did" is decided on its day (the periodic task program.resurveys_due) under the
contact rules of that day; nothing is held for the weeks before it, so the customer's other touchpoint events are
judged as usual meanwhile."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Customer
from outbox.models import OutboxMessage
from outbox.services import outbox_send_due
from program.models import CustomerUpdateRecipient
from program.periodic import PERIODIC_TASKS
from program.tasks import resurveys_due_task
from program.updates.resurvey import NOT_SENT, resurvey_reason_label, resurveys_decide_due
from program.updates.services import KIND
from surveys.distribution.services import invitations_send_due, touchpoint_event_record
from surveys.models import ContactDecision, Invitation
from tests.actions.conftest import respond
from tests.program.test_updates_send import World, case_for, customer, make_world, send

pytestmark = pytest.mark.django_db

DAYS = 30


def rows(update) -> dict[int, CustomerUpdateRecipient]:
    qs = CustomerUpdateRecipient.objects.filter(update=update).select_related("invitation")
    return {r.customer_id: r for r in qs}


def told(world: World, *people: Customer, days: int | None = DAYS):
    """People with a detractor case 40 days ago, told now, their e-mails sent by the real outbox."""
    for person in people:
        case_for(world, person, days_ago=40)
    update = send(world, resurvey_after_days=days)
    outbox_send_due()
    return update


@pytest.fixture
def world(cast_a) -> World:
    world = make_world(cast_a)
    # The loop's survey covers its touchpoint, so a touchpoint event there can invite.
    world.loop.survey.touchpoints.add(world.loop.touchpoint)
    return world


def test_sending_makes_no_invitation_only_a_due_time_after_the_email_went_out(world):
    person = customer(world, language="sv")
    case_for(world, person, days_ago=40)
    update = send(world, resurvey_after_days=DAYS)
    row = rows(update)[person.pk]
    assert row.resurvey_due_at == update.created_at + dt.timedelta(days=DAYS)  # until the e-mail goes out
    assert not Invitation.objects.filter(organization=world.org).exists()
    assert not ContactDecision.objects.filter(organization=world.org).exists()

    outbox_send_due()
    row.refresh_from_db()
    assert row.sent_at is not None and row.resurvey_due_at == row.sent_at + dt.timedelta(days=DAYS)
    # Its day has not come: nothing is decided, nothing invited.
    assert resurveys_decide_due(now=row.resurvey_due_at - dt.timedelta(minutes=1)) == 0
    row.refresh_from_db()
    assert row.resurvey_decided_at is None and row.invitation_id is None
    assert not Invitation.objects.filter(organization=world.org).exists()


def test_on_its_day_the_contact_rules_invite_and_the_invitation_goes_out_at_once(world):
    person = customer(world, language="sv")
    update = told(world, person)
    due = rows(update)[person.pk].resurvey_due_at
    day = due + dt.timedelta(minutes=7)

    assert resurveys_decide_due(now=day) == 1
    row = rows(update)[person.pk]
    assert row.resurvey_decided_at == day and row.resurvey_reason == ""
    invitation = row.invitation
    assert (invitation.survey_id, invitation.touchpoint_id) == (world.loop.survey.pk, world.loop.touchpoint.pk)
    assert invitation.customer_id == person.pk and invitation.channel == Invitation.Channel.EMAIL
    assert invitation.send_after == day  # no hold: out with the next sweep
    assert invitation.expires_at == day + dt.timedelta(days=world.loop.survey.invitation_expiry_days)
    decision = ContactDecision.objects.get(organization=world.org, customer=person)
    assert (decision.decision, decision.reason, decision.invitation_id) == ("invited", "eligible", invitation.pk)
    assert decision.source == ContactDecision.Source.MANUAL and decision.created_at == day

    mail.outbox.clear()
    assert invitations_send_due(now=day + dt.timedelta(minutes=1)) == 1
    assert [m.to for m in mail.outbox] == [[person.email]]


def test_a_customer_in_quarantine_on_that_day_is_not_invited_and_the_reason_is_kept(world):
    quiet = customer(world, language="sv")
    recent = customer(world, language="sv")
    no_surveys = customer(world, language="sv", may_survey=False)
    update = told(world, quiet, recent, no_surveys)
    due = rows(update)[quiet.pk].resurvey_due_at
    # After the message, the customer answered another survey 10 days before the re-survey day: when the update was
    # sent they were not in quarantine, on the day they are.
    respond(
        world.loop,
        nps=8,
        customer=recent,
        touchpoint=world.loop.other_touchpoint,
        submitted_at=due - dt.timedelta(days=10),
    )

    assert resurveys_decide_due(now=due + dt.timedelta(minutes=1)) == 3
    found = rows(update)
    assert found[quiet.pk].invitation_id is not None and found[quiet.pk].resurvey_reason == ""
    assert found[recent.pk].invitation_id is None and found[recent.pk].resurvey_reason == "quarantine"
    assert found[no_surveys.pk].invitation_id is None and found[no_surveys.pk].resurvey_reason == "no_consent"
    assert all(r.resurvey_decided_at is not None for r in found.values())
    # The API gives the counts (no customer), per reason.
    from tests.program.test_updates_api import key_client

    body = key_client(world.loop.cast).get(f"/api/v1/program/customer-updates/{update.pk}/").json()
    assert body["resurvey"] == {"due": 0, "invited": 1, "not_invited": {"quarantine": 1, "no_consent": 1}}
    with translation.override("sv"):
        assert resurvey_reason_label("quarantine") == "Karantän"
    with translation.override("en"):
        assert resurvey_reason_label("quarantine") == "Quarantine"


def test_the_task_decides_each_recipient_once_however_often_it_runs(world):
    people = [customer(world, language="sv") for _ in range(3)]
    update = told(world, *people, days=1)
    CustomerUpdateRecipient.objects.filter(update=update).update(resurvey_due_at=timezone.now() - dt.timedelta(hours=1))

    resurveys_due_task.apply()
    resurveys_due_task.apply()
    assert resurveys_decide_due() == 0
    assert Invitation.objects.filter(organization=world.org).count() == 3
    assert ContactDecision.objects.filter(organization=world.org).count() == 3
    assert all(r.invitation_id for r in rows(update).values())


def test_a_touchpoint_event_while_waiting_for_the_resurvey_is_not_refused_because_of_it(world):
    person = customer(world, language="sv", external_id="C-4711")
    update = told(world, person)
    # Ten days into the 30 days of waiting, the customer meets a touchpoint of the same priority.
    decision = touchpoint_event_record(
        organization=world.org, customer_external_id="C-4711", touchpoint=world.loop.touchpoint
    )
    assert (decision.decision, decision.reason) == ("invited", "eligible")  # not "lower_priority"
    assert decision.invitation.send_after > timezone.now()  # an ordinary event hold (about an hour)
    assert invitations_send_due(now=timezone.now() + dt.timedelta(hours=2)) == 1  # its hour is over: sent
    # On the re-survey day the contact rules judge it as they stand then: that invitation is within the quarantine.
    due = rows(update)[person.pk].resurvey_due_at
    assert due - timezone.now() > dt.timedelta(days=DAYS - 1)
    resurveys_decide_due(now=due)
    row = rows(update)[person.pk]
    assert row.invitation_id is None and row.resurvey_reason == "quarantine"
    # The event's invitation was never withdrawn by the re-survey.
    assert Invitation.objects.get(pk=decision.invitation_id).withdrawn_at is None


def test_a_customer_whose_email_was_cancelled_is_not_resurveyed(world):
    kept = customer(world, language="sv")
    withdrawn = customer(world, language="sv")
    for person in (kept, withdrawn):
        case_for(world, person, days_ago=40)
    update = send(world, resurvey_after_days=DAYS)
    Customer.objects.filter(pk=withdrawn.pk).update(may_contact=False)
    outbox_send_due()
    assert OutboxMessage.objects.get(kind=KIND, recipient=withdrawn.email).status == "cancelled"

    assert resurveys_decide_due(now=timezone.now() + dt.timedelta(days=DAYS, minutes=5)) == 2
    found = rows(update)
    assert found[kept.pk].invitation_id is not None
    assert found[withdrawn.pk].invitation_id is None and found[withdrawn.pk].resurvey_reason == NOT_SENT
    assert found[withdrawn.pk].resurvey_decided_at is not None
    # No contact decision was asked for the customer never told.
    assert not ContactDecision.objects.filter(customer=withdrawn).exists()


def test_an_email_still_in_the_outbox_on_the_day_postpones_the_resurvey_until_it_went_out(world):
    person = customer(world, language="sv")
    case_for(world, person, days_ago=40)
    update = send(world, resurvey_after_days=DAYS)  # the outbox has not sent it yet
    day = rows(update)[person.pk].resurvey_due_at + dt.timedelta(minutes=1)
    assert resurveys_decide_due(now=day) == 0
    row = rows(update)[person.pk]
    assert row.resurvey_decided_at is None and row.resurvey_due_at == day + dt.timedelta(days=1)
    outbox_send_due()  # it goes out now: the days count from now
    row = rows(update)[person.pk]
    assert row.resurvey_due_at == row.sent_at + dt.timedelta(days=DAYS)
    assert resurveys_decide_due(now=row.resurvey_due_at) == 1
    assert rows(update)[person.pk].invitation_id is not None


def test_without_a_resurvey_nothing_is_ever_due(world):
    person = customer(world)
    update = told(world, person, days=None)
    assert rows(update)[person.pk].resurvey_due_at is None
    assert resurveys_decide_due(now=timezone.now() + dt.timedelta(days=400)) == 0


def test_the_update_page_shows_due_date_and_decision_per_customer(world, client_for):
    invited = customer(world, name="Ida Invited", language="sv")
    recent = customer(world, name="Rita Recent", language="sv")
    waiting = customer(world, name="Wim Waiting", language="sv")
    update = told(world, invited, recent, waiting)
    found = rows(update)
    due = found[invited.pk].resurvey_due_at
    respond(world.loop, nps=8, customer=recent, submitted_at=timezone.now() - dt.timedelta(days=1))
    CustomerUpdateRecipient.objects.filter(pk=found[waiting.pk].pk).update(resurvey_due_at=due + dt.timedelta(days=3))
    CustomerUpdateRecipient.objects.filter(pk__in=[found[invited.pk].pk, found[recent.pk].pk]).update(
        resurvey_due_at=timezone.now() - dt.timedelta(minutes=5)
    )
    resurveys_decide_due()

    page = client_for(world.loop.cast.cx_manager).get(reverse("program:customer_update_detail", args=[update.pk]))
    html = page.content.decode()
    cells = {row.recipient.customer_id: row for row in page.context["report"].rows}
    assert cells[invited.pk].resurvey_state == "invited"
    assert cells[recent.pk].resurvey_state == "not_invited" and cells[recent.pk].resurvey_reason_label == "Quarantine"
    assert cells[waiting.pk].resurvey_state == "due"
    assert 'data-state="invited"' in html and 'data-state="not_invited"' in html and 'data-state="due"' in html
    assert "Not invited (" in html and "): Quarantine" in html
    assert "Decided on its day, under the contact rules" in html
    assert html.count("Due ") == 3  # the due date of each


def test_the_task_is_scheduled_every_15_minutes():
    from django_celery_beat.models import PeriodicTask

    entry = next(e for e in PERIODIC_TASKS if e["name"] == "program.resurveys_due")
    assert entry["task"] == resurveys_due_task.name and entry["every_seconds"] == 15 * 60
    call_command("setup_periodic_tasks", verbosity=0)
    task = PeriodicTask.objects.get(name="program.resurveys_due")
    assert task.interval.every * {"seconds": 1, "minutes": 60}[task.interval.period] == 15 * 60


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_decide_each_recipient_once(cast_a):
    world = make_world(cast_a)
    people = [customer(world, language="sv") for _ in range(6)]
    update = told(world, *people)
    CustomerUpdateRecipient.objects.filter(update=update).update(resurvey_due_at=timezone.now() - dt.timedelta(hours=1))
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            counts.append(resurveys_decide_due())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(counts) == 6
    assert Invitation.objects.filter(organization=world.org).count() == 6
    assert ContactDecision.objects.filter(organization=world.org).count() == 6
