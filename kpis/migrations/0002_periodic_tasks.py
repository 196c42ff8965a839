"""Registered the KPI engine's periodic tasks with django-celery-beat; now a no-op, kept because deployed databases
applied it. The schedules are declared once, in kpis/periodic.py, and synced by core.periodic_tasks (after every
migrate, and by `manage.py setup_periodic_tasks`) under the names this migration used.
"""

from django.db import migrations


def register(apps, schema_editor):
    """Nothing: see kpis/periodic.py (tests.kpis.test_rollups still calls this to check the schedules are there)."""


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(register, migrations.RunPython.noop)]
