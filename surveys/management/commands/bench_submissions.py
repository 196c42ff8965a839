"""Benchmark: concurrent single submissions through gunicorn to POST /api/v1/responses/.

    manage.py bench_submissions --clients 20 --seconds 20

Creates, migrates and seeds a throw-away database, starts gunicorn on 127.0.0.1 (DEBUG off, a real Redis broker
on a database of its own, no worker: the follow-up tasks just queue), drives it from N client threads with
keep-alive connections, prints p50/p95/p99 latency and throughput, then stops gunicorn and drops the database.
Each request carries its own Idempotency-Key, as a well-behaved integration would.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from surveys.management.commands import _bench

BENCH_REDIS = "redis://127.0.0.1:6379/14"


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
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--threads", type=int, default=2, help="gthread threads per worker")
        parser.add_argument(
            "--batch", type=int, default=0, help="Post N responses per request to /api/v1/responses/batch/ instead."
        )
        parser.add_argument("--database", default="cx_ingest_bench_web")
        parser.add_argument("--keep", action="store_true")
        parser.add_argument("--seed-only", action="store_true", help="(internal) seed the database, print the ids")

    def handle(self, *args, **options):
        if options["seed_only"]:
            seeded = _bench.seed_program(touchpoints=5)
            print(json.dumps({"survey": seeded.survey_id, "touchpoints": seeded.touchpoint_ids, "key": seeded.api_key}))
            return
        name = options["database"]
        out = self.stdout.write
        out(f"Machine load before: {_bench.load_average()}")
        _bench.recreate_database(name)
        port = _free_port()
        env = _bench.child_env(
            name,
            DEBUG="false",
            SECRET_KEY="bench-" + os.urandom(16).hex(),
            ALLOWED_HOSTS="127.0.0.1",
            CELERY_BROKER_URL=BENCH_REDIS,
            CELERY_TASK_ALWAYS_EAGER="false",
            CONN_MAX_AGE="60",
            LOG_LEVEL="WARNING",
            # One API key drives everything: lift its throttle so that the server, not the limit, is measured.
            SURVEYS_API_RESPONSES_RATE="1000000/min",
        )
        server = None
        try:
            _bench.manage(["migrate", "-v0"], env)
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
            ]
            server = subprocess.Popen(  # noqa: S603
                command, cwd=_bench.MANAGE.parent, env=env, start_new_session=True
            )
            self._wait_until_up(port, server)
            out(
                f"gunicorn: {options['workers']} workers x {options['threads']} threads (gthread), DEBUG off, "
                f"CONN_MAX_AGE=60, Redis broker, no Celery worker; endpoint POST /api/v1/responses/ with an API key"
            )
            self.batch = options["batch"]
            self._drive(port, seed, options["clients"], options["warmup"], warmup=True)
            before = self._cpu_seconds(server.pid, name)
            client_before = time.process_time()
            results = self._drive(port, seed, options["clients"], options["seconds"])
            results["client_cpu"] = time.process_time() - client_before
            after = self._cpu_seconds(server.pid, name)
            results["cpu"] = {k: after[k] - before.get(k, 0.0) for k in after}
            self._report(results, options)
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

    def _drive(self, port: int, seed: dict, clients: int, seconds: float, warmup: bool = False) -> dict:
        """Each client thread posts as fast as it can on one keep-alive connection until the deadline."""
        headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {seed['key']}"}
        latencies: list[list[float]] = [[] for _ in range(clients)]
        statuses: list[dict[int, int]] = [{} for _ in range(clients)]
        start_gate = threading.Barrier(clients + 1)
        deadline = [0.0]

        def client(index: int) -> None:
            rng = random.Random(index)
            own_headers = dict(headers)
            url = "/api/v1/responses/batch/" if self.batch else "/api/v1/responses/"
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            start_gate.wait()
            n = 0
            while time.perf_counter() < deadline[0]:
                n += 1
                items = [
                    {
                        "survey": seed["survey"],
                        "touchpoint": rng.choice(seed["touchpoints"]),
                        "answers": {"nps": rng.randint(0, 10), "csat": rng.randint(1, 5), "why": "Bra service"},
                        "language": "sv",
                        "channel": "web",
                    }
                    for _ in range(max(1, self.batch))
                ]
                body = json.dumps({"items": items} if self.batch else items[0])
                own_headers["Idempotency-Key"] = f"{'w' if warmup else 'b'}-{index}-{n}-{rng.random()}"
                started = time.perf_counter()
                try:
                    conn.request("POST", url, body=body, headers=own_headers)
                    reply = conn.getresponse()
                    reply.read()
                    status = reply.status
                except (OSError, http.client.HTTPException):
                    status = 0
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                latencies[index].append(time.perf_counter() - started)
                statuses[index][status] = statuses[index].get(status, 0) + 1
            conn.close()

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
        for t in threads:
            t.start()
        deadline[0] = time.perf_counter() + seconds
        start_gate.wait()
        began = time.perf_counter()
        for t in threads:
            t.join(seconds + 60)
        elapsed = time.perf_counter() - began
        merged: dict[int, int] = {}
        for s in statuses:
            for code, count in s.items():
                merged[code] = merged.get(code, 0) + count
        return {"latencies": sorted(x for per in latencies for x in per), "statuses": merged, "elapsed": elapsed}

    def _report(self, results: dict, options) -> None:
        lat = results["latencies"]
        ok = sum(count for code, count in results["statuses"].items() if 200 <= code < 300)
        if not lat:
            self.stdout.write("No requests completed.")
            return

        def pct(p: float) -> float:
            return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))]

        self.stdout.write(
            f"{len(lat):,} requests in {results['elapsed']:.1f} s from {options['clients']} clients; "
            f"status counts {results['statuses']}"
        )
        self.stdout.write(
            f"latency ms: p50 {pct(0.50):.1f}  p95 {pct(0.95):.1f}  p99 {pct(0.99):.1f}  max {1000 * lat[-1]:.1f}  "
            f"mean {1000 * statistics.fmean(lat):.1f}"
        )
        cpu = results.get("cpu", {})
        stored = ok * max(1, getattr(self, "batch", 0))
        if stored and cpu:
            self.stdout.write(
                f"CPU per stored response: web {1000 * cpu['web'] / stored:.1f} ms, "
                f"PostgreSQL {1000 * cpu['db'] / stored:.1f} ms, "
                f"load client {1000 * results['client_cpu'] / stored:.1f} ms "
                f"(this machine has {os.cpu_count()} cores, shared with other work while measuring)"
            )
        if getattr(self, "batch", 0):
            self.stdout.write(f"Batches of {self.batch}: {ok * self.batch / results['elapsed']:.0f} responses/s")
        self.stdout.write(
            f"RESULT throughput={ok / results['elapsed']:.0f} submissions/s p50_ms={pct(0.5):.1f} "
            f"p95_ms={pct(0.95):.1f} (targets: >= 300/s, p95 < 50 ms)"
        )
