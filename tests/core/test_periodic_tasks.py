"""core.periodic_tasks: one declaration per app, synced into django-celery-beat by migrate and by the command."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal
from django_celery_beat.models import PeriodicTask

from core.periodic_tasks import declared_tasks

pytestmark = pytest.mark.django_db


def test_migrate_gives_a_fresh_database_every_declared_schedule_and_nothing_twice(settings):
    PeriodicTask.objects.all().delete()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    stored = dict(PeriodicTask.objects.values_list("name", "task"))
    assert stored == {entry["name"]: entry["task"] for entry in declared_tasks()}
    # Those the data migrations used to register, under the names deployed databases have.
    assert stored["kpis.aggregate_dirty (every minute)"] == "kpis.aggregate_dirty"
    nightly = PeriodicTask.objects.get(name="value.run_model (nightly)")
    assert (nightly.crontab.hour, nightly.crontab.minute) == ("2", "30")
    assert str(nightly.crontab.timezone) == settings.CELERY_TIMEZONE


def test_the_command_reports_what_it_wrote():
    out = io.StringIO()
    call_command("setup_periodic_tasks", stdout=out)
    assert "updated kpis.reconcile_rollups (nightly): kpis.reconcile_rollups crontab" in out.getvalue()
    assert len(out.getvalue().splitlines()) == len(declared_tasks())
