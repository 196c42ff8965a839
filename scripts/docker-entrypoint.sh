#!/bin/sh
# Container entrypoint: prepare the database if asked, then run the given command.
#   DJANGO_MIGRATE=1  apply migrations (the web service sets it)
#   SEED_DEMO=1       create the demo organizations if absent; only for trying the stack out: the demo
#                     logins have documented, public passwords
# Both run under a PostgreSQL advisory lock, so web replicas starting together do the work one at a time.
set -eu

if [ "${DJANGO_MIGRATE:-0}" = "1" ] || [ "${SEED_DEMO:-0}" = "1" ]; then
  python - <<'PY'
import os

import django

django.setup()
from django.core.management import call_command
from django.db import connection

with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("SELECT pg_advisory_lock(7310001)")  # released when this process ends
    if os.environ.get("DJANGO_MIGRATE") == "1":
        call_command("migrate", interactive=False)
        call_command("setup_periodic_tasks")  # idempotent upsert of every app's beat schedule
    if os.environ.get("SEED_DEMO") == "1":
        call_command("seed_demo", if_empty=True)
PY
fi

exec "$@"
