"""Benchmark the monthly report on the KPI benchmark's data (`bench_kpis`: about 1,000,000 responses).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cx_bench_kpis python manage.py bench_report --requests 100

Prints the time to compute a month's figures, to generate a whole version (figures, page and whatever the
`report_ready` receivers do after commit, such as the PDF), and the report page's server time (p50/p95) and SQL
queries over N requests. The versions it makes are deleted afterwards unless --keep. Refuses to run on a database
whose name does not contain "bench".
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organization
from cxplatform.startup import warm_and_freeze
from reports.figures import add_months, month_start, parse_month, report_figures
from reports.models import MonthlyReport
from reports.selectors import REPORT_ROLES
from reports.services import report_generate

SLUG = "bench-kpis"  # bench/management/commands/bench_kpis.py


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


class _Counter:
    def __init__(self, into: list):
        self.into = into

    def __call__(self, execute, sql, params, many, context):
        self.into.append(sql)
        return execute(sql, params, many, context)


class Command(BaseCommand):
    help = "Time the monthly report's generation and its page on the bench_kpis data."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=100, help="report page requests to time")
        parser.add_argument("--month", default="", help="YYYY-MM (default: last month)")
        parser.add_argument("--keep", action="store_true", help="keep the versions made")

    def handle(self, *args, requests: int, month: str, keep: bool, **options):
        if "bench" not in connection.settings_dict["NAME"]:
            raise CommandError("Run this against a benchmark database (its name must contain 'bench').")
        org = Organization.objects.filter(slug=SLUG).first()
        if org is None:
            raise CommandError(f"No organization '{SLUG}': run `manage.py bench_kpis` on this database first.")
        wanted = parse_month(month) if month else add_months(month_start(timezone.localdate()), -1)
        if wanted is None:
            raise CommandError("--month: use YYYY-MM")
        member = Membership.objects.filter(organization=org, role__in=REPORT_ROLES).select_related("user").first()
        if member is None:
            raise CommandError("The bench organization has no member who may read reports.")
        from surveys.models import Response

        self.stdout.write(
            f"{org.name}: {Response.objects.filter(organization=org).count():,} responses; report of {wanted:%Y-%m}"
        )
        made = []
        try:
            started = time.perf_counter()
            figures = report_figures(organization=org, month=wanted)
            self.stdout.write(f"figures: {_ms(time.perf_counter() - started)}")
            headline = figures["summary"]["headline"]
            self.stdout.write(f"  headline n={headline['n']}, value={headline['value']}")

            started = time.perf_counter()
            report = report_generate(organization=org, month=wanted, trigger=MonthlyReport.Trigger.ON_DEMAND)
            elapsed = time.perf_counter() - started
            made.append(report.pk)
            has_pdf = MonthlyReport.objects.filter(pk=report.pk, pdf__isnull=False).exists()
            self.stdout.write(
                f"generate (figures, page, report_ready receivers{', PDF' if has_pdf else ', no PDF stored'}): "
                f"{_ms(elapsed)}, status {report.status}"
            )
            if report.status != MonthlyReport.Status.READY:
                raise CommandError(report.error)
            self._bench_page(member.user, report, requests)
        finally:
            if made and not keep:
                MonthlyReport.objects.filter(pk__in=made).delete()

    def _bench_page(self, user, report: MonthlyReport, requests: int) -> None:
        client = Client()
        client.force_login(user)
        url = reverse("reports:report_detail", args=[report.pk])
        queries: list = []
        started = time.perf_counter()
        with connection.execute_wrapper(_Counter(queries)):
            response = client.get(url)
        first = time.perf_counter() - started
        if response.status_code != 200:
            raise CommandError(f"report page: HTTP {response.status_code}")
        warm_and_freeze()
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - started)
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        self.stdout.write(
            f"report page ({len(response.content):,} bytes): p50 {_ms(statistics.median(times))}, p95 {_ms(p95)}, "
            f"{len(queries)} SQL queries, {requests} requests (warm: after a first one of {_ms(first)} that filled "
            "the caches)"
        )
