"""CSV and XLSX exports of a filtered set of responses.

CSV is streamed row by row (any size, constant memory, no timeout: the first bytes leave at once). XLSX has to be
built whole before it can be sent, so it is capped (SURVEYS_EXPORT_XLSX_MAX_ROWS); above that the page points to
CSV. Every text cell that a spreadsheet could read as a formula (= + - @, tab, CR) gets a leading quote.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.masking import mask_personal_data
from core.spreadsheets import neutralise
from surveys.models import Response

# Characters XML 1.0 (and so XLSX) cannot hold; openpyxl would refuse the whole workbook.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CHUNK_SIZE = 2000


def xlsx_max_rows() -> int:
    return getattr(settings, "SURVEYS_EXPORT_XLSX_MAX_ROWS", 50_000)


def _score(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def header(question_columns: list[tuple[str, str]]) -> list[str]:
    fixed = [
        _("Response id"),
        _("Submitted at"),
        _("Survey"),
        _("Journey"),
        _("Touchpoint"),
        _("Customer id"),
        _("Segment"),
        _("Language"),
        _("Channel"),
        _("Source"),
    ]
    return [*fixed, *(code for code, _kind in question_columns)]


def rows(
    queryset: QuerySet[Response], question_columns: list[tuple[str, str]], tz: dt.tzinfo
) -> Iterator[list[object]]:
    """One list of cells per response (datetimes in the organization's time zone, with its offset), neutralised."""
    codes = [code for code, _kind in question_columns]
    for response in queryset.iterator(chunk_size=CHUNK_SIZE):
        by_code: dict[str, object] = {}
        for answer in response.answers.all():
            if answer.value is not None:
                by_code[answer.question.code] = _score(answer.value)
            elif answer.choices:
                by_code[answer.question.code] = "; ".join(str(c) for c in answer.choices)
            else:
                # Comments leave the platform masked (e-mail addresses, phone numbers, national ids, cards), as
                # every page outside the customer's own case shows them.
                by_code[answer.question.code] = mask_personal_data(answer.text)
        customer = response.customer
        cells: list[object] = [
            response.pk,
            response.submitted_at.astimezone(tz).replace(microsecond=0),
            response.survey.name,
            response.journey.name if response.journey else "",
            response.touchpoint.name if response.touchpoint else "",
            customer.external_id if customer else "",
            customer.segment if customer else "",
            response.language,
            response.channel,
            response.source,
            *(by_code.get(code, "") for code in codes),
        ]
        yield [neutralise(c) for c in cells]


def _xlsx_cell(value: object) -> object:
    if isinstance(value, str):
        return neutralise(_ILLEGAL_XML.sub("", value))
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones: the organization's wall-clock time
    return value


def build_xlsx(header_cells: list[str], body: Iterable[list[object]]) -> IO[bytes]:
    """Write the workbook to a temporary file (rewound) with openpyxl's streaming writer."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Responses")[:31])
    sheet.append([neutralise(h) for h in header_cells])
    for cells in body:
        sheet.append([_xlsx_cell(c) for c in cells])
    out = tempfile.TemporaryFile()  # noqa: SIM115 (handed to FileResponse, which closes it)
    workbook.save(out)
    out.seek(0)
    return out
