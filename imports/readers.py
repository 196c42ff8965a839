"""Read an uploaded table (CSV in any common encoding and delimiter, or XLSX) as a header and rows of strings."""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext as _

from imports.registry import ImportFileError

CSV_EXTENSIONS = frozenset({".csv", ".txt", ".tsv", ""})
XLSX_EXTENSIONS = frozenset({".xlsx", ".xlsm"})
ACCEPT_ATTRIBUTE = ".csv,.txt,.tsv,.xlsx,.xlsm"

# Tried in this order; latin-1 decodes any byte sequence, so it is the last resort.
_ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
_ENCODING_LABELS = {
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "latin-1": "Latin-1 (ISO-8859-1)",
}
_DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_LABELS = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}


@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (spreadsheet row number, cells) for every non-blank row
    total: int | None  # number of data rows (an estimate for XLSX until the end)
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    source: Iterator[list[str]] | None = None  # the underlying record generator, closed by open_table

    def close(self) -> None:
        for gen in (self.rows, self.source):
            close = getattr(gen, "close", None)
            if close is not None:
                close()

    @property
    def is_utf8(self) -> bool:
        return self.format == "xlsx" or self.encoding in ("utf-8-sig", "utf-16")

    def describe(self) -> str:
        if self.format == "xlsx":
            return _('Read the Excel sheet "%(sheet)s".') % {"sheet": self.sheet}
        text = _("Read as %(encoding)s, separated by %(delimiter)s.") % {
            "encoding": _ENCODING_LABELS.get(self.encoding, self.encoding),
            "delimiter": _DELIMITER_LABELS.get(self.delimiter, repr(self.delimiter)),
        }
        if not self.is_utf8:
            text += " " + _(
                "The file is not UTF-8: check that letters like å, ä, ö, æ and ø look right, "
                'or save it as "CSV UTF-8" next time.'
            )
        return text


def detect_format(name: str, head: bytes) -> str:
    """Return "csv" or "xlsx" from the file name and its first bytes; raise ImportFileError otherwise."""
    ext = Path(name).suffix.lower()
    is_zip = head.startswith(b"PK\x03\x04")
    if ext in XLSX_EXTENSIONS:
        if not is_zip:
            raise ImportFileError(_("The file is named %(ext)s but is not an Excel workbook.") % {"ext": ext})
        return "xlsx"
    if ext == ".xls":
        raise ImportFileError(_("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or as CSV UTF-8."))
    if ext not in CSV_EXTENSIONS:
        raise ImportFileError(
            _("Upload a CSV (.csv) or Excel (.xlsx) file; %(ext)s files are not supported.") % {"ext": ext}
        )
    if not head.strip():
        raise ImportFileError(_("The file is empty."))
    if is_zip:
        raise ImportFileError(
            _("This is not a CSV file (it looks like an Excel or zip file): save it as CSV or .xlsx.")
        )
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("This does not look like a CSV file: it contains binary data."))
    return "csv"


@contextlib.contextmanager
def open_table(fh: BinaryIO, name: str) -> Iterator[Table]:
    """Yield a Table over a seekable binary file. The rows iterator is valid inside the `with` block only."""
    fh.seek(0)
    head = fh.read(64 * 1024)
    fmt = detect_format(name, head)
    if fmt == "xlsx":
        with _open_xlsx(fh) as table:
            try:
                yield table
            finally:
                table.close()
    else:
        table = _open_csv(fh, head)
        try:
            yield table
        finally:
            # Close the record generators while the file is still open (they hold a text wrapper on it).
            table.close()


# -- CSV ---------------------------------------------------------------------------------------------------------


def _sniff_delimiter(first_line: str) -> str:
    """Count candidate delimiters outside quotes in the header line; the most frequent wins, comma by default."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    in_quotes = False
    for char in first_line:
        if char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


@contextlib.contextmanager
def _text(fh: BinaryIO, encoding: str) -> Iterator[io.TextIOWrapper]:
    fh.seek(0)
    text = io.TextIOWrapper(fh, encoding=encoding, errors="strict", newline="")
    try:
        yield text
    finally:
        text.detach()  # leave the underlying file open for the next pass


def _csv_records(text: io.TextIOWrapper, delimiter: str, skip_sep_line: bool) -> Iterator[list[str]]:
    reader = csv.reader(text, delimiter=delimiter)
    if skip_sep_line:
        next(reader, None)
    yield from reader


def _is_blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


# A valid UTF-8 multi-byte character (å, ä, ö, æ, ø...). Windows-1252 text almost never holds one: its letters are
# single bytes, and a letter followed by one or two of its rare symbols in 0x80-0xBF would be needed.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_SCAN_CHUNK = 1 << 20


def _utf8_damage(fh: BinaryIO) -> tuple[int, int] | None:
    """(line, byte offset) of the first byte that is not UTF-8 when the file otherwise holds UTF-8 multi-byte
    characters: a UTF-8 file with damage, which decoding as Windows-1252 would turn into mojibake. None otherwise."""
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, lines, first_bad, has_multibyte, tail = 0, 0, None, False, b""
    while chunk := fh.read(_SCAN_CHUNK):
        if not has_multibyte and _UTF8_MULTIBYTE.search(tail + chunk):
            has_multibyte = True
        if first_bad is None:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                first_bad = (lines + chunk.count(b"\n", 0, exc.start) + 1, offset + exc.start)
            lines += chunk.count(b"\n")
        if first_bad is not None and has_multibyte:
            break
        offset += len(chunk)
        tail = chunk[-3:]
    fh.seek(0)
    return first_bad if has_multibyte else None


def _open_csv(fh: BinaryIO, head: bytes) -> Table:
    encodings = ("utf-16",) if head.startswith((b"\xff\xfe", b"\xfe\xff")) else _ENCODINGS
    for encoding in encodings:
        if encoding == "cp1252":
            damage = _utf8_damage(fh)
            if damage is not None:
                raise ImportFileError(
                    _(
                        "The file is UTF-8 but line %(line)s holds a byte that is not valid UTF-8 (byte %(offset)s). "
                        "Reading it as Windows-1252 would garble every Nordic letter, so nothing was imported: "
                        "fix that line, or save the file again as UTF-8 (or as Windows-1252), and upload it again."
                    )
                    % {"line": damage[0], "offset": damage[1]}
                )
        preview = head.decode("utf-16" if encoding == "utf-16" else encoding, errors="replace").lstrip("\ufeff")
        first_line = preview.splitlines()[0] if preview else ""
        # Excel writes a "sep=;" line first when asked to; honour it.
        skip_sep_line = first_line.lower().startswith("sep=") and len(first_line.strip()) == 5
        delimiter = first_line.strip()[4] if skip_sep_line else _sniff_delimiter(first_line)
        try:
            with _text(fh, encoding) as text:
                # Counted without keeping rows in memory; this pass also proves the whole file decodes.
                records = sum(1 for cells in _csv_records(text, delimiter, skip_sep_line) if not _is_blank(cells))
        except UnicodeDecodeError:
            continue
        except csv.Error as exc:
            raise ImportFileError(_("The file could not be read as CSV: %(error)s.") % {"error": exc})
        if records == 0:
            raise ImportFileError(_("The file is empty."))
        source = _csv_rows(fh, encoding, delimiter, skip_sep_line)
        header, rows = _split_header(source)
        return Table(
            header=header,
            rows=rows,
            total=records - 1,
            format="csv",
            encoding=encoding,
            delimiter=delimiter,
            source=source,
        )
    raise ImportFileError(_("The file's text encoding could not be recognised: save it as CSV UTF-8."))


def _csv_rows(fh: BinaryIO, encoding: str, delimiter: str, skip_sep_line: bool) -> Iterator[list[str]]:
    with _text(fh, encoding) as text:
        try:
            yield from _csv_records(text, delimiter, skip_sep_line)
        except csv.Error as exc:
            raise ImportFileError(_("The file could not be read as CSV: %(error)s.") % {"error": exc})


def _split_header(records: Iterator[list[str]]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Take the first non-blank record as the header; number the non-blank rows after it as a spreadsheet does."""
    number = 0
    for cells in records:
        number += 1
        if not _is_blank(cells):
            header = [c.strip() for c in cells]
            break
    else:
        raise ImportFileError(_("The file is empty."))

    def rows() -> Iterator[tuple[int, list[str]]]:
        n = number
        for cells in records:
            n += 1
            if not _is_blank(cells):
                yield n, cells

    return header, rows()


# -- XLSX --------------------------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers and ids typed as numbers come back as floats
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _check_xlsx_size(fh: BinaryIO) -> None:
    """Refuse a workbook whose parts unpack to more than IMPORT_XLSX_MAX_UNPACKED_BYTES, or a large part packed more
    than IMPORT_XLSX_MAX_RATIO times (a zip bomb: a few hundred KB of shared strings that unpack to hundreds of MB),
    from the zip's directory, before any XML is parsed."""
    from django.conf import settings

    limit, max_ratio = settings.IMPORT_XLSX_MAX_UNPACKED_BYTES, settings.IMPORT_XLSX_MAX_RATIO
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportFileError(_("The file could not be read as an Excel workbook (%(error)s).") % {"error": exc})
    finally:
        fh.seek(0)
    unpacked = sum(p.file_size for p in parts)
    packed_too_tight = [
        p.filename
        for p in parts
        if p.file_size > 10 * 1024 * 1024 and p.file_size > max_ratio * max(p.compress_size, 1)
    ]
    if unpacked > limit or packed_too_tight:
        raise ImportFileError(
            _(
                "This Excel file unpacks to %(mb)s MB (limit %(limit)s MB) or is compressed far more than a real "
                "export is, so it was not opened. Save the sheet as CSV and upload that instead."
            )
            % {"mb": unpacked // (1024 * 1024), "limit": limit // (1024 * 1024)}
        )


@contextlib.contextmanager
def _open_xlsx(fh: BinaryIO) -> Iterator[Table]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_size(fh)
    fh.seek(0)
    try:
        workbook = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(_("The file could not be read as an Excel workbook (%(error)s).") % {"error": exc})
    try:
        sheet = workbook.worksheets[0]
        records = ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
        total = (sheet.max_row - 1) if sheet.max_row else None
        header, rows = _split_header(records)
        yield Table(header=header, rows=rows, total=total, format="xlsx", sheet=sheet.title, source=records)
    finally:
        workbook.close()


# -- preview -----------------------------------------------------------------------------------------------------


@dataclass
class Preview:
    """The header and first rows of a file, for the mapping step (nothing is imported)."""

    header: list[str]
    rows: list[list[str]]  # padded or cut to the header's width
    total: int | None
    description: str
    format: str
    encoding: str = ""
    delimiter: str = ""


def read_preview(fh: BinaryIO, name: str, *, limit: int = 10) -> Preview:
    """Read the header and the first `limit` data rows of an uploaded CSV or XLSX file."""
    with open_table(fh, name) as table:
        width = len(table.header)
        rows = []
        for _number, cells in table.rows:
            rows.append((list(cells) + [""] * width)[:width])
            if len(rows) >= limit:
                break
        return Preview(
            header=table.header,
            rows=rows,
            total=table.total,
            description=table.describe(),
            format=table.format,
            encoding=table.encoding,
            delimiter=table.delimiter,
        )
