"""Erasing one person end to end: after it, no column of any table holds their identifiers; statistics stay."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse

from actions.models import CaseEvent, ContactAttempt, FeedbackCase
from audit.models import AuditEvent
from core.masking import MASK
from customers.models import Customer
from outbox.models import OutboxMessage
from outbox.services import Email, outbox_enqueue
from privacy.models import ConsentEvent, ErasureRecord
from reports.models import MonthlyReport
from surveys.models import Answer, ContactDecision, Invitation, Response
from tests.privacy.conftest import IDENTIFIERS, person_world, scan_database

ROLLUP_MODELS = ["kpis.Rollup", "kpis.JourneyRollup", "kpis.RelationshipRollup", "kpis.SegmentRollup"]


def rollup_rows() -> dict[str, list[tuple]]:
    return {label: list(apps.get_model(label).objects.order_by("pk").values_list()) for label in ROLLUP_MODELS}


def test_after_erasure_no_table_holds_the_persons_identifiers(world_a, client_for, django_capture_on_commit_callbacks):
    before = scan_database(IDENTIFIERS)
    # The test can fail: the person is everywhere before the erasure.
    for column in (
        "customers_customer.name",
        "surveys_answer.text",
        "surveys_contactdecision.customer_external_id",
        "actions_caseevent.note",
        "actions_contactattempt.note",
        "actions_feedbackcase.resolution",
        "value_churnevent.reason",
        "imports_importjob.errors",
        "reports_monthlyreport.figures",
        "reports_monthlyreport.html",
        "django_admin_log.object_repr",
        "webhooks_webhookdelivery.payload",
    ):
        assert column in before, f"{column} does not hold the person before the erasure: {sorted(before)}"
    customer = world_a.customer
    url = reverse("privacy:subject_erase", args=[customer.pk])
    client = client_for(world_a.cast.admin)

    refused = client.post(url, {"confirm": "not the id"})
    assert refused.status_code == 400
    assert Customer.objects.filter(pk=customer.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": customer.external_id})
    assert response.status_code == 302

    assert scan_database(IDENTIFIERS) == {}
    for name in world_a.stored_files:
        assert not default_storage.exists(name), f"{name} is still stored"
    record = ErasureRecord.objects.get(organization=world_a.org)
    assert record.customer_ids == [customer.pk]
    assert record.leftovers == {}
    assert record.actor == world_a.cast.admin.user


def test_erasure_keeps_responses_and_cases_without_the_person(world_a, client_for):
    customer, response, case = world_a.customer, world_a.response, world_a.case
    with transaction.atomic():  # a reply to the person not sent yet (the mail server was down)
        [pending] = outbox_enqueue(
            organization_id=world_a.org.pk,
            kind="actions.case_reply",
            key=f"case:{case.pk}:reply",
            emails=[Email(recipient=customer.email, subject="Thanks", body=f"Dear {customer.name}")],
        )
    scores_before = sorted(Answer.objects.filter(response=response).exclude(value=None).values_list("metric", "value"))
    client_for(world_a.cast.admin).post(
        reverse("privacy:subject_erase", args=[customer.pk]), {"confirm": customer.external_id}
    )
    response.refresh_from_db()
    assert response.customer_id is None
    assert response.touchpoint_id is not None and response.submitted_at is not None
    answers = Answer.objects.filter(response=response)
    assert sorted(answers.exclude(value=None).values_list("metric", "value")) == scores_before
    assert list(answers.exclude(text="").values_list("text", flat=True)) == [MASK]
    assert not answers.exclude(customer=None).exists()
    case.refresh_from_db()
    assert case.customer_id is None and case.response_id == response.pk and case.nps == 2
    assert case.resolution == f"Refund sent to {MASK}"
    notes = list(CaseEvent.objects.filter(case=case, kind="note").values_list("note", flat=True))
    assert notes == [f"Spoke to {MASK}, wants a call on {MASK}"]
    assert ContactAttempt.objects.get(case=case).note == f"Called {MASK}"
    assert not Invitation.objects.filter(organization=world_a.org).exists()
    decision = ContactDecision.objects.get(organization=world_a.org)
    assert (decision.customer_id, decision.customer_external_id, decision.decision) == (None, "", "invited")
    assert not ConsentEvent.objects.filter(organization=world_a.org).exists()
    report = MonthlyReport.objects.get(organization=world_a.org)
    assert report.pdf is None
    assert [v["text"] for v in report.figures["voices"]] == [MASK]
    # The unsent reply is cancelled (never sent to a masked address, never retried), not left to fail.
    assert OutboxMessage.objects.get(pk=pending).status == OutboxMessage.Status.CANCELLED


def test_erasure_leaves_every_rollup_byte_for_byte_unchanged(world_a, client_for, django_capture_on_commit_callbacks):
    from kpis.models import DirtyRollup
    from kpis.rollups import aggregate_dirty

    before = rollup_rows()
    assert before["kpis.Rollup"] and before["kpis.SegmentRollup"], "no rollups to compare"
    customer = world_a.customer
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world_a.cast.admin).post(
            reverse("privacy:subject_erase", args=[customer.pk]), {"confirm": customer.external_id}
        )
    assert not DirtyRollup.objects.exists()
    aggregate_dirty()
    assert rollup_rows() == before


def test_erasure_is_recorded_in_the_audit_log_without_the_identity(world_a, client_for):
    customer = world_a.customer
    client_for(world_a.cast.admin).post(
        reverse("privacy:subject_erase", args=[customer.pk]), {"confirm": customer.external_id}
    )
    event = AuditEvent.objects.get(action="privacy.erase")
    assert (event.organization_id, event.target_id, event.target_label) == (
        world_a.org.pk,
        str(customer.pk),
        f"customer #{customer.pk}",
    )
    assert event.actor == world_a.cast.admin.user
    assert event.detail["counts"]["responses_unlinked"] == 1


def test_erasure_in_one_organization_leaves_the_same_person_in_another_untouched(
    cast_a, cast_b, client_for, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    world_a = person_world(cast_a, django_capture_on_commit_callbacks)
    world_b = person_world(cast_b, django_capture_on_commit_callbacks)
    client_for(cast_a.admin).post(
        reverse("privacy:subject_erase", args=[world_a.customer.pk]), {"confirm": world_a.customer.external_id}
    )
    other = Customer.objects.get(pk=world_b.customer.pk)
    assert (other.name, other.email) == (world_b.customer.name, world_b.customer.email)
    assert Response.objects.get(pk=world_b.response.pk).customer_id == other.pk
    assert FeedbackCase.objects.get(pk=world_b.case.pk).resolution == f"Refund sent to {other.email}"
    assert ConsentEvent.objects.filter(customer=other).count() == 3
    for name in world_b.stored_files:
        assert default_storage.exists(name)


@pytest.mark.parametrize("role", ["cx_manager", "frontline", "executive"])
def test_only_administrators_may_erase(world_a, client_for, role):
    customer = world_a.customer
    response = client_for(world_a.cast.member(role)).post(
        reverse("privacy:subject_erase", args=[customer.pk]), {"confirm": customer.external_id}
    )
    assert response.status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_after_erasure_the_audit_log_of_pages_read_names_the_person_nowhere(
    world_a, client_for, django_capture_on_commit_callbacks
):
    customer = world_a.customer
    client = client_for(world_a.cast.admin)
    assert client.get(reverse("customers:customer_detail", args=[customer.pk])).status_code == 200
    assert client.get(reverse("actions:case_detail", args=[world_a.case.pk])).status_code == 200
    assert AuditEvent.objects.filter(target_id=str(customer.pk), action="customer.view").exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("privacy:subject_erase", args=[customer.pk]), {"confirm": customer.external_id})
    assert scan_database(IDENTIFIERS) == {}
    assert ErasureRecord.objects.get(organization=world_a.org).counts["audit_labels_redacted"] >= 2


def test_a_later_reconciliation_moves_the_persons_answers_to_the_anonymous_slice_only(
    world_a, client_for, django_capture_on_commit_callbacks
):
    """After an erasure nothing knows the person's segment any more: the nightly reconciliation moves their answers
    from their segment's slice to the anonymous one. Every touchpoint, journey and organization figure, and every
    slice's total, stays as it was."""
    from django.db.models import Sum

    from kpis.models import SegmentRollup
    from kpis.rollups import reconcile_rollups

    def slice_totals():
        return list(
            SegmentRollup.objects.values("touchpoint_id", "day", "metric")
            .order_by("touchpoint_id", "day", "metric")
            .annotate(n=Sum("n"), total=Sum("total"))
        )

    before, totals = rollup_rows(), slice_totals()
    assert SegmentRollup.objects.filter(segment="Gold").exists()
    customer = world_a.customer
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world_a.cast.admin).post(
            reverse("privacy:subject_erase", args=[customer.pk]), {"confirm": customer.external_id}
        )
    reconcile_rollups(fix=True)
    after = rollup_rows()
    for label in ("kpis.Rollup", "kpis.JourneyRollup", "kpis.RelationshipRollup"):
        # Recomputed rows are new rows (new ids); their figures are the same.
        assert [row[1:] for row in after[label]] == [row[1:] for row in before[label]]
    assert slice_totals() == totals
    assert not SegmentRollup.objects.filter(segment="Gold").exists()


def test_erasing_a_customer_with_a_one_word_name_leaves_that_word_elsewhere_in_the_organization(cast_a):
    from journeys.models import Journey
    from privacy import services
    from tests.factories import CustomerFactory, JourneyFactory
    from tests.privacy.conftest import ctx_of

    journey = JourneyFactory(organization=cast_a.org, description="Business customers such as Telia and Tele2")
    customer = CustomerFactory(organization=cast_a.org, name="Telia", external_id="B2B-TELIA", email="cx@telia.example")
    record = services.subject_erase(ctx=ctx_of(cast_a.admin), customer=customer)
    assert Journey.objects.get(pk=journey.pk).description == "Business customers such as Telia and Tele2"
    assert record.counts["customers_deleted"] == 1
