"""A broker outage loses no import: the user gets the normal page, the job waits as a row, the `imports.requeue`
sweep queues it again once the broker is back, and the job's claim makes it run once however often it is queued."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from imports.models import ImportJob
from imports.services import import_job_claim, import_jobs_requeue
from imports.tasks import requeue_imports
from surveys.models import Response
from tests.imports.helpers import mapping_post_data, upload
from tests.live_worker import broker_key, publishing_to, redis_or_fail
from tests.outbox.conftest import unreachable_broker
from tests.surveys.ingestion.conftest import make_program
from tests.surveys.ingestion.test_import import csv_bytes, run_import

pytestmark = pytest.mark.django_db

LIVE_BROKER = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7")
CUSTOMERS = "external_id,name\nC-1,Astrid Lindqvist\nC-2,Ole Nordmann\n"


def start_import(client, capture, content: str = CUSTOMERS) -> tuple[ImportJob, object]:
    """Upload and confirm the prefilled mapping as a user does; the after-commit publish runs. (job, response)."""
    assert upload(client, content, kind="customers").status_code == 302
    job = ImportJob.objects.latest("pk")
    mapping_url = reverse("imports:job_mapping", args=[job.pk])
    data = mapping_post_data(client.get(mapping_url).context["form"])
    with capture(execute=True):
        response = client.post(mapping_url, data)
    job.refresh_from_db()
    return job, response


def queued_long_ago(job: ImportJob) -> None:
    long_ago = timezone.now() - dt.timedelta(seconds=settings.IMPORTS_REQUEUE_AFTER_SECONDS + 1)
    ImportJob.objects.filter(pk=job.pk).update(queued_at=long_ago)


def queued_messages(client) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in the live broker's default queue, oldest first."""
    messages = [json.loads(raw) for raw in reversed(client.lrange(broker_key("celery"), 0, -1))]
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


@pytest.fixture
def live_redis():
    client = redis_or_fail(LIVE_BROKER)
    client.delete(broker_key("celery"))
    yield client
    client.delete(broker_key("celery"))


@pytest.mark.redis
def test_an_import_started_while_the_broker_is_down_runs_once_after_the_sweep_queues_it(
    client_for, cast_a, django_capture_on_commit_callbacks, live_redis
):
    client = client_for(cast_a.cx_manager)
    with unreachable_broker():
        job, response = start_import(client, django_capture_on_commit_callbacks)
        assert response.status_code == 302 and response["Location"] == reverse("imports:job_detail", args=[job.pk])
        assert client.get(response["Location"]).status_code == 200
    assert job.status == ImportJob.Status.PENDING and job.queued_at is not None
    assert not Customer.objects.for_org(cast_a.org).exists()

    with publishing_to(LIVE_BROKER):  # the broker is back
        assert import_jobs_requeue() == []  # queued moments ago: its task may still be on its way
        queued_long_ago(job)
        assert requeue_imports.apply().get(disable_sync_subtasks=False) == [job.pk]
        assert import_jobs_requeue() == []  # queued again just now: not again before the timeout
    assert queued_messages(live_redis) == [("imports.run", [job.pk])]

    # The worker takes the message; a redelivery of it (or the lost original turning up) imports nothing more.
    from imports.tasks import run_import as run_task

    run_task.apply(args=[job.pk]).get(disable_sync_subtasks=False)
    run_task.apply(args=[job.pk]).get(disable_sync_subtasks=False)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.created_count, job.processed_rows, job.attempts) == (2, 2, 1)
    assert Customer.objects.for_org(cast_a.org).count() == 2
    assert import_jobs_requeue() == []


def test_a_waiting_import_is_run_by_the_sweep_once(client_for, cast_a, django_capture_on_commit_callbacks):
    client = client_for(cast_a.cx_manager)
    with unreachable_broker():
        job, response = start_import(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and job.status == ImportJob.Status.PENDING
    queued_long_ago(job)
    assert import_jobs_requeue() == [job.pk]  # eager: the run happens here
    assert import_jobs_requeue() == []
    job.refresh_from_db()
    assert (job.status, job.created_count, job.attempts) == (ImportJob.Status.DONE, 2, 1)
    assert Customer.objects.for_org(cast_a.org).count() == 2


def test_the_sweep_leaves_a_running_import_alone_and_retakes_one_whose_worker_died(
    client_for, cast_a, django_capture_on_commit_callbacks
):
    client = client_for(cast_a.cx_manager)
    with unreachable_broker():
        job, _response = start_import(client, django_capture_on_commit_callbacks)
    assert import_job_claim(job_id=job.pk) is not None  # a worker took it
    queued_long_ago(job)
    assert import_jobs_requeue() == []
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and job.attempts == 1

    # The worker died: once the job has been running for longer than any task may, the sweep queues it again.
    died = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    ImportJob.objects.filter(pk=job.pk).update(started_at=died)
    assert import_jobs_requeue() == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.created_count, job.attempts) == (ImportJob.Status.DONE, 2, 2)
    assert Customer.objects.for_org(cast_a.org).count() == 2


def test_an_import_whose_worker_died_too_often_is_failed_with_a_reason(
    client_for, cast_a, django_capture_on_commit_callbacks, settings
):
    client = client_for(cast_a.cx_manager)
    with unreachable_broker():
        job, _response = start_import(client, django_capture_on_commit_callbacks)
    died = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=died, attempts=settings.IMPORTS_MAX_ATTEMPTS
    )
    queued_long_ago(job)
    assert import_jobs_requeue() == []
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and job.finished_at is not None
    assert "stopped before it finished, 3 times" in job.message
    assert not Customer.objects.for_org(cast_a.org).exists()


def test_a_job_waiting_for_its_mapping_is_not_queued(client_for, cast_a):
    assert upload(client_for(cast_a.cx_manager), CUSTOMERS, kind="customers").status_code == 302
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=1))
    assert import_jobs_requeue() == []
    job.refresh_from_db()
    assert job.needs_mapping


def test_a_response_import_started_while_the_broker_is_down_is_run_by_the_sweep_once(
    cast_a, client_for, django_capture_on_commit_callbacks
):
    prog = make_program(cast_a)
    prog.client = client_for(cast_a.cx_manager)
    content = csv_bytes([[f"2026-03-0{day}", prog.touchpoint.name, "", "9", "", "", ""] for day in (1, 2)])
    with unreachable_broker():
        job = run_import(prog, content, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.PENDING and job.options["task"] == "surveys.import_responses"
    assert not Response.objects.exists()
    queued_long_ago(job)
    assert import_jobs_requeue() == [job.pk]
    assert import_jobs_requeue() == []
    job.refresh_from_db()
    assert (job.status, job.created_count, job.attempts) == (ImportJob.Status.DONE, 2, 1)
    assert Response.objects.count() == 2


def test_the_sweep_is_registered_with_beat():
    from django_celery_beat.models import PeriodicTask

    call_command("setup_periodic_tasks", verbosity=0)
    task = PeriodicTask.objects.get(name="imports.requeue")
    assert task.enabled and task.task == "imports.requeue" and task.interval.every == 60
