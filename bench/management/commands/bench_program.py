"""Benchmark the program pages (health, compound failures, perception gap, a customer's history) on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres cx_bench_program
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cx_bench_program python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cx_bench_program \\
        python manage.py bench_program --responses 1000000
    ... python manage.py bench_program --reuse --requests 50     # keep the data of the previous run

The data are bench_kpis's (its organization "bench-kpis", 5 journeys x 6 touchpoints, --customers customers made on
the first run, --responses responses over 425 days written with COPY, through bench_kpis's own functions), with the
rollups rebuilt, churn events for a share of the customers (more likely the more detractor answers they gave) and a
leadership perception survey of the first journey with 30 staff responses (real services: perception_survey_create,
response_submit). Building empties the survey tables (bench_kpis's TRUNCATE), so it runs only in a database named
*bench* or one that holds no other organization; --reuse skips the build when the organization has responses.

Prints, with n and p50/p95 over --requests repetitions (SQL queries where it is a page): assess() for this month,
the backfill of 12 monthly snapshots, the compound-failure selector over 365 days (and its peak traced Python memory,
numpy/pandas buffers included), the pages as a CX manager of the organization through django.test.Client, and a
summary table. Timings are printed, never asserted: they depend on the machine (the load average is printed too).
"""

# SQL is assembled from model table names; values go as parameters.
# ruff: noqa: S608

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, Role
from accounts.scoping import OrgContext
from bench.management.commands import bench_kpis
from bench.management.commands.bench_kpis import _Counter
from customers.models import Customer
from kpis.models import JourneyRollup, Rollup, SegmentRollup
from surveys.models import Answer, Response
from value.models import ChurnEvent

STAFF_RESPONSES = 30
CHURN_BASE, CHURN_PER_DETRACTOR, CHURN_MAX_DETRACTORS = 0.02, 0.015, 4


@dataclass
class Figure:
    label: str
    times: list[float]
    queries: int | None = None
    note: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)]


@contextlib.contextmanager
def _quiet(name: str):
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


class Command(BaseCommand):
    help = "Time program health, compound failures, the perception gap and a customer's history (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--responses", type=int, default=1_000_000)
        parser.add_argument("--customers", type=int, default=100_000, help="Made when the organization is created.")
        parser.add_argument("--requests", type=int, default=20, help="Repetitions per measurement.")
        parser.add_argument(
            "--reuse", action="store_true", help="Skip the data build when the bench organization has responses."
        )
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, responses: int, customers: int, requests: int, reuse: bool, seed: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                f"bench_program measures PostgreSQL (this database is {connection.vendor}): the figures of a SQLite "
                "demo say nothing about production. Set DATABASE_URL to a postgres:// URL of a benchmark database."
            )
        if responses < 1 or requests < 1 or customers < 1:
            raise CommandError("--responses, --customers and --requests must be at least 1.")
        self.rng = random.Random(seed)
        self.figures: list[Figure] = []
        builder = bench_kpis.Command()
        builder.rng = self.rng
        started = time.perf_counter()
        existing = Organization.objects.filter(slug=bench_kpis.SLUG).first()
        if reuse and existing is not None and Response.objects.filter(organization=existing).exists():
            program = builder._program(customers)
            self.stdout.write(f"reusing the data of organization {bench_kpis.SLUG!r}")
        else:
            self._check_may_empty()
            builder._truncate()
            self._forget_organization(existing, customers)
            program = builder._program(customers)
            self._build(builder, program, responses)
        churned = self._churn(program)
        ctx = OrgContext(organization=program.org, role=Role.CX_MANAGER, user=program.user)
        perception = self._perception(program, ctx)
        self._analyze()
        self._print_data(program, churned, time.perf_counter() - started)
        self._bench_health(program, requests)
        self._bench_compound(ctx, requests)
        self._bench_pages(program, perception, requests)
        self._summary(program, requests)

    # -- data -------------------------------------------------------------------------------------------------

    def _check_may_empty(self) -> None:
        """The build TRUNCATEs the survey tables (and, CASCADE, every table pointing at them): only here."""
        name = str(connection.settings_dict["NAME"])
        if "bench" in name or not Organization.objects.exclude(slug=bench_kpis.SLUG).exists():
            return
        raise CommandError(
            f"Database {name!r} holds other organizations, and building the benchmark data empties every survey "
            "response table. Use a dedicated database (a name with 'bench' in it, or an empty one), or --reuse."
        )

    def _forget_organization(self, org: Organization | None, customers: int) -> None:
        """bench_kpis makes the customers with the organization only: another --customers makes it anew (its
        responses are gone already, so the delete is cheap)."""
        if org is None or Customer.objects.filter(organization=org).count() == customers:
            return
        self.stdout.write(f"organization {bench_kpis.SLUG!r} made anew for {customers:,} customers")
        org.delete()

    def _build(self, builder: bench_kpis.Command, program: bench_kpis.Program, responses: int) -> None:
        from kpis import rollups

        ChurnEvent.objects.filter(organization=program.org).delete()  # remade for the new responses
        started = time.perf_counter()
        builder._copy_responses(program, responses, days_back=(1, bench_kpis.DAYS))
        copied = time.perf_counter() - started
        started = time.perf_counter()
        rollups.rebuild_rollups(organization_id=program.org.pk)
        self.stdout.write(
            f"generated {responses:,} responses with bench_kpis's COPY in {copied:.1f} s; rollups rebuilt in "
            f"{time.perf_counter() - started:.1f} s"
        )

    def _churn(self, program: bench_kpis.Program) -> int:
        """Churn events for a share of the customers (2 % plus 1.5 % per detractor answer, at most 8 %), on a day of
        the history; kept when the organization has some already."""
        org = program.org
        existing = ChurnEvent.objects.filter(organization=org).count()
        if existing:
            return existing
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT customer_id, count(*) FILTER (WHERE value < 7) FROM {Answer._meta.db_table} "
                "WHERE organization_id = %s AND metric = 'nps' AND customer_id IS NOT NULL GROUP BY 1 ORDER BY 1",
                [org.pk],
            )
            rows = cursor.fetchall()
        today = timezone.localdate()
        events = []
        for customer_id, detractors in rows:
            if self.rng.random() < CHURN_BASE + CHURN_PER_DETRACTOR * min(detractors, CHURN_MAX_DETRACTORS):
                day = today - dt.timedelta(days=self.rng.randint(0, bench_kpis.DAYS))
                events.append(ChurnEvent(organization=org, customer_id=customer_id, date=day, reason="bench"))
        ChurnEvent.objects.bulk_create(events, batch_size=5000)
        return len(events)

    def _perception(self, program: bench_kpis.Program, ctx: OrgContext):
        """A leadership perception survey of the first journey with STAFF_RESPONSES staff answers of the last days,
        through the real services (created once; answers topped up after a rebuild emptied them)."""
        from program.models import Audience, PerceptionSurvey
        from program.perception.services import perception_survey_create

        perception = PerceptionSurvey.objects.filter(organization=program.org).order_by("pk").first()
        if perception is None:
            perception = perception_survey_create(ctx=ctx, journey=program.journeys[0], audience=Audience.LEADERSHIP)
        now = timezone.now()
        with _quiet("celery.app.trace"):  # eager tasks log a line per response
            self._staff_respond(perception, now)
        return perception

    def _staff_respond(self, perception, now: dt.datetime) -> None:
        from core.scales import scale_for_metric
        from program.models import importance_code, perceived_code
        from surveys.ingestion.services import response_process, response_submit

        survey = perception.survey
        items = list(perception.items.all())
        for i in range(Response.objects.filter(survey=survey).count(), STAFF_RESPONSES):
            answers = {}
            for item in items:
                scale = scale_for_metric(item.metric)
                guess = round(self.rng.gauss(scale.low + 0.8 * (scale.high - scale.low), 0.15 * scale.points))
                answers[perceived_code(item.touchpoint_id)] = max(scale.low, min(scale.high, guess))
                answers[importance_code(item.touchpoint_id)] = self.rng.randint(1, 5)
            response, _created = response_submit(
                organization=perception.organization,
                survey=survey,
                version=survey.current_version,
                answers=answers,
                language=survey.default_language,
                submitted_at=now - dt.timedelta(days=1 + i % 5, hours=i % 8),
            )
            response_process(response_id=response.pk)  # at once (inside a transaction on_commit would wait)

    def _analyze(self) -> None:
        tables = [Answer, Response, Rollup, SegmentRollup, JourneyRollup, ChurnEvent]
        names = ", ".join(m._meta.db_table for m in tables)
        with connection.cursor() as cursor:
            # VACUUM cannot run in a transaction (the smoke test runs in one); ANALYZE is what the plans need.
            cursor.execute(f"{'ANALYZE' if connection.in_atomic_block else 'VACUUM ANALYZE'} {names}")

    def _print_data(self, program: bench_kpis.Program, churned: int, seconds: float) -> None:
        org = program.org
        answers = Answer.objects.filter(organization=org).count()
        responses = Response.objects.filter(organization=org).count()
        self.stdout.write(
            f"data: {responses:,} responses, {answers:,} answers, {len(program.customers):,} customers, "
            f"{churned:,} churn events, {len(program.journeys)} journeys, {len(program.touchpoints)} touchpoints, "
            f"{bench_kpis.DAYS} days (ready in {seconds:.1f} s)"
        )

    # -- measurements -----------------------------------------------------------------------------------------

    def _record(self, figure: Figure) -> Figure:
        queries = f", {figure.queries} SQL queries" if figure.queries is not None else ""
        note = f" ({figure.note})" if figure.note else ""
        self.stdout.write(
            f"{figure.label}: n {len(figure.times)}, p50 {_ms(figure.p50)}, p95 {_ms(figure.p95)}{queries}{note}"
        )
        self.figures.append(figure)
        return figure

    @staticmethod
    def _repeat(fn: Callable[[], object], times: int, before: Callable[[], object] | None = None) -> list[float]:
        out = []
        for _ in range(times):
            if before is not None:
                before()
            started = time.perf_counter()
            fn()
            out.append(time.perf_counter() - started)
        return out

    @staticmethod
    def _count_queries(fn: Callable[[], object]) -> tuple[object, int]:
        queries: list[str] = []
        with connection.execute_wrapper(_Counter(queries)):
            result = fn()
        return result, len(queries)

    def _bench_health(self, program: bench_kpis.Program, requests: int) -> None:
        from program.health.assess import assess
        from program.health.months import local_today
        from program.health.services import health_snapshots_refresh
        from program.models import HealthSnapshot

        org = program.org
        today = local_today(org)
        summary, queries = self._count_queries(lambda: assess(org, today))  # also the warm-up
        times = self._repeat(lambda: assess(org, today), requests)
        self._record(
            Figure("health assess(), this month", times, queries, f"stage {summary['stage'] or 'none reached'}")
        )

        def forget() -> None:
            HealthSnapshot.objects.filter(organization=org).delete()

        forget()
        months, queries = self._count_queries(lambda: health_snapshots_refresh(organization=org))
        if len(months) != 12:
            raise CommandError(f"the backfill stored {len(months)} months, not 12")
        times = self._repeat(lambda: health_snapshots_refresh(organization=org), requests, before=forget)
        self._record(Figure("health backfill, 12 monthly snapshots", times, queries, "total per backfill"))

    def _bench_compound(self, ctx: OrgContext, requests: int) -> None:
        from program.synergy.forms import DEFAULT_DAYS, default_period
        from program.synergy.selectors import compound_failures

        start, end = default_period(timezone.localdate())

        def run():
            return compound_failures(ctx=ctx, start=start, end=end)

        data, queries = self._count_queries(run)
        times = self._repeat(run, requests)
        tracemalloc.start()
        try:
            run()
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        self.peak_mb = peak / 2**20
        churned = sum(b.churned for b in data.by_customer)
        buckets = ", ".join(f"{b.label}: {b.customers:,} ({b.churned:,} churned)" for b in data.by_customer)
        self._record(
            Figure(
                f"compound_failures selector, {DEFAULT_DAYS} days",
                times,
                queries,
                f"{data.responses:,} responses, {data.customers:,} customers, {churned:,} churned; peak traced "
                f"memory {self.peak_mb:,.0f} MB",
            )
        )
        self.stdout.write(f"  customers by poor experiences in 90 days: {buckets}")

    def _bench_pages(self, program: bench_kpis.Program, perception, requests: int) -> None:
        from cxplatform.startup import warm_and_freeze
        from program.models import HealthSnapshot

        org = program.org
        load = os.getloadavg()[0]
        client = Client()
        client.force_login(program.user)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT customer_id, count(*) FROM {Response._meta.db_table} WHERE organization_id = %s "
                "AND customer_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1",
                [org.pk],
            )
            customer_id, customer_responses = cursor.fetchone()
        pages = [
            ("compound page, 365 days", reverse("program:compound"), ""),
            ("health page", reverse("program:health"), "12 snapshots stored"),
            (
                "perception gap page",
                reverse("program:perception_detail", args=[perception.pk]),
                f"{Response.objects.filter(survey_id=perception.survey_id).count()} staff responses",
            ),
            (
                "customer history page",
                reverse("program:customer_history", args=[customer_id]),
                f"customer with the most responses: {customer_responses}",
            ),
        ]
        client.get(pages[1][1])  # warm-up (session, imports, template cache)
        warm_and_freeze()  # as the web process does at start-up (cxplatform/wsgi.py)
        for label, url, note in pages:
            self._page(client, label, url, note, requests)
        # The first visit of a month before the daily run: no snapshot, this month assessed for the page.
        HealthSnapshot.objects.filter(organization=org).delete()
        self._page(client, "health page, no snapshot", reverse("program:health"), "assessed live", requests)
        from program.health.services import health_snapshots_refresh

        health_snapshots_refresh(organization=org)  # leave the organization as the daily run would
        self.stdout.write(
            f"  (load average {load:.1f} before and {os.getloadavg()[0]:.1f} after the pages, on {os.cpu_count()} CPUs)"
        )

    def _page(self, client: Client, label: str, url: str, note: str, requests: int) -> None:
        started = time.perf_counter()
        response, queries = self._count_queries(lambda: client.get(url))
        first = time.perf_counter() - started
        if response.status_code != 200:
            raise CommandError(f"{label}: HTTP {response.status_code} for {url}")
        times = self._repeat(lambda: client.get(url), requests)
        self._record(Figure(label, times, queries, note))
        self.stdout.write(f"  {label}: warm figures, after a first request of {_ms(first)} that filled the caches")

    def _summary(self, program: bench_kpis.Program, requests: int) -> None:
        responses = Response.objects.filter(organization=program.org).count()
        width = max(len(f.label) for f in self.figures)
        self.stdout.write("")
        self.stdout.write(
            f"SUMMARY bench_program: {responses:,} responses, {len(program.customers):,} customers, "
            f"{requests} requests, PostgreSQL {connection.settings_dict['NAME']}, DEBUG {settings.DEBUG}"
        )
        self.stdout.write(f"  {'measurement':<{width}}  {'n':>4}  {'p50':>10}  {'p95':>10}  {'queries':>7}")
        for f in self.figures:
            queries = str(f.queries) if f.queries is not None else "-"
            self.stdout.write(
                f"  {f.label:<{width}}  {len(f.times):>4}  {_ms(f.p50):>10}  {_ms(f.p95):>10}  {queries:>7}"
            )
        self.stdout.write(f"  compound_failures peak traced memory: {self.peak_mb:,.0f} MB")
