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


def test_the_retention_page_saves_the_policy_runs_it_and_shows_the_report(
    cast_a, client_for, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the demo's way: the queued task runs in-process after the commit
    client = client_for(cast_a.admin)
    refused = client.post(reverse("privacy:retention_policy"), {"identities_months": "0"})
    assert refused.status_code == 400
    saved = client.post(reverse("privacy:retention_policy"), {"identities_months": "24", "comments_months": "12"})
    assert saved.status_code == 302
    policy = RetentionPolicy.objects.get(organization=cast_a.org)
    assert (policy.identities_months, policy.comments_months, policy.audit_log_months) == (24, 12, None)
    change = AuditEvent.objects.get(action="privacy.retention_change")
    assert change.detail["new"]["identities_months"] == 24 and change.detail["old"]["identities_months"] is None
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("privacy:retention_run")).status_code == 302
    run = RetentionRun.objects.get(organization=cast_a.org)
    assert run.trigger == "manual" and run.actor_label == cast_a.admin.user.get_username()
    assert run.state == "done" and run.finished_at is not None
    page = client.get(reverse("privacy:home")).content.decode()
    assert "customers erased: 0" in page and "comments masked: 0" in page
    assert 'data-unfinished="false"' in page and "hx-get" not in page.split('id="retention-runs"')[1][:200]
    requested = AuditEvent.objects.get(action="privacy.retention_run_request")
    assert requested.actor_label == cast_a.admin.user.get_username() and requested.target_id == str(run.pk)
    assert AuditEvent.objects.get(action="privacy.retention_run").detail["trigger"] == "manual"


def test_apply_now_never_runs_in_the_request_and_a_lost_task_is_queued_again_by_the_sweep(
    old_and_recent, client_for, settings, django_capture_on_commit_callbacks
):
    from tests.outbox.conftest import unreachable_broker

    old, _recent = old_and_recent
    RetentionPolicy.objects.create(organization=old.org, identities_months=12)
    client = client_for(old.cast.admin)
    # The request only queues the work (published after the commit); the broker being down costs it nothing.
    with unreachable_broker(), django_capture_on_commit_callbacks(execute=True) as published:
        assert client.post(reverse("privacy:retention_run")).status_code == 302
        again = client.post(reverse("privacy:retention_run"), follow=True)
    assert len(published) == 1
    run = RetentionRun.objects.get(organization=old.org)  # the second click queued no second run
    assert "already queued or running" in again.content.decode()
    assert run.state == "queued" and run.trigger == "manual" and run.counts == {}
    assert Customer.objects.filter(pk=old.customer.pk).exists()  # nothing was erased inside the request
    page = client.get(reverse("privacy:home")).content.decode()
    assert 'data-unfinished="true"' in page and f'hx-get="{reverse("privacy:retention_runs")}"' in page
    assert "Queued" in page and "waiting for a worker" in page

    # Not yet stale: the sweep leaves it; past PRIVACY_RETENTION_REQUEUE_AFTER_SECONDS it queues it again.
    assert services.retention_runs_sweep() == {"requeued": 0, "interrupted": 0}
    later = timezone.now() + dt.timedelta(seconds=settings.PRIVACY_RETENTION_REQUEUE_AFTER_SECONDS + 1)
    assert services.retention_runs_sweep(now=later) == {"requeued": 1, "interrupted": 0}  # eager: it ran
    run.refresh_from_db()
    assert run.state == "done" and run.counts["customers_erased"] == 1
    assert not Customer.objects.filter(pk=old.customer.pk).exists()
    fragment = client.get(reverse("privacy:retention_runs")).content.decode()
    assert 'data-unfinished="false"' in fragment and "customers erased: 1" in fragment


def test_a_queued_run_is_claimed_once_and_applies_the_policy_as_it_is_when_it_runs(old_and_recent):
    from privacy.tasks import run_retention_one

    old, _recent = old_and_recent
    policy = RetentionPolicy.objects.create(organization=old.org)
    run = RetentionRun.objects.create(organization=old.org, trigger="manual", actor_label="x", policy={})
    policy.identities_months = 12
    policy.save()
    run_retention_one(run.pk)
    run_retention_one(run.pk)  # a second delivery of the task finds the run taken
    run.refresh_from_db()
    assert run.state == "done" and run.policy["identities_months"] == 12
    assert run.counts == {"customers_erased": 1, "leftover_rows": 0}
    assert ErasureRecord.objects.filter(organization=old.org, reason="retention").count() == 1


def test_a_run_whose_worker_stopped_is_marked_failed_by_the_sweep(cast_a, client_for, settings):
    stuck = RetentionRun.objects.create(organization=cast_a.org, state="running", actor_label="x", policy={})
    later = timezone.now() + dt.timedelta(seconds=settings.PRIVACY_RETENTION_STALE_SECONDS + 1)
    assert services.retention_runs_sweep(now=later) == {"requeued": 0, "interrupted": 1}
    stuck.refresh_from_db()
    assert stuck.state == "failed" and "Interrupted" in stuck.error and stuck.finished_at is not None
    page = client_for(cast_a.admin).get(reverse("privacy:retention_runs")).content.decode()
    assert 'data-state="failed"' in page and "Interrupted" in page


def test_the_runs_fragment_shows_only_the_own_organizations_runs_to_its_admins(cast_a, cast_b, client_for):
    RetentionRun.objects.create(organization=cast_a.org, state="queued", actor_label="Alpha Admin", policy={})
    url = reverse("privacy:retention_runs")
    own = client_for(cast_a.admin).get(url).content.decode()
    assert "Alpha Admin" in own and 'data-unfinished="true"' in own
    other = client_for(cast_b.admin).get(url).content.decode()
    assert "Alpha Admin" not in other and 'data-unfinished="false"' in other
    assert client_for(cast_a.cx_manager).get(url).status_code == 403


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
    [sweep] = [e for e in declared_tasks() if e["name"] == "privacy.sweep_retention_runs"]
    assert sweep["every_seconds"] == 300
    from cxplatform.celery import app

    assert {"privacy.run_retention", "privacy.run_retention_one", "privacy.sweep_retention_runs"} <= set(app.tasks)


def test_services_refuse_a_context_without_rights(cast_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.retention_policy_save(ctx=ctx_of(cast_a.cx_manager), identities_months=1)
