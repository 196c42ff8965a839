"""The documented production configuration passes Django's deployment checks without a single warning."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _example_env() -> dict[str, str]:
    env = {}
    for line in (ROOT / ".env.production.example").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _sep, value = line.partition("=")
        env[key] = value.strip().strip('"')
    return env


def test_every_production_variable_has_an_example_and_check_deploy_reports_nothing(tmp_path):
    example = _example_env()
    compose = (ROOT / "docker-compose.yml").read_text()
    for name in ("SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "ALLOWED_HOSTS", "EMAIL_URL"):
        assert name in example
    for name in example:
        assert name in compose, f"{name} is documented but docker-compose.yml does not pass it on"
    # Only the example's variables (and what Python needs to run): nothing of the test run's own environment.
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(example, DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
