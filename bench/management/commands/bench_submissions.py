"""Benchmark: concurrent survey submissions through gunicorn.

    manage.py bench_submissions --clients 20 --seconds 20                 # the public survey page (default)
    manage.py bench_submissions --clients 20 --seconds 20 --endpoint api  # POST /api/v1/responses/
    manage.py bench_submissions --in-process 1000                         # CPU per submission, fast path vs ORM

Creates, migrates and seeds a throw-away database, starts gunicorn on 127.0.0.1 (DEBUG off, Redis as broker and
cache on databases of their own, no worker: the follow-up tasks just queue), drives it from N client threads with
keep-alive connections, prints p50/p95/p99 latency and throughput, then stops gunicorn and drops the database.

Three measurements: "saturation" (each client posts again as soon as it has its reply: the highest throughput, and
the latency that 20 clients queueing for 2 cores get), "paced" (the clients together offer --rate submissions
a second on a fixed schedule, latency counted from the scheduled send time, so a slow server cannot hide queueing),
and "paced with a worker": a real Celery worker (`celery -A cxplatform worker`, same machine, --worker-concurrency
processes) follows the responses up while the paced load runs; it reports the follow-up lag (from a response's
`created_at` to its `processed_at`: p50/p95/max) and the backlog when the load stops. The benchmark organization
has an active alert rule (a detractor naming churn or an unanswered call), and about one comment in twenty names
it, so cases are opened as in a real program. --no-worker skips that run.
Public-page clients load the form once for the CSRF cookie, then post answers with their own submission keys, as
a browser does; API clients send their own Idempotency-Key, as a well-behaved integration would. The rate limits
are raised (they are still counted) so that the server, not the limit, is measured.

What is counted: throughput is the rows stored (a COUNT of surveys_response before and after the run) per second,
not the 2xx replies; latency percentiles are those of the successful requests (a 302 to the thank-you page for the
form, a 201 for the API), and failed requests (any other status, or no reply) are counted and timed separately.

--in-process N times N submissions per endpoint through Django's test client in one process (no HTTP server, no
CSRF check): CPU ms per submission of the Django process and of its PostgreSQL backend. It runs the hand-written
fast path, then each of its spots swapped for plain ORM (bench.plain_orm), then all of them at once, so each spot's
cost is measured on its own. --plain-orm SPOTS ("all" or e.g. "token,insert") runs the gunicorn benchmark (or the
in-process one, against the fast path) with those spots swapped in the server.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from django.core.management.base import BaseCommand

from bench.management.commands import _bench

BENCH_REDIS = "redis://127.0.0.1:6379/14"
BENCH_CACHE = "redis://127.0.0.1:6379/15"
CHURN_WORDS = "uppsägning|säga upp|oppsigelse|opsig*|cancel*|ringde aldrig"
# What respondents write: about one comment in twenty names churn (the alert rule's keywords).
COMMENTS = ["Bra service"] * 12 + ["Snabbt och smidigt"] * 4 + ["Det tog lång tid"] * 3 + ["Funderar på uppsägning"]


def _production_env(name: str, **extra: str) -> dict[str, str]:
    """The environment of a child process that runs as production does (DEBUG off) against the bench database."""
    return _bench.child_env(
        name,
        DEBUG="false",
        SECRET_KEY="bench-" + os.urandom(16).hex(),
        FIELD_ENCRYPTION_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),  # a Fernet key (DEBUG off)
        CELERY_BROKER_URL=BENCH_REDIS,
        CACHE_URL=BENCH_CACHE,
        CELERY_TASK_ALWAYS_EAGER="false",
        CONN_MAX_AGE="60",
        LOG_LEVEL="WARNING",
        # One API key drives everything: lift its throttle so that the server, not the limit, is measured.
        SURVEYS_API_RESPONSES_RATE="1000000/min",
        SURVEYS_PUBLIC_RATE_LIMIT="1000000",
        **extra,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Drive concurrent API submissions against gunicorn and print latency percentiles and throughput."

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=20)
        parser.add_argument("--seconds", type=float, default=20)
        parser.add_argument("--warmup", type=float, default=3)
        parser.add_argument("--endpoint", choices=["web", "api"], default=None, help="web (default) or api")
        parser.add_argument("--rate", type=float, default=300, help="Offered submissions/s of the paced run (0: skip).")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (production: one per core)")
        parser.add_argument("--threads", type=int, default=3, help="gthread threads per worker")
        parser.add_argument(
            "--batch", type=int, default=0, help="Post N responses per request to /api/v1/responses/batch/ instead."
        )
        parser.add_argument("--no-worker", action="store_true", help="Skip the paced run with a Celery worker.")
        parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes")
        parser.add_argument("--database", default="cx_ingest_bench_web")
        parser.add_argument("--template", default="", help="Copy this migrated database instead of a new one.")
        parser.add_argument("--keep", action="store_true")
        parser.add_argument("--seed-only", action="store_true", help="(internal) seed the database, print the ids")
        parser.add_argument(
            "--in-process", type=int, default=0, help="Time N submissions per endpoint in-process (CPU per submission)."
        )
        parser.add_argument(
            "--plain-orm", default="", help='Swap these fast-path spots for plain ORM ("all", or e.g. "token,insert").'
        )
        parser.add_argument("--inner", action="store_true", help="(internal) the in-process run's measuring process")

    def handle(self, *args, **options):
        if options["seed_only"]:
            from actions.models import AlertRule
            from surveys.models import Survey, SurveyLink

            seeded = _bench.seed_program(touchpoints=5)
            AlertRule.objects.create(
                organization=seeded.organization,
                name="Churn risk",
                nps_max=6,
                keywords=CHURN_WORDS,
                sla_hours=24,
            )
            survey = Survey.objects.get(pk=seeded.survey_id)
            survey.touchpoints.add(*seeded.touchpoint_ids)
            links = [
                SurveyLink.objects.create(organization=seeded.organization, survey=survey, touchpoint_id=pk).token
                for pk in seeded.touchpoint_ids
            ]
            print(
                json.dumps(
                    {
                        "survey": seeded.survey_id,
                        "touchpoints": seeded.touchpoint_ids,
                        "key": seeded.api_key,
                        "links": links,
                    }
                )
            )
            return
        options["endpoint_given"] = options["endpoint"] is not None
        options["endpoint"] = options["endpoint"] or "web"
        if options["inner"]:
            return self._in_process_inner(options)
        name = options["database"]
        out = self.stdout.write
        out(f"Machine load before: {_bench.load_average()}")
        _bench.recreate_database(name, options["template"])
        if options["in_process"]:
            try:
                self._in_process(options, name)
            finally:
                self._purge_queue()
                if not options["keep"]:
                    _bench.drop_database(name)
            out(f"Machine load after: {_bench.load_average()}")
            return
        port = _free_port()
        env = _production_env(name, ALLOWED_HOSTS="127.0.0.1", BENCH_PLAIN_ORM=options["plain_orm"])
        server = None
        try:
            _bench.manage(["migrate", "-v0"], env)
            # DEBUG off serves pages with hashed static names, as production does: they need the manifest.
            _bench.manage(["collectstatic", "--noinput", "-v0"], env)
            seed = json.loads(_bench.manage(["bench_submissions", "--seed-only"], env, capture_output=True).stdout)
            gunicorn = Path(sys.executable).parent / "gunicorn"
            command = [
                str(gunicorn),
                "cxplatform.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(options["workers"]),
                "--worker-class",
                "gthread",
                "--threads",
                str(options["threads"]),
                "--no-control-socket",
                "--log-level",
                "warning",
                "--timeout",
                "30",
                "--config",
                "python:bench.gunicorn_hooks",  # swaps in --plain-orm's spots in each worker
            ]
            server = subprocess.Popen(  # noqa: S603
                command, cwd=_bench.MANAGE.parent, env=env, start_new_session=True
            )
            self._wait_until_up(port, server)
            self.batch = options["batch"]
            self.endpoint = "api" if self.batch else options["endpoint"]
            self.ok_status = {302} if self.endpoint == "web" else ({200} if self.batch else {201})
            self.database = name
            target = (
                "POST /s/t/<token>/ (the public survey page, form post with CSRF, answered by a redirect)"
                if self.endpoint == "web"
                else "POST /api/v1/responses/" + ("batch/" if self.batch else "") + " with an API key"
            )
            out(
                f"gunicorn: {options['workers']} workers x {options['threads']} threads (gthread), DEBUG off, "
                f"CONN_MAX_AGE=60, Redis broker and cache, no Celery worker; {target}; "
                f"fast path: {'plain ORM for ' + options['plain_orm'] if options['plain_orm'] else 'as shipped'}"
            )
            self._drive(port, seed, options["clients"], options["warmup"], warmup=True)
            for label, rate in (("saturation", 0.0), ("paced", options["rate"])):
                if label == "paced" and (rate <= 0 or self.batch):
                    continue
                before = self._cpu_seconds(server.pid, name)
                client_before = time.process_time()
                rows_before = self._stored_rows()
                results = self._drive(port, seed, options["clients"], options["seconds"], rate=rate)
                results["stored"] = self._stored_rows() - rows_before
                results["client_cpu"] = time.process_time() - client_before
                after = self._cpu_seconds(server.pid, name)
                results["cpu"] = {k: after[k] - before.get(k, 0.0) for k in after}
                self._report(results, options, label=label, rate=rate)
            if not options["no_worker"] and options["rate"] > 0 and not self.batch:
                # The runs without a worker queued a drain task every quarter second; a running worker would have
                # taken each as it came. The rows are the outbox: one drain follows up what they left. (Only the
                # messages go: the web processes keep publishing through the queue bindings they declared.)
                _redis().delete("celery")
                worker = self._start_worker(env, options["worker_concurrency"])
                _send_task("surveys.process_pending")
                try:
                    self._follow_up_run(port, seed, options, name, server, worker)
                finally:
                    self._stop(worker)
        finally:
            if server is not None and server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
                    server.wait(5)
            self._purge_queue()
            if not options["keep"]:
                _bench.drop_database(name)
        out(f"Machine load after: {_bench.load_average()}")

    def _start_worker(self, env: dict, concurrency: int) -> subprocess.Popen:
        log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
        celery = Path(sys.executable).parent / "celery"
        command = [
            str(celery), "-A", "cxplatform", "worker", "-l", "info", "-c", str(concurrency),
            "--without-heartbeat", "--without-mingle", "--without-gossip", "-n", f"bench-{os.getpid()}@%h",
        ]  # fmt: skip
        with log.open("w") as out:
            worker = subprocess.Popen(  # noqa: S603
                command,
                cwd=_bench.MANAGE.parent,
                env={**env, "EMAIL_URL": "dummymail://"},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker.log = log
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"The Celery worker did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        return worker

    @staticmethod
    def _stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)

    def _follow_up_run(self, port: int, seed: dict, options, database: str, server, worker) -> None:
        """The paced load with a worker following up: lag from commit to processed_at, backlog at the end."""
        out = self.stdout.write
        out(f"-- paced with a worker: celery worker, {options['worker_concurrency']} processes, same machine")
        db = _Db(database)
        backlog = db.value("SELECT count(*) FROM surveys_response WHERE processed_at IS NULL")
        started = time.monotonic()
        while db.value("SELECT count(*) FROM surveys_response WHERE processed_at IS NULL"):
            if time.monotonic() - started > 300:
                raise SystemExit("The worker did not follow up the earlier runs' responses within 5 minutes.")
            time.sleep(0.2)
        out(
            f"the worker followed up the {backlog:,} responses the runs without a worker left in "
            f"{time.monotonic() - started:.1f} s (a backlog, drained in batches)"
        )
        time.sleep(6)  # let the aggregation those batches queued run before the measured load
        window_start = db.value("SELECT now()")
        pids = {"worker": worker.pid, "web": server.pid}
        before = {k: _tree_cpu(pid) for k, pid in pids.items()}
        rows_before = self._stored_rows()
        results = self._drive(port, seed, options["clients"], options["seconds"], rate=options["rate"], tag="f")
        results["stored"] = self._stored_rows() - rows_before
        load_stopped = time.monotonic()
        left = db.value(
            "SELECT count(*) FROM surveys_response WHERE created_at >= %s AND processed_at IS NULL", [window_start]
        )
        while db.value("SELECT count(*) FROM surveys_response WHERE processed_at IS NULL"):
            if time.monotonic() - load_stopped > 120:
                break
            time.sleep(0.1)
        drained_after = time.monotonic() - load_stopped
        cpu = {k: _tree_cpu(pid) - before[k] for k, pid in pids.items()}
        n, p50, p95, p99, worst = db.row(
            "SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY lag), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY lag), percentile_cont(0.99) WITHIN GROUP (ORDER BY lag), "
            "max(lag) FROM (SELECT extract(epoch FROM processed_at - created_at) AS lag FROM surveys_response "
            "WHERE created_at >= %s AND processed_at IS NOT NULL) x",
            [window_start],
        )
        cases = db.value("SELECT count(*) FROM actions_feedbackcase WHERE opened_at >= %s", [window_start])
        if not n:
            db.close()
            raise SystemExit("No response was followed up during the load: is the worker running?")
        time.sleep(7)  # the debounced aggregation of the last batches
        dirty = db.value("SELECT count(*) FROM kpis_dirtyrollup")
        db.close()
        self._report(results, options, label="paced with a worker", rate=options["rate"])
        stored = results["stored"]
        out(
            f"follow-up of {n:,} responses: lag p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {worst * 1000:.0f} ms; {cases} cases opened; backlog when the load "
            f"stopped: {left} (all followed up {drained_after:.1f} s later); dirty rollup keys 7 s later: {dirty}"
        )
        if stored:
            out(
                f"CPU per stored response: web {1000 * cpu['web'] / stored:.2f} ms, "
                f"worker {1000 * cpu['worker'] / stored:.2f} ms"
            )
        out(
            f"RESULT follow-up lag_p50_ms={p50 * 1000:.0f} lag_p95_ms={p95 * 1000:.0f} lag_max_ms={worst * 1000:.0f} "
            f"backlog_at_end={left} (target: p95 < 2000 ms at {options['rate']:.0f}/s)"
        )

    @staticmethod
    def _purge_queue() -> None:
        import redis

        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(BENCH_REDIS)
            client.delete("celery", *client.scan_iter("_kombu.*"))

    @staticmethod
    def _cpu_seconds(master_pid: int, database: str) -> dict[str, float]:
        """CPU time used so far by the gunicorn workers and by the PostgreSQL backends of the benchmark database."""
        import psycopg2

        tick = os.sysconf("SC_CLK_TCK")

        def cpu(pid: int) -> float:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                return 0.0
            return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

        workers = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master_pid:
                        workers.append(int(entry.name))
                except (OSError, ValueError):
                    continue
        conn = psycopg2.connect(dbname="postgres", **_bench.server_params())
        with conn.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [database])
            backends = [row[0] for row in cursor.fetchall()]
        conn.close()
        return {"web": sum(cpu(p) for p in workers), "db": sum(cpu(p) for p in backends)}

    @staticmethod
    def _wait_until_up(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit("gunicorn exited during start-up")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/health/")
                if conn.getresponse().status < 500:
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("gunicorn did not answer within a minute")

    def _drive(
        self,
        port: int,
        seed: dict,
        clients: int,
        seconds: float,
        warmup: bool = False,
        rate: float = 0.0,
        tag: str = "",
    ) -> dict:
        """Each client thread posts on one keep-alive connection until the deadline: back to back, or paced."""
        latencies: list[list[tuple[float, int]]] = [[] for _ in range(clients)]
        statuses: list[dict[int, int]] = [{} for _ in range(clients)]
        start_gate = threading.Barrier(clients + 1)
        deadline = [0.0]
        began_at = [0.0]
        failures: list[Exception] = []
        interval = clients / rate if rate > 0 else 0.0
        # Each run its own submission keys: a repeated key is an idempotent retry, which stores nothing new.
        tag = tag or ("w" if warmup else ("p" if rate else "s"))

        def client(index: int) -> None:
            rng = random.Random(f"{tag}{index}")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                request = (
                    self._web_requests(conn, seed, rng) if self.endpoint == "web" else self._api_requests(seed, rng)
                )
            except Exception as exc:
                failures.append(exc)
                start_gate.abort()
                return
            start_gate.wait()
            n = 0
            # Paced clients start spread over one interval, so the offered load is even.
            next_at = began_at[0] + interval * index / clients
            while True:
                if interval:
                    pause = next_at - time.perf_counter()
                    if pause > 0:
                        time.sleep(pause)
                    started = next_at
                    next_at += interval
                else:
                    started = time.perf_counter()
                if started >= deadline[0]:
                    break
                n += 1
                method, url, body, headers = request(f"{tag}-{index}-{n}-{rng.random():.12f}")
                try:
                    conn.request(method, url, body=body, headers=headers)
                    reply = conn.getresponse()
                    reply.read()
                    status = reply.status
                except (OSError, http.client.HTTPException):
                    status = 0
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                latencies[index].append((time.perf_counter() - started, status))
                statuses[index][status] = statuses[index].get(status, 0) + 1
            conn.close()

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
        for t in threads:
            t.start()
        began_at[0] = time.perf_counter() + 0.05
        deadline[0] = began_at[0] + seconds
        try:
            start_gate.wait(timeout=120)
        except threading.BrokenBarrierError:
            raise SystemExit(f"A client could not start: {failures[:1] or 'timeout'}") from None
        for t in threads:
            t.join(seconds + 60)
        elapsed = time.perf_counter() - began_at[0]
        merged: dict[int, int] = {}
        for s in statuses:
            for code, count in s.items():
                merged[code] = merged.get(code, 0) + count
        timed = [x for per in latencies for x in per]
        return {
            "ok": sorted(t for t, status in timed if status in self.ok_status),
            "failed": sorted(t for t, status in timed if status not in self.ok_status),
            "statuses": merged,
            "elapsed": elapsed,
        }

    def _api_requests(self, seed: dict, rng: random.Random):
        headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {seed['key']}"}
        url = "/api/v1/responses/batch/" if self.batch else "/api/v1/responses/"

        def make(key: str):
            items = [
                {
                    "survey": seed["survey"],
                    "touchpoint": rng.choice(seed["touchpoints"]),
                    "answers": {"nps": rng.randint(0, 10), "csat": rng.randint(1, 5), "why": rng.choice(COMMENTS)},
                    "language": "sv",
                    "channel": "web",
                }
                for _ in range(max(1, self.batch))
            ]
            body = json.dumps({"items": items} if self.batch else items[0])
            return "POST", url, body, {**headers, "Idempotency-Key": key}

        return make

    def _web_requests(self, conn: http.client.HTTPConnection, seed: dict, rng: random.Random):
        """Load the form once (CSRF cookie and token, as a browser would), then post answers to it."""
        token = rng.choice(seed["links"])
        url = f"/s/t/{token}/"
        conn.request("GET", url, headers={"Accept-Language": "sv"})
        page = conn.getresponse()
        html = page.read().decode()
        cookie = next(
            v.split(";", 1)[0] for k, v in page.getheaders() if k.lower() == "set-cookie" and v.startswith("csrftoken=")
        )
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Accept-Language": "sv",
            "Referer": f"http://127.0.0.1{url}",
        }

        def make(key: str):
            submission = hashlib.sha256(key.encode()).hexdigest()[:32]
            body = urlencode(
                {
                    "csrfmiddlewaretoken": csrf,
                    "submission": submission,
                    "q_nps": rng.randint(0, 10),
                    "q_csat": rng.randint(1, 5),
                    "q_why": rng.choice(COMMENTS),
                }
            )
            return "POST", url, body, headers

        return make

    def _stored_rows(self) -> int:
        db = _Db(self.database)
        try:
            return db.value("SELECT count(*) FROM surveys_response")
        finally:
            db.close()

    def _report(self, results: dict, options, *, label: str, rate: float) -> None:
        lat, failed = results["ok"], results["failed"]
        stored = results["stored"]
        out = self.stdout.write
        how = f"paced at {rate:.0f}/s offered" if rate else "saturation (back to back)"
        out(f"-- {label}: {how}")
        out(
            f"{len(lat) + len(failed):,} requests in {results['elapsed']:.1f} s from {options['clients']} clients; "
            f"status counts {results['statuses']}; rows stored (COUNT of surveys_response after - before): "
            f"{stored:,}"
        )
        if failed:
            out(
                f"FAILED requests: {len(failed):,} (status not in {sorted(self.ok_status)}), their latency ms: "
                f"p50 {_pct(failed, 0.5):.1f}  max {1000 * failed[-1]:.1f}; not in the percentiles below"
            )
        if not lat:
            out("No request succeeded.")
            return
        out(
            f"latency ms of the {len(lat):,} successful requests: p50 {_pct(lat, 0.50):.1f}  "
            f"p95 {_pct(lat, 0.95):.1f}  p99 {_pct(lat, 0.99):.1f}  max {1000 * lat[-1]:.1f}  "
            f"mean {1000 * statistics.fmean(lat):.1f}"
        )
        cpu = results.get("cpu", {})
        if stored and cpu:
            out(
                f"CPU per stored response: web {1000 * cpu['web'] / stored:.2f} ms, "
                f"PostgreSQL {1000 * cpu['db'] / stored:.2f} ms, "
                f"load client {1000 * results['client_cpu'] / stored:.2f} ms "
                f"(this machine has {os.cpu_count()} cores, shared by all three)"
            )
        if self.batch:
            out(f"Batches of {self.batch}: {stored / results['elapsed']:.0f} responses stored/s")
        out(
            f"RESULT {self.endpoint} {label} stored={stored / results['elapsed']:.0f} responses/s "
            f"failed={len(failed)} p50_ms={_pct(lat, 0.5):.1f} p95_ms={_pct(lat, 0.95):.1f} "
            f"(successful requests; targets: >= 300/s, p95 < 50 ms)"
        )

    # -- in-process: CPU per submission, fast path vs plain ORM --------------------------------------------------

    def _in_process(self, options, name: str) -> None:
        from bench.plain_orm import SPOTS

        out = self.stdout.write
        env = _production_env(name, ALLOWED_HOSTS="testserver")
        _bench.manage(["migrate", "-v0"], env)
        _bench.manage(["collectstatic", "--noinput", "-v0"], env)  # DEBUG off: pages use the manifest's names
        seed = _bench.manage(["bench_submissions", "--seed-only"], env, capture_output=True, text=True).stdout
        env["BENCH_SEED"] = seed
        endpoints = [options["endpoint"]] if options["endpoint_given"] else ["web", "api"]
        # The spots each endpoint runs through ("prefetch" only matters where the reply shows the answers).
        relevant = {"web": ["token", "insert"], "api": ["apikey", "ids", "insert", "prefetch"]}
        out(
            f"In-process: {options['in_process']:,} submissions per run through Django's test client (DEBUG off, "
            "no HTTP server, no CSRF check), after 100 unmeasured; one process per run"
        )
        for endpoint in endpoints:
            if options["plain_orm"]:
                modes = ["", options["plain_orm"]]
            else:
                modes = ["", *[s for s in SPOTS if s in relevant[endpoint]], "all"]
            for mode in modes:
                argv = ["bench_submissions", "--inner", f"--in-process={options['in_process']}"]
                argv += [f"--endpoint={endpoint}", f"--plain-orm={mode}"]
                _bench.manage_into(argv, env, out)

    def _in_process_inner(self, options) -> None:
        from django.db import connection
        from django.test import Client

        from bench.plain_orm import apply
        from cxplatform.startup import warm_and_freeze
        from surveys.models import Response

        swapped = apply(options["plain_orm"]) if options["plain_orm"] else []
        seed = json.loads(os.environ["BENCH_SEED"])
        rng = random.Random(11)
        endpoint = options["endpoint"]
        client = Client()
        if endpoint == "web":
            url = f"/s/t/{seed['links'][0]}/"
            client.get(url, headers={"accept-language": "sv"})

            def post(i: int):
                body = {"submission": f"{i:032x}", "q_nps": rng.randint(0, 10), "q_csat": rng.randint(1, 5)}
                body["q_why"] = rng.choice(COMMENTS)
                return client.post(url, body, headers={"accept-language": "sv"})

            ok = 302
        else:
            headers = {"authorization": f"Api-Key {seed['key']}"}

            def post(i: int):
                item = {
                    "survey": seed["survey"],
                    "touchpoint": rng.choice(seed["touchpoints"]),
                    "answers": {"nps": rng.randint(0, 10), "csat": rng.randint(1, 5), "why": rng.choice(COMMENTS)},
                    "language": "sv",
                    "channel": "web",
                }
                return client.post(
                    "/api/v1/responses/",
                    json.dumps(item),
                    content_type="application/json",
                    headers={**headers, "idempotency-key": f"bench-{i}"},
                )

            ok = 201
        # Keys of their own in every run (a repeated key is an idempotent retry: a 302/200 that stores nothing).
        base = time.time_ns() // 1000 * 10_000
        for i in range(100):
            post(base + i)
        warm_and_freeze()  # as the web process does at start-up
        backend = connection.connection.info.backend_pid
        n = options["in_process"]
        rows_before = Response.objects.count()
        statuses: dict[int, int] = {}
        times = []
        cpu, db_cpu = time.process_time(), _pid_cpu(backend)
        for i in range(n):
            started = time.perf_counter()
            status = post(base + 1000 + i).status_code
            times.append((time.perf_counter() - started, status))
            statuses[status] = statuses.get(status, 0) + 1
        cpu, db_cpu = time.process_time() - cpu, _pid_cpu(backend) - db_cpu
        stored = Response.objects.count() - rows_before
        good = sorted(t for t, status in times if status == ok)
        failed = n - len(good)
        mode = "plain ORM for " + ",".join(swapped) if swapped else "fast path as shipped"
        if not stored or not good:
            self.stdout.write(f"in-process {endpoint}, {mode}: nothing stored (statuses {statuses})")
            return
        self.stdout.write(
            f"in-process {endpoint}, {mode}: {n:,} submissions, rows stored {stored:,}, failed {failed} "
            f"(statuses {statuses}); CPU per stored response: Django {1000 * cpu / stored:.2f} ms, "
            f"PostgreSQL {1000 * db_cpu / stored:.2f} ms; wall p50 {_pct(good, 0.5):.2f} ms, "
            f"p95 {_pct(good, 0.95):.2f} ms (successful requests)"
        )
        self.stdout.write(
            f"RESULT in-process {endpoint} plain_orm={','.join(swapped) or '-'} "
            f"django_cpu_ms={1000 * cpu / stored:.2f} db_cpu_ms={1000 * db_cpu / stored:.2f} stored={stored} "
            f"failed={failed}"
        )


def _pct(sorted_seconds: list[float], p: float) -> float:
    """The p-quantile of sorted durations in seconds, in ms (nearest rank)."""
    return 1000 * sorted_seconds[min(len(sorted_seconds) - 1, int(p * len(sorted_seconds)))]


def _pid_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process so far (a PostgreSQL backend on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _redis():
    import redis

    return redis.Redis.from_url(BENCH_REDIS)


def _send_task(name: str) -> None:
    from celery import Celery

    with Celery(broker=BENCH_REDIS) as app:
        app.send_task(name)


class _Db:
    """A plain connection to the benchmark database (the command itself is connected to another one)."""

    def __init__(self, name: str):
        import psycopg2

        self.conn = psycopg2.connect(dbname=name, **_bench.server_params())
        self.conn.autocommit = True

    def row(self, query: str, params=()) -> tuple:
        with self.conn.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchone()

    def value(self, query: str, params=()):
        return self.row(query, params)[0]

    def close(self) -> None:
        self.conn.close()


def _tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of a process and its children (gunicorn or celery workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total
