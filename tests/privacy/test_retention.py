"""Retention: each organization's policy applied nightly, with a report of what was done."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.masking import MASK
from customers.models import Customer
from privacy import services
from privacy.models import ErasureRecord, RetentionPolicy, RetentionRun
from privacy.tasks import run_retention
from reports.models import MonthlyReport
from surveys.models import Answer
from tests.privacy.conftest import COMMENT, IDENTIFIERS, ctx_of, person_world, scan_database
from tests.privacy.test_erasure import rollup_rows

RECENT = {"name": "Ulrika Recentia", "email": "ulrika@recent.example", "phone": "+4520304050", "external_id": "REC-1"}
RECENT_COMMENT = "The new router works fine since the visit last week, thanks"


def long_ago():
    return time_machine.travel(timezone.now() - dt.timedelta(days=500), tick=True)


@pytest.fixture
def old_and_recent(cast_a, django_capture_on_commit_callbacks, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with long_ago():
        old = person_world(cast_a, django_capture_on_commit_callbacks)
    recent = person_world(cast_a, django_capture_on_commit_callbacks, identity=RECENT, comment=RECENT_COMMENT)
    return old, recent


def test_nightly_run_erases_inactive_customers_masks_old_comments_and_reports_it(
    old_and_recent, django_capture_on_commit_callbacks
):
    old, recent = old_and_recent
    org = old.org
    RetentionPolicy.objects.create(
        organization=org, identities_months=12, comments_months=6, import_files_months=3, audit_log_months=12
    )
    rollups = rollup_rows()
    with django_capture_on_commit_callbacks(execute=True):
        [run_id] = run_retention()

    run = RetentionRun.objects.get(pk=run_id)
    assert run.error == "" and run.finished_at is not None and run.trigger == "schedule"
    assert run.counts["customers_erased"] == 1
    assert run.counts["comments_masked"] == 1
    assert run.counts["reports_rewritten"] == 1
    assert run.counts["import_files_deleted"] == 2
    assert run.counts["audit_events_deleted"] >= 1
    assert run.counts["leftover_rows"] == 0
    assert run.policy == {
        "identities_months": 12,
        "comments_months": 6,
        "audit_log_months": 12,
        "import_files_months": 3,
    }
    assert not Customer.objects.filter(pk=old.customer.pk).exists()
    assert ErasureRecord.objects.get(organization=org).reason == "retention"
    assert scan_database(IDENTIFIERS) == {}
    for name in old.stored_files:
        assert not default_storage.exists(name)
    # The recent customer, their comment, files and report are untouched.
    recent_customer = Customer.objects.get(pk=recent.customer.pk)
    assert recent_customer.email == RECENT["email"]
    assert Answer.objects.filter(response=recent.response, text=RECENT_COMMENT).exists()
    for name in recent.stored_files:
        assert default_storage.exists(name)
    recent_report = MonthlyReport.objects.get(organization=org, month=timezone.localdate().replace(day=1))
    assert [v["text"] for v in recent_report.figures["voices"]] == [RECENT_COMMENT]
    assert rollup_rows() == rollups
    assert AuditEvent.objects.filter(action="privacy.retention_run", organization=org).exists()


def test_comment_retention_masks_old_comments_and_keeps_the_customer(old_and_recent):
    old, _recent = old_and_recent
    RetentionPolicy.objects.create(organization=old.org, comments_months=12)
    run = services.retention_run(organization_id=old.org.pk)
    assert run.counts == {"comments_masked": 1, "reports_rewritten": 1}
    assert list(Answer.objects.filter(response=old.response).exclude(text="").values_list("text", flat=True)) == [MASK]
    old_report = MonthlyReport.objects.exclude(month=timezone.localdate().replace(day=1)).get(organization=old.org)
    assert COMMENT not in old_report.html and [v["text"] for v in old_report.figures["voices"]] == [MASK]
    assert Customer.objects.filter(pk=old.customer.pk).exists()


def test_a_second_run_finds_nothing_left_to_do(old_and_recent):
    old, _recent = old_and_recent
    RetentionPolicy.objects.create(organization=old.org, identities_months=12, comments_months=6)
    services.retention_run(organization_id=old.org.pk)
    again = services.retention_run(organization_id=old.org.pk)
    assert again.counts == {"comments_masked": 0, "reports_rewritten": 0, "customers_erased": 0, "leftover_rows": 0}


def test_organizations_without_a_policy_are_left_alone(old_and_recent, cast_b):
    old, _recent = old_and_recent
    RetentionPolicy.objects.create(organization=cast_b.org, identities_months=1)
    RetentionPolicy.objects.create(organization=old.org)  # every field empty: keep everything
    runs = run_retention()
    assert [RetentionRun.objects.get(pk=pk).organization_id for pk in runs] == [cast_b.org.pk]
    assert Customer.objects.filter(pk=old.customer.pk).exists()


def test_the_retention_page_saves_the_policy_runs_it_and_shows_the_report(cast_a, client_for):
    client = client_for(cast_a.admin)
    refused = client.post(reverse("privacy:retention_policy"), {"identities_months": "0"})
    assert refused.status_code == 400
    saved = client.post(reverse("privacy:retention_policy"), {"identities_months": "24", "comments_months": "12"})
    assert saved.status_code == 302
    policy = RetentionPolicy.objects.get(organization=cast_a.org)
    assert (policy.identities_months, policy.comments_months, policy.audit_log_months) == (24, 12, None)
    change = AuditEvent.objects.get(action="privacy.retention_change")
    assert change.detail["new"]["identities_months"] == 24 and change.detail["old"]["identities_months"] is None
    assert client.post(reverse("privacy:retention_run")).status_code == 302
    run = RetentionRun.objects.get(organization=cast_a.org)
    assert run.trigger == "manual" and run.actor_label == cast_a.admin.user.get_username()
    page = client.get(reverse("privacy:home")).content.decode()
    assert "customers erased: 0" in page and "comments masked: 0" in page


def test_the_api_reads_and_replaces_the_policy(cast_a):
    from tests.privacy.test_export import api_client_with_key

    client = api_client_with_key(cast_a.admin)
    assert client.get("/api/v1/privacy/retention-policy/").json()["identities_months"] is None
    response = client.put("/api/v1/privacy/retention-policy/", {"comments_months": 6}, format="json")
    assert response.status_code == 200 and response.json()["comments_months"] == 6
    assert client.put("/api/v1/privacy/retention-policy/", {"comments_months": 0}, format="json").status_code == 400
    policy = RetentionPolicy.objects.get(organization=cast_a.org)
    assert (policy.comments_months, policy.identities_months) == (6, None)
    assert AuditEvent.objects.get(action="privacy.retention_change").actor_label.startswith("API key")


def test_the_nightly_task_is_declared_for_beat():
    from core.periodic_tasks import declared_tasks

    [entry] = [e for e in declared_tasks() if e["name"] == "privacy.run_retention"]
    assert entry["task"] == "privacy.run_retention" and entry["crontab"] == {"minute": 15, "hour": 2}
    from cxplatform.celery import app

    assert "privacy.run_retention" in app.tasks


def test_services_refuse_a_context_without_rights(cast_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.retention_policy_save(ctx=ctx_of(cast_a.cx_manager), identities_months=1)
