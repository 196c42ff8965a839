"""The error report of a responses import: the rejected rows as they were in the file, with their errors."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files import File

from imports.models import ImportJob
from imports.registry import REPORT_ERROR_COLUMN, REPORT_ROW_COLUMN


def write_errors(job: ImportJob, header: list[str], rows: Iterable[tuple[int, list[str], list[Any]]]) -> None:
    """Store the report file and the first errors inline on the job; rows are (row number, errors, cells)."""
    inline_limit = getattr(settings, "IMPORT_INLINE_ERRORS", 50)
    inline: list[dict[str, Any]] = []
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8-sig", newline="") as report:
        writer = csv.writer(report)
        writer.writerow([*header, REPORT_ROW_COLUMN, REPORT_ERROR_COLUMN])
        for row, errs, values in rows:
            writer.writerow([*("" if v is None else v for v in values), row, "; ".join(errs)])
            for err in errs:
                if len(inline) < inline_limit:
                    inline.append(split_error(row, err))
        report.flush()
        binary = report.buffer  # type: ignore[attr-defined]
        binary.seek(0)
        job.error_report.save(f"import-{job.pk}-errors.csv", File(binary), save=False)
    job.errors = inline


def split_error(row: int, err: str) -> dict[str, Any]:
    column, sep, message = err.partition(": ")
    return {"row": row, "column": column if sep else "", "message": message or err}
