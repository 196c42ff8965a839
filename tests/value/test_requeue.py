"""A broker outage loses no value-model run: the nightly fan-out first writes one waiting snapshot per organization,
the `value.requeue` sweep queues again whatever is still waiting, and the claim runs each snapshot once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Organization
from accounts.scoping import context_for_membership
from tests.outbox.conftest import unreachable_broker
from value.models import ValueSnapshot
from value.services import value_recompute_request
from value.tasks import requeue_runs, run_model

pytestmark = pytest.mark.django_db

PENDING, DONE = ValueSnapshot.Status.PENDING, ValueSnapshot.Status.DONE


def requested_long_ago() -> None:
    long_ago = timezone.now() - dt.timedelta(seconds=settings.VALUE_REQUEUE_AFTER_SECONDS + 1)
    ValueSnapshot.objects.filter(status=PENDING).update(requested_at=long_ago)


def statuses(org) -> list[str]:
    return list(ValueSnapshot.objects.filter(organization=org).values_list("status", flat=True))


def test_a_nightly_fan_out_stopped_by_a_broker_outage_is_finished_by_the_sweep_once(cast_a, cast_b):
    orgs = Organization.objects.count()
    with unreachable_broker():
        run_model.apply()  # beat's nightly task, on a worker; every publish of the fan-out fails
    assert ValueSnapshot.objects.filter(status=PENDING).count() == orgs
    assert statuses(cast_a.org) == [PENDING]

    assert (
        requeue_runs.apply().get(disable_sync_subtasks=False) == []
    )  # requested moments ago: their tasks may still be on their way
    requested_long_ago()
    assert (
        len(requeue_runs.apply().get(disable_sync_subtasks=False)) == orgs
    )  # the broker is back (eager here): every run happens once
    assert statuses(cast_a.org) == [DONE] and statuses(cast_b.org) == [DONE]

    # The nightly task delivered again (beat firing twice, a redelivery) and the sweep again: nothing more.
    run_model.apply()
    requested_long_ago()
    assert requeue_runs.apply().get(disable_sync_subtasks=False) == []
    assert statuses(cast_a.org) == [DONE] and statuses(cast_b.org) == [DONE]


def test_a_redelivered_nightly_task_queues_the_waiting_runs_without_adding_any(cast_a, cast_b):
    with unreachable_broker():
        run_model.apply()
    run_model.apply()  # the same task again, with the broker back: it finishes the fan-out
    assert statuses(cast_a.org) == [DONE] and statuses(cast_b.org) == [DONE]


def test_a_recompute_requested_while_the_broker_is_down_is_run_by_the_sweep(cast_a, django_capture_on_commit_callbacks):
    with unreachable_broker(), django_capture_on_commit_callbacks(execute=True):
        snapshot = value_recompute_request(ctx=context_for_membership(cast_a.cx_manager, user=cast_a.cx_manager.user))
    snapshot.refresh_from_db()
    assert snapshot.status == PENDING
    requested_long_ago()
    assert requeue_runs.apply().get(disable_sync_subtasks=False) == [snapshot.pk]
    snapshot.refresh_from_db()
    assert snapshot.status == DONE and statuses(cast_a.org) == [DONE]


def test_the_sweep_leaves_a_claimed_run_alone(cast_a):
    running = ValueSnapshot.objects.create(organization=cast_a.org, status=ValueSnapshot.Status.RUNNING)
    requested_long_ago()
    ValueSnapshot.objects.filter(pk=running.pk).update(requested_at=timezone.now() - dt.timedelta(hours=1))
    assert requeue_runs.apply().get(disable_sync_subtasks=False) == []
    running.refresh_from_db()
    assert running.status == ValueSnapshot.Status.RUNNING and running.computed_at is None


def test_the_sweep_is_registered_with_beat():
    from django_celery_beat.models import PeriodicTask

    call_command("setup_periodic_tasks", verbosity=0)
    task = PeriodicTask.objects.get(name="value.requeue")
    assert task.enabled and task.task == "value.requeue" and task.interval.every == 300
