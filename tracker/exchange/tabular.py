"""Reading a spreadsheet someone hands in: what the file really is, then its rows as a stream.

The file's name is not trusted: an .xlsx must be a zip package whose content types name a
workbook, a .csv must decode as text. Rows come one at a time (openpyxl's read-only mode, the
csv module over an open file), so a list of any length is read in flat memory.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from tracker.core.errors import DomainError

XLSX, CSV = "xlsx", "csv"
KINDS = (XLSX, CSV)
CHUNK = 1 << 20
SNIFF_LINES = 10
WORKBOOK_TYPES = (b"spreadsheetml.sheet.main", b"sheet.macroEnabled.main")

# What a wrongly named file really is, for a message the user can act on.
MAGIC = (
    (b"\x89PNG\r\n\x1a\n", _l("a PNG image")),
    (b"\xff\xd8\xff", _l("a JPEG image")),
    (b"GIF8", _l("a GIF image")),
    (b"%PDF", _l("a PDF document")),
    (b"\xd0\xcf\x11\xe0", _l("an old-style Excel (.xls) or Word (.doc) file")),
    (b"PK\x03\x04", _l("a zip archive, but not an Excel workbook")),
)


class FileProblem(DomainError):
    """The file as a whole cannot be read; the message says why and what to do."""


def _what(head: bytes) -> Any:
    return next((label for magic, label in MAGIC if head.startswith(magic)), None)


def kind_of(path: Path) -> str:
    """xlsx or csv, judged by the content (a zip package is taken for a workbook)."""
    return XLSX if zipfile.is_zipfile(path) else CSV


def check_file(path: Path, kind: str) -> str | None:
    """Raise FileProblem unless the file's content is the kind its name says; return the encoding."""
    if kind == XLSX:
        _check_xlsx(path)
        return None
    if kind == CSV:
        if _is_workbook(path):
            raise FileProblem(
                _l("This file is an Excel workbook: give it a name ending in .xlsx and upload it.")
            )
        return text_encoding(path)
    raise FileProblem(_l("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))


def _is_workbook(path: Path) -> bool:
    """A zip package whose content types name a spreadsheet workbook."""
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as package:
            types = package.read("[Content_Types].xml")
    except (KeyError, zipfile.BadZipFile, OSError):
        return False
    return any(t in types for t in WORKBOOK_TYPES)


def _check_xlsx(path: Path) -> None:
    if _is_workbook(path):
        return
    with path.open("rb") as f:
        head = f.read(8)
    what = _what(head)
    if what is None:
        raise FileProblem(
            _l(
                "This file is not an Excel workbook (.xlsx). Save the list from Excel or WPS "
                "as .xlsx or .csv and upload it again."
            )
        )
    raise FileProblem(
        _l(
            "This file is not an Excel workbook (.xlsx): it is %(what)s. Save the list from "
            "Excel or WPS as .xlsx or .csv and upload it again.",
            what=what,
        )
    )


def text_encoding(path: Path) -> str:
    """The encoding the whole file decodes in: UTF-8 (with or without BOM), UTF-16, GB18030."""
    with path.open("rb") as f:
        head = f.read(8)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)  # Excel's "Unicode text" export
    else:
        candidates = ("utf-8-sig", "gb18030")  # GB18030 covers GBK/GB2312 from older Excel
    for encoding in candidates:
        if _decodes(path, encoding):
            return encoding
    what = _what(head)
    if what is not None:
        raise FileProblem(
            _l(
                "This file is not a CSV text file: it is %(what)s. Save the list from Excel "
                "or WPS as .xlsx or .csv and upload it again.",
                what=what,
            )
        )
    raise FileProblem(
        _l(
            "This file is not a CSV text file in UTF-8 or GB18030. Save the list from Excel "
            "or WPS as .xlsx or as “CSV UTF-8” and upload it again."
        )
    )


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                text = decoder.decode(chunk)
                if "\x00" in text:  # binary data that happens to decode
                    return False
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _delimiter(path: Path, encoding: str) -> str:
    """A tab if the first lines hold more tabs than commas, else a comma."""
    tabs = commas = 0
    with path.open(encoding=encoding, newline="") as f:
        for _n, line in zip(range(SNIFF_LINES), f, strict=False):
            tabs, commas = tabs + line.count("\t"), commas + line.count(",")
    return "\t" if tabs > commas else ","


@contextmanager
def open_rows(path: Path, kind: str) -> Iterator[Iterator[tuple[int, tuple[Any, ...]]]]:
    """Yield an iterator of (row number as the spreadsheet shows it, cell values)."""
    if kind == XLSX:
        with _xlsx_rows(path) as rows:
            yield rows
    else:
        encoding = check_file(path, CSV) or "utf-8-sig"
        delimiter = _delimiter(path, encoding)
        with path.open(encoding=encoding, newline="") as f:
            yield _csv_rows(csv.reader(f, delimiter=delimiter))


def _csv_rows(reader: Any) -> Iterator[tuple[int, tuple[Any, ...]]]:
    n = 0
    try:
        for n, row in enumerate(reader, 1):  # noqa: B007  (n is read in the except)
            yield n, tuple(row)
    except csv.Error as exc:
        raise FileProblem(
            _l("Row %(row)d could not be read: %(error)s", row=n + 1, error=str(exc))
        ) from None


@contextmanager
def _xlsx_rows(path: Path) -> Iterator[Iterator[tuple[int, tuple[Any, ...]]]]:
    from openpyxl import load_workbook

    _check_xlsx(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged package
        raise FileProblem(
            _l(
                "The workbook could not be opened (%(error)s). Save it again from Excel or WPS.",
                error=type(exc).__name__,
            )
        ) from None
    try:
        ws = wb.worksheets[0]
        yield enumerate(ws.iter_rows(values_only=True), 1)
    finally:
        wb.close()
