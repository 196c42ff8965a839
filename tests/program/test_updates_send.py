"""'You said, we did': sending the message to the customers of a proven improvement, once each, with consent, in
their language, through the outbox (the re-survey decided on its day: tests/program/test_updates_resurvey.py)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.scoping import context_for_membership
from actions.models import AlertRule, FeedbackCase, ImprovementAction, ImprovementStatus
from actions.services.rules import alert_rules_evaluate
from audit.models import AuditEvent
from customers.models import Customer
from outbox.models import OutboxMessage
from outbox.services import outbox_send_due
from program.models import CustomerUpdate, CustomerUpdateRecipient
from program.updates.audience import customer_update_audience
from program.updates.services import KIND, customer_update_send
from surveys.models import Invitation
from tests.actions.conftest import Loop, build_loop, respond
from tests.conftest import OrgCast
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

MESSAGES = {
    "sv": "Du berättade om teknikerbesöket. Nu får du ett sms en timme innan teknikern kommer.",
    "en": "You told us about the technician visit. Now you get a text message an hour before.",
    "da": "Du fortalte os om teknikerbesøget. Nu får du en sms en time før.",
    "nb": "Du fortalte oss om teknikerbesøket. Nå får du en SMS en time før.",
}


@dataclass
class World:
    loop: Loop
    action: ImprovementAction
    cases: list[FeedbackCase] = field(default_factory=list)

    @property
    def org(self):
        return self.loop.org

    def ctx(self, role: str = "cx_manager"):
        member = self.loop.cast.member(role)
        return context_for_membership(member, user=member.user)


def make_world(cast: OrgCast, *, title: str = "SMS reminder one hour before the technician arrives") -> World:
    """An improvement action measured as a significant NPS improvement at the loop's touchpoint (no cases yet)."""
    loop = build_loop(cast)
    # The team's "new case" e-mails are not what these tests count.
    AlertRule.objects.filter(pk=loop.rule.pk).update(notify_team=False)
    action = ImprovementAction.objects.create(
        organization=loop.org,
        title=title,
        status=ImprovementStatus.IMPACT_MEASURED,
        metric="nps",
        impact_metric="nps",
        impact_measure="nps",
        impact_measured_at=timezone.now(),
        impact_before_nps=-20.0,
        impact_after_nps=-5.0,
        impact_delta=15.0,
        impact_p_value=0.001,
        impact_significant=True,
    )
    action.touchpoints.add(loop.touchpoint)
    return World(loop=loop, action=action)


def case_for(
    world: World,
    customer: Customer | None,
    *,
    nps: int = 3,
    csat: int | None = None,
    comment: str = "",
    days_ago: float = 40,
    link: bool = True,
) -> FeedbackCase:
    """A detractor's response some days ago, its case opened by the loop's rule, linked to the action."""
    submitted = timezone.now() - dt.timedelta(days=days_ago)
    response = respond(world.loop, nps=nps, csat=csat, comment=comment, customer=customer, submitted_at=submitted)
    case = alert_rules_evaluate(response=response, now=submitted + dt.timedelta(minutes=5))
    assert case is not None
    if link:
        world.action.cases.add(case)
    world.cases.append(case)
    return case


def customer(world: World, **fields) -> Customer:
    return CustomerFactory(organization=world.org, **fields)


def send(world: World, **kwargs) -> CustomerUpdate:
    kwargs.setdefault("messages", MESSAGES)
    return customer_update_send(ctx=world.ctx(), action=world.action, **kwargs)


def update_emails() -> list:
    """The e-mails the outbox sent for customer updates (the team's case e-mails are not ours)."""
    addresses = set(OutboxMessage.objects.filter(kind=KIND).values_list("recipient", flat=True))
    return [m for m in mail.outbox if m.to[0] in addresses]


@pytest.fixture
def world(cast_a) -> World:
    return make_world(cast_a)


def test_each_consenting_customer_is_told_once_in_their_language(world):
    org = world.org
    org.default_language = "da"
    org.save(update_fields=["default_language"])
    swede = customer(world, name="Sven Svensson", language="sv")
    briton = customer(world, name="Bob Brown", language="en")
    finn = customer(world, name="Fanni Virtanen", language="fi")  # no Finnish on the platform: the org's Danish
    silent = customer(world, may_contact=False)
    no_address = customer(world, email="")
    for c in (swede, briton, finn, silent, no_address, None):
        case_for(world, c)

    audience = customer_update_audience(ctx=world.ctx(), action=world.action)
    assert {c.customer.pk: c.language for c in audience.eligible} == {swede.pk: "sv", briton.pk: "en", finn.pk: "da"}
    assert audience.languages == ["en", "sv", "da"]  # the platform's order of languages
    assert {code: n for code, _label, n in audience.excluded_rows} == {"no_consent": 1, "no_email": 1, "no_customer": 1}

    update = send(world, resurvey_after_days=None)
    recipients = {r.customer_id: r for r in CustomerUpdateRecipient.objects.filter(update=update)}
    assert {pk: r.language for pk, r in recipients.items()} == {swede.pk: "sv", briton.pk: "en", finn.pk: "da"}
    assert update.messages == {"en": MESSAGES["en"], "sv": MESSAGES["sv"], "da": MESSAGES["da"]}  # only those needed
    assert all(r.sent_at is None for r in recipients.values())  # not sent until the outbox sends

    assert outbox_send_due() == 3
    by_address = {m.to[0]: m for m in update_emails()}
    assert set(by_address) == {swede.email, briton.email, finn.email}
    swedish = by_address[swede.email]
    assert MESSAGES["sv"] in swedish.body and swedish.body.startswith("Hej Sven Svensson,")
    assert "Vänliga hälsningar," in swedish.body and org.name in swedish.body
    assert swedish.extra_headers["Content-Language"] == "sv"
    assert MESSAGES["da"] in by_address[finn.email].body and MESSAGES["en"] in by_address[briton.email].body
    assert MESSAGES["en"] not in swedish.body
    # The outbox stamped each recipient when their e-mail went out.
    assert all(r.sent_at is not None for r in CustomerUpdateRecipient.objects.filter(update=update))
    # The score that opened each case is the "before" of the recovery.
    swede_row = CustomerUpdateRecipient.objects.get(update=update, customer=swede)
    assert (swede_row.first_metric, swede_row.first_score) == ("nps", 3.0)
    assert swede_row.first_at == world.cases[0].response.submitted_at

    event = AuditEvent.objects.get(organization=org, action="customer_update.send")
    assert event.target_id == str(update.pk) and event.detail["recipients"] == 3
    assert event.detail["left_out"] == {"no_consent": 1, "no_email": 1, "no_customer": 1}


def test_a_customer_with_two_cases_or_a_second_mailing_is_told_once(world):
    twice = customer(world, language="sv")
    first_case = case_for(world, twice, nps=2, days_ago=50)
    case_for(world, twice, nps=5, days_ago=45)
    other = customer(world, language="en")
    case_for(world, other)

    update = send(world)
    rows = CustomerUpdateRecipient.objects.filter(action=world.action)
    assert rows.count() == 2
    assert rows.get(customer=twice).case_id == first_case.pk  # told about the earliest case
    assert rows.get(customer=twice).first_score == 2.0

    with pytest.raises(ValidationError, match="Nobody can be told"):
        send(world)
    assert CustomerUpdate.objects.filter(action=world.action).count() == 1

    # A case linked later brings one new customer: the second mailing tells only them.
    newcomer = customer(world, language="en")
    case_for(world, newcomer, days_ago=10)
    second = send(world)
    assert list(second.recipients.values_list("customer_id", flat=True)) == [newcomer.pk]
    assert rows.count() == 3
    assert OutboxMessage.objects.filter(kind=KIND).count() == 3
    outbox_send_due()
    assert sorted(m.to[0] for m in update_emails()) == sorted([twice.email, other.email, newcomer.email])
    assert update.pk != second.pk


@pytest.mark.django_db(transaction=True)
def test_two_managers_sending_at_the_same_moment_tell_each_customer_once(cast_a):
    world = make_world(cast_a)
    people = [customer(world, language="sv") for _ in range(4)]
    for c in people:
        case_for(world, c)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            update = customer_update_send(ctx=world.ctx(), action=world.action, messages=MESSAGES)
            outcomes.append(f"sent {update.recipients.count()}")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # One sends to all four; the other waited for it and found everyone told.
    assert sorted(outcomes) == [
        "Nobody can be told about this action: every customer of its cases was told already or cannot be contacted.",
        "sent 4",
    ]
    assert CustomerUpdateRecipient.objects.filter(action=world.action).count() == 4
    assert CustomerUpdate.objects.filter(action=world.action).count() == 1
    assert OutboxMessage.objects.filter(kind=KIND).count() == 4


def test_consent_withdrawn_or_a_new_address_before_the_outbox_sends_cancels_the_email(world):
    withdrawn = customer(world, language="sv")
    moved = customer(world, language="sv")
    kept = customer(world, language="sv")
    for c in (withdrawn, moved, kept):
        case_for(world, c)
    update = send(world)
    Customer.objects.filter(pk=withdrawn.pk).update(may_contact=False)
    Customer.objects.filter(pk=moved.pk).update(email="new-address@example.com")

    assert outbox_send_due() == 3  # claimed; two of them cancelled right before sending
    assert [m.to[0] for m in update_emails()] == [kept.email]
    statuses = dict(OutboxMessage.objects.filter(kind=KIND).values_list("recipient", "status"))
    assert statuses == {withdrawn.email: "cancelled", moved.email: "cancelled", kept.email: "sent"}
    sent = dict(CustomerUpdateRecipient.objects.filter(update=update).values_list("customer_id", "sent_at"))
    assert sent[withdrawn.pk] is None and sent[moved.pk] is None and sent[kept.pk] is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"impact_measured_at": None, "impact_significant": None, "impact_delta": None}, "has not been measured"),
        ({"impact_significant": False, "impact_p_value": 0.4}, "not a significant improvement"),
        ({"impact_significant": True, "impact_delta": -6.0}, "not a significant improvement"),
    ],
)
def test_an_action_that_is_not_a_proven_improvement_is_refused_with_the_reason(world, change, message):
    case_for(world, customer(world))
    ImprovementAction.objects.filter(pk=world.action.pk).update(**change)
    world.action.refresh_from_db()
    with pytest.raises(ValidationError, match=message):
        send(world)
    assert not CustomerUpdate.objects.exists() and not OutboxMessage.objects.filter(kind=KIND).exists()


def test_an_action_without_linked_cases_is_refused_and_only_editors_send(world):
    with pytest.raises(ValidationError, match="No feedback cases are linked"):
        send(world)
    case_for(world, customer(world))
    for role in ("executive", "frontline"):
        with pytest.raises(PermissionDenied):
            customer_update_send(ctx=world.ctx(role), action=world.action, messages=MESSAGES)
    assert not CustomerUpdate.objects.exists()


def test_a_missing_language_is_refused_naming_it(world):
    case_for(world, customer(world, language="sv"))
    case_for(world, customer(world, language="en"))
    with pytest.raises(ValidationError, match="Missing: Swedish"):
        send(world, messages={"en": "We changed it.", "sv": "  "})
    assert not CustomerUpdateRecipient.objects.exists()


def test_another_organizations_action_cannot_be_sent(world, cast_b):
    case_for(world, customer(world))
    other = make_world(cast_b, title="Other org action")
    with pytest.raises(ValidationError, match="Unknown improvement action"):
        customer_update_send(ctx=other.ctx(), action=world.action, messages=MESSAGES)
    assert not CustomerUpdate.objects.exists()


def test_without_a_resurvey_no_invitation_is_made(world):
    case_for(world, customer(world))
    update = send(world)
    assert update.resurvey_after_days is None
    assert not Invitation.objects.filter(organization=world.org).exists()
    case_for(world, customer(world))
    with pytest.raises(ValidationError, match="Re-survey after 1 to 365 days"):
        send(world, resurvey_after_days=0)


def test_an_erased_customer_is_left_out_and_counted_as_erased(world):
    from privacy.services import subject_erase

    kept = customer(world, language="sv")
    erased = customer(world, name="Erik Eriksson", language="sv")
    case_for(world, kept)
    case_for(world, erased, comment="Teknikern kom aldrig, ring mig på 070-123 45 67")
    case_for(world, None)  # an anonymous answer
    subject_erase(ctx=world.ctx("admin"), customer=erased)

    audience = customer_update_audience(ctx=world.ctx(), action=world.action)
    assert [c.customer.pk for c in audience.eligible] == [kept.pk]
    assert {code: n for code, _label, n in audience.excluded_rows} == {"erased": 1, "no_customer": 1}
