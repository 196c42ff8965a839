"""Create and run import jobs: the machinery every import kind shares (see imports.registry for handlers)."""

from __future__ import annotations

import csv
import logging
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import IO, Any

from celery import Task  # type: ignore[import-untyped]  # celery ships no type hints
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scoping import OrgContext
from core.tasks import enqueue_coalesced
from imports.mappings import saved_mapping_get, saved_mapping_save
from imports.models import ImportJob
from imports.readers import detect_format, open_table, read_preview
from imports.registry import (
    REPORT_ERROR_COLUMN,
    REPORT_ROW_COLUMN,
    ColumnMapping,
    ImportContext,
    ImportFileError,
    ImportHandler,
    ImportMappingError,
    Option,
    Row,
    RowError,
    get_handler,
)

logger = logging.getLogger(__name__)


PREVIEW_ROWS = 10


def import_job_create(*, ctx: OrgContext, kind: str, uploaded_file: UploadedFile) -> ImportJob:
    """Check the upload (size, type, readable), store it with a preview of its first rows, and leave the job
    waiting for its column mapping (`import_job_start`). Raise ImportFileError for a bad file."""
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
    binary = getattr(uploaded_file, "file", uploaded_file)
    preview = read_preview(binary, original_name, limit=PREVIEW_ROWS)  # type: ignore[arg-type]  # a Django File proxies its binary file
    if not any(cell.strip() for cell in preview.header):
        raise ImportFileError(_("The first row must name the columns."))
    uploaded_file.seek(0)
    options: dict[str, Any] = {"api_key_id": ctx.api_key.pk} if ctx.api_key is not None else {}
    options["header"] = preview.header
    options["preview"] = {
        "rows": preview.rows,
        "total": preview.total,
        "description": preview.description,
        "format": preview.format,
        "encoding": preview.encoding,
        "delimiter": preview.delimiter,
    }
    job = ImportJob(
        organization=ctx.organization,
        kind=kind,
        original_name=original_name,
        created_by=ctx.user if ctx.user is not None and ctx.user.is_authenticated else None,
        options=options,
        total_rows=preview.total,
    )
    # A random stored name: the original one is only ever displayed, never used as a path.
    job.file.save(f"{uuid.uuid4().hex}{Path(original_name).suffix.lower()[:8]}", uploaded_file, save=False)
    job.save()
    return job


def import_job_start(*, ctx: OrgContext, job: ImportJob, mapping: ColumnMapping, remember: bool = True) -> ImportJob:
    """Confirm the column mapping and queue the import; with `remember`, offer it again for the next file of this
    kind with the same header. Raise ImportFileError if the job was started already."""
    handler = get_handler(job.kind)
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().for_org(ctx.organization).get(pk=job.pk)
        if not locked.needs_mapping:
            raise ImportFileError(_("This import was started already."))
        header = locked.options.get("header") or []
        options = {**locked.options, "mapping": mapping.as_json()}
        # The preview rows were only for the mapping page: customer data is not kept twice.
        options.pop("preview", None)
        locked.options = options
        locked.warnings = _mapping_warnings(header, mapping)
        locked.save(update_fields=["options", "warnings"])
        if remember:
            remembered = {o.name: mapping.options.get(o.name) for o in handler.options if o.kind == Option.BOOL}
            saved_mapping_save(
                ctx=ctx,
                kind=locked.kind,
                header=header,
                mapping={"fields": mapping.fields, "options": remembered, "saved_at": timezone.now().isoformat()},
            )
        from imports.tasks import run_import

        import_job_queue(job=locked, task=run_import)
    return locked


def import_job_queue(*, job: ImportJob, task: Task) -> None:
    """Queue the run of a mapped job: `task(job.pk)`, after the commit if in a transaction; never raise.

    The task's name is kept on the job: if the broker is down (or the process dies between the commit and the
    publish), `import_jobs_requeue` queues it again IMPORTS_REQUEUE_AFTER_SECONDS later. The run's claim makes
    a second delivery a no-op.
    """
    job.options = {**job.options, "task": task.name}
    job.queued_at = timezone.now()
    job.save(update_fields=["options", "queued_at"])
    enqueue_coalesced(task, args=(job.pk,))


def import_jobs_requeue(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Queue again the mapped jobs whose task was lost; ids of the jobs queued.

    Lost: waiting IMPORTS_REQUEUE_AFTER_SECONDS after it was last queued, or running past the task time limit (its
    worker died; the claim takes such a job again). Each is queued at most once per IMPORTS_REQUEUE_AFTER_SECONDS;
    a job whose worker died IMPORTS_MAX_ATTEMPTS times is failed instead. Rows are taken with SKIP LOCKED, so two
    sweeps never queue the same job, and a job queued twice still runs once (`import_job_claim`).
    """
    now = now or timezone.now()
    waited = now - timedelta(seconds=settings.IMPORTS_REQUEUE_AFTER_SECONDS)
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    lost = ImportJob.objects.filter(
        Q(status=ImportJob.Status.PENDING) | Q(status=ImportJob.Status.RUNNING, started_at__lt=stale),
        Q(queued_at__lt=waited) | Q(queued_at__isnull=True, created_at__lt=waited),
        options__has_key="task",
    )
    with transaction.atomic():
        jobs = list(lost.select_for_update(skip_locked=True).only("pk", "status", "attempts", "options")[:limit])
        given_up = [
            j.pk for j in jobs if j.status == ImportJob.Status.RUNNING and j.attempts >= settings.IMPORTS_MAX_ATTEMPTS
        ]
        if given_up:
            logger.warning("import jobs %s stopped %s times; failed", given_up, settings.IMPORTS_MAX_ATTEMPTS)
            ImportJob.objects.filter(pk__in=given_up).update(
                status=ImportJob.Status.FAILED,
                finished_at=now,
                message=_(
                    "The import stopped before it finished, %(n)s times (it took too long or its worker was "
                    "stopped). Rows already imported are kept; import the rest in smaller files, importing the "
                    "same rows again is safe."
                )
                % {"n": settings.IMPORTS_MAX_ATTEMPTS},
            )
        queued = [j for j in jobs if j.pk not in given_up]
        ImportJob.objects.filter(pk__in=[j.pk for j in queued]).update(queued_at=now)
    # Published after the commit above: the runs see the new queued_at, and an eager run sees the rows.
    for job in queued:
        task = _runner(job.options["task"])
        if task is None:
            logger.error("import job %s: no task named %r", job.pk, job.options["task"])
            continue
        enqueue_coalesced(task, args=(job.pk,), after_commit=False)
    return [j.pk for j in queued]


def _runner(name: str) -> Task | None:
    """The registered Celery task `name` (found by name: the responses importer's task lives in surveys)."""
    from celery import current_app

    if name not in current_app.tasks:
        current_app.autodiscover_tasks(force=True)  # a process that has not imported every tasks module yet
    return current_app.tasks.get(name)


def import_job_discard(*, ctx: OrgContext, job: ImportJob) -> bool:
    """Delete an upload that is still waiting for its mapping (and its stored file); False if it was started."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().for_org(ctx.organization).filter(pk=job.pk).first()
        if locked is None or not locked.needs_mapping:
            return False
        stored = locked.file.name
        locked.delete()
    if stored:
        job.file.storage.delete(stored)
    return True


def import_job_create_and_start(
    *,
    ctx: OrgContext,
    kind: str,
    uploaded_file: UploadedFile,
    columns: dict[str, str | None] | None = None,
    options: dict[str, Any] | None = None,
) -> ImportJob:
    """Upload and start in one step (the API): map by header names and synonyms (or the mapping last confirmed
    for this header), with `columns` ({file column: field or None}) and `options` on top. A mapping that cannot
    be confirmed fails the job with the reason, as a bad file does."""
    job = import_job_create(ctx=ctx, kind=kind, uploaded_file=uploaded_file)
    handler = get_handler(kind)
    header = job.options["header"]
    saved = saved_mapping_get(ctx=ctx, kind=kind, header=header) or {}
    base = saved.get("fields") if len(saved.get("fields") or []) == len(header) else None
    merged_options = {**(saved.get("options") or {}), **(options or {})}
    try:
        mapping = handler.resolve_mapping(header, columns=columns, options=merged_options, base=base)
    except ImportMappingError as exc:
        expected = ", ".join(c.name + ("*" if c.required else "") for c in handler.columns)
        found = ", ".join(f'"{cell}"' for cell in header)
        job.status = ImportJob.Status.FAILED
        job.message = " ".join(
            [
                *exc.problems,
                _("Expected columns (* = required): %(cols)s.") % {"cols": expected},
                _("Columns in the file: %(cols)s.") % {"cols": found},
            ]
        )
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "message", "finished_at"])
        return job
    return import_job_start(ctx=ctx, job=job, mapping=mapping, remember=False)


def _mapping_warnings(header: list[str], mapping: ColumnMapping) -> list[str]:
    ignored = mapping.ignored(header)
    if not ignored:
        return []
    return [_("Not imported (no field chosen): %(cols)s.") % {"cols": ", ".join(f'"{cell}"' for cell in ignored)}]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def import_job_claim(*, job_id: int, kind: str | None = None) -> ImportJob | None:
    """Take a mapped job with a conditional UPDATE: pending, or running past the task time limit (its worker died).

    Two workers never run the same job: the other one gets None. Every import path claims its jobs here (the
    responses importer passes its `kind`); a job taken again starts its counts from zero and counts one more attempt.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    jobs = ImportJob.objects.filter(pk=job_id, options__has_key="mapping")
    if kind is not None:
        jobs = jobs.filter(kind=kind)
    claimed = jobs.filter(
        Q(status=ImportJob.Status.PENDING) | Q(status=ImportJob.Status.RUNNING, started_at__lt=stale)
    ).update(
        status=ImportJob.Status.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        finished_at=None,
        processed_rows=0,
        created_count=0,
        updated_count=0,
        unchanged_count=0,
        error_count=0,
        errors=[],
        message="",
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
        self.writer: Any = None  # a csv writer once the first row is refused (typeshed keeps its type private)

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
    job = import_job_claim(job_id=job_id)
    if job is None:
        return None
    report: _ErrorReport | None = None
    last_row = 0
    try:
        handler = get_handler(job.kind)
        batch_size = handler.batch_size or settings.IMPORT_BATCH_SIZE
        mapping = ColumnMapping.from_json(job.options["mapping"])
        with job.file.open("rb") as fh, open_table(fh, job.original_name) as table:  # type: ignore[arg-type]  # a Django File proxies its binary file
            fields = (mapping.fields + [None] * len(table.header))[: len(table.header)]
            ctx = ImportContext(
                job=job,
                organization=job.organization,
                columns=tuple(name for name in fields if name is not None),
                options=handler.parsed_options(mapping),
            )
            handler.prepare(ctx)
            job.total_rows = table.total
            job.message = table.describe()
            job.warnings = _mapping_warnings(table.header, mapping)
            job.options = {**job.options, "format": table.format, "encoding": table.encoding}
            job.save(update_fields=["total_rows", "message", "warnings", "options"])
            report = _ErrorReport(table.header, table.delimiter)
            batches = _Batches(job=job, handler=handler, ctx=ctx, mapping=fields, report=report)
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
            job.warnings = [*job.warnings, *handler.finish(ctx)]
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
        # None: a valid row with nothing to write (e.g. a customer labelled as not churned); counted as unchanged.
        to_write = [v for v in valid if v is not None]
        if to_write:
            with transaction.atomic():
                created, updated = self.handler.write_batch(to_write, self.ctx)
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
