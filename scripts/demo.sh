#!/usr/bin/env bash
# Set up and run the demo: SQLite, tasks in-process, a seeded Nordic telecom, served on http://127.0.0.1:8000
set -euo pipefail
source "$(dirname "$0")/_venv.sh" requirements.txt
python manage.py migrate --noinput
python manage.py setup_periodic_tasks >/dev/null
python manage.py seed_demo --if-empty
echo "==> serving on http://127.0.0.1:${PORT:-8000}  (Ctrl-C to stop)"
exec python manage.py runserver "127.0.0.1:${PORT:-8000}"
