"""Run a script in a fresh process on a fresh SQLite database with the demo's defaults (tasks in-process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def run_on_fresh_sqlite(tmp_path: Path, script: str) -> dict:
    """Migrate a new SQLite database, run `script` with `manage.py shell -c`, return the JSON of its last line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "REDIS_URL"))}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_SETTINGS_MODULE="cxplatform.settings",
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v0"], ["shell", "-c", script]):
        done = subprocess.run(
            [*manage, *command], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=600
        )
        assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
