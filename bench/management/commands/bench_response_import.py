"""Benchmark: import historical responses from a generated file; long mode against a raw COPY, wide mode until the
dashboards are current.

    manage.py bench_response_import --rows 1000000
    manage.py bench_response_import --wide --rows 100000 --ratings 10

Runs in a throw-away database (created, migrated, dropped) on the server of DATABASE_URL.

Long mode (one response per row): prints rows/s of (1) `COPY` of the CSV into a bare table with the same columns
(no keys, no indexes) and (2) our import job (staging COPY, checks in SQL, responses and answers with all their keys,
indexes and foreign keys), in responses created per second, their ratio, our phases, a re-import of the same file
(must create nothing: its rate is CSV rows checked per second), the "schema floor" (the finished rows `COPY`ed back
into the emptied real tables, under the same trigger setting as the import) and the rate of the sweep (the periodic
follow-up, in this process, batches as in production) over a sample of the imported responses.

--triggers: "off" runs the import as a database superuser (or a user granted SET on session_replication_role) does
it: foreign keys checked once per chunk and the per-row foreign-key triggers skipped (session_replication_role =
replica); "on" as a user without that privilege (a managed database's ordinary user) does: per-row triggers
(SURVEYS_IMPORT_SET_BASED_FK_CHECKS=false); "both" (the default) runs each in a fresh database.

Wide mode (one row per respondent: a respondent id, a date and N ratings 1-5 with 0 = not applicable in about 5 %,
each rating column mapped to the CSAT question at its own touchpoint; half of the respondents are not customers yet
and are created): prints the mapping step's whole-file scan, the import's own time and rate, and import-to-dashboard:
the time from the start of the import until no response is unprocessed and no rollup key is dirty, with the
follow-up run by a real Celery worker process (Redis db 13 as broker and shared cache, as in production) started
before the import, and the ratio of the two (target: at most 1.5). Beat is emulated: `surveys.sweep_unprocessed` is
queued every 60 s, as in production.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction

from bench.management.commands import _bench

WORDS = [
    "snabb",
    "trevlig",
    "hjälp",
    "väntade",
    "länge",
    "faktura",
    "flytt",
    "bredband",
    "fungerar",
    "inte",
    "bra",
    "dålig",
    "kundtjänst",
    "enkel",
    "krånglig",
    "tekniker",
    "kom",
    "i",
    "tid",
    "router",
    "leverans",
    "app",
    "kontakt",
    "svar",
    "pris",
]
LANGUAGES = ("sv", "sv", "sv", "nb", "da", "en")
BENCH_REDIS = "redis://127.0.0.1:6379/13"


def generate_csv(path: Path, rows: int, touchpoint_ids: list[int], customers: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = 1_735_689_600  # 2025-01-01T00:00:00Z; one response every 30 s keeps every row distinct
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["date", "touchpoint", "customer", "nps", "csat", "ces", "comment", "language"])
        for i in range(rows):
            moment = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start + 30 * i))
            tp = rng.choice(touchpoint_ids)
            touchpoint = str(tp) if i % 2 else f"Touchpoint {touchpoint_ids.index(tp)}"
            customer = f"C{rng.randint(1, customers):07d}" if rng.random() < 0.7 else ""
            csat = str(rng.randint(1, 5)) if rng.random() < 0.5 else ""
            ces = str(rng.randint(1, 7)) if rng.random() < 0.3 else ""
            comment = " ".join(rng.choices(WORDS, k=rng.randint(3, 20))) if rng.random() < 0.3 else ""
            writer.writerow(
                [moment, touchpoint, customer, rng.randint(0, 10), csat, ces, comment, rng.choice(LANGUAGES)]
            )


def generate_wide_csv(path: Path, rows: int, ratings: int, seed: int = 7) -> int:
    """One row per respondent; returns the number of ratings that are not 0 (= the responses to expect)."""
    rng = random.Random(seed)
    start = 1_735_689_600  # 2025-01-01T00:00:00Z; one respondent every 30 s
    expected = 0
    weights = [0, 8, 10, 22, 35, 25]  # 1-5 stars; 0 is drawn separately
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["respondent", "date", *(f"Service {i + 1}" for i in range(ratings))])
        for i in range(rows):
            moment = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start + 30 * i))
            cells = [0 if rng.random() < 0.05 else rng.choices(range(6), weights)[0] for _ in range(ratings)]
            expected += sum(1 for c in cells if c)
            writer.writerow([f"C{i + 1:07d}", moment, *cells])
    return expected


class Command(BaseCommand):
    help = "Time the responses import against a raw PostgreSQL COPY of the same rows (throw-away database)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--customers", type=int, default=100_000)
        parser.add_argument("--database", default="cx_ingest_bench_import", help="Throw-away database name.")
        parser.add_argument("--sweep-sample", type=int, default=20_000, help="Imported responses to sweep (0: skip).")
        parser.add_argument(
            "--triggers",
            choices=["on", "off", "both"],
            default="both",
            help="Per-row foreign-key triggers during the import and the floor COPY (long mode): on (no privilege "
            "needed), off (session_replication_role = replica, needs superuser or GRANT SET), both.",
        )
        parser.add_argument("--template", default="", help="Copy this migrated database instead of a new one.")
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark database.")
        parser.add_argument("--wide", action="store_true", help="One row per respondent with --ratings ratings.")
        parser.add_argument("--ratings", type=int, default=10, help="Rating columns per row (wide mode).")
        parser.add_argument("--worker-concurrency", type=int, default=2, help="Celery worker processes (wide mode).")
        parser.add_argument("--follow-up-timeout", type=int, default=3600, help="Seconds to wait for the dashboards.")
        parser.add_argument(
            "--chunk", type=int, default=0, help="Responses per import chunk (wide mode; 0: the importer's default)."
        )
        parser.add_argument("--inner", action="store_true", help="(internal) run inside the benchmark database")

    def handle(self, *args, **options):
        if options["inner"]:
            return self.inner(options)
        if options["triggers"] == "both":
            modes = ["off"] if options["wide"] else ["off", "on"]
        else:
            modes = [options["triggers"]]
        for mode in modes:
            self._outer(options, mode)

    def _outer(self, options, triggers: str) -> None:
        name = options["database"]
        self.stdout.write(f"Machine load before: {_bench.load_average()}")
        self.stdout.write(f"Creating and migrating database {name} ...")
        _bench.recreate_database(name, options["template"])
        with tempfile.TemporaryDirectory(prefix="cx-bench-import-") as media:
            env = _bench.child_env(
                name,
                MEDIA_ROOT=media,
                CELERY_BROKER_URL=BENCH_REDIS,
                CELERY_TASK_ALWAYS_EAGER="false",
                # Shared by the worker's processes, as in production (the rollup debounce lives there).
                CACHE_URL=BENCH_REDIS.replace("redis://", "rediscache://"),
                DEBUG="true",
                # "on": the importer keeps the per-row foreign-key triggers, as without the privilege.
                SURVEYS_IMPORT_SET_BASED_FK_CHECKS="false" if triggers == "on" else "true",
            )
            try:
                _bench.manage(["migrate", "-v0"], env)
                argv = ["bench_response_import", "--inner", f"--rows={options['rows']}"]
                argv += [f"--customers={options['customers']}", f"--sweep-sample={options['sweep_sample']}"]
                argv += [f"--triggers={triggers}"]
                if options["wide"]:
                    argv += ["--wide", f"--ratings={options['ratings']}"]
                    argv += [f"--worker-concurrency={options['worker_concurrency']}"]
                    argv += [f"--follow-up-timeout={options['follow_up_timeout']}", f"--chunk={options['chunk']}"]
                _bench.manage_into(argv, env, self.stdout.write)
            finally:
                self._purge_queue()
                if not options["keep"]:
                    _bench.drop_database(name)
        self.stdout.write(f"Machine load after: {_bench.load_average()}")

    @staticmethod
    def _purge_queue() -> None:
        import redis

        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(BENCH_REDIS)
            client.delete("celery", *client.scan_iter("_kombu.*"), *client.scan_iter("*kpis:aggregate-dirty*"))

    @staticmethod
    def schema_floor(tmp: Path, *, triggers: str) -> float:
        """Seconds to COPY the imported responses and answers back into the (emptied) real tables.

        Under the import's trigger setting: with "off", per-row foreign-key triggers are skipped as the import
        skips them (session_replication_role = replica for the COPY's transaction).
        """
        from django.db import connection

        from surveys.models import Answer, Response

        tables = [Response._meta.db_table, Answer._meta.db_table]
        files = {t: tmp / f"cx-bench-floor-{t}.csv" for t in tables}
        with connection.cursor() as cursor:
            for table, path in files.items():
                with path.open("wb") as fh:
                    cursor.copy_expert(f"COPY {table} TO STDOUT WITH (FORMAT csv)", fh)
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")  # the benchmark database only
            started = time.monotonic()
            with transaction.atomic():
                if triggers == "off":
                    cursor.execute("SET LOCAL session_replication_role = replica")
                for table, path in files.items():
                    with path.open("rb") as fh:
                        cursor.copy_expert(f"COPY {table} FROM STDIN WITH (FORMAT csv)", fh)
            seconds = time.monotonic() - started
            # As autovacuum would after a bulk load: the sweep below plans its statements on these tables.
            cursor.execute(f"ANALYZE {', '.join(tables)}")
        for path in files.values():
            path.unlink()
        return seconds

    def inner(self, options) -> None:
        if options["wide"]:
            return self.inner_wide(options)
        return self.inner_long(options)

    def inner_long(self, options) -> None:
        from django.core.files import File
        from django.db import connection

        from accounts.models import Membership
        from accounts.scoping import context_for_membership
        from surveys.ingestion.importers import response_import_create, response_import_run
        from surveys.ingestion.importers.sql import can_check_references_per_chunk
        from surveys.ingestion.services import FOLLOW_UP_BATCH_SIZE, responses_sweep_unprocessed
        from surveys.models import Answer, Response, SurveyVersion

        rows, triggers = options["rows"], options["triggers"]
        out = self.stdout.write
        with connection.cursor() as cursor:
            skips = can_check_references_per_chunk(cursor)
        if (triggers == "off") != skips:
            raise SystemExit(
                f"--triggers={triggers}, but the importer would {'skip' if skips else 'keep'} the per-row triggers "
                "(a database user without the privilege to set session_replication_role cannot run --triggers=off)"
            )
        out(
            f"== Per-row foreign-key triggers {triggers.upper()}: "
            + (
                "the import checks references once per chunk and sets session_replication_role = replica (needs "
                "superuser or GRANT SET ON PARAMETER session_replication_role)"
                if triggers == "off"
                else "the import keeps PostgreSQL's per-row foreign-key triggers (what a database user without "
                "that privilege gets)"
            )
        )
        seeded = _bench.seed_program(customers=options["customers"])
        membership = Membership.objects.get(organization=seeded.organization)
        ctx = context_for_membership(membership, user=membership.user)
        version = SurveyVersion.objects.get(pk=seeded.version_id)
        with tempfile.TemporaryDirectory(prefix="cx-bench-csv-") as tmp:
            path = Path(tmp) / "responses.csv"
            t = time.monotonic()
            generate_csv(path, rows, seeded.touchpoint_ids, options["customers"])
            size_mb = path.stat().st_size / 1e6
            out(f"Generated {rows:,} rows ({size_mb:.0f} MB) in {time.monotonic() - t:.1f} s")

            with connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TABLE bench_raw_copy (submitted_at timestamptz, touchpoint text, customer text, "
                    "nps smallint, csat smallint, ces smallint, comment text, language text)"
                )
                with path.open("rb") as fh:
                    t = time.monotonic()
                    cursor.copy_expert("COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)", fh)
                    raw_seconds = time.monotonic() - t
                cursor.execute("DROP TABLE bench_raw_copy")
            raw_rate = rows / raw_seconds
            out(f"Raw COPY into a bare table: {raw_seconds:.2f} s = {raw_rate:,.0f} rows/s")

            mapping = {
                "columns": {"submitted_at": 0, "touchpoint": 1, "customer": 2, "language": 7},
                "answers": {"nps": 3, "csat": 4, "ces": 5, "why": 6},
                "default_touchpoint_id": None,
                "default_language": "sv",
            }
            timings = []
            for attempt in ("first import", "re-import of the same file"):
                with path.open("rb") as fh:
                    t = time.monotonic()
                    job = response_import_create(ctx=ctx, version=version, uploaded_file=File(fh, name="r.csv"))
                    upload_seconds = time.monotonic() - t
                job.options = {**job.options, "mapping": mapping}
                job.save(update_fields=["options"])
                t = time.monotonic()
                job = response_import_run(job_id=job.pk)
                seconds = time.monotonic() - t
                timings.append((seconds, job.created_count))
                rate = (
                    f"{job.created_count / seconds:,.0f} responses created/s"
                    if job.created_count
                    else "nothing created"
                )
                out(
                    f"Our import ({attempt}): {seconds:.2f} s for {rows:,} CSV rows = {rate} "
                    f"({rows / seconds:,.0f} CSV rows checked/s); created {job.created_count:,}, unchanged "
                    f"{job.unchanged_count:,}, errors {job.error_count:,}; phases {job.options.get('timings')}; "
                    f"storing the upload took {upload_seconds:.2f} s"
                )
                if job.status != "done":
                    out(f"  job failed: {job.message}")
                    return
        responses, answers = Response.objects.count(), Answer.objects.count()
        out(f"Stored {responses:,} responses and {answers:,} answers")
        floor_seconds = self.schema_floor(Path(tempfile.gettempdir()), triggers=triggers)
        out(
            f"Schema floor (triggers {triggers}): raw COPY of the {responses:,} finished responses and {answers:,} "
            f"answers straight into surveys_response + surveys_answer (all their indexes and foreign keys"
            f"{'; per-row foreign-key triggers skipped, as the import skips them' if triggers == 'off' else ''}): "
            f"{floor_seconds:.2f} s = {responses / floor_seconds:,.0f} responses/s"
        )
        seconds, created = timings[0]
        ratio = (created / seconds) / raw_rate
        out(
            f"RESULT triggers={triggers} rows={rows} created={created} raw_copy_rows_per_s={raw_rate:.0f} "
            f"import_responses_created_per_s={created / seconds:.0f} "
            f"schema_floor_responses_per_s={responses / floor_seconds:.0f} ratio={ratio:.3f} (target >= 0.333)"
        )

        sample = options["sweep_sample"]
        if sample:
            # The periodic sweep as a worker runs it, in this process, over `sample` unprocessed responses among the
            # imported ones; batches of the production size. (bench_kpis --follow-up times the drain of a backlog on
            # a database with rollups, alert rules and cases.)
            with connection.cursor() as cursor:  # only the oldest `sample` are left for the sweep
                table = Response._meta.db_table
                cursor.execute(
                    f"UPDATE {table} SET processed_at = now() WHERE processed_at IS NULL AND id NOT IN "  # noqa: S608
                    f"(SELECT id FROM {table} WHERE processed_at IS NULL ORDER BY created_at, id LIMIT %s)",
                    [sample],
                )
                cursor.execute(f"VACUUM ANALYZE {Response._meta.db_table}")
            t = time.monotonic()
            done = responses_sweep_unprocessed(
                min_age_seconds=0, batch_size=FOLLOW_UP_BATCH_SIZE, time_budget_seconds=None
            )
            seconds = time.monotonic() - t
            out(
                f"Sweep of imported responses (follow-up in this process, batches of up to "
                f"{FOLLOW_UP_BATCH_SIZE:,}, receivers of this project attached, aggregation queued not run): "
                f"{done:,} of {responses:,} in {seconds:.1f} s = {done / seconds:,.0f} responses followed up/s"
            )

    # -- wide mode -------------------------------------------------------------------------------------------------

    def inner_wide(self, options) -> None:
        from django.core.files import File

        from accounts.models import Membership
        from accounts.scoping import context_for_membership
        from surveys.ingestion.importers import preview, response_import_create, response_import_run
        from surveys.models import Answer, Response, SurveyVersion

        rows, ratings = options["rows"], options["ratings"]
        out = self.stdout.write
        self._purge_queue()
        seeded = _bench.seed_program(touchpoints=max(20, ratings), customers=rows // 2)
        membership = Membership.objects.get(organization=seeded.organization)
        ctx = context_for_membership(membership, user=membership.user)
        version = SurveyVersion.objects.get(pk=seeded.version_id)
        mapping = {
            "format": 2,
            "columns": {"customer": 0, "submitted_at": 1},
            "answers": [
                {"column": 2 + i, "question": "csat", "touchpoint": seeded.touchpoint_ids[i], "na": ["0"]}
                for i in range(ratings)
            ],
            "date_format": "iso",
            "default_language": "sv",
            "create_customers": True,
        }
        with tempfile.TemporaryDirectory(prefix="cx-bench-wide-") as tmp:
            path = Path(tmp) / "wide.csv"
            t = time.monotonic()
            expected = generate_wide_csv(path, rows, ratings)
            out(
                f"Generated {rows:,} rows x {ratings} ratings ({path.stat().st_size / 1e6:.0f} MB, {expected:,} "
                f"ratings that are not 0) in {time.monotonic() - t:.1f} s; {rows // 2:,} of the respondents are "
                "customers already, the others are created by the import"
            )
            with path.open("rb") as fh:
                job = response_import_create(ctx=ctx, version=version, uploaded_file=File(fh, name="wide.csv"))
            t = time.monotonic()
            scan, check = preview.whole_file(ctx=ctx, job=job, version=version, mapping=mapping)
            out(
                f"Mapping step, whole-file scan of {scan.rows:,} rows: {time.monotonic() - t:.2f} s "
                f"(scale change found: {'yes' if check else 'no'})"
            )
            job.options = {**job.options, "mapping": mapping}
            job.save(update_fields=["options"])
            worker = self._start_worker(Path(tmp), options["worker_concurrency"])
            try:
                started = time.monotonic()
                job = response_import_run(job_id=job.pk, chunk_rows=options["chunk"] or None)
                imported = time.monotonic() - started
                if job.status != "done":
                    out(f"  job failed: {job.message}")
                    return
                out(
                    f"Import's own time: {imported:.2f} s = {job.created_count / imported:,.0f} responses/s "
                    f"({rows / imported:,.0f} rows/s); created {job.created_count:,} responses, errors "
                    f"{job.error_count:,}; phases {job.options.get('timings')}"
                )
                current = self._wait_until_current(started, options["follow_up_timeout"])
                if current is None:
                    out(f"Worker log (end):\n{worker.log.read_text()[-3000:]}")
            finally:
                self._stop_worker(worker)
        if current is None:
            left = Response.objects.filter(processed_at__isnull=True).count()
            out(f"Dashboards NOT current after {options['follow_up_timeout']} s: {left:,} responses unprocessed")
            return
        answers = Answer.objects.filter(metric="csat").count()
        rolled = self._rolled_up()
        out(
            f"Import to dashboard: {current:.2f} s (follow-up finished {current - imported:.2f} s after the import); "
            f"rollups hold {rolled:,} of {answers:,} answers"
        )
        out(
            f"RESULT wide rows={rows} ratings={ratings} responses={job.created_count} import_s={imported:.2f} "
            f"import_to_dashboard_s={current:.2f} ratio={current / imported:.2f} (target <= 1.5)"
        )

    @staticmethod
    def _rolled_up() -> int:
        from django.db.models import Sum

        from kpis.models import Rollup

        return Rollup.objects.filter(metric="csat").aggregate(n=Sum("n"))["n"] or 0

    def _start_worker(self, tmp: Path, concurrency: int) -> subprocess.Popen:
        log = tmp / "worker.log"
        env = {**os.environ, "CELERY_BROKER_URL": BENCH_REDIS, "CELERY_TASK_ALWAYS_EAGER": "false"}
        with log.open("w") as fh:
            process = subprocess.Popen(  # noqa: S603 (our own celery, fixed arguments)
                [
                    str(Path(sys.executable).parent / "celery"),
                    "-A",
                    "cxplatform",
                    "worker",
                    "-l",
                    "warning",
                    "--concurrency",
                    str(concurrency),
                    "--without-heartbeat",
                    "--without-mingle",
                    "--without-gossip",
                    "-n",
                    f"bench-import-{os.getpid()}@%h",
                ],
                env=env,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self._worker_ready(process):
                self.stdout.write(f"Celery worker started ({concurrency} processes, broker {BENCH_REDIS})")
                process.log = log  # type: ignore[attr-defined]
                return process
            if process.poll() is not None:
                raise SystemExit(f"The Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        process.kill()
        raise SystemExit("The Celery worker did not answer within 120 s.")

    @staticmethod
    def _worker_ready(process: subprocess.Popen) -> bool:
        from cxplatform.celery import app

        with contextlib.suppress(Exception):
            return bool(app.control.ping(timeout=0.5))
        return False

    @staticmethod
    def _stop_worker(process: subprocess.Popen) -> None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def _wait_until_current(self, started: float, timeout: float) -> float | None:
        """Seconds from `started` until nothing is unprocessed and no rollup key is dirty (None: timed out)."""
        from kpis.models import DirtyRollup
        from surveys.ingestion.tasks import sweep_unprocessed
        from surveys.models import Response

        next_sweep = time.monotonic() + 60
        while time.monotonic() - started < timeout:
            if not Response.objects.filter(processed_at__isnull=True).exists() and not DirtyRollup.objects.exists():
                return time.monotonic() - started
            if time.monotonic() >= next_sweep:  # what beat does in production
                sweep_unprocessed.delay()
                next_sweep += 60
            time.sleep(0.1)
        return None
