"""Register the KPI engine's periodic tasks with django-celery-beat (DatabaseScheduler), idempotently."""

from django.conf import settings
from django.db import migrations

AGGREGATE = "kpis.aggregate_dirty (every minute)"
RECONCILE = "kpis.reconcile_rollups (nightly)"


def register(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Every minute: catches keys whose on-commit run was lost (broker down, worker killed); cheap when none are dirty.
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=AGGREGATE,
        defaults={
            "task": "kpis.aggregate_dirty",
            "interval": every_minute,
            "crontab": None,
            "enabled": True,
            "description": "Recompute dirty (touchpoint or journey, day) rollups from the answers.",
        },
    )
    # 03:30 local time: after the day's imports and the 02:30 value model, before anyone reads the dashboards.
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone=settings.TIME_ZONE
    )
    PeriodicTask.objects.update_or_create(
        name=RECONCILE,
        defaults={
            "task": "kpis.reconcile_rollups",
            "crontab": nightly,
            "interval": None,
            "enabled": True,
            "description": "Compare the rollups with a fresh recompute; fix and record differences.",
        },
    )


def unregister(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[AGGREGATE, RECONCILE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, unregister)]
