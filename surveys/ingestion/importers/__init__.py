"""Bulk import of historical responses from CSV/XLSX: wide or long files, set-based in PostgreSQL.

Why not an `imports.registry` handler: the generic runner parses, validates and writes row by row in Python, which
is fine for customers but an order of magnitude too slow for millions of responses. This path keeps the
ImportJob (progress page, counts, inline errors, downloadable error report) and does the work in SQL:

1. the file is COPYed as it is into a temporary table of text columns (`stage.py`; fast path for a plain UTF-8
   CSV, any other file is read by `imports.readers` and COPYed row by row);
2. one INSERT ... SELECT parses and checks every row (dates in the confirmed format, scores on the question's
   scale after the column's not-applicable codes, yes/no labels, choice codes, touchpoint by id or name, customer
   by external id) into a second temporary table, with the row's errors as an array (`sql.build_clean`);
3. valid rows are inserted in chunks (one transaction each, progress after each): a wide row becomes one response
   per touchpoint among its answers (`plan.py`), customers that do not exist yet are created when asked, and
   `ON CONFLICT (organization_id, idempotency_key) DO NOTHING` skips what is already there: the key is the row's
   own response id if mapped, else a hash of the response's content, plus its touchpoint, so importing the same
   rows again - from the same file or another - creates nothing;
4. answers are inserted for the responses that were actually created; rows with errors go to the error report.

On other databases (the SQLite demo) `portable.py` applies the same checks (`rule_table.py`) in Python with batched
`bulk_create`: same responses, same keys, same errors. After each committed chunk the follow-up of the new
responses (rollups, alert rules) is kicked (`responses_follow_up_kick`); imported responses keep `processed_at`
NULL until it ran, and receivers see `source == "import"` (historical responses open no cases).

Before a job starts, the mapping step scans the whole file (`scan.py`): a change of scale over time stops the
import at the preview, and the user splits it into two jobs with a date range each (`response_import_split`).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.scoping import OrgContext
from imports.mappings import saved_mapping_save
from imports.models import ImportJob
from imports.registry import ImportFileError
from imports.services import import_job_claim
from surveys.ingestion.importers import portable, report, stage
from surveys.ingestion.importers.plan import CHUNK_ROWS, FIELD_ALIASES, IMPORTABLE_KINDS, Plan, Tables
from surveys.ingestion.importers.sql import (
    build_clean,
    build_touchpoint_lookup,
    can_check_references_per_chunk,
    error_rows_sql,
    insert_chunk,
    outcome_counts,
    row_range,
)
from surveys.models import SurveyVersion

logger = logging.getLogger(__name__)

__all__ = [
    "FIELD_ALIASES",
    "IMPORTABLE_KINDS",
    "ImportFileError",
    "response_import_cancel",
    "response_import_create",
    "response_import_run",
    "response_import_split",
    "response_import_start",
]


def uses_sql_path() -> bool:
    """The set-based PostgreSQL path, unless the database is another one (or the portable path is forced)."""
    return connection.vendor == "postgresql" and getattr(settings, "SURVEYS_IMPORT_ENGINE", "auto") != "portable"


# -- creating and starting a job ---------------------------------------------------------------------------------


def response_import_create(*, ctx: OrgContext, version: SurveyVersion, uploaded_file) -> ImportJob:
    """Store the upload as a pending responses import (waiting for its column mapping)."""
    if version.organization_id != ctx.org_id:
        raise ImportFileError(_("Unknown survey version."))
    size = uploaded_file.size or 0
    if size > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(limit)s MB. Split it into smaller files.")
            % {"limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    original_name = Path(uploaded_file.name or "responses.csv").name[:255]
    header, fmt = stage.read_header(uploaded_file, original_name)
    if not any(header):
        raise ImportFileError(_("The first row must name the columns."))
    uploaded_file.seek(0)
    job = ImportJob(
        organization=ctx.organization,
        kind=ImportJob.Kind.RESPONSES,
        original_name=original_name,
        created_by=ctx.user if ctx.user is not None and ctx.user.is_authenticated else None,
        options={"version_id": version.pk, "header": header, "format": fmt},
    )
    job.file.save(f"{uuid.uuid4().hex}{Path(original_name).suffix.lower()[:8]}", uploaded_file, save=False)
    job.save()
    return job


def _remember(ctx: OrgContext | None, job: ImportJob, mapping: dict[str, Any]) -> None:
    if ctx is None:
        return
    saved = {k: v for k, v in mapping.items() if k not in ("date_from", "date_to")}
    saved.update(version_id=job.options.get("version_id"), saved_on=timezone.localdate().isoformat())
    header = list(job.options.get("header") or [])
    saved_mapping_save(ctx=ctx, kind=ImportJob.Kind.RESPONSES, header=header, mapping=saved)


def response_import_start(*, job: ImportJob, mapping: dict[str, Any], ctx: OrgContext | None = None) -> None:
    """Save the column mapping (and remember it for the next file with this header) and queue the import (never
    failing: with the broker down, the imports sweep queues it later)."""
    from imports.services import import_job_queue
    from surveys.ingestion.tasks import import_responses

    held = ("proposed_mapping", "scale_check")
    job.options = {**{k: v for k, v in job.options.items() if k not in held}, "mapping": mapping}
    job.save(update_fields=["options"])
    _remember(ctx, job, mapping)
    import_job_queue(job=job, task=import_responses)


def response_import_split(
    *,
    ctx: OrgContext,
    job: ImportJob,
    mapping: dict[str, Any],
    split_on: date,
    before: SurveyVersion,
    after: SurveyVersion,
) -> tuple[ImportJob, ImportJob]:
    """Import the rows dated before `split_on` into one version and the rest into another: two jobs, one file."""
    second = ImportJob(
        organization=job.organization,
        kind=ImportJob.Kind.RESPONSES,
        original_name=job.original_name,
        created_by=job.created_by,
        file=job.file.name,
        options={**job.options, "version_id": after.pk, "split_from": job.pk},
    )
    second.save()
    job.options = {**job.options, "version_id": before.pk, "split_into": second.pk}
    job.save(update_fields=["options"])
    response_import_start(job=job, mapping={**mapping, "date_from": None, "date_to": split_on.isoformat()}, ctx=ctx)
    response_import_start(job=second, mapping={**mapping, "date_from": split_on.isoformat(), "date_to": None})
    return job, second


def response_import_cancel(*, job: ImportJob) -> ImportJob:
    """Give up a pending import at the mapping step (nothing was imported)."""
    return _finish(job, status=ImportJob.Status.FAILED, message=_("Cancelled before the import started."))


def response_import_hold(*, job: ImportJob, mapping: dict[str, Any], check: dict[str, Any]) -> None:
    """Keep the mapping and the scale check of an import stopped at the preview (it waits for the user)."""
    job.options = {**job.options, "proposed_mapping": mapping, "scale_check": check}
    job.save(update_fields=["options"])


# -- running a job -----------------------------------------------------------------------------------------------


def _follow_up() -> None:
    from surveys.ingestion.services import responses_follow_up_kick

    responses_follow_up_kick()


class _Clock:
    """Seconds per phase, kept on the job (options["timings"]) for operators and the benchmark."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.clock = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.timings[phase] = round(self.timings.get(phase, 0.0) + now - self.clock, 3)
        self.clock = now


def response_import_run(*, job_id: int, chunk_rows: int | None = None) -> ImportJob | None:
    """Run a mapped import to the end; None if someone else has it (or it is not ready)."""
    job = import_job_claim(job_id=job_id, kind=ImportJob.Kind.RESPONSES)
    if job is None:
        return None
    clock = _Clock()
    sql_path = uses_sql_path()
    tables = Tables(job.pk)
    try:
        plan = Plan.load(job)
        if sql_path:
            chunk = chunk_rows or getattr(settings, "SURVEYS_IMPORT_CHUNK_ROWS", CHUNK_ROWS)
            responses, skipped = _run_sql(job, plan, tables, clock, chunk)
        else:
            chunk = chunk_rows or min(
                settings.IMPORT_BATCH_SIZE, getattr(settings, "SURVEYS_IMPORT_CHUNK_ROWS", CHUNK_ROWS)
            )
            responses, skipped = _run_portable(job, plan, clock, chunk)
        job.unchanged_count = responses - job.created_count
        job.options = {**job.options, "timings": clock.timings, "skipped_rows": skipped}
    except ImportFileError as exc:
        if sql_path:
            _drop_quietly(tables)
        return _finish(job, status=ImportJob.Status.FAILED, message=str(exc))
    except Exception:
        logger.exception("Responses import %s failed", job.pk)
        if sql_path:
            _drop_quietly(tables)
        return _finish(
            job,
            status=ImportJob.Status.FAILED,
            message=_("The import stopped unexpectedly. Rows already imported stay; importing the file again is safe."),
        )
    return _finish(job, status=ImportJob.Status.DONE, message=_summary(job, plan, skipped))


def _summary(job: ImportJob, plan: Plan, skipped: int) -> str:
    parts = [job.message]
    if plan.is_wide:
        parts.append(
            ngettext(
                "Each row became up to %(n)s response (one per touchpoint of its answers).",
                "Each row became up to %(n)s responses (one per touchpoint of its answers).",
                len(plan.groups),
            )
            % {"n": len(plan.groups)}
        )
    if skipped:
        parts.append(
            ngettext(
                "%(n)s row outside this import's date range was left to the other part of the split.",
                "%(n)s rows outside this import's date range were left to the other part of the split.",
                skipped,
            )
            % {"n": skipped}
        )
    parts.append(_("Their follow-up (KPI rollups, alert rules) runs in the background."))
    return " ".join(p for p in parts if p).strip()


def _progress(job: ImportJob, processed: int, created: int) -> None:
    job.processed_rows = processed
    job.created_count = created
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=processed, created_count=created)


def _run_sql(job: ImportJob, plan: Plan, tables: Tables, clock: _Clock, chunk_rows: int) -> tuple[int, int]:
    # A chunk holds about `chunk_rows` responses: a wide row makes one per group.
    rows_per_chunk = max(1, chunk_rows // len(plan.groups))
    with connection.cursor() as cursor:
        total, how = stage.stage(cursor, job, len(plan.header), tables)
        clock.lap("stage")
        job.total_rows, job.message = total, how
        ImportJob.objects.filter(pk=job.pk).update(total_rows=total, message=how)
        build_touchpoint_lookup(cursor, plan, tables)
        build_clean(cursor, plan, tables)
        clock.lap("check")
        first, last = row_range(cursor, tables)
        set_based = can_check_references_per_chunk(cursor)
        for start in range(first, last, rows_per_chunk):
            end = min(start + rows_per_chunk, last)
            with transaction.atomic():
                created = insert_chunk(cursor, plan, tables, start, end, set_based_references=set_based)
            _follow_up()
            _progress(job, min(total, end - first), job.created_count + created)
        clock.lap("insert")
        responses, invalid, skipped = outcome_counts(cursor, plan, tables)
        job.error_count = invalid
        if invalid:
            with connection.chunked_cursor() as rows:
                # A server-side cursor: a file of a million bad rows does not come into memory at once.
                rows.execute(error_rows_sql(plan, tables))
                report.write_errors(job, plan.header, ((r, e, cells) for r, e, *cells in rows))
        tables.drop(cursor)
        clock.lap("report")
    return responses, skipped


def _run_portable(job: ImportJob, plan: Plan, clock: _Clock, chunk_rows: int) -> tuple[int, int]:
    errors = portable.ErrorSpool()
    try:

        def progress(outcome: portable.Outcome) -> None:
            _progress(job, outcome.rows, outcome.created)

        outcome = portable.run(
            job, plan, errors, chunk_rows=chunk_rows, progress=progress, after_chunk=_follow_up, start=_started(job)
        )
        clock.lap("insert")
        job.total_rows = outcome.rows
        job.message = outcome.how
        job.created_count = outcome.created
        job.error_count = outcome.error_rows
        if outcome.error_rows:
            report.write_errors(job, plan.header, errors.rows())
        clock.lap("report")
    finally:
        errors.close()
    return outcome.responses, outcome.skipped


def _started(job: ImportJob):
    def start(total: int, how: str) -> None:
        job.total_rows, job.message = total, how
        ImportJob.objects.filter(pk=job.pk).update(total_rows=total, message=how)

    return start


def _drop_quietly(tables: Tables) -> None:
    try:
        with connection.cursor() as cursor:
            tables.drop(cursor)
    except Exception:
        logger.warning("Could not drop the temporary tables of a responses import.", exc_info=True)


def _finish(job: ImportJob, *, status: str, message: str) -> ImportJob:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    if status == ImportJob.Status.DONE:
        job.processed_rows = job.total_rows or job.processed_rows
    job.save()
    return job
