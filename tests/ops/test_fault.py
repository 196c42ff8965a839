"""Redis crashes in the middle of real traffic, and comes back: nothing acknowledged is lost, nothing is doubled.

Real processes throughout: a redis-server of the test's own (broker and cache, no persistence, as in production),
gunicorn serving the project, a prefork Celery worker, both on the test database, and 20 client threads submitting
responses through the public API with Idempotency-Key headers (a failed request is retried with the same key, as
a client would). Redis is killed (SIGKILL) for 10 s mid-run and started again, empty; afterwards the periodic
sweeps run as beat would run them. Then:

- every answer acknowledged with a 2xx is stored exactly once, under its key, with the id the client was given;
- fewer than 1 % of the submissions started while Redis was down failed;
- every case opened (NPS <= 6) e-mailed each of its team's recipients exactly once, whatever mechanism sends it;
- the worker process is still the same one, and processes a response submitted after the recovery.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

import pytest

from actions.models import AlertRule, FeedbackCase
from actions.services.notifications import team_recipients
from core.periodic_tasks import declared_tasks
from cxplatform.celery import app
from surveys.models import Response
from tests.live_worker import RUN_KEY_PREFIX, publishing_to, start_worker, stop_worker, wait_for
from tests.ops.servers import free_port, running, start_gunicorn
from tests.surveys.ingestion.conftest import make_program

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]

CLIENTS = 20
BEFORE_OUTAGE, OUTAGE, AFTER_OUTAGE = 4.0, 10.0, 4.0
SITE_URL = "http://cx.test"
CASE_URL = re.compile(re.escape(SITE_URL) + r"/actions/cases/(\d+)/")


@dataclass
class Attempt:
    key: str
    started: float
    status: int | None  # None: no HTTP answer (connection error, timeout)
    response_id: int | None = None


def submit(url: str, api_key: str, body: dict, *, key: str, nps: int) -> Attempt:
    """One submission through the API; its outcome as the client saw it."""
    request = urllib.request.Request(
        url,
        data=json.dumps({**body, "answers": {"nps": nps}}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Api-Key {api_key}", "Idempotency-Key": key},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:
            return Attempt(key, started, reply.status, json.loads(reply.read())["id"])
    except urllib.error.HTTPError as error:
        return Attempt(key, started, error.code)
    except OSError:
        return Attempt(key, started, None)


class Clients:
    """CLIENTS threads submitting responses until stopped; every second or so one is a detractor (a case)."""

    def __init__(self, url: str, api_key: str, body: dict):
        self.url, self.api_key, self.body = url, api_key, body
        self.stop = threading.Event()
        self.attempts: list[Attempt] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(CLIENTS)]

    def _run(self, client: int) -> None:
        n = 0
        while not self.stop.is_set():
            key, nps = f"fault-{client}-{n}", 3 if n % 12 == client % 12 else 9
            for _retry in range(4):  # a client retries a failed submission with the same key
                attempt = submit(self.url, self.api_key, self.body, key=key, nps=nps)
                with self.lock:
                    self.attempts.append(attempt)
                if attempt.status is not None and attempt.status < 500:
                    break
                time.sleep(0.5)
            n += 1

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(60)


def emails_per_case_and_recipient(outbox: Path) -> Counter:
    """(case id, recipient) -> how many e-mails about that case went to that recipient (file backend's output)."""
    sent = Counter()
    for path in sorted(outbox.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not chunk.strip():
                continue
            message = message_from_bytes(chunk.lstrip(b"\n"))
            text = " ".join(
                part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
                for part in message.walk()
                if part.get_content_type() == "text/plain"
            )
            recipients = [r.strip() for r in (message["To"] or "").split(",") if r.strip()]
            for case_id in set(CASE_URL.findall(text)):
                for recipient in recipients:
                    sent[(int(case_id), recipient)] += 1
    return sent


def run_sweeps(broker: str) -> None:
    """Publish every periodic task that runs on an interval, as beat would within a minute."""
    with publishing_to(broker):
        for entry in declared_tasks():
            if "every_seconds" in entry:
                app.send_task(entry["task"], kwargs=entry.get("kwargs") or {})


def test_redis_crash_under_load_loses_and_doubles_nothing(cast_a, own_redis, tmp_path):
    prog = make_program(cast_a)
    AlertRule.objects.create(organization=prog.org, name="Detractors", nps_max=6, sla_hours=48, notify_team=True)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {
        "CELERY_BROKER_URL": own_redis.url(0),
        "CELERY_BROKER_KEY_PREFIX": RUN_KEY_PREFIX,
        "CACHE_URL": own_redis.url(1),
        "EMAIL_URL": f"filemail:///{outbox}",  # django-environ drops one leading slash of the path
        "SITE_URL": SITE_URL,
        "SURVEYS_SWEEP_MIN_AGE_SECONDS": "0",
        "SURVEYS_API_RESPONSES_RATE": "1000000/min",  # the throughput, not the throttle, is under test
    }
    worker = start_worker(
        app="cxplatform",
        name="fault",
        broker=own_redis.url(0),
        log=tmp_path / "worker.log",
        env=env,
        pool="prefork",
        concurrency=2,
    )
    try:
        with running(start_gunicorn(port=free_port(), log=tmp_path / "gunicorn.log", env=env)) as web:
            url = f"http://127.0.0.1:{web.port}/api/v1/responses/"
            body = {"survey": prog.survey.pk, "touchpoint": prog.touchpoint.pk, "language": "sv"}
            with Clients(url, prog.api_key, body) as clients:
                time.sleep(BEFORE_OUTAGE)
                own_redis.kill()
                down_from = time.monotonic()
                time.sleep(OUTAGE)
                down_until = time.monotonic()
                own_redis.start()
                time.sleep(AFTER_OUTAGE)
            attempts = clients.attempts

            # Recovery: the sweeps run (beat's job) until every response is processed and every case e-mailed.
            def recovered() -> bool:
                assert worker.poll() is None, "the worker exited: " + worker.log.read_text()[-3000:]
                run_sweeps(own_redis.url(0))
                if Response.objects.filter(processed_at__isnull=True).exists():
                    return False
                sent = emails_per_case_and_recipient(outbox)
                return all(
                    (case.pk, to) in sent
                    for case in FeedbackCase.objects.select_related("team")
                    for to in team_recipients(case)
                )

            wait_for(recovered, 75, "every response processed and every case notified", interval=3)
            # The worker, the same process, handles new work.
            after = submit(url, prog.api_key, body, key="after-recovery", nps=9)
            assert after.status == 201
            wait_for(
                lambda: Response.objects.filter(pk=after.response_id, processed_at__isnull=False).exists(),
                30,
                "a response submitted after the recovery to be processed",
            )
            assert worker.poll() is None, worker.log.read_text()[-3000:]
            time.sleep(2)  # anything sent twice would arrive now
            run_sweeps(own_redis.url(0))
            time.sleep(3)
    finally:
        stop_worker(worker)

    # Every acknowledged answer is stored exactly once, under its key, with the id its client was given.
    acknowledged = {a.key: a.response_id for a in attempts if a.status is not None and 200 <= a.status < 300}
    stored = dict(Response.objects.filter(idempotency_key__startswith="fault-").values_list("idempotency_key", "pk"))
    assert len(acknowledged) > 5 * CLIENTS
    assert {key: stored.get(key) for key in acknowledged} == acknowledged
    assert Response.objects.filter(idempotency_key__startswith="fault-").count() == len(stored)
    # Submissions while Redis was down: stored as usual (the follow-up waits for the sweep).
    during = [a for a in attempts if down_from <= a.started < down_until]
    failed = [a for a in during if a.status is None or a.status >= 300]
    assert len(during) > CLIENTS
    assert len(failed) / len(during) < 0.01, Counter(a.status for a in failed)

    # Every case: its e-mail to each of its team's recipients, exactly once; nothing about anything else.
    cases = list(FeedbackCase.objects.select_related("team"))
    detractors = (
        Response.objects.filter(idempotency_key__startswith="fault-", answers__metric="nps", answers__value__lte=6)
        .distinct()
        .count()
    )
    assert len(cases) == detractors > 0
    expected = Counter({(case.pk, to): 1 for case in cases for to in team_recipients(case)})
    assert expected, "the team has recipients"
    sent = emails_per_case_and_recipient(outbox)
    assert sent == expected, {k: v for k, v in (sent - expected).items()} or set(expected) - set(sent)
