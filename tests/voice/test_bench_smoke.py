"""A smoke run of `bench_voice`: 2,000 comments, one real Celery worker process, the pages timed a few times.

The benchmark works in its own database, copied from this run's (migrated, empty) test database, and drops it.
"""

import os
import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.live_worker import redis_or_fail

pytestmark = pytest.mark.redis


def test_bench_voice_smoke_run_analyses_every_comment_and_prints_the_figures(django_db_setup):
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    redis_or_fail(redis_url)
    test_database = settings.DATABASES["default"]["NAME"]
    out = StringIO()

    call_command(
        "bench_voice",
        comments=2000,
        workers=1,
        requests=5,
        database=f"{test_database}_bench_voice",
        template=test_database,
        redis=redis_url,
        timeout=300,
        stdout=out,
    )

    text = out.getvalue()
    analysed = re.search(r"Analysed ([\d,]+) of 2,000 comments with 1 worker processes .* = ([\d,]+) comments/s", text)
    assert analysed, text
    assert analysed.group(1) == "2,000"
    assert int(analysed.group(2).replace(",", "")) > 0
    assert re.search(r"RESULT voice comments=2000 workers=1 mode=celery seconds=[\d.]+ comments_per_s=\d+", text)
    assert re.search(r"with personal data masked \((1\d|[5-9]|2\d)%\)", text), text  # about 15 %
    assert re.search(r"overview /voice/: p50 \d+ ms, p95 \d+ ms", text), text
    assert re.search(r"theme page \([\d,]+ comments\): p50 \d+ ms, p95 \d+ ms", text), text
    assert re.search(r"RESULT voice pages p95_ms=\d+,\d+", text), text
