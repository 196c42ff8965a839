"""Benchmark the value model on a dedicated PostgreSQL database filled with COPY.

    createdb -h 127.0.0.1 -U postgres cx_bench_value
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cx_bench_value \\
        python manage.py bench_value_model --customers 130000

Builds (once per customer count; --rebuild forces it) an organization whose primary metric is CSAT 1-5: 10
touchpoints in two journeys, each customer answering a few of them over the last two years, a yes/no satisfaction
question in a relationship survey for some, a tenth of the answers without a customer id, monthly revenue for every
customer until they leave, and about 15 % churn with reasons. Then runs the model the way the nightly Celery task
does (`value.run_model` for the organization, in this process) and prints the time of each phase (frames,
categories, touchpoints, drivers) and the total. Refuses a database whose name does not contain "bench": a rebuild
truncates the customer, survey and value tables.
"""

from __future__ import annotations

import datetime as dt
import io
import time

import numpy as np
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organization
from customers.models import Customer
from journeys.models import Journey, Stage, Touchpoint
from surveys.models import Answer, Question, Response, Survey, SurveyVersion
from value.analysis.common import month_start
from value.models import ChurnEvent, CustomerRevenue, ValueSnapshot
from value.tasks import run_model

SLUG = "bench-value"
JOURNEYS, TOUCHPOINTS_PER_JOURNEY = 2, 5
DAYS = 700
CHUNK = 200_000
SEGMENTS, SEGMENT_WEIGHTS = np.array(["Consumer", "Premium", "Business"]), [0.68, 0.22, 0.10]
PRICES = {"Consumer": 449.0, "Premium": 699.0, "Business": 1990.0}
REASONS = np.array(
    [
        "Price",
        "Competitor offer",
        "Moved",
        "Service outage",
        "Slow support",
        "Billing error",
        "Technician no-show",
        "Contract ended",
        "Deceased",
        "",
    ]
)
REASON_WEIGHTS = np.array([22, 18, 12, 10, 9, 7, 6, 5, 1, 10], dtype=float)
PHASES = ("frames", "categories", "touchpoints", "drivers")


def _copy(cursor, table: str, columns: str, lines) -> None:
    buf = io.StringIO()
    buf.writelines(lines)
    buf.seek(0)
    cursor.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buf)


def _next_ids(cursor, table: str, count: int) -> int:
    """Reserve `count` ids of a table's sequence; returns the first."""
    cursor.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
    seq = cursor.fetchone()[0]
    cursor.execute(f"SELECT nextval('{seq}')")
    first = cursor.fetchone()[0]
    cursor.execute(f"SELECT setval('{seq}', %s)", [first + count])
    return first


class Command(BaseCommand):
    help = "Benchmark the value model (frames, bands, touchpoints, drivers) over a CSAT organization."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=130_000)
        parser.add_argument("--runs", type=int, default=2, help="Model runs to time (after the data is built).")
        parser.add_argument("--rebuild", action="store_true", help="Build the data again even if it exists.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, customers: int, runs: int, rebuild: bool, seed: int, **options):
        name = connection.settings_dict["NAME"]
        if connection.vendor != "postgresql" or "bench" not in str(name):
            raise CommandError(
                f"Run against a dedicated PostgreSQL database named *bench* (this is {connection.vendor} {name!r})."
            )
        call_command("migrate", verbosity=0)
        org = Organization.objects.filter(slug=SLUG).first()
        have = Customer.objects.filter(organization=org).count() if org else 0
        if org is None or rebuild or have != customers:
            started = time.perf_counter()
            org = self._build(customers, np.random.default_rng(seed))
            self.stdout.write(f"built the organization with COPY in {time.perf_counter() - started:.1f} s")
        self._describe(org)
        for i in range(runs):
            started = time.perf_counter()
            run_model(organization_id=org.pk)
            wall = time.perf_counter() - started
            snapshot = ValueSnapshot.objects.for_org(org).order_by("-pk").first()
            if snapshot.status != ValueSnapshot.Status.DONE:
                raise CommandError(f"the model failed: {snapshot.message}")
            t = snapshot.results.get("timings", {})
            phases = ", ".join(f"{p} {t.get(p, 0):.2f} s" for p in PHASES)
            self.stdout.write(
                f"run {i + 1}: {phases}; model {t.get('total', 0):.2f} s, task {wall:.2f} s "
                f"(target < 20 s for 130,000 customers)"
            )
        self._summary(snapshot)

    # -- data -------------------------------------------------------------------------------------------------

    def _clear(self) -> None:
        """Empty the fact tables (a dedicated bench database: TRUNCATE leaves no dead rows for the scans to read)."""
        tables = [Answer, Response, CustomerRevenue, ChurnEvent, ValueSnapshot, Customer]
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(m._meta.db_table for m in tables) + " CASCADE")
        Organization.objects.filter(slug=SLUG).delete()

    @transaction.atomic
    def _build(self, n: int, rng: np.random.Generator) -> Organization:
        self._clear()
        today = timezone.localdate()
        now = timezone.now().isoformat()
        org = Organization.objects.create(
            name="Bench value", slug=SLUG, currency="SEK", primary_metric="csat", primary_measure=""
        )
        touchpoints = []
        for j in range(JOURNEYS):
            journey = Journey.objects.create(organization=org, name=f"Journey {j + 1}")
            stage = Stage.objects.create(organization=org, journey=journey, name="Stage", position=0)
            for t in range(TOUCHPOINTS_PER_JOURNEY):
                touchpoints.append(
                    Touchpoint.objects.create(
                        organization=org, journey=journey, stage=stage, name=f"J{j + 1} touchpoint {t + 1}", position=t
                    )
                )
        survey = Survey.objects.create(organization=org, name="Touchpoint CSAT", status="published")
        version = SurveyVersion.objects.create(organization=org, survey=survey, number=1, published_at=timezone.now())
        csat = Question.objects.create(organization=org, version=version, code="csat", kind="csat", text={"en": "?"})
        rsurvey = Survey.objects.create(organization=org, name="Relationship", kind="relationship", status="published")
        rversion = SurveyVersion.objects.create(organization=org, survey=rsurvey, number=1, published_at=timezone.now())
        label = Question.objects.create(
            organization=org, version=rversion, code="satisfied", kind="yes_no", text={"en": "?"}
        )

        with connection.cursor() as cursor:
            # Customers.
            first_customer = _next_ids(cursor, Customer._meta.db_table, n)
            ids = np.arange(first_customer, first_customer + n)
            segments = rng.choice(SEGMENTS, size=n, p=SEGMENT_WEIGHTS)
            _copy(
                cursor,
                Customer._meta.db_table,
                "id, organization_id, external_id, name, email, phone, language, country, segment, may_survey, "
                "may_contact, created_at, updated_at",
                (
                    f"{cid}\t{org.pk}\tB{cid}\tCustomer {cid}\t\t\tsv\tSE\t{seg}\tt\tt\t{now}\t{now}\n"
                    for cid, seg in zip(ids, segments, strict=True)
                ),
            )
            quality = rng.normal(size=n)

            # Touchpoint answers: 1-4 per customer (2.5 on average), CSAT 1-5 following the customer's quality.
            per_customer = 1 + rng.binomial(3, 0.5, size=n)
            who = np.repeat(np.arange(n), per_customer)
            weights = np.linspace(2, 0.5, len(touchpoints))
            tp_index = rng.choice(len(touchpoints), size=len(who), p=weights / weights.sum())
            shift = np.linspace(0.6, -0.4, len(touchpoints))[tp_index]
            latent = 0.8 * quality[who] + shift + rng.normal(scale=0.7, size=len(who))
            scores = np.digitize(latent, [-1.3, -0.5, 0.2, 0.9]) + 1
            days_ago = rng.integers(1, DAYS, size=len(who))
            identified = np.ones(len(who), dtype=bool)
            # A tenth of the answers come without a customer id (an export without respondent ids).
            extra = len(who) // 9
            who = np.concatenate([who, rng.integers(0, n, size=extra)])
            tp_index = np.concatenate([tp_index, rng.integers(0, len(touchpoints), size=extra)])
            scores = np.concatenate([scores, rng.integers(1, 6, size=extra)])
            days_ago = np.concatenate([days_ago, rng.integers(1, DAYS, size=extra)])
            identified = np.concatenate([identified, np.zeros(extra, dtype=bool)])
            first_answer = np.full(n, DAYS + 1)
            np.minimum.at(first_answer, who[identified], days_ago[identified])
            self._responses(cursor, org, version, csat, touchpoints, ids, who, tp_index, scores, days_ago, identified)

            # The yes/no label in a relationship survey from three customers in ten.
            asked = np.flatnonzero(rng.random(n) < 0.3)
            yes = (quality[asked] + rng.normal(size=len(asked)) > -0.3).astype(int)
            self._responses(
                cursor,
                org,
                rversion,
                label,
                [None],
                ids,
                asked,
                np.zeros(len(asked), dtype=int),
                yes,
                rng.integers(1, DAYS, size=len(asked)),
                np.ones(len(asked), dtype=bool),
            )

            # Churn: about 15 % of customers, more among the low-quality ones, after their first answer.
            p_churn = 1 / (1 + np.exp(1.9 + 0.8 * quality))
            churned = (rng.random(n) < p_churn) & (first_answer <= DAYS)
            left_ago = np.where(churned, (rng.random(n) * first_answer).astype(int), -1)
            reasons = rng.choice(REASONS, size=n, p=REASON_WEIGHTS / REASON_WEIGHTS.sum())
            _copy(
                cursor,
                ChurnEvent._meta.db_table,
                "organization_id, customer_id, date, reason, created_at, updated_at",
                (
                    f"{org.pk}\t{ids[i]}\t{today - dt.timedelta(days=int(left_ago[i]))}\t{reasons[i]}\t{now}\t{now}\n"
                    for i in np.flatnonzero(churned)
                ),
            )

            # Revenue: every month from two years back to the month the customer left (or this month).
            months = [month_start(today, back) for back in range(23, -1, -1)]
            month_index = np.array([m.year * 12 + m.month for m in months])
            left_index = np.array(
                [
                    (lambda d: d.year * 12 + d.month)(today - dt.timedelta(days=int(a))) if a >= 0 else 10**9
                    for a in left_ago
                ]
            )
            price = np.vectorize(PRICES.get)(segments) + rng.choice([0, 0, 29, 49, 99], size=n)
            columns = "organization_id, customer_id, month, amount, created_at, updated_at"
            for m, mi in zip(months, month_index, strict=True):
                paying = np.flatnonzero(left_index >= mi)
                lines = (f"{org.pk}\t{ids[i]}\t{m}\t{price[i]:.2f}\t{now}\t{now}\n" for i in paying)
                _copy(cursor, CustomerRevenue._meta.db_table, columns, lines)
        transaction.on_commit(self._analyze)
        return org

    def _responses(self, cursor, org, version, question, touchpoints, ids, who, tp_index, scores, days_ago, identified):
        """COPY one response with one answer per row of the arrays."""
        today = timezone.localdate()
        now = timezone.now().isoformat()
        count = len(who)
        first = _next_ids(cursor, Response._meta.db_table, count)
        metric = question.metric
        for start in range(0, count, CHUNK):
            stop = min(start + CHUNK, count)
            responses, answers = [], []
            for k in range(start, stop):
                tp = touchpoints[tp_index[k]]
                tp_col = str(tp.pk) if tp is not None else "\\N"
                journey = str(tp.journey_id) if tp is not None else "\\N"
                customer = str(ids[who[k]]) if identified[k] else "\\N"
                day = today - dt.timedelta(days=int(days_ago[k]))
                rid = first + k
                responses.append(
                    f"{rid}\t{org.pk}\t{version.survey_id}\t{version.pk}\t{tp_col}\t{journey}\t{customer}\tsv\tweb\t"
                    f"import\t{day} 12:00:00+00\t{now}\t{now}\n"
                )
                answers.append(
                    f"{org.pk}\t{rid}\t{question.pk}\t{tp_col}\t{day}\t{metric}\t{int(scores[k])}\t\t[]\t{customer}\n"
                )
            _copy(
                cursor,
                Response._meta.db_table,
                "id, organization_id, survey_id, version_id, touchpoint_id, journey_id, customer_id, language, "
                "channel, source, submitted_at, processed_at, created_at",
                responses,
            )
            _copy(
                cursor,
                Answer._meta.db_table,
                "organization_id, response_id, question_id, touchpoint_id, submitted_on, metric, value, text, "
                "choices, customer_id",
                answers,
            )

    def _analyze(self) -> None:
        with connection.cursor() as cursor:
            for model in (Customer, Response, Answer, CustomerRevenue, ChurnEvent):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")

    # -- report -----------------------------------------------------------------------------------------------

    def _describe(self, org: Organization) -> None:
        customers = Customer.objects.filter(organization=org).count()
        answers = Answer.objects.filter(organization=org).count()
        identified = Answer.objects.filter(organization=org, customer__isnull=False).count()
        revenue = CustomerRevenue.objects.filter(organization=org).count()
        churned = ChurnEvent.objects.filter(organization=org).values("customer_id").distinct().count()
        touchpoints = Touchpoint.objects.filter(organization=org).count()
        self.stdout.write(
            f"data: {customers:,} customers, {answers:,} answers ({identified:,} with a customer id; CSAT 1-5 at "
            f"{touchpoints} touchpoints and a yes/no label), {revenue:,} revenue rows, {churned:,} churned customers "
            f"({100 * churned / max(customers, 1):.1f} %)"
        )

    def _summary(self, snapshot: ValueSnapshot) -> None:
        results = snapshot.results
        supported = sum(1 for row in results["touchpoints"] if row["supported"])
        drivers = results["drivers"]
        churn = results["churn"]["rate"]
        self.stdout.write(
            f"result: {results['categories']['n']:,} customers banded, revenue at risk "
            f"{'supported' if results['revenue_at_risk']['supported'] else 'not supported'}, {supported} of "
            f"{len(results['touchpoints'])} touchpoints with a value per CSAT point, {drivers.get('n_drivers', 0)} "
            f"drivers of {drivers.get('outcome_metric') or drivers.get('outcome')}, churn rate "
            f"{100 * (churn.get('rate') or 0):.1f} % ({100 * (churn.get('annual_rate') or 0):.1f} % a year)"
        )
