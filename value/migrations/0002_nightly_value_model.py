"""Registered the nightly value-model run with django-celery-beat; now a no-op, kept because deployed databases
applied it. The schedule is declared once, in value/periodic.py, and synced by core.periodic_tasks (after every
migrate, and by `manage.py setup_periodic_tasks`) under the name this migration used.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("value", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
