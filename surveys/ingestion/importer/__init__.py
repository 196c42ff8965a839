"""Bulk import of historical responses from CSV/XLSX, set-based in PostgreSQL.

Why not an `imports.registry` handler: the generic runner parses, validates and writes row by row in Python, which
is fine for customers but an order of magnitude too slow for millions of responses. This path keeps the
ImportJob (progress page, counts, inline errors, downloadable error report) and does the work in SQL:

1. the file is COPYed as it is into a temporary table of text columns (fast path for a plain UTF-8 CSV); any
   other file (XLSX, another encoding, ragged rows) is read by `imports.readers` and COPYed row by row instead;
2. one INSERT ... SELECT parses and checks every row (dates, scores per question kind, choice codes, touchpoint by
   id or name, customer by external id) into a second temporary table, with the row's errors as an array;
3. valid rows are inserted in chunks (one transaction each, progress after each) with
   `ON CONFLICT (organization_id, idempotency_key) DO NOTHING`: the key is the row's own response id if mapped,
   else a hash of its content (survey, touchpoint, customer, time, language, answers), so importing the same rows
   again - from the same file or another - creates nothing;
4. answers are inserted for the responses that were actually created; rows with errors go to the error report.

Imported responses keep `processed_at` NULL: the periodic sweep runs their follow-up work (rollups, alert rules)
in batches of 500, like any response whose task was lost. Receivers see `source == "import"`.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from imports.models import ImportJob
from imports.readers import detect_format, open_table
from imports.registry import REPORT_ERROR_COLUMN, REPORT_ROW_COLUMN, ImportFileError
from surveys.ingestion.importer.plan import CHUNK_ROWS, FAST_DELIMITERS, FIELD_ALIASES, IMPORTABLE_KINDS, Plan, Tables
from surveys.ingestion.importer.sql import (
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
    "response_import_create",
    "response_import_run",
    "response_import_start",
]

# -- creating and starting a job ---------------------------------------------------------------------------------


def _read_header(fh: IO[bytes], name: str) -> tuple[list[str], str]:
    """The header row and the format, read cheaply (no pass over the whole file)."""
    fh.seek(0)
    head = fh.read(64 * 1024)
    fmt = detect_format(name, head)
    if fmt == "xlsx":
        with open_table(fh, name) as table:
            return table.header, fmt
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            if encoding == "utf-8-sig" and exc.start > len(head) - 4:  # a character cut at the 64 KB boundary
                text = head[: exc.start].decode(encoding)
                break
    else:
        text = head.decode("latin-1")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ImportFileError(_("The file is empty."))
    first = lines[0]
    if first.lower().startswith("sep=") and len(first.strip()) == 5:
        delimiter, lines = first.strip()[4], lines[1:]
    else:
        delimiter = _sniff_delimiter(first)
    if not lines:
        raise ImportFileError(_("The file is empty."))
    header = next(csv.reader(io.StringIO("\n".join(lines[:50])), delimiter=delimiter))
    return [cell.strip().lstrip("\ufeff") for cell in header], fmt


def _sniff_delimiter(line: str) -> str:
    counts = dict.fromkeys(FAST_DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(FAST_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def response_import_create(*, ctx: OrgContext, version: SurveyVersion, uploaded_file: UploadedFile) -> ImportJob:
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
    header, fmt = _read_header(uploaded_file, original_name)
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


def response_import_start(*, job: ImportJob, mapping: dict[str, Any]) -> None:
    """Save the column mapping and queue the import."""
    from surveys.ingestion.tasks import import_responses

    job.options = {**job.options, "mapping": mapping}
    job.save(update_fields=["options"])
    transaction.on_commit(lambda: import_responses.delay(job.pk))


# -- running a job -----------------------------------------------------------------------------------------------


def _claim(job_id: int) -> ImportJob | None:
    """Take a mapped, pending job with a conditional UPDATE (a job stuck past the time limit is taken again)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = (
        ImportJob.objects.filter(pk=job_id, kind=ImportJob.Kind.RESPONSES, options__has_key="mapping")
        .filter(Q(status=ImportJob.Status.PENDING) | Q(status=ImportJob.Status.RUNNING, started_at__lt=stale))
        .update(
            status=ImportJob.Status.RUNNING,
            started_at=now,
            finished_at=None,
            processed_rows=0,
            created_count=0,
            updated_count=0,
            unchanged_count=0,
            error_count=0,
            errors=[],
            message="",
        )
    )
    if not claimed:
        return None
    return ImportJob.objects.select_related("organization").get(pk=job_id)


def response_import_run(*, job_id: int, chunk_rows: int = CHUNK_ROWS) -> ImportJob | None:
    """Run a mapped import to the end; None if someone else has it (or it is not ready)."""
    job = _claim(job_id)
    if job is None:
        return None
    tables = Tables(job.pk)
    # Seconds per phase, kept on the job (options["timings"]) for operators and the benchmark.
    timings: dict[str, float] = {}
    clock = time.monotonic()

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings[phase] = round(timings.get(phase, 0.0) + now - clock, 3)
        clock = now

    try:
        plan = Plan.load(job)
        with connection.cursor() as cursor:
            total, how = _stage(cursor, job, plan, tables)
            lap("stage")
            job.total_rows = total
            job.message = how
            ImportJob.objects.filter(pk=job.pk).update(total_rows=total, message=how)
            build_touchpoint_lookup(cursor, plan, tables)
            build_clean(cursor, plan, tables)
            lap("check")
            first, last = row_range(cursor, tables)
            set_based = can_check_references_per_chunk(cursor)
            for start in range(first, last, chunk_rows):
                end = min(start + chunk_rows, last)
                with transaction.atomic():
                    job.created_count += insert_chunk(cursor, plan, tables, start, end, set_based_references=set_based)
                job.processed_rows = min(total, end - first)
                ImportJob.objects.filter(pk=job.pk).update(
                    processed_rows=job.processed_rows, created_count=job.created_count
                )
            lap("insert")
            valid, invalid = outcome_counts(cursor, tables)
            job.unchanged_count = valid - job.created_count
            job.error_count = invalid
            _write_errors(job, plan, tables)
            tables.drop(cursor)
            lap("report")
            job.options = {**job.options, "timings": timings}
    except ImportFileError as exc:
        _drop_quietly(tables)
        return _finish(job, status=ImportJob.Status.FAILED, message=str(exc))
    except Exception:
        logger.exception("Responses import %s failed", job.pk)
        _drop_quietly(tables)
        return _finish(
            job,
            status=ImportJob.Status.FAILED,
            message=_("The import stopped unexpectedly. Rows already imported stay; importing the file again is safe."),
        )
    message = f"{job.message} " + _("Their follow-up (KPI rollups, alert rules) runs in the background.")
    return _finish(job, status=ImportJob.Status.DONE, message=message.strip())


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


# -- step 1: stage the file as text ------------------------------------------------------------------------------


def _stage(cursor, job: ImportJob, plan: Plan, tables: Tables) -> tuple[int, str]:
    width = len(plan.header)
    cols = ", ".join(f"c{i} text" for i in range(width))
    cursor.execute(
        f"CREATE TEMP TABLE {tables.stage} (row_number bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 2), "
        f"bad text, {cols})"
    )
    copy_cols = ", ".join(f"c{i}" for i in range(width))
    with job.file.open("rb") as fh:
        delimiter = _fast_path_delimiter(fh, job.options.get("format"), plan.header)
        if delimiter is not None:
            fh.seek(0)
            try:
                with transaction.atomic():
                    cursor.copy_expert(
                        f"COPY {tables.stage} ({copy_cols}) FROM STDIN "
                        f"WITH (FORMAT csv, HEADER true, DELIMITER E'{_escape_delimiter(delimiter)}')",
                        fh,
                    )
                    total = cursor.rowcount
                return total, _("Read as UTF-8 CSV.")
            except Exception as exc:  # a ragged row, a blank line, a NUL byte: read it the careful way
                logger.info("Fast COPY of import %s failed (%s); reading row by row.", job.pk, exc)
        return _stage_slow(cursor, fh, job, plan, tables, copy_cols)


def _escape_delimiter(delimiter: str) -> str:
    return "\\t" if delimiter == "\t" else delimiter


def _fast_path_delimiter(fh: IO[bytes], fmt: str | None, header: list[str]) -> str | None:
    """The delimiter if the file is a plain UTF-8 CSV whose first line is the header, else None."""
    if fmt != "csv":
        return None
    fh.seek(0)
    head = fh.read(64 * 1024)
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        line = first_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if not line.strip() or line.lower().startswith("sep="):
        return None
    delimiter = _sniff_delimiter(line)
    cells = next(csv.reader([line], delimiter=delimiter), [])
    if [c.strip() for c in cells] != header:
        return None  # e.g. a header cell with a line break inside quotes
    return delimiter


def _stage_slow(cursor, fh: IO[bytes], job: ImportJob, plan: Plan, tables: Tables, copy_cols: str):
    width = len(plan.header)
    cursor.execute(f"TRUNCATE {tables.stage}")
    total = 0
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="") as buffer:
        writer = csv.writer(buffer)
        with open_table(fh, job.original_name) as table:
            if len(table.header) != width:
                raise ImportFileError(_("The file's header changed since the columns were mapped."))
            how = table.describe()
            for number, cells in table.rows:
                bad = ""
                if len(cells) > width and any(c.strip() for c in cells[width:]):
                    bad = _("The row has %(cells)s cells but the header has %(columns)s columns.") % {
                        "cells": len(cells),
                        "columns": width,
                    }
                cells = (list(cells) + [""] * width)[:width]
                if any("\x00" in c for c in cells):
                    bad = _("The row contains invalid characters.")
                    cells = [c.replace("\x00", "") for c in cells]
                writer.writerow([number, bad, *cells])
                total += 1
        buffer.seek(0)
        cursor.copy_expert(f"COPY {tables.stage} (row_number, bad, {copy_cols}) FROM STDIN WITH (FORMAT csv)", buffer)
    return total, how


# -- step 4: the error report ------------------------------------------------------------------------------------


def _write_errors(job: ImportJob, plan: Plan, tables: Tables) -> None:
    if not job.error_count:
        return
    inline_limit = getattr(settings, "IMPORT_INLINE_ERRORS", 50)
    inline: list[dict[str, Any]] = []
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8-sig", newline="") as report:
        writer = csv.writer(report)
        writer.writerow([*plan.header, REPORT_ROW_COLUMN, REPORT_ERROR_COLUMN])
        # A server-side cursor: a file of a million bad rows does not come into memory at once.
        with connection.chunked_cursor() as cursor:
            cursor.execute(error_rows_sql(plan, tables))
            for row, errs, *values in cursor:
                writer.writerow([*("" if v is None else v for v in values), row, "; ".join(errs)])
                for err in errs:
                    if len(inline) < inline_limit:
                        column, sep, message = err.partition(": ")
                        inline.append({"row": row, "column": column if sep else "", "message": message or err})
        report.flush()
        binary = report.buffer  # type: ignore[attr-defined]
        binary.seek(0)
        job.error_report.save(f"import-{job.pk}-errors.csv", File(binary), save=False)
    job.errors = inline
