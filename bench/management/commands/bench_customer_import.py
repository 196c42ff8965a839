"""Measure the customer import: generate a CSV, import it into a throwaway organization, print rows per second.

Three runs on the same data: a first import (all rows created), the same file again (all unchanged) and a file
with every name changed (all updated). With a broker configured the jobs run on a Celery worker and the command
waits for them; otherwise they run in-process. Timings come from the jobs' own started/finished times; the CPU
time of this process (the import's Python side when it runs in-process) shows how much of it was waiting for
PostgreSQL or for a busy machine.
"""

from __future__ import annotations

import csv
import random
import tempfile
import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import Organization, Role
from accounts.scoping import OrgContext
from customers.models import Customer
from imports.models import ImportJob
from imports.services import import_job_create_and_start
from journeys.models import Persona

LANGUAGES = ["sv", "sv-SE", "nb", "no", "da", "en"]
SEGMENTS = ["Private", "Business", "Student", "Senior", ""]
HEADER = ["external_id", "name", "email", "phone", "language", "country", "segment", "persona"]
HEADER += ["may_survey", "may_contact"]


def write_csv(path: Path, rows: int, *, seed: int, suffix: str = "", bad_share: float = 0.005) -> int:
    """Write `rows` customers (semicolon-separated, as Nordic Excel does); return how many rows are invalid."""
    rng = random.Random(seed)
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(HEADER)
        for i in range(rows):
            email = f"customer{i}@example.se"
            if rng.random() < bad_share:
                email, bad = "not-an-address", bad + 1
            writer.writerow(
                [
                    f"B{i:07d}",
                    f"Kund {i} Åström{suffix}",
                    email,
                    f"+46 70 {i % 1000:03d} {i % 100:02d} {i % 97:02d}",
                    rng.choice(LANGUAGES),
                    "SE",
                    rng.choice(SEGMENTS),
                    rng.choice(["Mover", "Family", ""]),
                    rng.choice(["yes", "ja", "1", "no"]),
                    rng.choice(["yes", "nej", "0", ""]),
                ]
            )
    return bad


class Command(BaseCommand):
    help = "Benchmark the customer CSV import (creates and, unless --keep, deletes a throwaway organization)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--keep", action="store_true", help="Keep the benchmark organization and its customers.")
        parser.add_argument("--timeout", type=int, default=1800, help="Seconds to wait for a job on a worker.")

    def handle(self, *args, rows: int, keep: bool, timeout: int, **options):
        org = Organization.objects.create(name="Import benchmark", slug=f"bench-{int(time.time())}")
        Persona.objects.bulk_create([Persona(organization=org, name=n) for n in ("Mover", "Family")])
        ctx = OrgContext(organization=org, role=Role.ADMIN)
        jobs: list[ImportJob] = []
        try:
            with tempfile.TemporaryDirectory() as tmp:
                first = Path(tmp) / "customers.csv"
                changed = Path(tmp) / "customers-changed.csv"
                started = time.perf_counter()
                bad = write_csv(first, rows, seed=1)
                write_csv(changed, rows, seed=1, suffix=" (ny)")
                size_mb = first.stat().st_size / 1024 / 1024
                self.stdout.write(
                    f"Generated {rows:,} rows ({size_mb:.1f} MB, {bad} invalid) in {time.perf_counter() - started:.1f}s"
                )
                runs = (("first import", first), ("same file again", first), ("all names changed", changed))
                for label, path in runs:
                    cpu = time.process_time()
                    before = Customer.objects.for_org(org).count()
                    job = self._run(ctx, path, timeout)
                    cpu = time.process_time() - cpu
                    jobs.append(job)
                    stored = Customer.objects.for_org(org).count() - before
                    seconds = (job.finished_at - job.started_at).total_seconds()
                    written = job.created_count + job.updated_count
                    self.stdout.write(
                        f"{label:>18}: {job.status} in {seconds:.1f}s = {job.processed_rows / seconds:,.0f} CSV rows "
                        f"read/s, {written / seconds:,.0f} customers written (created or updated)/s; "
                        f"new customer rows (COUNT after - before) {stored:,} "
                        f"(created {job.created_count:,}, updated {job.updated_count:,}, "
                        f"unchanged {job.unchanged_count:,}, errors {job.error_count:,}); "
                        f"CPU of this process {cpu:.1f}s"
                    )
                self.stdout.write(f"Customers in the organization: {Customer.objects.for_org(org).count():,}")
        finally:
            if not keep:
                for job in jobs:
                    job.file.delete(save=False)
                    if job.error_report:
                        job.error_report.delete(save=False)
                org.delete()

    def _run(self, ctx: OrgContext, path: Path, timeout: int) -> ImportJob:
        upload = SimpleUploadedFile(path.name, path.read_bytes(), content_type="text/csv")
        job = import_job_create_and_start(ctx=ctx, kind=ImportJob.Kind.CUSTOMERS, uploaded_file=upload)
        deadline = timezone.now().timestamp() + timeout
        job.refresh_from_db()
        while not job.is_finished:  # only when a worker runs it
            if timezone.now().timestamp() > deadline:
                raise TimeoutError(f"import job {job.pk} did not finish in {timeout}s")
            time.sleep(0.5)
            job.refresh_from_db()
        return job
