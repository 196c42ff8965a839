"""setup_periodic_tasks: the sweep is scheduled every minute, idempotently."""

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from core.periodic_tasks import declared_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_the_sweep_is_scheduled_every_minute_and_a_rerun_changes_nothing():
    call_command("setup_periodic_tasks", verbosity=0)
    call_command("setup_periodic_tasks", verbosity=0)
    task = PeriodicTask.objects.get(name="surveys.sweep_unprocessed")
    assert (task.task, task.interval.every, task.interval.period, task.enabled) == (
        "surveys.sweep_unprocessed",
        60,
        "seconds",
        True,
    )
    assert task.expire_seconds == 55
    assert PeriodicTask.objects.filter(task="surveys.sweep_unprocessed").count() == 1


def test_a_dry_run_writes_nothing():
    PeriodicTask.objects.filter(name="surveys.sweep_unprocessed").delete()  # migrate stored it already
    call_command("setup_periodic_tasks", "--dry-run", verbosity=0)
    assert not PeriodicTask.objects.filter(name="surveys.sweep_unprocessed").exists()


def test_a_task_no_longer_declared_is_disabled_on_request(django_capture_on_commit_callbacks):
    call_command("setup_periodic_tasks", verbosity=0)
    from django_celery_beat.models import IntervalSchedule

    every = IntervalSchedule.objects.create(every=5, period="minutes")
    PeriodicTask.objects.create(name="surveys.gone", task="surveys.gone", interval=every)
    PeriodicTask.objects.create(name="celery.backend_cleanup", task="celery.backend_cleanup", interval=every)
    call_command("setup_periodic_tasks", "--disable-missing", verbosity=0)
    assert not PeriodicTask.objects.get(name="surveys.gone").enabled
    assert PeriodicTask.objects.get(name="celery.backend_cleanup").enabled  # not ours: left alone


def test_every_declared_task_names_a_registered_celery_task():
    from cxplatform.celery import app

    app.loader.import_default_modules()
    for entry in declared_tasks():
        assert entry["task"] in app.tasks, entry
