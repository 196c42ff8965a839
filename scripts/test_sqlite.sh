#!/usr/bin/env bash
# The database-neutral tests (marked `sqlite`) on SQLite, as the demo runs: tasks in-process (eager), no Redis, no
# PostgreSQL. They run on PostgreSQL too, with the whole suite (scripts/test.sh); CI runs both (.ci/run).
set -euo pipefail
source "$(dirname "$0")/_venv.sh" requirements-dev.txt
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The demo's defaults: whatever points this shell at PostgreSQL, Redis or a broker does not apply here.
unset REDIS_URL CACHE_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND CELERY_TASK_ALWAYS_EAGER TEST_DATABASE_URL
export DATABASE_URL="sqlite:///$work/test.sqlite3" MEDIA_ROOT="$work/media" DJANGO_ALLOW_ASYNC_UNSAFE=true
echo "==> pytest -m sqlite on SQLite"
python -m pytest -m sqlite -n 2 "$@"
