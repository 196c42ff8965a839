"""A Redis outage delays follow-up work but loses nothing (real Redis, a real Celery worker process, PostgreSQL).

(a) With the broker unreachable, submissions through the API and the service succeed and are committed unprocessed.
(b) Once the broker is back, the sweep runs on the worker and processes the whole backlog, each response once.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from core.tasks import enqueue_reset
from surveys.ingestion import services
from surveys.ingestion.tasks import process_response, sweep_unprocessed
from surveys.models import Response
from tests.live_worker import broker_key, publishing_to, redis_or_fail, start_worker, stop_worker, wait_for
from tests.surveys.ingestion.conftest import make_program

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# A database of its own (nothing else in the project uses 12); REDIS_URL gives each parallel test run its own.
LIVE_BROKER = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
DEAD_BROKER = "redis://127.0.0.1:6390/0"  # nothing listens there
ROOT = Path(settings.BASE_DIR)


@contextlib.contextmanager
def broker(url: str):
    """Make this process (and the live server thread in it) publish to `url` (under the run's key prefix)."""
    enqueue_reset()
    try:
        with publishing_to(url):
            yield
    finally:
        enqueue_reset()


@pytest.fixture
def redis_client():
    client = redis_or_fail(LIVE_BROKER)
    client.delete(broker_key("celery"))
    yield client
    client.delete(broker_key("celery"))


@pytest.fixture
def worker(redis_client, tmp_path):
    """A real `celery worker` subprocess on the test database; killed in teardown whatever happens."""
    probe_key = f"ingestion-probe:{uuid.uuid4().hex}"
    process = start_worker(
        app="tests.surveys.ingestion.probe_worker",
        name="ingest-test",
        broker=LIVE_BROKER,
        log=tmp_path / "worker.log",
        env={"SURVEYS_SWEEP_MIN_AGE_SECONDS": "0", "PROBE_REDIS_URL": LIVE_BROKER, "PROBE_KEY": probe_key},
    )
    process.probe_key = probe_key
    try:
        yield process
    finally:
        stop_worker(process)
        redis_client.delete(probe_key)


def api_post(live_server, key: str, body: dict) -> tuple[int, dict, float]:
    request = urllib.request.Request(
        f"{live_server.url}/api/v1/responses/",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
        method="POST",
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.status, json.loads(reply.read()), time.monotonic() - started


def submit_service(prog, nps: int) -> Response:
    response, created = services.response_submit(
        organization=prog.org,
        survey=prog.survey,
        version=prog.survey.current_version,
        answers={"nps": nps},
        touchpoint=prog.touchpoint,
        language="sv",
    )
    assert created
    return response


def test_an_outage_delays_follow_up_work_and_the_sweep_recovers_it(cast_a, live_server, redis_client, request):
    prog = make_program(cast_a)
    body = {"survey": prog.survey.pk, "touchpoint": prog.touchpoint.pk, "answers": {"nps": 3}, "language": "sv"}

    # (a) Broker down: every submission is stored, none is processed, and nobody waits for the broker.
    with broker(DEAD_BROKER):
        for i in range(3):
            status, reply, seconds = api_post(live_server, prog.api_key, {**body, "idempotency_key": f"down-{i}"})
            assert status == 201
            assert reply["processed_at"] is None
            assert seconds < 5
        backlog = [submit_service(prog, nps) for nps in (0, 10)]
    ids = set(Response.objects.values_list("pk", flat=True))
    assert len(ids) == 5
    assert {r.pk for r in backlog} <= ids
    assert not Response.objects.filter(processed_at__isnull=False).exists()

    # (b) Broker back, worker running: the sweep processes the backlog; new submissions go straight through.
    worker = request.getfixturevalue("worker")
    with broker(LIVE_BROKER):
        sweep_unprocessed.delay()
        wait_for(lambda: not Response.objects.filter(processed_at__isnull=True).exists(), 60, "the sweep")
        status, reply, _seconds = api_post(live_server, prog.api_key, {**body, "idempotency_key": "after"})
        assert status == 201
        wait_for(
            lambda: Response.objects.filter(pk=reply["id"], processed_at__isnull=False).exists(),
            60,
            "the follow-up of a new response",
        )
        # Redelivery of the same task (a retry after a lost ack) does nothing more.
        process_response.delay(reply["id"])
        sweep_unprocessed.delay()
        wait_for(lambda: redis_client.llen(broker_key("celery")) == 0, 30, "the queue to drain")
        time.sleep(1)
    processed = [int(x) for x in redis_client.lrange(worker.probe_key, 0, -1)]
    assert sorted(processed) == sorted(ids | {reply["id"]}), worker.log.read_text()[-3000:]


def test_a_burst_of_submissions_publishes_one_drain_not_one_task_each(cast_a, redis_client):
    # The response rows are the outbox; after a commit one drain task is scheduled a moment ahead, and later
    # commits that it will still see publish nothing more.
    prog = make_program(cast_a)
    with broker(LIVE_BROKER):
        enqueue_reset()
        for nps in range(8):
            submit_service(prog, nps)
        queued = [json.loads(m) for m in redis_client.lrange(broker_key("celery"), 0, -1)]
        assert [m["headers"]["task"] for m in queued] == ["surveys.process_pending"]
        time.sleep(services.KICK_DELAY_SECONDS + 0.05)
        submit_service(prog, 10)  # after the scheduled drain started: a new one
        assert redis_client.llen(broker_key("celery")) == 2
    assert Response.objects.filter(processed_at__isnull=True).count() == 9
