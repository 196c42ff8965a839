"""A real `celery worker` subprocess on the test database, for the tests that need one (durability, delivery, ops).

Broker isolation: every broker key of this test process starts with RUN_KEY_PREFIX (kombu's `global_keyprefix`):
the queues of the workers it starts, and the tasks it publishes inside `publishing_to` or while one of its workers
runs (start_worker sets the prefix on this process's Celery app until the worker stops, so a test that points the
app at the broker reaches its worker). Two test runs, or two xdist workers (each its own process), on the same
Redis database never take each other's tasks; the run's keys are deleted when the process ends, and nobody else's.
"""

from __future__ import annotations

import atexit
import contextlib
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

from cxplatform.celery import app

RUN_KEY_PREFIX = f"cxtest:{uuid.uuid4().hex[:12]}:"
_brokers_used: set[str] = set()
_prefixed_workers: set[subprocess.Popen] = set()
_options_before_prefix: dict | None = None


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


def database_url() -> str:
    """The URL of the test database this process uses (for subprocesses: workers, gunicorn)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def broker_key(name: str = "celery", *, prefix: str = RUN_KEY_PREFIX) -> str:
    """The Redis key of a broker structure (a queue: "celery"; "unacked", ...) under `prefix`."""
    return prefix + name


def reset_publisher() -> None:
    # The producer pool is bound to the broker URL and options it was created with.
    app._pool = None
    app.amqp._producer_pool = None


def _prefix_while_running(process: subprocess.Popen) -> None:
    """Publish under the run's prefix until `process` (and every other worker started with it) stops."""
    global _options_before_prefix
    if not _prefixed_workers:
        _options_before_prefix = app.conf.broker_transport_options
        app.conf.broker_transport_options = {**(_options_before_prefix or {}), "global_keyprefix": RUN_KEY_PREFIX}
        reset_publisher()
    _prefixed_workers.add(process)


def _unprefix(process: subprocess.Popen) -> None:
    if process in _prefixed_workers:
        _prefixed_workers.discard(process)
        if not _prefixed_workers:
            app.conf.broker_transport_options = _options_before_prefix
            reset_publisher()


@contextlib.contextmanager
def publishing_to(broker: str, *, prefix: str = RUN_KEY_PREFIX):
    """Make this process publish its tasks to `broker` under `prefix` instead of running them eagerly."""
    conf = app.conf
    saved = (conf.broker_url, conf.task_always_eager, conf.broker_transport_options)
    conf.broker_url, conf.task_always_eager = broker, False
    conf.broker_transport_options = {**(saved[2] or {}), "global_keyprefix": prefix}
    _brokers_used.add(broker)
    reset_publisher()
    try:
        yield
    finally:
        conf.broker_url, conf.task_always_eager, conf.broker_transport_options = saved
        reset_publisher()


def start_worker(
    *,
    app: str,
    name: str,
    broker: str,
    log: Path,
    env: dict[str, str],
    key_prefix: str = RUN_KEY_PREFIX,
    pool: str = "solo",
    concurrency: int = 1,
) -> subprocess.Popen:
    """Start a worker of `app` on the test database and `broker`; return once it is ready (its log in `log`).

    Its broker keys start with `key_prefix`; with the run's own prefix (the default) this process publishes under
    it too. `pool="prefork"` with `concurrency` runs it as production does (a main process and its children).
    """
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cxplatform.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_BROKER_KEY_PREFIX": key_prefix,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **env,
    }
    _brokers_used.add(broker)
    command = [str(Path(sys.executable).parent / "celery"), "-A", app, "worker", "-P", pool, "-l", "info"]
    if pool != "solo":
        command.append(f"--concurrency={concurrency}")
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
    if key_prefix == RUN_KEY_PREFIX:
        _prefix_while_running(process)
    try:
        wait_for(lambda: "ready." in log.read_text() or process.poll() is not None, 90, f"{name} to start")
        assert process.poll() is None, log.read_text()[-3000:]
    except BaseException:
        stop_worker(process)
        raise
    return process


def stop_worker(process: subprocess.Popen) -> None:
    _unprefix(process)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@atexit.register
def _delete_run_keys() -> None:
    """Delete this run's broker keys (only those: every one starts with RUN_KEY_PREFIX) wherever they went."""
    for broker in _brokers_used:
        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(broker, socket_connect_timeout=1, socket_timeout=2)
            keys = list(client.scan_iter(match=RUN_KEY_PREFIX + "*", count=1000))
            if keys:
                client.delete(*keys)
