"""Two test runs on one Redis database do not take each other's tasks (defect 12).

tests/live_worker.py gives every broker key of a test process a prefix of its own (kombu's global_keyprefix, from
CELERY_BROKER_KEY_PREFIX in the worker); here two workers with different prefixes share REDIS_URL's database, as
two parallel runs (or two xdist workers) would, and each gets exactly its own tasks.
"""

from __future__ import annotations

import os
import uuid

import pytest

from tests.live_worker import broker_key, publishing_to, redis_or_fail, start_worker, stop_worker, wait_for
from tests.ops.ops_tasks import mark

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

SHARED_BROKER = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def test_two_workers_with_different_prefixes_on_one_database_take_only_their_own_tasks(tmp_path):
    client = redis_or_fail(SHARED_BROKER)
    prefixes = {run: f"cxtest:{uuid.uuid4().hex[:12]}:" for run in ("first", "second")}
    workers = {}
    try:
        for run, prefix in prefixes.items():
            marks = tmp_path / run
            marks.mkdir()
            workers[run] = start_worker(
                app="tests.ops.ops_tasks",
                name=f"isolated-{run}",
                broker=SHARED_BROKER,
                log=tmp_path / f"{run}.log",
                env={"OPS_MARK_DIR": str(marks)},
                key_prefix=prefix,
            )
        for run, prefix in prefixes.items():
            with publishing_to(SHARED_BROKER, prefix=prefix):
                for i in range(10):
                    mark.delay("done", f"{run}-{i}")

        def done(run: str) -> list[str]:
            path = tmp_path / run / "done"
            return sorted(path.read_text().splitlines()) if path.exists() else []

        for run in prefixes:
            wait_for(lambda run=run: len(done(run)) >= 10, 60, f"the {run} worker's tasks")
        for run in prefixes:
            assert done(run) == sorted(f"{run}-{i}" for i in range(10))
            assert client.llen(broker_key("celery", prefix=prefixes[run])) == 0
        # Nothing went to the shared, unprefixed queue that a run without a prefix would consume.
        assert client.llen("celery") == 0
    finally:
        for worker in workers.values():
            stop_worker(worker)
        for prefix in prefixes.values():
            keys = list(client.scan_iter(match=prefix + "*"))
            if keys:
                client.delete(*keys)
    assert not list(client.scan_iter(match=prefixes["first"] + "*"))
