"""Small runs of `bench_submissions`: what it prints is counted in the database (rows stored), not in replies.

Each run creates, migrates and drops a database of its own (named after the test database).
"""

import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.live_worker import redis_or_fail

pytestmark = pytest.mark.redis


def _run(**options) -> str:
    redis_or_fail("redis://127.0.0.1:6379/14")
    test_database = settings.DATABASES["default"]["NAME"]
    out = StringIO()
    call_command("bench_submissions", database=f"{test_database}_bench_sub", stdout=out, **options)
    return out.getvalue()


def test_in_process_api_run_prints_rows_stored_for_the_fast_path_and_plain_orm(django_db_setup):
    text = _run(in_process=20, endpoint="api", plain_orm="all")

    fast = re.search(r"in-process api, fast path as shipped: 20 submissions, rows stored ([\d,]+), failed (\d+)", text)
    plain = re.search(
        r"in-process api, plain ORM for token,apikey,ids,insert,prefetch: 20 submissions, rows stored ([\d,]+), "
        r"failed (\d+)",
        text,
    )
    assert fast and plain, text
    assert fast.groups() == ("20", "0")
    assert plain.groups() == ("20", "0")
    assert re.search(r"RESULT in-process api plain_orm=- django_cpu_ms=[\d.]+ db_cpu_ms=[\d.]+ stored=20", text)


def test_in_process_web_run_swaps_one_spot_and_stores_every_submission(django_db_setup):
    text = _run(in_process=15, endpoint="web", plain_orm="token")

    assert re.search(r"in-process web, fast path as shipped: 15 submissions, rows stored 15, failed 0", text), text
    assert re.search(r"in-process web, plain ORM for token: 15 submissions, rows stored 15, failed 0", text), text


def test_unknown_plain_orm_spot_is_refused():
    with pytest.raises(SystemExit, match="Unknown --plain-orm spot"):
        from bench.plain_orm import apply

        apply("token,nonsense")


def test_gunicorn_run_counts_rows_stored_and_times_successful_requests_only(django_db_setup):
    text = _run(clients=2, seconds=1, warmup=0.5, rate=20, endpoint="api", no_worker=True)

    counted = r"status counts \{([^}]*)\}; rows stored \(COUNT of surveys_response after - before\): (\d+)"
    runs = re.findall(counted, text)
    assert len(runs) == 2, text  # saturation and paced
    for statuses, stored in runs:
        created = int(re.search(r"201: (\d+)", statuses).group(1))
        assert int(stored) == created > 0
    assert re.search(r"latency ms of the [\d,]+ successful requests: p50 [\d.]+  p95 [\d.]+", text), text
    assert re.search(r"RESULT api paced stored=\d+ responses/s failed=0 p50_ms=[\d.]+ p95_ms=[\d.]+", text), text
