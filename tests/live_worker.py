"""A real `celery worker` subprocess on the test database, for the tests that need one (durability, delivery)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def redis_or_fail(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (see scripts/services.sh)")
    return client


def start_worker(*, app: str, name: str, broker: str, log: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start a solo worker of `app` on the test database and `broker`; return once it is ready (its log in `log`)."""
    db = connection.settings_dict
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cxplatform.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **env,
    }
    command = [str(Path(sys.executable).parent / "celery"), "-A", app, "worker", "-P", "solo", "-l", "info"]
    command += [
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "-n",
        f"{name}-{uuid.uuid4().hex[:6]}@%h",
    ]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    process.log = log
    try:
        wait_for(lambda: "ready." in log.read_text() or process.poll() is not None, 90, f"{name} to start")
        assert process.poll() is None, log.read_text()[-3000:]
    except BaseException:
        stop_worker(process)
        raise
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
