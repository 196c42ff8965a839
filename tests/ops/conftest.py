"""Fixtures of the operations tests: a Redis server of the test's own that it can crash and start again."""

from __future__ import annotations

import pytest

from tests.ops.servers import RedisServer


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server on a free port, for this test alone; stopped in teardown whatever happened."""
    server = RedisServer(tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
