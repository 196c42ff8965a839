"""Benchmark the KPI engine on a dedicated PostgreSQL database filled with COPY.

    createdb -h 127.0.0.1 -U postgres cx_bench_kpis
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cx_bench_kpis \\
        python manage.py bench_kpis --responses 1000000

Prints: full rollup rebuild time against a hand-written GROUP BY over the same rows, the incremental update after
10,000 new responses, and the server time (p50/p95) and SQL queries of the journey gap dashboard and the touchpoint
page. Refuses to run on a database whose name does not contain "bench": it truncates the survey tables.

    python manage.py bench_kpis --responses 1000000 --reuse --follow-up 200000 --only-follow-up

`--follow-up N` measures the drain (`surveys.process_pending`, in-process): N unprocessed responses spread over the
history, as an import leaves them, followed up without and with alert rules, and N live ones of today; then the
aggregation of the keys they marked.
"""

# SQL is assembled from model table names and constants; values go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import io
import os
import random
import statistics
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organization, Role
from customers.models import Customer
from cxplatform.startup import warm_and_freeze
from journeys.models import Channel, Journey, Persona, Stage, Touchpoint
from kpis import rollups
from kpis.models import DirtyRollup, JourneyRollup, Kpi, Rollup, SegmentRollup, Target
from kpis.rollups import sql
from surveys.models import Answer, Question, Response, Survey, SurveyVersion

SLUG = "bench-kpis"
JOURNEYS = 5
STAGES = 3
TOUCHPOINTS_PER_STAGE = 2
DAYS = 425
SEGMENTS = ["Consumer", "Premium", "Business"]
CHUNK = 200_000
COMMENTS = ["Fast and friendly", "Took too long", "Nobody called back", "Great technician", "Invoice was wrong"]


@dataclass
class Program:
    org: Organization
    touchpoints: list[Touchpoint]
    journeys: list[Journey]
    survey: Survey
    version: SurveyVersion
    journey_version: SurveyVersion
    questions: dict[str, int]
    journey_questions: dict[str, int]
    customers: list[int]
    user: object


class _Counter:
    """An execute wrapper that counts statements (Django empties connection.queries at each request start)."""

    def __init__(self, into: list):
        self.into = into

    def __call__(self, execute, sql_text, params, many, context):
        self.into.append(sql_text)
        return execute(sql_text, params, many, context)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class Command(BaseCommand):
    help = "Benchmark rollup rebuild, incremental aggregation and dashboards on a dedicated bench database."

    def add_arguments(self, parser):
        parser.add_argument("--responses", type=int, default=1_000_000)
        parser.add_argument("--customers", type=int, default=100_000, help="Made on the first run only.")
        parser.add_argument("--requests", type=int, default=50, help="Requests per page for the timings.")
        parser.add_argument("--incremental", type=int, default=10_000, help="New responses for the incremental run.")
        parser.add_argument(
            "--reuse",
            action="store_true",
            help="Keep the previous run's generated responses (what earlier runs added is dropped).",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--follow-up", type=int, default=0, help="Unprocessed responses per drain measurement (0: skip them)."
        )
        parser.add_argument("--only-follow-up", action="store_true", help="Skip the rebuild, incremental and pages.")
        parser.add_argument("--batch", type=int, default=0, help="Drain batch size (default: the drain's own).")

    def handle(
        self, *args, responses: int, customers: int, requests: int, incremental: int, reuse: bool, seed: int, **opts
    ):
        follow_up, only_follow_up = opts["follow_up"], opts["only_follow_up"]
        name = connection.settings_dict["NAME"]
        if connection.vendor != "postgresql" or "bench" not in str(name):
            raise CommandError(
                f"Run against a dedicated PostgreSQL database named *bench* (this is {connection.vendor} {name!r})."
            )
        self.rng = random.Random(seed)
        call_command("migrate", verbosity=0)
        program = self._program(customers)
        existing = Response.objects.filter(organization=program.org).count()
        if reuse and existing >= responses:
            self._forget_increments(program)
            responses = Response.objects.filter(organization=program.org).count()
        else:
            self._truncate()
            started = time.perf_counter()
            self._copy_responses(program, responses, days_back=(1, DAYS))
            self.stdout.write(f"generated {responses:,} responses with COPY in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE surveys_answer")
            cursor.execute("VACUUM ANALYZE surveys_response")
            cursor.execute("SELECT count(*) FROM surveys_answer")
            answers = cursor.fetchone()[0]
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('surveys_answer'))")
            size = cursor.fetchone()[0]
        self.stdout.write(
            f"data: {responses:,} responses, {answers:,} answers ({size}), "
            f"{len(program.touchpoints)} touchpoints, {DAYS} days"
        )
        if not only_follow_up:
            self._bench_rebuild()
            self._bench_incremental(program, incremental)
            self._targets(program)
            self._bench_pages(program, requests)
            self._bench_segment_choice(program)
        if follow_up:
            self._bench_follow_up(program, follow_up, batch=opts["batch"])

    # -- data -------------------------------------------------------------------------------------------------

    def _forget_increments(self, p: Program) -> None:
        """Drop every response earlier runs added (live and late), so this run measures the generated history.

        The generated history is one COPY with one created_at; every later increment was created after it. The
        rollups are made right again by the rebuild that the run starts with.
        """
        from actions.models import FeedbackCase

        FeedbackCase.objects.filter(organization=p.org).delete()  # cases of earlier follow-up runs
        response, answer = Response._meta.db_table, Answer._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT min(created_at) FROM {response} WHERE organization_id = %s", [p.org.pk])
            (generated_at,) = cursor.fetchone()
            added = f"SELECT id FROM {response} WHERE organization_id = %s AND created_at > %s"
            cursor.execute(f"DELETE FROM {answer} WHERE response_id IN ({added})", [p.org.pk, generated_at])
            cursor.execute(f"DELETE FROM {response} WHERE id IN ({added})", [p.org.pk, generated_at])
            for model in (Rollup, SegmentRollup, JourneyRollup):
                cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE day >= %s", [timezone.localdate()])

    def _program(self, customer_count: int) -> Program:
        # The program (journeys, touchpoints, customers) is kept between runs; only the responses are regenerated.
        org = Organization.objects.filter(slug=SLUG).first()
        if org is None:
            org = Organization.objects.create(name="Bench KPIs", slug=SLUG, min_n=30)
        user, _ = get_user_model().objects.get_or_create(
            username="bench-kpis-cx", defaults={"email": "bench@example.com"}
        )
        Membership.objects.get_or_create(organization=org, user=user, defaults={"role": Role.CX_MANAGER})
        if not Touchpoint.objects.filter(organization=org).exists():
            personas = [Persona.objects.create(organization=org, name=f"Persona {i}") for i in range(4)]
            channels = list(Channel.values)
            for j in range(JOURNEYS):
                journey = Journey.objects.create(organization=org, name=f"Journey {j + 1}")
                for s in range(STAGES):
                    stage = Stage.objects.create(organization=org, journey=journey, name=f"Stage {s + 1}", position=s)
                    for t in range(TOUCHPOINTS_PER_STAGE):
                        Touchpoint.objects.create(
                            organization=org,
                            journey=journey,
                            stage=stage,
                            name=f"J{j + 1} touchpoint {s + 1}.{t + 1}",
                            channel=channels[(j + s + t) % len(channels)],
                            position=t,
                        )
            rows = []
            for i in range(customer_count):
                segment = self.rng.choices(SEGMENTS, weights=[0.68, 0.22, 0.10])[0]
                rows.append(
                    Customer(
                        organization=org,
                        external_id=f"B{i:07d}",
                        name=f"Customer {i}",
                        segment=segment,
                        persona=self.rng.choice(personas),
                    )
                )
            Customer.objects.bulk_create(rows, batch_size=5000)
            survey = Survey.objects.create(organization=org, name="Touchpoint survey", status="published")
            version = SurveyVersion.objects.create(
                organization=org, survey=survey, number=1, published_at=timezone.now()
            )
            jsurvey = Survey.objects.create(organization=org, name="Journey survey", kind="journey", status="published")
            jversion = SurveyVersion.objects.create(
                organization=org, survey=jsurvey, number=1, published_at=timezone.now()
            )
            for v in (version, jversion):
                Question.objects.create(
                    organization=org, version=v, code="nps", kind="nps", position=0, text={"en": "NPS"}
                )
                Question.objects.create(
                    organization=org, version=v, code="csat", kind="csat", position=1, text={"en": "CSAT"}
                )
                Question.objects.create(
                    organization=org, version=v, code="why", kind="text", position=2, text={"en": "Why?"}
                )
        touchpoints = list(Touchpoint.objects.filter(organization=org).order_by("pk"))
        survey = Survey.objects.get(organization=org, name="Touchpoint survey")
        jsurvey = Survey.objects.get(organization=org, name="Journey survey")
        version, jversion = survey.versions.get(), jsurvey.versions.get()
        return Program(
            org=org,
            touchpoints=touchpoints,
            journeys=list(Journey.objects.filter(organization=org).order_by("pk")),
            survey=survey,
            version=version,
            journey_version=jversion,
            questions=dict(Question.objects.filter(version=version).values_list("code", "pk")),
            journey_questions=dict(Question.objects.filter(version=jversion).values_list("code", "pk")),
            customers=list(Customer.objects.filter(organization=org).values_list("pk", flat=True)),
            user=user,
        )

    def _truncate(self) -> None:
        with connection.cursor() as cursor:
            tables = [Answer, Response, Rollup, SegmentRollup, JourneyRollup, DirtyRollup]
            # CASCADE: rows of other apps that point at responses (cases, ...) are bench leftovers too.
            cursor.execute("TRUNCATE " + ", ".join(m._meta.db_table for m in tables) + " CASCADE")

    def _next_ids(self, cursor, table: str, count: int) -> int:
        """Reserve `count` ids of a table's sequence; returns the first."""
        cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
        seq = cursor.fetchone()[0]
        cursor.execute(f"SELECT nextval('{seq}')")
        first = cursor.fetchone()[0]
        cursor.execute(f"SELECT setval('{seq}', %s)", [first + count])
        return first

    def _copy_responses(
        self, p: Program, count: int, *, days_back: tuple[int, int], processed: bool = True
    ) -> list[int]:
        """COPY `count` responses (and their answers) submitted between days_back[1] and days_back[0] days ago.

        processed=False leaves them for the follow-up (processed_at NULL), as an import does.
        """
        rng = self.rng
        today = timezone.localdate()
        org_id = p.org.pk
        tp_weights = [rng.uniform(0.3, 3.0) for _ in p.touchpoints]
        tp_mean = {tp.pk: rng.uniform(5.5, 9.3) for tp in p.touchpoints}
        now = timezone.now().isoformat()
        processed_at = now if processed else "\\N"
        response_cols = (
            "id, organization_id, survey_id, version_id, touchpoint_id, journey_id, customer_id, language, channel, "
            "source, submitted_at, processed_at, created_at"
        )
        answer_cols = (
            "organization_id, response_id, question_id, touchpoint_id, submitted_on, metric, value, text, choices, "
            "customer_id"
        )
        ids = []
        with connection.cursor() as cursor:
            raw = cursor.cursor
            first_id = self._next_ids(cursor, Response._meta.db_table, count)
            done = 0
            while done < count:
                n = min(CHUNK, count - done)
                resp_buf, ans_buf = io.StringIO(), io.StringIO()
                tps = rng.choices(p.touchpoints, weights=tp_weights, k=n)
                for i in range(n):
                    rid = first_id + done + i
                    ids.append(rid)
                    # Oldest first, like real data: a touchpoint-day's answers end up near each other on disk.
                    back = days_back[1] - (done + i) * (days_back[1] - days_back[0] + 1) // count
                    day = today - dt.timedelta(days=max(back, days_back[0]))
                    at = f"{day.isoformat()} {rng.randint(7, 21):02d}:{rng.randint(0, 59):02d}:00+00"
                    customer = rng.choice(p.customers) if rng.random() < 0.9 else None
                    cust = str(customer) if customer else "\\N"
                    if rng.random() < 0.03:
                        journey = rng.choice(p.journeys)
                        tp_col, journey_id, version, questions, mean = (
                            "\\N",
                            journey.pk,
                            p.journey_version,
                            p.journey_questions,
                            7.5,
                        )
                    else:
                        tp = tps[i]
                        tp_col, journey_id, version, questions, mean = (
                            str(tp.pk),
                            tp.journey_id,
                            p.version,
                            p.questions,
                            tp_mean[tp.pk],
                        )
                    resp_buf.write(
                        f"{rid}\t{org_id}\t{version.survey_id}\t{version.pk}\t{tp_col}\t{journey_id}\t{cust}\tsv\tweb\timport\t{at}\t{processed_at}\t{now}\n"
                    )
                    score = max(0, min(10, round(rng.gauss(mean, 2.2))))
                    ans_buf.write(
                        f"{org_id}\t{rid}\t{questions['nps']}\t{tp_col}\t{day.isoformat()}\tnps\t{score}\t\t[]\t{cust}\n"
                    )
                    if rng.random() < 0.5:
                        csat = max(1, min(5, round(score / 2.2)))
                        ans_buf.write(
                            f"{org_id}\t{rid}\t{questions['csat']}\t{tp_col}\t{day.isoformat()}\tcsat\t{csat}\t\t[]\t{cust}\n"
                        )
                    if rng.random() < 0.2:
                        ans_buf.write(
                            f"{org_id}\t{rid}\t{questions['why']}\t{tp_col}\t{day.isoformat()}\t\t\\N\t{rng.choice(COMMENTS)}\t[]\t{cust}\n"
                        )
                resp_buf.seek(0)
                ans_buf.seek(0)
                raw.copy_expert(f"COPY {Response._meta.db_table} ({response_cols}) FROM STDIN", resp_buf)
                raw.copy_expert(f"COPY {Answer._meta.db_table} ({answer_cols}) FROM STDIN", ans_buf)
                done += n
        return ids

    # -- measurements -----------------------------------------------------------------------------------------

    def _timed(self, fn, repeat: int = 2) -> float:
        best = None
        for _ in range(repeat):
            started = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        return best

    def _bench_rebuild(self) -> None:
        table = sql.TOUCHPOINT
        baseline_sql = (
            f"SELECT a.touchpoint_id, a.submitted_on, a.metric, {', '.join(sql.STAT_EXPRESSIONS)} "
            f"FROM {sql.ANSWER} a WHERE {sql.SCORED} AND a.touchpoint_id IS NOT NULL GROUP BY 1, 2, 3"
        )
        minimal_sql = (
            f"SELECT a.touchpoint_id, a.submitted_on, a.metric, count(*), sum(a.value), sum(a.value * a.value) "
            f"FROM {sql.ANSWER} a WHERE a.touchpoint_id IS NOT NULL GROUP BY 1, 2, 3"
        )

        def run(query):
            def go():
                with connection.cursor() as cursor:
                    cursor.execute(query)
                    cursor.fetchall()

            return go

        baseline = self._timed(run(baseline_sql))
        minimal = self._timed(run(minimal_sql))
        # From empty (every row written) and again over correct rollups (rows compared, none written).
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {table.table}")
        started = time.perf_counter()
        result = rollups.rebuild_rollups(tables=[table.name])
        from_empty = time.perf_counter() - started
        again = self._timed(lambda: rollups.rebuild_rollups(tables=[table.name]))
        rows = result.rows[table.name]
        self.stdout.write(
            f"full rebuild (touchpoint rollups, {rows:,} rows): {from_empty:.2f} s from empty, {again:.2f} s over "
            f"correct rollups; hand-written GROUP BY with the same aggregates: {baseline:.2f} s -> ratio "
            f"{from_empty / baseline:.2f}x / {again / baseline:.2f}x (count/sum-only GROUP BY: {minimal:.2f} s)"
        )
        for name in ("segment", "journey"):
            t = self._timed(lambda name=name: rollups.rebuild_rollups(tables=[name]), repeat=1)
            self.stdout.write(f"  rebuild of the {name} rollups: {t:.2f} s")

    def _bench_incremental(self, p: Program, count: int) -> None:
        # Live responses are stored on the day they are submitted, so the everyday case touches today's keys; late
        # ones (imports, a backlog) land on days that already hold the history's answers, more of them the larger
        # the history: both are measured, with the answers the recompute had to read.
        scenarios = [("today (live submissions)", (0, 0)), ("yesterday and the day before (late)", (1, 2))]
        for label, days_back in scenarios:
            started = time.perf_counter()
            ids = self._copy_responses(p, count, days_back=days_back)
            copy_time = time.perf_counter() - started
            started = time.perf_counter()
            with transaction.atomic():
                rollups.mark_dirty_for_responses(ids)
            mark_time = time.perf_counter() - started
            keys = DirtyRollup.objects.count()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT count(*) FROM {Answer._meta.db_table} a JOIN {DirtyRollup._meta.db_table} d "
                    "ON d.kind = 't' AND a.touchpoint_id = d.key_id AND a.submitted_on = d.day"
                )
                read = cursor.fetchone()[0]
            result = rollups.aggregate_dirty()
            self.stdout.write(
                f"incremental after {count:,} new responses, {label} ({copy_time:.1f} s to COPY): mark {keys} dirty "
                f"keys {_ms(mark_time)} + aggregate {_ms(result.seconds)} = {_ms(mark_time + result.seconds)} "
                f"({read:,} answers in the touched touchpoint-days)"
            )
        # One response, the way the follow-up task processes it: one mark, one aggregation.
        single = self._copy_responses(p, 1, days_back=(0, 0))
        started = time.perf_counter()
        with transaction.atomic():
            rollups.mark_dirty_for_responses(single)
        one = rollups.aggregate_dirty()
        self.stdout.write(
            f"  one new response: mark + aggregate {_ms(time.perf_counter() - started)} ({one.keys} keys)"
        )
        differences, _ = rollups.find_differences()
        self.stdout.write(
            f"  rollups equal a fresh recompute afterwards: {not differences} ({len(differences)} differences)"
        )

    def _bench_follow_up(self, p: Program, count: int, *, batch: int) -> None:
        """Responses followed up per second by the drain, and the aggregation of the keys it marked.

        In-process, as a worker runs it (one process): the aggregation a batch queues is held back (it would run
        eagerly here) and measured on its own afterwards, as a worker runs it as a task of its own.
        """
        from django.core.cache import cache

        from actions.models import AlertRule, FeedbackCase
        from kpis.rollups.aggregation import DEBOUNCE_KEY
        from surveys.ingestion.services import FOLLOW_UP_BATCH_SIZE, responses_sweep_unprocessed

        batch = batch or FOLLOW_UP_BATCH_SIZE
        AlertRule.objects.filter(organization=p.org).delete()
        scenarios = [
            ("an import spread over the history, no alert rule", (0, DAYS - 1), False),
            ("an import spread over the history, 2 alert rules", (0, DAYS - 1), True),
            ("live (all of today), 2 alert rules", (0, 0), True),
        ]
        cache.set(DEBOUNCE_KEY, 1, timeout=24 * 3600)
        try:
            for label, days_back, with_rules in scenarios:
                if with_rules and not AlertRule.objects.filter(organization=p.org).exists():
                    # A detractor who names churn or an unanswered call; any score of 0-1. No e-mail (it would be
                    # sent eagerly, in the measured process): the case rows are written as with e-mail.
                    AlertRule.objects.create(
                        organization=p.org,
                        name="Churn risk",
                        nps_max=6,
                        keywords="uppsägning|säga upp|oppsigelse|opsig*|cancel*|nobody called|called back",
                        priority=10,
                        notify_team=False,
                    )
                    AlertRule.objects.create(organization=p.org, name="Very unhappy", nps_max=1, notify_team=False)
                rollups.aggregate_dirty()
                cases_before = FeedbackCase.objects.filter(organization=p.org).count()
                self._copy_responses(p, count, days_back=days_back, processed=False)
                with connection.cursor() as cursor:
                    # As autovacuum would have (the development cluster runs without it): earlier runs' dead rows.
                    tables = [m._meta.db_table for m in (Rollup, SegmentRollup, JourneyRollup, DirtyRollup, Response)]
                    cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
                started = time.perf_counter()
                done = responses_sweep_unprocessed(min_age_seconds=0, batch_size=batch, time_budget_seconds=None)
                drain = time.perf_counter() - started
                keys = DirtyRollup.objects.count()
                cases = FeedbackCase.objects.filter(organization=p.org).count() - cases_before
                seconds, runs = self._aggregate_in_parallel()
                self.stdout.write(
                    f"follow-up of {done:,} responses, {label}: drain {drain:.1f} s = {done / drain:,.0f} "
                    f"responses/s (batches of {batch:,}, {cases:,} cases opened); aggregation of the {keys:,} keys "
                    f"it marked: {seconds:.1f} s ({' + '.join(str(r.batches) for r in runs)} batches, "
                    f"{len(runs)} runs at once, as a worker with {len(runs)} processes runs a backlog)"
                )
        finally:
            cache.delete(DEBOUNCE_KEY)
            AlertRule.objects.filter(organization=p.org).delete()

    @staticmethod
    def _aggregate_in_parallel(runs: int = 2) -> tuple[float, list]:
        """`kpis.aggregate_dirty` with its helper: runs on connections of their own, claiming disjoint keys."""
        import threading

        from django.db import connections

        results, errors = [], []

        def run() -> None:
            try:
                results.append(rollups.aggregate_dirty())
            except Exception as exc:  # reported below
                errors.append(exc)
            finally:
                connections.close_all()

        started = time.perf_counter()
        threads = [threading.Thread(target=run) for _ in range(runs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise CommandError(f"aggregation failed: {errors[0]}")
        return time.perf_counter() - started, results

    def _targets(self, p: Program) -> None:
        kpi, _ = Kpi.objects.get_or_create(
            organization=p.org, code="nps", defaults={"name": "NPS", "kind": "survey", "metric": "nps"}
        )
        if Target.objects.filter(kpi=kpi).exists():
            return
        today = timezone.localdate()
        for tp in p.touchpoints:
            Target.objects.create(
                organization=p.org,
                kpi=kpi,
                scope="touchpoint",
                touchpoint=tp,
                journey=tp.journey,
                period_start=today - dt.timedelta(days=DAYS),
                period_end=today + dt.timedelta(days=60),
                value=self.rng.choice([10, 20, 30, 40]),
            )

    def _bench_pages(self, p: Program, requests: int) -> None:
        with connection.cursor() as cursor:
            for model in (Rollup, SegmentRollup, JourneyRollup):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        load = os.getloadavg()[0]
        client = Client()
        client.force_login(p.user)
        journey = p.journeys[0]
        tp = p.touchpoints[0]
        pages = [
            ("journey gap, 90 days", reverse("kpis:journey_dashboard"), {"journey": journey.pk, "period": "90"}),
            ("journey gap, 365 days", reverse("kpis:journey_dashboard"), {"journey": journey.pk, "period": "365"}),
            (
                "journey gap, 365 days, segment",
                reverse("kpis:journey_dashboard"),
                {"journey": journey.pk, "period": "365", "segment": "Business"},
            ),
            ("touchpoint page, 90 days", reverse("kpis:touchpoint_dashboard", args=[tp.pk]), {"period": "90"}),
            ("touchpoint page, 365 days", reverse("kpis:touchpoint_dashboard", args=[tp.pk]), {"period": "365"}),
            ("organization overview", reverse("kpis:overview"), {"period": "90"}),
        ]
        client.get(pages[0][1], pages[0][2])  # warm-up (session, imports, template cache)
        # As the web process does at start-up (cxplatform/wsgi.py): long-lived objects out of the GC's sight.
        warm_and_freeze()
        for label, url, params in pages:
            times = []
            queries = []
            # Counted with an execute wrapper: Django empties connection.queries at the start of every request.
            started = time.perf_counter()
            with connection.execute_wrapper(_Counter(queries)):
                response = client.get(url, params)
            first = time.perf_counter() - started
            if response.status_code != 200:
                raise CommandError(f"{label}: HTTP {response.status_code}")
            for _ in range(requests):
                started = time.perf_counter()
                client.get(url, params)
                times.append(time.perf_counter() - started)
            times.sort()
            p95 = times[max(0, round(0.95 * len(times)) - 1)]
            self.stdout.write(
                f"{label}: p50 {_ms(statistics.median(times))}, p95 {_ms(p95)}, {len(queries)} SQL queries "
                f"(warm: {requests} requests after a first one of {_ms(first)} that filled the application cache, "
                "PostgreSQL's buffers and the per-process caches)"
            )
        self.stdout.write(
            f"  (load average {load:.1f} before and {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs)"
        )

    def _bench_segment_choice(self, p: Program) -> None:
        """Why segment filters read SegmentRollup: the same figure from source rows grows with the responses."""
        journey = p.journeys[0]
        tp_ids = [tp.pk for tp in p.touchpoints if tp.journey_id == journey.pk]
        end = timezone.localdate()
        start = end - dt.timedelta(days=364)
        from_source = (
            "SELECT a.touchpoint_id, count(*), count(*) FILTER (WHERE a.value >= 9), "
            "count(*) FILTER (WHERE a.value < 7) "
            f"FROM {sql.ANSWER} a JOIN {sql.RESPONSE} r ON r.id = a.response_id "
            f"JOIN {sql.CUSTOMER} c ON c.id = r.customer_id "
            "WHERE a.touchpoint_id = ANY(%s) AND a.submitted_on BETWEEN %s AND %s AND a.metric = 'nps' "
            "AND c.segment = %s "
            f"GROUP BY 1"
        )
        from_rollup = (
            f"SELECT touchpoint_id, sum(n), sum(promoters), sum(detractors) FROM {SegmentRollup._meta.db_table} "
            f"WHERE touchpoint_id = ANY(%s) AND day BETWEEN %s AND %s AND metric = 'nps' AND segment = %s GROUP BY 1"
        )

        def run(query):
            def go():
                with connection.cursor() as cursor:
                    cursor.execute(query, [tp_ids, start, end, "Business"])
                    cursor.fetchall()

            return go

        source = self._timed(run(from_source), repeat=3)
        rolled = self._timed(run(from_rollup), repeat=3)
        self.stdout.write(
            f"segment filter, one journey over 365 days: from source rows (answers x responses x customers) "
            f"{_ms(source)} vs segment rollups {_ms(rolled)}"
        )
