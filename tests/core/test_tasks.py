"""core.tasks.enqueue_coalesced: after commit, one publish per window, a broker outage costs the caller nothing.

A real Redis broker (the queue is read back), a real Redis cache for shared windows, real on-commit callbacks.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
from celery import shared_task
from django.db import transaction

from core.tasks import coalesced_release, enqueue_coalesced, enqueue_reset
from tests.live_worker import broker_key, publishing_to, redis_or_fail
from tests.ops.servers import free_port

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

BROKER = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12")
DEAD_REDIS = "redis://127.0.0.1:{port}/0"
ran: list[int] = []


@shared_task(name="tests.core.record")
def record(value: int = 0) -> None:
    ran.append(value)


@shared_task(name="tests.core.fail")
def fail() -> None:
    raise RuntimeError("the task's own error")


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"core-tasks-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture(autouse=True)
def _fresh_state():
    enqueue_reset()
    ran.clear()
    yield
    enqueue_reset()


@pytest.fixture
def queue():
    """The broker queue this test publishes to; read() -> the names of the tasks waiting in it."""
    client = redis_or_fail(BROKER)
    key = broker_key("celery")
    client.delete(key)

    class Queue:
        @staticmethod
        def read() -> list[str]:
            return [json.loads(m)["headers"]["task"] for m in client.lrange(key, 0, -1)]

    yield Queue
    client.delete(key)


@pytest.fixture
def shared_cache(settings):
    settings.CACHES = redis_cache(BROKER)


def test_commits_within_a_window_publish_one_task_and_its_start_opens_the_window_again(
    queue, shared_cache, django_capture_on_commit_callbacks
):
    with publishing_to(BROKER):
        with django_capture_on_commit_callbacks(execute=True):
            for _ in range(3):
                assert enqueue_coalesced(record, "tests:record", window=60) is True
            assert queue.read() == []  # nothing before the commit
        assert queue.read() == ["tests.core.record"]
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_coalesced(record, "tests:record", window=60)
        assert queue.read() == ["tests.core.record"]  # the queued run takes this work too
        coalesced_release("tests:record")  # what the task does when it starts
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_coalesced(record, "tests:record", window=60)
    assert queue.read() == ["tests.core.record", "tests.core.record"]


def test_a_rolled_back_transaction_queues_nothing(queue, shared_cache, django_capture_on_commit_callbacks):
    with publishing_to(BROKER), django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        enqueue_coalesced(record, "tests:record", window=60)
        transaction.set_rollback(True)
    assert callbacks == [] and queue.read() == []
    with publishing_to(BROKER), django_capture_on_commit_callbacks(execute=True):
        enqueue_coalesced(record, "tests:record", window=60)
    assert queue.read() == ["tests.core.record"]  # the rollback left no window open either


def test_with_the_broker_down_the_caller_goes_on_and_the_broker_is_left_alone_for_the_back_off(queue, shared_cache):
    started = time.monotonic()
    with publishing_to(DEAD_REDIS.format(port=free_port())):
        assert enqueue_coalesced(record, "tests:record", window=60, after_commit=False) is False
    assert time.monotonic() - started < 3
    with publishing_to(BROKER):
        # Back, but this process does not know yet: the work stays with its sweep until the back-off ends.
        assert enqueue_coalesced(record, "tests:record", window=60, after_commit=False, backoff_seconds=5) is False
        assert queue.read() == []
        enqueue_reset()
        # The failed publish closed its window again: the next call is not held back by it.
        assert enqueue_coalesced(record, "tests:record", window=60, after_commit=False) is True
    assert queue.read() == ["tests.core.record"]


def test_a_window_in_process_memory_needs_no_cache_and_ends_on_its_own(queue, settings):
    settings.CACHES = redis_cache(DEAD_REDIS.format(port=free_port()))
    with publishing_to(BROKER):
        for _ in range(5):
            assert enqueue_coalesced(record, "tests:local", window=0.2, shared=False, after_commit=False) is True
        assert queue.read() == ["tests.core.record"]
        time.sleep(0.25)
        assert enqueue_coalesced(record, "tests:local", window=0.2, shared=False, after_commit=False) is True
    assert queue.read() == ["tests.core.record", "tests.core.record"]


def test_with_the_cache_down_a_shared_window_leaves_the_work_to_the_sweep(queue, settings):
    settings.CACHES = redis_cache(DEAD_REDIS.format(port=free_port()))
    with publishing_to(BROKER):
        assert enqueue_coalesced(record, "tests:record", window=60, after_commit=False) is False
    assert queue.read() == []


def test_without_a_key_every_call_publishes_with_its_arguments(queue, django_capture_on_commit_callbacks):
    with publishing_to(BROKER), django_capture_on_commit_callbacks(execute=True):
        enqueue_coalesced(record, args=(1,))
        enqueue_coalesced(record, kwargs={"value": 2})
    assert queue.read() == ["tests.core.record", "tests.core.record"]


def test_eager_mode_runs_the_task_at_commit_and_logs_its_error_without_raising(
    shared_cache, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_coalesced(record, args=(7,))
        assert ran == []
    assert ran == [7]
    assert enqueue_coalesced(fail, after_commit=False) is False
    assert enqueue_coalesced(record, args=(8,), after_commit=False) is True  # an eager error sets no back-off
    assert ran == [7, 8]
