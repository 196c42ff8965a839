"""Create and run import jobs: the machinery every import kind shares (see imports.registry for handlers)."""

from __future__ import annotations

import csv
import logging
import tempfile
import uuid
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from imports.models import ImportJob
from imports.readers import detect_format, open_table
from imports.registry import (
    REPORT_ERROR_COLUMN,
    REPORT_ROW_COLUMN,
    ImportContext,
    ImportFileError,
    ImportHandler,
    Row,
    RowError,
    get_handler,
)

logger = logging.getLogger(__name__)


def import_job_create(*, ctx: OrgContext, kind: str, uploaded_file: UploadedFile) -> ImportJob:
    """Check the upload (size, type), store it and queue the import. Raise ImportFileError for a bad file."""
    get_handler(kind)  # an unknown kind fails here, before anything is stored
    size = uploaded_file.size or 0
    if size > settings.IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": _megabytes(size), "limit": _megabytes(settings.IMPORT_MAX_BYTES)}
        )
    original_name = Path(uploaded_file.name or "upload.csv").name[:255]
    uploaded_file.seek(0)
    detect_format(original_name, uploaded_file.read(64 * 1024))
    uploaded_file.seek(0)
    with transaction.atomic():
        job = ImportJob(
            organization=ctx.organization,
            kind=kind,
            original_name=original_name,
            created_by=ctx.user if ctx.user is not None and ctx.user.is_authenticated else None,
            options={"api_key_id": ctx.api_key.pk} if ctx.api_key is not None else {},
        )
        # A random stored name: the original one is only ever displayed, never used as a path.
        job.file.save(f"{uuid.uuid4().hex}{Path(original_name).suffix.lower()[:8]}", uploaded_file, save=False)
        job.save()
        from imports.tasks import run_import

        transaction.on_commit(lambda: run_import.delay(job.pk))
    return job


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def _claim(job_id: int) -> ImportJob | None:
    """Take the job with a conditional UPDATE so two workers never run it; a stale running job is retaken."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    claimed = (
        ImportJob.objects.filter(pk=job_id)
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


class _ErrorReport:
    """The full row-level report: every rejected row as it was in the file, plus its row number and errors."""

    def __init__(self, header: list[str], delimiter: str) -> None:
        self.header = header
        self.delimiter = delimiter or ","
        self.file: IO[str] | None = None
        self.writer = None

    def add(self, number: int, cells: list[str], messages: list[str]) -> None:
        if self.writer is None:
            # utf-8-sig so that Excel shows å, ä, ö correctly when the report is opened directly.
            self.file = tempfile.TemporaryFile(mode="w+", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self.writer = csv.writer(self.file, delimiter=self.delimiter)
            self.writer.writerow([*self.header, REPORT_ROW_COLUMN, REPORT_ERROR_COLUMN])
        padded = (list(cells) + [""] * len(self.header))[: max(len(self.header), len(cells))]
        self.writer.writerow([*padded, number, "; ".join(messages)])

    def save_to(self, job: ImportJob) -> None:
        if self.file is None:
            return
        self.file.flush()
        self.file.seek(0)
        binary = self.file.buffer  # type: ignore[attr-defined]
        binary.seek(0)
        job.error_report.save(f"import-{job.pk}-errors.csv", File(binary), save=False)
        self.file.close()


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a pending job to the end. Safe to call twice: the second call finds nothing to claim and returns None."""
    job = _claim(job_id)
    if job is None:
        return None
    report: _ErrorReport | None = None
    last_row = 0
    try:
        handler = get_handler(job.kind)
        batch_size = handler.batch_size or settings.IMPORT_BATCH_SIZE
        with job.file.open("rb") as fh, open_table(fh, job.original_name) as table:
            mapping = handler.map_header(table.header)
            ctx = ImportContext(
                job=job, organization=job.organization, columns=tuple(name for name in mapping if name is not None)
            )
            handler.prepare(ctx)
            job.total_rows = table.total
            job.message = table.describe()
            job.options = {**job.options, "format": table.format, "encoding": table.encoding}
            job.save(update_fields=["total_rows", "message", "options"])
            report = _ErrorReport(table.header, table.delimiter)
            batches = _Batches(job=job, handler=handler, ctx=ctx, mapping=mapping, report=report)
            while batch := list(islice(table.rows, batch_size)):
                last_row = batch[0][0]
                batches.run(batch)
                ImportJob.objects.filter(pk=job.pk).update(
                    processed_rows=job.processed_rows,
                    created_count=job.created_count,
                    updated_count=job.updated_count,
                    unchanged_count=job.unchanged_count,
                    error_count=job.error_count,
                    errors=job.errors,
                )
    except ImportFileError as exc:
        return _finish(job, report, status=ImportJob.Status.FAILED, message=str(exc))
    except Exception:
        logger.exception("Import job %s failed", job.pk)
        message = _(
            "The import stopped unexpectedly in the batch starting at row %(row)s. Rows before it were imported; "
            "importing the file again is safe."
        ) % {"row": last_row}
        return _finish(job, report, status=ImportJob.Status.FAILED, message=message)
    if not job.processed_rows:
        job.message = f"{job.message} {_('The file has a header but no data rows.')}".strip()
    return _finish(job, report, status=ImportJob.Status.DONE, message=job.message)


@dataclass
class _Batches:
    """Validate and write one batch at a time, adding its counts and errors to the job (saved by the caller)."""

    job: ImportJob
    handler: ImportHandler
    ctx: ImportContext
    mapping: list[str | None]
    report: _ErrorReport

    def run(self, batch: list[tuple[int, list[str]]]) -> None:
        job, width = self.job, len(self.mapping)
        rows: list[Row] = []
        errors: list[RowError] = []
        cells_by_number: dict[int, list[str]] = {}
        for number, cells in batch:
            cells_by_number[number] = cells
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                message = _("The row has %(cells)s cells but the header has %(columns)s columns.") % {
                    "cells": len(cells),
                    "columns": width,
                }
                errors.append(RowError(number, "", message))
                continue
            values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(self.mapping) if name}
            rows.append(Row(number=number, values=values))
        valid, row_errors = self.handler.validate_batch(rows, self.ctx)
        errors.extend(row_errors)
        created = updated = 0
        if valid:
            with transaction.atomic():
                created, updated = self.handler.write_batch(valid, job)
        messages_by_row: dict[int, list[str]] = {}
        for error in sorted(errors, key=lambda e: e.row):
            label = f"{error.column}: {error.message}" if error.column else str(error.message)
            messages_by_row.setdefault(error.row, []).append(label)
            if len(job.errors) < settings.IMPORT_INLINE_ERRORS:
                job.errors.append(error.as_dict())
        for number, messages in messages_by_row.items():
            self.report.add(number, cells_by_number.get(number, []), messages)
        job.processed_rows += len(batch)
        job.created_count += created
        job.updated_count += updated
        job.unchanged_count += len(valid) - created - updated
        job.error_count += len(messages_by_row)


def _finish(job: ImportJob, report: _ErrorReport | None, *, status: str, message: str) -> ImportJob:
    if report is not None:
        report.save_to(job)
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    if status == ImportJob.Status.DONE:
        job.total_rows = job.processed_rows
    job.save()
    return job
