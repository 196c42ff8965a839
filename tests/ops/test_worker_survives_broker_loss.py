"""The Celery worker survives the broker crashing under it, and consumes again once it is back (defect 4).

Production-like: a prefork worker (a main process and two children, acks_late) on a redis-server of the test's
own, killed with SIGKILL three times while a task runs unacknowledged. That is the moment that made the worker
exit: kombu restoring the unacknowledged message on a connection celery had already detached raised
AttributeError ("Unrecoverable error"; cxplatform.celery.RedisChannel turns it into the connection error celery
handles). The worker's liveness file (the compose health check) is gone while it cannot consume and back after.
"""

from __future__ import annotations

import time

import pytest

from tests.live_worker import publishing_to, start_worker, stop_worker, wait_for
from tests.ops.ops_tasks import mark, slow_mark

pytestmark = [pytest.mark.fault, pytest.mark.django_db]


def test_the_worker_outlives_three_broker_crashes_and_consumes_after_each(own_redis, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()

    def lines() -> list[str]:
        path = marks / "log"
        return path.read_text().splitlines() if path.exists() else []

    alive = tmp_path / "worker-alive"
    worker = start_worker(
        app="tests.ops.ops_tasks",
        name="survivor",
        broker=own_redis.url(),
        log=tmp_path / "worker.log",
        env={"OPS_MARK_DIR": str(marks), "WORKER_LIVENESS_FILE": str(alive)},
        pool="prefork",
        concurrency=2,
    )
    try:
        wait_for(alive.exists, 10, "the liveness file")
        for outage in range(3):
            with publishing_to(own_redis.url()):
                slow_mark.delay("log", f"busy-{outage}", 3)
            wait_for(lambda o=outage: f"busy-{o} started" in lines(), 30, "the slow task to start")

            own_redis.kill()
            wait_for(lambda: not alive.exists(), 10, "the liveness file to go")
            time.sleep(1)
            assert worker.poll() is None, f"outage {outage}: " + worker.log.read_text()[-4000:]
            own_redis.start()

            with publishing_to(own_redis.url()):
                mark.delay("log", f"after-{outage}")
            wait_for(
                lambda o=outage: f"after-{o}" in lines() or worker.poll() is not None,
                45,
                f"a task consumed after outage {outage}",
            )
            assert worker.poll() is None, f"outage {outage}: " + worker.log.read_text()[-4000:]
            assert alive.exists()
        log = worker.log.read_text()
        assert log.count("Connection to broker lost") == 3
        assert "Unrecoverable error" not in log, log[-4000:]
        # The task that ran through each crash finished (its ack was lost with the connection: logged, not fatal).
        wait_for(lambda: all(f"busy-{outage}" in lines() for outage in range(3)), 10, "the slow tasks to finish")
    finally:
        stop_worker(worker)
