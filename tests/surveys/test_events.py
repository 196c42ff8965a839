"""Touchpoint event API and the contact rules; the contact-decision log page and customer fragment."""

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.scoping import OrgContext
from accounts.services import api_key_create
from surveys.distribution import services
from surveys.distribution.tasks import send_due_invitations
from surveys.models import ContactDecision, Invitation, Response
from tests.factories import CustomerFactory, TouchpointFactory
from tests.surveys.factories import make_invitation, make_survey

pytestmark = pytest.mark.django_db

URL = "/api/v1/touchpoint-events/"


def api_for(org):
    _key, raw = api_key_create(ctx=OrgContext(organization=org, role="admin"), name="CRM")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def api_a(cast_a):
    return api_for(cast_a.org)


def post_event(api, customer, tp, key=None, **extra):
    external_id = customer if isinstance(customer, str) else customer.external_id
    headers = {"Idempotency-Key": key} if key else None
    return api.post(
        URL, {"customer_external_id": external_id, "touchpoint": tp.pk, **extra}, format="json", headers=headers
    )


def test_an_eligible_customer_is_invited_and_the_decision_recorded(api_a, survey_a, tp_a, customer_a):
    response = post_event(api_a, customer_a, tp_a, language="da")
    body = response.json()
    assert response.status_code == 201
    assert body["invited"] is True and body["decision"] == "invited" and body["reason"] == "eligible"
    invitation = Invitation.objects.get(pk=body["invitation_id"])
    assert invitation.customer == customer_a and invitation.touchpoint == tp_a and invitation.survey == survey_a
    assert invitation.language == "da" and invitation.channel == "email" and invitation.sent_at is None
    assert body["survey_url"].endswith(f"/s/i/{invitation.token}/")
    decision = ContactDecision.objects.get(pk=body["decision_id"])
    assert (decision.customer, decision.touchpoint, decision.invitation, decision.source) == (
        customer_a,
        tp_a,
        invitation,
        "event",
    )


def test_customer_without_email_gets_a_link_for_the_caller_to_deliver(api_a, cast_a, survey_a, tp_a):
    customer = CustomerFactory(organization=cast_a.org, email="", language="sv")
    body = post_event(api_a, customer, tp_a).json()
    invitation = Invitation.objects.get(pk=body["invitation_id"])
    assert invitation.channel == "api" and invitation.sent_at is not None and invitation.language == "sv"
    assert body["send_after"] is None and body["survey_url"]


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("no_consent", "no_consent"),
        ("inactive", "touchpoint_inactive"),
        ("unpublished", "no_published_survey"),
        ("unknown", "unknown_customer"),
        ("stale", "stale_event"),
    ],
)
def test_rules_that_never_invite(api_a, cast_a, survey_a, tp_a, customer_a, setup, reason):
    customer = customer_a
    extra = {}
    if setup == "no_consent":
        customer_a.may_survey = False
        customer_a.save()
    elif setup == "inactive":
        tp_a.is_active = False
        tp_a.save()
    elif setup == "unpublished":
        survey_a.status = "archived"
        survey_a.save()
    elif setup == "unknown":
        customer = "NOPE-1"
    elif setup == "stale":
        extra["occurred_at"] = (timezone.now() - dt.timedelta(days=30)).isoformat()
    response = post_event(api_a, customer, tp_a, **extra)
    body = response.json()
    assert response.status_code == 200
    assert body["invited"] is False and body["reason"] == reason and body["message"]
    assert body["invitation_id"] is None and body["survey_url"] is None
    assert not Invitation.objects.exists()
    decision = ContactDecision.objects.get()
    assert decision.decision == "not_invited" and decision.reason == reason
    assert decision.customer_external_id == (customer if isinstance(customer, str) else customer.external_id)


def test_touchpoint_without_any_survey_is_not_surveyed(api_a, cast_a, customer_a):
    other = TouchpointFactory(stage__journey__organization=cast_a.org)
    assert post_event(api_a, customer_a, other).json()["reason"] == "no_published_survey"


def test_quarantine_counts_invitations_and_responses(api_a, cast_a, survey_a, tp_a):
    cast_a.org.survey_quarantine_days = 30
    cast_a.org.save()
    invited = CustomerFactory(organization=cast_a.org)
    with time_machine.travel(timezone.now() - dt.timedelta(days=10)):
        make_invitation(survey_a, invited, touchpoint=tp_a)
    answered = CustomerFactory(organization=cast_a.org)
    Response.objects.create(
        organization=cast_a.org,
        survey=survey_a,
        version=survey_a.current_version,
        customer=answered,
        submitted_at=timezone.now() - dt.timedelta(days=5),
    )
    long_ago = CustomerFactory(organization=cast_a.org)
    with time_machine.travel(timezone.now() - dt.timedelta(days=40)):
        make_invitation(survey_a, long_ago, touchpoint=tp_a)
    assert post_event(api_a, invited, tp_a).json()["reason"] == "quarantine"
    assert "30-day quarantine" in post_event(api_a, answered, tp_a).json()["message"]
    assert post_event(api_a, long_ago, tp_a).json()["invited"] is True


def test_highest_priority_touchpoint_wins_within_the_hold_window(api_a, cast_a, customer_a, settings):
    settings.SURVEYS_EVENT_HOLD_MINUTES = 60
    low = TouchpointFactory(stage__journey__organization=cast_a.org, name="Order confirmation", priority=30)
    high = TouchpointFactory(stage__journey__organization=cast_a.org, name="Technician visit", priority=95)
    mid = TouchpointFactory(stage__journey__organization=cast_a.org, name="Activation", priority=50)
    make_survey(cast_a.org, touchpoints=[low, high, mid])

    first = post_event(api_a, customer_a, low).json()
    assert first["invited"] is True
    second = post_event(api_a, customer_a, high).json()
    assert second["invited"] is True and second["reason"] == "replaces_lower_priority"
    third = post_event(api_a, customer_a, mid).json()
    assert third["invited"] is False and third["reason"] == "lower_priority"
    assert "Technician visit" in third["message"]
    tie = post_event(api_a, customer_a, high).json()
    assert tie["reason"] == "lower_priority"

    withdrawn = Invitation.objects.get(pk=first["invitation_id"])
    assert withdrawn.withdrawn_at is not None and withdrawn.expires_at <= timezone.now()
    log = ContactDecision.objects.filter(decision="withdrawn").get()
    assert log.invitation == withdrawn and log.reason == "replaced_by_higher_priority" and log.touchpoint == low

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=61)):
        assert send_due_invitations() == 1
        # After the window the quarantine applies to every touchpoint, whatever its priority.
        assert post_event(api_a, customer_a, high).json()["reason"] == "quarantine"
    assert len(mail.outbox) == 1
    assert Invitation.objects.get(sent_at__isnull=False).touchpoint == high


def test_another_organizations_touchpoint_or_customer_changes_nothing(api_a, cast_b, survey_b, tp_b, survey_a):
    other_customer = CustomerFactory(organization=cast_b.org, external_id="B-1")
    response = post_event(api_a, other_customer, tp_b)
    assert response.status_code == 400 and "touchpoint" in response.json()
    assert not ContactDecision.objects.exists() and not Invitation.objects.exists()
    body = post_event(api_a, "B-1", survey_a.touchpoints.get()).json()
    assert body["reason"] == "unknown_customer"
    assert not Invitation.objects.exists()
    assert ContactDecision.objects.get().organization == survey_a.organization


def test_event_api_validates_input_and_needs_a_key(api_a, tp_a, customer_a):
    assert APIClient().post(URL, {"customer_external_id": "x", "touchpoint": tp_a.pk}).status_code in (401, 403)
    bad = [
        {"customer_external_id": "", "touchpoint": tp_a.pk},
        {"customer_external_id": "x" * 101, "touchpoint": tp_a.pk},
        {"customer_external_id": customer_a.external_id, "touchpoint": "abc"},
        {"customer_external_id": customer_a.external_id, "touchpoint": tp_a.pk, "language": "fr"},
        {"customer_external_id": customer_a.external_id, "touchpoint": tp_a.pk, "occurred_at": "yesterday"},
        {
            "customer_external_id": customer_a.external_id,
            "touchpoint": tp_a.pk,
            "occurred_at": (timezone.now() + dt.timedelta(days=1)).isoformat(),
        },
        ["not", "an", "object"],
    ]
    for data in bad:
        assert api_a.post(URL, data, format="json").status_code == 400, data
    assert not ContactDecision.objects.exists()


# -- the decision log ------------------------------------------------------------------------------------------


def test_contact_decisions_page_lists_and_filters_for_cx_managers(
    client_for, api_a, cast_a, survey_a, tp_a, customer_a, django_assert_max_num_queries
):
    refuser = CustomerFactory(organization=cast_a.org, may_survey=False, name="Nej Tack")
    post_event(api_a, customer_a, tp_a)
    post_event(api_a, refuser, tp_a)
    post_event(api_a, "GHOST", tp_a)
    c = client_for(cast_a.cx_manager)
    url = reverse("surveys:contact_decision_list")
    with django_assert_max_num_queries(12):
        page = c.get(url).content.decode()
    assert page.count('data-testid="decision-row"') == 3
    filtered = c.get(url, {"reason": "no_consent"}).content.decode()
    assert filtered.count('data-testid="decision-row"') == 1 and "Nej Tack" in filtered
    assert c.get(url, {"customer": "ghost"}).content.decode().count('data-testid="decision-row"') == 1
    assert c.get(url, {"decision": "invited", "touchpoint": tp_a.pk}).content.decode().count("decision-row") == 1
    assert client_for(cast_a.executive).get(url).status_code == 200
    assert client_for(cast_a.frontline).get(url).status_code == 403


def test_decisions_are_shown_on_the_customer_and_scoped(client_for, api_a, cast_a, cast_b, tp_a, survey_a, customer_a):
    post_event(api_a, customer_a, tp_a)
    fragment = (
        client_for(cast_a.frontline)
        .get(reverse("surveys:customer_contact_decisions", args=[customer_a.pk]))
        .content.decode()
    )
    assert 'data-testid="customer-decisions"' in fragment and "Eligible" in fragment and tp_a.name in fragment
    outsider = client_for(cast_b.admin)
    assert outsider.get(reverse("surveys:customer_contact_decisions", args=[customer_a.pk])).status_code == 404
    page = outsider.get(reverse("surveys:contact_decision_list")).content.decode()
    assert "decision-row" not in page
    assert (
        api_for(cast_b.org)
        .post(URL, {"customer_external_id": customer_a.external_id, "touchpoint": tp_a.pk})
        .status_code
        == 400
    )
    assert ContactDecision.objects.count() == 1


# -- retries ---------------------------------------------------------------------------------------------------


def test_a_retried_event_returns_the_first_decision_and_records_nothing(api_a, survey_a, tp_a, customer_a):
    first = post_event(api_a, customer_a, tp_a, key="crm-event-1")
    assert first.status_code == 201 and first.json()["replayed"] is False
    again = post_event(api_a, customer_a, tp_a, key="crm-event-1")
    assert again.status_code == 200
    body = again.json()
    assert body["replayed"] is True and body["invited"] is True
    assert body["decision_id"] == first.json()["decision_id"]
    assert body["invitation_id"] == first.json()["invitation_id"] and body["survey_url"]
    # The key may also come in the body; without a key the same event is decided again (and not invited).
    by_field = api_a.post(
        URL,
        {"customer_external_id": customer_a.external_id, "touchpoint": tp_a.pk, "idempotency_key": "crm-event-1"},
        format="json",
    )
    assert by_field.json()["replayed"] is True and by_field.json()["decision_id"] == body["decision_id"]
    assert ContactDecision.objects.count() == 1 and Invitation.objects.count() == 1
    unkeyed = post_event(api_a, customer_a, tp_a).json()
    assert unkeyed["replayed"] is False and unkeyed["decision"] == "not_invited"
    assert ContactDecision.objects.count() == 2 and Invitation.objects.count() == 1


def test_event_keys_belong_to_one_organization(api_a, cast_b, survey_a, tp_a, customer_a, survey_b, tp_b):
    customer_b = CustomerFactory(organization=cast_b.org, external_id=customer_a.external_id)
    a = post_event(api_a, customer_a, tp_a, key="shared-key").json()
    b = post_event(api_for(cast_b.org), customer_b, tp_b, key="shared-key").json()
    assert a["replayed"] is False and b["replayed"] is False and a["decision_id"] != b["decision_id"]
    assert ContactDecision.objects.get(pk=b["decision_id"]).organization == cast_b.org


def test_an_over_long_event_key_is_refused(api_a, survey_a, tp_a, customer_a):
    response = post_event(api_a, customer_a, tp_a, key="k" * 101)
    assert response.status_code == 400 and "idempotency_key" in response.json()
    assert not ContactDecision.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("known_customer", [True, False])
def test_two_simultaneous_retries_record_one_decision(cast_a, survey_a, tp_a, customer_a, known_customer):
    # The first holds its transaction open after deciding; the second cannot see that decision yet, waits (on the
    # customer's lock or on the unique key) and must come back with the first decision, leaving one invitation.
    external_id = customer_a.external_id if known_customer else "NOT-IN-CRM"
    decided = threading.Event()
    results, errors = {}, []

    def record():
        return services.touchpoint_event_record(
            organization=cast_a.org, customer_external_id=external_id, touchpoint=tp_a, idempotency_key="race-7"
        )

    def worker(name):
        try:
            if name == "first":
                with transaction.atomic():
                    results[name] = record()
                    decided.set()
                    time.sleep(0.5)
            else:
                try:
                    record()
                except services.EventReplayed as replay:
                    results[name] = replay.decision
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    first = threading.Thread(target=worker, args=("first",))
    second = threading.Thread(target=worker, args=("second",))
    first.start()
    assert decided.wait(10)
    second.start()
    first.join(30)
    second.join(30)
    assert errors == []
    assert results["second"].pk == results["first"].pk
    assert ContactDecision.objects.filter(idempotency_key="race-7").count() == 1
    assert ContactDecision.objects.count() == 1
    assert Invitation.objects.count() == (1 if known_customer else 0)
