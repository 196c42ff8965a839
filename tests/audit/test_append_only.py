"""The audit log is append-only on PostgreSQL: updates and deletes are refused except the retention purge."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.scoping import context_for_membership
from audit.models import AuditEvent
from audit.services import audit_purge, audit_record, audit_redact

pytestmark = pytest.mark.django_db


def test_record_names_actor_target_and_organization(cast_a):
    ctx = context_for_membership(cast_a.admin, user=cast_a.admin.user)
    event = audit_record(action="member.role_change", ctx=ctx, target=cast_a.frontline, detail={"old": "a", "new": "b"})
    assert event.organization_id == cast_a.org.pk
    assert event.actor == cast_a.admin.user
    assert event.actor_label == cast_a.admin.user.get_username()
    assert event.target_type == "accounts.membership"
    assert event.target_id == str(cast_a.frontline.pk)


def test_update_and_delete_are_refused(cast_a):
    event = audit_record(action="customer.view", organization=cast_a.org, target_type="customer", target_id=1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, action="customer.view").exists()


def test_purge_deletes_only_old_events_of_the_organization(cast_a, cast_b):
    old = timezone.now() - dt.timedelta(days=400)
    audit_record(action="customer.view", organization=cast_a.org, at=old)
    kept = audit_record(action="customer.view", organization=cast_a.org)
    other = audit_record(action="customer.view", organization=cast_b.org, at=old)
    assert audit_purge(organization_id=cast_a.org.pk, before=timezone.now() - dt.timedelta(days=365)) == 1
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == {kept.pk, other.pk}


def test_deleting_a_user_keeps_the_event_and_its_label(cast_a):
    user = cast_a.cx_manager.user
    event = audit_record(action="kpi.target_change", organization=cast_a.org, user=user)
    user.delete()
    event.refresh_from_db()
    assert event.actor_id is None
    assert event.actor_label == user.get_username()


def test_deleting_an_organization_takes_its_events(cast_a, cast_b):
    audit_record(action="customer.view", organization=cast_a.org)
    kept = audit_record(action="customer.view", organization=cast_b.org)
    Organization.objects.filter(pk=cast_a.org.pk).delete()
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]


def test_after_a_purge_the_rest_of_the_transaction_is_append_only_again(cast_a):
    kept = audit_record(action="customer.view", organization=cast_a.org)
    with transaction.atomic():  # a nightly run that purges, then goes on in the same transaction
        audit_purge(organization_id=cast_a.org.pk, before=timezone.now() - dt.timedelta(days=1))
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=kept.pk).delete()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()


def test_redaction_masks_an_erased_persons_name_in_labels_and_filters_only(cast_a, cast_b):
    view = audit_record(
        action="customer.view",
        organization=cast_a.org,
        target_type="customers.customer",
        target_id=7,
        target_label="Anna Andersson",
    )
    search = audit_record(action="customer.list", organization=cast_a.org, detail={"query": {"q": ["anna andersson"]}})
    other = audit_record(action="customer.view", organization=cast_a.org, target_label="Bertil Berg")
    foreign = audit_record(action="customer.view", organization=cast_b.org, target_label="Anna Andersson")
    assert audit_redact(organization_id=cast_a.org.pk, values=["Anna Andersson", "Anna"], replacement="▒▒▒") == 2
    view.refresh_from_db()
    search.refresh_from_db()
    assert (view.target_label, view.target_id, view.action) == ("▒▒▒", "7", "customer.view")
    assert search.detail == {"query": {"q": ["▒▒▒"]}}
    assert AuditEvent.objects.get(pk=other.pk).target_label == "Bertil Berg"
    assert AuditEvent.objects.get(pk=foreign.pk).target_label == "Anna Andersson"
    # Redaction opens nothing else: the action, and any later update, are still refused.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=view.pk).update(target_label="Anna again")


def test_the_redaction_flag_lets_only_the_label_and_detail_change(cast_a):
    event = audit_record(action="customer.view", organization=cast_a.org, target_label="Anna")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('cx.audit_redact', 'on', true)")
        AuditEvent.objects.filter(pk=event.pk).update(target_label="x", action="case.view")
    assert AuditEvent.objects.get(pk=event.pk).action == "customer.view"
