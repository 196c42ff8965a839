"""Benchmark the voice of the customer: analyse N comments in four languages with W worker processes, then time
the insight pages at that volume.

    manage.py bench_voice --comments 1000000 --workers 2
    manage.py bench_voice --comments 20000 --reuse          # smoke run; keeps the database for the next run

Runs in a dedicated database on the server of DATABASE_URL (default `cx_bench_voice`): created and migrated, and
dropped at the end unless --reuse (then an existing one is emptied and reused: migrating a fresh database takes
most of a minute on a small machine) or --keep. --template DB copies a migrated database instead of migrating.

Steps: a bench organization with 5 journeys, 20 touchpoints, 20,000 customers, an NPS + comment survey and the
starter taxonomy; N responses, each with an NPS answer and a comment (Swedish, Norwegian, Danish, English;
templates with random fillers, 5-40 words, about 15 % with a phone number or e-mail address), written with COPY
with their pending CommentAnalysis rows, as the drain leaves them. Then W worker processes analyse the backlog:
`--mode celery` (default) starts a real Celery worker with W processes (Redis as broker and shared cache, as in
production; the sweep is queued every 60 s as beat would) and queues `voice.analyse_pending` once, which fans out
to helpers; `--mode processes` starts W plain processes that each loop `voice.services.analyse_pending()` and then
recompute the dirty statistics. The time runs from the go to the moment nothing is pending and no statistics key
is dirty (the statistics recompute included). Prints comments/s (target >= 2,000/s), the engine's own rate in one
process, and p50/p95 of the overview /voice/ and of a theme page (target p95 < 150 ms) as a CX manager.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bench.management.commands import _bench

SLUG = "bench-voice"
JOURNEYS, TOUCHPOINTS_PER_JOURNEY, CUSTOMERS = 5, 4, 20_000
CHUNK = 100_000
DAYS = 365
LANGUAGE_WEIGHTS = [("sv", 0.5), ("nb", 0.22), ("da", 0.18), ("en", 0.1)]
PERSONAL_DATA_SHARE = 0.15
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"

SUBJECTS = {
    "sv": ["fakturan", "teknikern", "routern", "appen", "kundservice", "internet", "installationen", "priset",
           "mobiltäckningen", "flytten", "chatten", "leveransen", "uppsägningen", "hastigheten", "personalen",
           "bredbandet", "wifi", "telefonkön"],
    "nb": ["fakturaen", "teknikeren", "ruteren", "appen", "kundeservice", "nettet", "installasjonen", "prisen",
           "mobildekningen", "flyttingen", "chatten", "leveringen", "oppsigelsen", "hastigheten", "personalet",
           "bredbåndet", "wifi", "telefonkøen"],
    "da": ["regningen", "teknikeren", "routeren", "appen", "kundeservice", "internettet", "installationen", "prisen",
           "mobildækningen", "flytningen", "chatten", "leveringen", "opsigelsen", "hastigheden", "personalet",
           "bredbåndet", "wifi", "telefonkøen"],
    "en": ["the invoice", "the technician", "the router", "the app", "customer service", "the internet",
           "the installation", "the price", "the mobile coverage", "the move", "the chat", "the delivery",
           "the cancellation", "the speed", "the staff", "the broadband", "the wifi", "the phone queue"],
}  # fmt: skip
NEGATIVE = {
    "sv": ["var fel", "kom för sent", "fungerar inte", "var otrevlig", "är alldeles för dyr", "tog väldigt lång tid",
           "låg nere hela helgen", "krånglar hela tiden", "var helt obegriplig", "är sämre än förut",
           "var en stor besvikelse"],
    "nb": ["var feil", "kom for sent", "virker ikke", "var uhøflig", "er altfor dyr", "tok veldig lang tid",
           "var nede hele helgen", "krøller hele tiden", "var helt uforståelig", "er dårligere enn før",
           "var en stor skuffelse"],
    "da": ["var forkert", "kom for sent", "virker ikke", "var uhøflig", "er alt for dyr", "tog meget lang tid",
           "var nede hele weekenden", "driller hele tiden", "var helt uforståelig", "er dårligere end før",
           "var en stor skuffelse"],
    "en": ["was wrong", "came far too late", "does not work", "was rude", "is far too expensive", "took ages",
           "was down all weekend", "keeps failing", "was impossible to understand", "is worse than before",
           "was a big disappointment"],
}  # fmt: skip
POSITIVE = {
    "sv": ["var jättebra", "fungerade direkt", "var trevlig och kunnig", "gick smidigt", "är prisvärt",
           "löste allt snabbt", "är stabilt", "var tydlig"],
    "nb": ["var kjempebra", "virket med en gang", "var hyggelig og dyktig", "gikk knirkefritt", "er prisgunstig",
           "løste alt raskt", "er stabilt", "var tydelig"],
    "da": ["var rigtig god", "virkede med det samme", "var venlig og dygtig", "gik gnidningsfrit", "er prisvenlig",
           "løste alt hurtigt", "er stabilt", "var tydelig"],
    "en": ["was great", "worked straight away", "was friendly and competent", "went smoothly", "is good value",
           "sorted everything quickly", "is stable", "was clear"],
}  # fmt: skip
FILLERS = {
    "sv": ["ärligt talat", "som vanligt", "tyvärr", "faktiskt", "i förra veckan", "igen", "för andra gången",
           "efter flera samtal", "vilket var skönt", "hoppas ni fixar det", "jag har varit kund i tio år"],
    "nb": ["ærlig talt", "som vanlig", "dessverre", "faktisk", "forrige uke", "igjen", "for andre gang",
           "etter flere samtaler", "noe som var deilig", "håper dere fikser det", "jeg har vært kunde i ti år"],
    "da": ["ærligt talt", "som sædvanlig", "desværre", "faktisk", "i sidste uge", "igen", "for anden gang",
           "efter flere opkald", "hvilket var rart", "håber I får det ordnet", "jeg har været kunde i ti år"],
    "en": ["to be honest", "as usual", "unfortunately", "actually", "last week", "again", "for the second time",
           "after several calls", "which was nice", "I hope you fix it", "I have been a customer for ten years"],
}  # fmt: skip
CONNECTORS = {"sv": ["och", "men", "dessutom"], "nb": ["og", "men", "dessuten"], "da": ["og", "men", "desuden"],
              "en": ["and", "but", "also"]}  # fmt: skip
PERSONAL = {
    "sv": ["Ring mig på {phone}.", "Mejla mig på {email}."],
    "nb": ["Ring meg på {phone}.", "Send en e-post til {email}."],
    "da": ["Ring til mig på {phone}.", "Skriv til {email}."],
    "en": ["Call me on {phone}.", "Email me at {email}."],
}
PHONES = {
    "sv": "070-{a:03d} {b:02d} {c:02d}",
    "nb": "+47 {a:03d} {b:02d} {c:03d}",
    "da": "+45 {b:02d} {c:02d} {b:02d} {c:02d}",
    "en": "07700 900{a:03d}",
}


def comment_text(rng: random.Random, language: str, tone: str) -> str:
    """A customer comment of 5-40 words: 1-4 clauses about the usual subjects, now and then personal data."""
    clauses = []
    for i in range(rng.choices((1, 2, 3, 4), weights=(35, 35, 20, 10))[0]):
        negative = tone == "negative" or (tone == "mixed" and i % 2 == 1)
        predicate = rng.choice((NEGATIVE if negative else POSITIVE)[language])
        clause = f"{rng.choice(SUBJECTS[language])} {predicate}"
        if rng.random() < 0.3:
            clause += f", {rng.choice(FILLERS[language])}"
        if i and rng.random() < 0.5:
            clause = f"{rng.choice(CONNECTORS[language])} {clause}"
        clauses.append(clause[0].upper() + clause[1:])
    text = ". ".join(clauses) + "."
    if len(text.split()) < 5:
        text += f" {rng.choice(FILLERS[language]).capitalize()}."
    if rng.random() < PERSONAL_DATA_SHARE:
        a, b, c = rng.randint(100, 999), rng.randint(10, 99), rng.randint(10, 99)
        email = f"kund{rng.randint(1, 99999)}@example.com"
        template = rng.choice(PERSONAL[language])
        text += " " + template.format(phone=PHONES[language].format(a=a, b=b, c=c), email=email)
    return text


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


class _Counter:
    """An execute wrapper that counts statements."""

    def __init__(self, into: list):
        self.into = into

    def __call__(self, execute, sql, params, many, context):
        self.into.append(sql)
        return execute(sql, params, many, context)


class Command(BaseCommand):
    help = "Time the analysis of N comments by W worker processes and the insight pages (dedicated database)."

    def add_arguments(self, parser):
        parser.add_argument("--comments", type=int, default=1_000_000)
        parser.add_argument("--workers", type=int, default=2, help="worker processes (default: 2, the cores here)")
        parser.add_argument("--mode", choices=["celery", "processes"], default="celery")
        parser.add_argument("--requests", type=int, default=50, help="GETs per page for the timings")
        parser.add_argument("--database", default="cx_bench_voice", help="benchmark database name")
        parser.add_argument("--reuse", action="store_true", help="reuse (empty) the database if it exists; keep it")
        parser.add_argument("--keep", action="store_true", help="keep the database")
        parser.add_argument("--template", default="", help="create the database as a copy of this migrated one")
        parser.add_argument("--redis", default=DEFAULT_REDIS, help="broker and cache for --mode celery")
        parser.add_argument("--timeout", type=int, default=7200, help="seconds to wait for the analysis")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--inner", action="store_true", help="(internal) run inside the benchmark database")
        parser.add_argument("--worker", action="store_true", help="(internal) one analysis process")

    # -- outer: the database ------------------------------------------------------------------------------------

    def handle(self, *args, **options):
        if options["worker"]:
            return self.worker()
        if options["inner"]:
            return self.inner(options)
        if options["comments"] < 1 or options["workers"] < 1:
            raise CommandError("--comments and --workers must be at least 1.")
        name = options["database"]
        if "bench" not in name:
            raise CommandError("The benchmark database's name must contain 'bench' (it is emptied).")
        self.stdout.write(f"Machine load before: {_bench.load_average()}")
        started = time.monotonic()
        fresh = self._prepare_database(name, options)
        redis_url = options["redis"]
        env = _bench.child_env(
            name,
            CELERY_BROKER_URL=redis_url,
            CELERY_TASK_ALWAYS_EAGER="false",
            CACHE_URL=redis_url.replace("redis://", "rediscache://"),
            # Our own broker keys: a worker of another run on the same Redis database never takes our tasks.
            CELERY_BROKER_KEY_PREFIX=f"bench-voice-{os.getpid()}:",
            DEBUG="true",
            PYTHONUNBUFFERED="1",
        )
        try:
            if fresh:
                _bench.manage(["migrate", "-v0"], env)
            self.stdout.write(f"Database {name} ready in {time.monotonic() - started:.1f} s")
            argv = [sys.executable, str(_bench.MANAGE), "bench_voice", "--inner"]
            argv += [f"--comments={options['comments']}", f"--workers={options['workers']}"]
            argv += [f"--mode={options['mode']}", f"--requests={options['requests']}", f"--redis={redis_url}"]
            argv += [f"--timeout={options['timeout']}", f"--seed={options['seed']}"]
            # The inner run's lines are passed on as they come (figures and progress).
            with subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:  # noqa: S603
                for line in proc.stdout:
                    self.stdout.write(line.rstrip("\n"))
                code = proc.wait()
            if code:
                raise CommandError(f"The benchmark failed (exit status {code}).")
        finally:
            self._purge_queue(redis_url)
            if not (options["keep"] or options["reuse"]):
                _bench.drop_database(name)
        self.stdout.write(f"Machine load after: {_bench.load_average()}")

    def _prepare_database(self, name: str, options) -> bool:
        """Create (or, with --reuse, empty) the database; True when it still has to be migrated."""
        import psycopg2
        from django.db import connections
        from psycopg2 import sql

        if options["template"]:
            connections.close_all()  # a template may have no other session (our own test database, say)
            conn = psycopg2.connect(dbname="postgres", **_bench.server_params())
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                # A session another thread left open (a test's live server, say) would make the copy fail: the
                # template is a throw-away database, so its idle sessions are ended first.
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    [options["template"]],
                )
                cursor.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(options["template"])
                    )
                )
            conn.close()
            self._empty(name)
            return False
        if options["reuse"]:
            conn = psycopg2.connect(dbname="postgres", **_bench.server_params())
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                exists = cursor.fetchone() is not None
            conn.close()
            if exists:
                self._empty(name)
                return True  # migrate applies whatever is new (a no-op usually)
        _bench.recreate_database(name)
        return True

    @staticmethod
    def _empty(name: str) -> None:
        """TRUNCATE every table but the migration state (the database is the benchmark's own)."""
        import psycopg2

        conn = psycopg2.connect(dbname=name, **_bench.server_params())
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN "
                "('django_migrations', 'django_content_type', 'auth_permission')"
            )
            tables = [row[0] for row in cursor.fetchall()]
            if tables:
                cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        conn.close()

    @staticmethod
    def _purge_queue(redis_url: str) -> None:
        import redis

        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(redis_url)
            keys = [*client.scan_iter(f"bench-voice-{os.getpid()}:*"), *client.scan_iter("*voice:*")]
            if keys:
                client.delete(*keys)

    # -- inner: data, analysis, pages ---------------------------------------------------------------------------

    def inner(self, options) -> None:
        from django.db import connection

        from voice.starter import install_starter_taxonomy

        out = self.stdout.write
        rng = random.Random(options["seed"])
        count, workers = options["comments"], options["workers"]
        started = time.monotonic()
        program = self._program(rng)
        install_starter_taxonomy(program["org"])
        self._skip_retag(program["org"])
        out(f"Organization, {CUSTOMERS:,} customers and the starter taxonomy in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        languages = self._copy_comments(program, count, rng)
        with connection.cursor() as cursor:
            for table in ("surveys_response", "surveys_answer", "voice_commentanalysis"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        out(
            f"Generated {count:,} comments ({', '.join(f'{n:,} {lang}' for lang, n in languages.items())}) with "
            f"their responses, NPS answers and pending analyses (COPY) in {time.monotonic() - started:.1f} s"
        )
        if options["mode"] == "celery":
            seconds, split = self._run_celery(workers, options["redis"], options["timeout"])
        else:
            seconds, split = self._run_processes(workers, options["timeout"])
        if seconds is None:
            raise CommandError("The analysis did not finish in time.")
        self._report(program, count, workers, seconds, split, options["mode"])
        self._engine_rate(rng)
        self._pages(program, options["requests"])

    def _skip_retag(self, org) -> None:
        # Installing the starter queued a re-tagging run; there is nothing analysed yet for it to re-tag.
        from voice.models import VoiceRun

        VoiceRun.objects.filter(organization=org, kind=VoiceRun.Kind.RETAG).update(status=VoiceRun.Status.DONE)

    def _program(self, rng: random.Random) -> dict:
        from django.contrib.auth import get_user_model
        from django.db import connection
        from django.utils import timezone

        from accounts.models import Membership, Organization, Role
        from journeys.models import Journey, Stage, Touchpoint
        from surveys.models import Question, Survey, SurveyVersion

        org = Organization.objects.create(name="Bench Voice", slug=SLUG, default_language="sv")
        user = get_user_model().objects.create_user("bench-voice-cx", email="bench-voice@example.com", password=None)
        Membership.objects.create(organization=org, user=user, role=Role.CX_MANAGER)
        touchpoints = []
        for j in range(JOURNEYS):
            journey = Journey.objects.create(organization=org, name=f"Journey {j + 1}")
            stage = Stage.objects.create(organization=org, journey=journey, name="Stage")
            for t in range(TOUCHPOINTS_PER_JOURNEY):
                touchpoints.append(
                    Touchpoint.objects.create(
                        organization=org, journey=journey, stage=stage, name=f"J{j + 1} touchpoint {t + 1}", position=t
                    )
                )
        survey = Survey.objects.create(organization=org, name="Touchpoint NPS", status=Survey.Status.PUBLISHED)
        version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
        nps = Question.objects.create(
            organization=org, version=version, code="nps", kind="nps", required=True, text={"en": "NPS"}
        )
        why = Question.objects.create(
            organization=org, version=version, code="why", kind="text", position=1, text={"en": "Why?"}
        )
        survey.current_version = version
        survey.save(update_fields=["current_version"])
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO customers_customer (organization_id, external_id, name, email, phone, language, country,
                    segment, may_survey, may_contact, created_at, updated_at)
                SELECT %s, 'V' || lpad(g::text, 7, '0'), 'Customer ' || g, '', '', 'sv', 'SE', 'Consumer', true,
                    true, now(), now()
                FROM generate_series(1, %s) g
                """,
                [org.pk, CUSTOMERS],
            )
            cursor.execute("SELECT id FROM customers_customer WHERE organization_id = %s", [org.pk])
            customers = [row[0] for row in cursor.fetchall()]
        return {
            "org": org,
            "user": user,
            "touchpoints": [(tp.pk, tp.journey_id) for tp in touchpoints],
            "survey": survey,
            "version": version,
            "nps": nps.pk,
            "why": why.pk,
            "customers": customers,
        }

    @staticmethod
    def _reserve_ids(cursor, table: str, count: int) -> int:
        cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        seq = cursor.fetchone()[0]
        cursor.execute(f"SELECT nextval('{seq}')")
        first = cursor.fetchone()[0]
        cursor.execute(f"SELECT setval('{seq}', %s)", [first + count])
        return first

    def _copy_comments(self, p: dict, count: int, rng: random.Random) -> dict[str, int]:
        """COPY `count` responses, each with an NPS answer and a comment, and the comments' pending analyses."""
        from django.db import connection
        from django.utils import timezone

        from surveys.models import Answer, Response
        from voice.models import CommentAnalysis

        org_id, survey_id, version_id = p["org"].pk, p["survey"].pk, p["version"].pk
        today = timezone.localdate()
        now = timezone.now().isoformat()
        langs, weights = zip(*LANGUAGE_WEIGHTS, strict=True)
        tones = (("negative", 0.35, 3.5, 2.0), ("mixed", 0.2, 7.0, 1.5), ("positive", 0.45, 9.0, 1.0))
        response_cols = (
            "id, organization_id, survey_id, version_id, touchpoint_id, journey_id, customer_id, language, channel, "
            "source, submitted_at, processed_at, created_at"
        )
        answer_cols = (
            "id, organization_id, response_id, question_id, touchpoint_id, submitted_on, metric, value, text, "
            "choices, customer_id"
        )
        analysis_cols = (
            "answer_id, organization_id, response_id, survey_id, touchpoint_id, journey_id, customer_id, submitted_on, "
            "month, metric, score, status, language, masked_text, has_personal_data, sentiment_label, sentences, "
            "drivers, taxonomy_version, created_at"
        )
        counts = dict.fromkeys(langs, 0)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            first_response = self._reserve_ids(cursor, Response._meta.db_table, count)
            first_answer = self._reserve_ids(cursor, Answer._meta.db_table, 2 * count)
            done = 0
            while done < count:
                n = min(CHUNK, count - done)
                responses, answers, analyses = io.StringIO(), io.StringIO(), io.StringIO()
                for i in range(done, done + n):
                    rid, nps_id, text_id = first_response + i, first_answer + 2 * i, first_answer + 2 * i + 1
                    day = today - dt.timedelta(days=DAYS - 1 - i * DAYS // count)  # oldest first, like real data
                    tp, journey = rng.choice(p["touchpoints"])
                    customer = str(rng.choice(p["customers"])) if rng.random() < 0.8 else "\\N"
                    language = rng.choices(langs, weights)[0]
                    counts[language] += 1
                    tone, _w, mean, sd = rng.choices(tones, weights=[t[1] for t in tones])[0]
                    score = max(0, min(10, round(rng.gauss(mean, sd))))
                    text = comment_text(rng, language, tone).replace("\\", " ").replace("\t", " ")
                    at = f"{day.isoformat()} {rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}:00+00"
                    responses.write(
                        f"{rid}\t{org_id}\t{survey_id}\t{version_id}\t{tp}\t{journey}\t{customer}\t{language}\tweb\t"
                        f"web\t{at}\t{at}\t{at}\n"
                    )
                    answers.write(
                        f"{nps_id}\t{org_id}\t{rid}\t{p['nps']}\t{tp}\t{day.isoformat()}\tnps\t{score}\t\t[]\t{customer}\n"
                        f"{text_id}\t{org_id}\t{rid}\t{p['why']}\t{tp}\t{day.isoformat()}\t\t\\N\t{text}\t[]\t{customer}\n"
                    )
                    analyses.write(
                        f"{text_id}\t{org_id}\t{rid}\t{survey_id}\t{tp}\t{journey}\t{customer}\t{day.isoformat()}\t"
                        f"{day.replace(day=1).isoformat()}\tnps\t{score}\tpending\t\t\tf\t\t[]\t[]\t0\t{now}\n"
                    )
                for buf, table, cols in (
                    (responses, Response._meta.db_table, response_cols),
                    (answers, Answer._meta.db_table, answer_cols),
                    (analyses, CommentAnalysis._meta.db_table, analysis_cols),
                ):
                    buf.seek(0)
                    raw.copy_expert(f"COPY {table} ({cols}) FROM STDIN", buf)
                done += n
        return counts

    # -- the analysis -------------------------------------------------------------------------------------------

    @staticmethod
    def _current() -> bool:
        from voice.models import CommentAnalysis, StatDirty

        return (
            not CommentAnalysis.objects.filter(status=CommentAnalysis.Status.PENDING).exists()
            and not StatDirty.objects.exists()
        )

    def _progress(self, started: float, last: list[float]) -> None:
        from voice.models import CommentAnalysis

        if time.monotonic() - last[0] >= 30:
            last[0] = time.monotonic()
            left = CommentAnalysis.objects.filter(status=CommentAnalysis.Status.PENDING).count()
            self.stdout.write(f"  {time.monotonic() - started:.0f} s: {left:,} comments pending")

    def _run_celery(self, workers: int, redis_url: str, timeout: int) -> tuple[float | None, str]:
        import tempfile

        from django.core.cache import cache
        from django.utils import timezone

        from voice.receivers import DEBOUNCE_KEY, STATS_DEBOUNCE_KEY
        from voice.tasks import analyse_pending_task, sweep_task

        with tempfile.TemporaryDirectory(prefix="cx-bench-voice-") as tmp:
            worker = self._start_celery(Path(tmp), workers, redis_url)
            try:
                cache.delete_many([DEBOUNCE_KEY, STATS_DEBOUNCE_KEY])
                started, started_at = time.monotonic(), timezone.now()
                analyse_pending_task.delay()
                next_sweep, last = started + 60, [started]
                while time.monotonic() - started < timeout:
                    if self._current():
                        return time.monotonic() - started, self._stages(started_at)
                    if time.monotonic() >= next_sweep:  # what beat does in production
                        sweep_task.delay()
                        next_sweep += 60
                    self._progress(started, last)
                    time.sleep(0.1)
                self.stdout.write(f"Worker log (end):\n{(Path(tmp) / 'worker.log').read_text()[-3000:]}")
                return None, ""
            finally:
                self._stop(worker)

    @staticmethod
    def _stages(started_at) -> str:
        """When the first and the last comment were analysed (from the rows), against the whole time."""
        from django.db.models import Max, Min
        from django.utils import timezone

        from voice.models import CommentAnalysis

        span = CommentAnalysis.objects.aggregate(first=Min("analysed_at"), last=Max("analysed_at"))
        if span["first"] is None:
            return ""
        first = (span["first"] - started_at).total_seconds()
        last = (span["last"] - started_at).total_seconds()
        whole = (timezone.now() - started_at).total_seconds()
        return (
            f"first comment analysed after {first:.1f} s (worker start-up, engine load), last after {last:.1f} s; "
            f"statistics current {whole - last:.1f} s later"
        )

    def _start_celery(self, tmp: Path, concurrency: int, redis_url: str) -> subprocess.Popen:
        from cxplatform.celery import app

        log = tmp / "worker.log"
        celery = str(Path(sys.executable).parent / "celery")
        argv = [celery, "-A", "cxplatform", "worker", "-l", "warning", "--concurrency", str(concurrency)]
        argv += ["--without-heartbeat", "--without-mingle", "--without-gossip", "-n", f"bench-voice-{os.getpid()}@%h"]
        with log.open("w") as fh:
            process = subprocess.Popen(argv, env=os.environ.copy(), stdout=fh, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if app.control.ping(timeout=0.5):
                    self.stdout.write(f"Celery worker started ({concurrency} processes, broker {redis_url})")
                    return process
            if process.poll() is not None:
                raise CommandError(f"The Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        process.kill()
        raise CommandError("The Celery worker did not answer within 120 s.")

    @staticmethod
    def _stop(process: subprocess.Popen) -> None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)

    def _run_processes(self, workers: int, timeout: int) -> tuple[float | None, str]:
        argv = [sys.executable, str(_bench.MANAGE), "bench_voice", "--worker"]
        procs = [
            subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # noqa: S603
            for _ in range(workers)
        ]
        try:
            for proc in procs:  # each loads the engine first, then says so
                if proc.stdout.readline().strip() != "ready":
                    raise CommandError("A worker process did not start.")
            started = time.monotonic()
            for proc in procs:
                proc.stdin.write("go\n")
                proc.stdin.flush()
            reports = []
            for proc in procs:
                line = proc.stdout.readline()
                proc.wait(timeout)
                reports.append(json.loads(line))
            seconds = time.monotonic() - started
        finally:
            for proc in procs:
                if proc.poll() is None:
                    self._stop(proc)
        if not self._current():
            return None, ""
        split = "; ".join(
            f"process {i + 1}: {r['analysed']:,} comments, analysis {r['analyse_s']:.1f} s, statistics "
            f"{r['stats_s']:.1f} s"
            for i, r in enumerate(reports)
        )
        return seconds, split

    def worker(self) -> None:
        """One analysis process: warm the engine, wait for the go, analyse until nothing is pending, recompute."""
        from voice import services
        from voice.engine import analyse_comments

        analyse_comments([("Bra.", "sv"), ("Bra.", "nb"), ("Godt.", "da"), ("Good.", "en")], None)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdin.readline()
        started = time.monotonic()
        analysed = 0
        while n := services.analyse_pending():
            analysed += n
        analysing = time.monotonic() - started
        services.recompute_dirty_stats()
        report = {"analysed": analysed, "analyse_s": analysing, "stats_s": time.monotonic() - started - analysing}
        sys.stdout.write(json.dumps(report) + "\n")
        sys.stdout.flush()

    # -- figures ------------------------------------------------------------------------------------------------

    def _report(self, p: dict, count: int, workers: int, seconds: float, split: str, mode: str) -> None:
        from voice.models import CommentAnalysis, CommentTheme, ThemeStat

        org = p["org"]
        done = CommentAnalysis.objects.filter(organization=org, status=CommentAnalysis.Status.DONE)
        analysed = done.count()
        masked = done.filter(has_personal_data=True).count()
        tagged = CommentTheme.objects.filter(organization=org).values("analysis_id").distinct().count()
        stats = ThemeStat.objects.filter(organization=org).count()
        self.stdout.write(
            f"Analysed {analysed:,} of {count:,} comments with {workers} worker processes ({mode}) in {seconds:.1f} s "
            f"(statistics recompute included) = {analysed / seconds:,.0f} comments/s (target >= 2,000/s)"
        )
        self.stdout.write(
            f"  {masked:,} with personal data masked ({masked / max(analysed, 1):.0%}), {tagged:,} with a theme "
            f"({tagged / max(analysed, 1):.0%}), {stats:,} statistics rows"
        )
        if split:
            self.stdout.write(f"  {split}")
        self.stdout.write(
            f"RESULT voice comments={count} workers={workers} mode={mode} seconds={seconds:.2f} "
            f"comments_per_s={analysed / seconds:.0f}"
        )

    def _engine_rate(self, rng: random.Random) -> None:
        """The engine alone in this process (no database), so the analysis rate above can be read against it."""
        from accounts.models import Organization
        from voice.engine import analyse_comments
        from voice.taxonomy import compiled_taxonomy

        _version, taxonomy = compiled_taxonomy(Organization.objects.get(slug=SLUG).pk)
        items = [(comment_text(rng, lang, "mixed"), lang) for lang in ("sv", "nb", "da", "en") for _ in range(500)]
        analyse_comments(items[:8], taxonomy)
        started = time.monotonic()
        analyse_comments(items, taxonomy)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"  engine alone, one process, {len(items):,} comments (no database): {len(items) / seconds:,.0f} "
            "comments/s"
        )

    def _pages(self, p: dict, requests: int) -> None:
        from django.db import connection
        from django.db.models import Count
        from django.test import Client
        from django.urls import reverse

        from cxplatform.startup import warm_and_freeze
        from voice.models import CommentTheme

        client = Client()
        client.force_login(p["user"])
        top = (
            CommentTheme.objects.filter(organization=p["org"], theme__parent__isnull=True)
            .values("theme_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        pages = [("overview /voice/", reverse("voice:overview"))]
        if top:
            pages.append((f"theme page ({top['n']:,} comments)", reverse("voice:theme_detail", args=[top["theme_id"]])))
        warm_and_freeze()
        results = []
        for label, url in pages:
            queries: list = []
            started = time.perf_counter()
            with connection.execute_wrapper(_Counter(queries)):
                response = client.get(url)
            first = time.perf_counter() - started
            if response.status_code != 200:
                raise CommandError(f"{label}: HTTP {response.status_code}")
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - started)
            p95 = _p95(times)
            results.append(p95)
            self.stdout.write(
                f"{label}: p50 {_ms(statistics.median(times))}, p95 {_ms(p95)} (target < 150 ms), "
                f"{len(queries)} SQL queries, {len(response.content):,} bytes, {requests} requests (warm: after a "
                f"first one of {_ms(first)} that filled the application cache, PostgreSQL's buffers and the "
                "per-process caches)"
            )
        self.stdout.write("RESULT voice pages p95_ms=" + ",".join(f"{t * 1000:.0f}" for t in results))
