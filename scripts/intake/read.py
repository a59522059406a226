"""Read one export file into a grid: the header found and the data rows, each with its row number in the file.

CSV (any encoding, separator, quote character, line ending) is read as text, strictly: a byte that does not decode,
an unclosed quote or a row with the wrong number of fields stops the run naming the file and line. Spreadsheets
(.xlsx, .xls, .ods) are read with python-calamine: cells keep their type (numbers, dates), so that Excel serial
dates and datetimes are converted by rule. Header rows can be several (merged header cells are flattened into
"upper / lower"); title rows above the header, blank rows, and section or total rows are skipped as declared.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from raw_exports import RawExportError, decode

SPREADSHEETS = {"xlsx", "xls", "ods"}
FORMATS = {"csv"} | SPREADSHEETS


@dataclass
class Grid:
    """What one file holds: its header (flattened) and its data rows, cells as the reader gives them."""

    path: Path
    header: list[str]
    rows: list[list[object]]
    numbers: list[int]  # row (spreadsheet) or line (CSV) of each data row, 1-based, as the user's program shows it
    unit: str = "line"  # "line" for text files, "row" for spreadsheets
    skipped: dict[str, int] = field(default_factory=dict)  # why rows were skipped -> how many


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def wide_encoding(encoding: str | None) -> bool:
    """Whether text in this encoding holds NUL bytes of its own (UTF-16 and UTF-32: every ASCII character has one)."""
    if not encoding:
        return False
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    return name.startswith(("utf-16", "utf-32"))


def sniff_binary(path: Path, raw: bytes, encoding: str | None = None) -> str | None:
    """What a file that is not text is, if it is one of the usual suspects: the format to declare. NUL bytes are
    text in a declared UTF-16 or UTF-32 file; undeclared, a UTF-16 byte-order mark names the encoding to declare."""
    if raw.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                mimetype = z.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except zipfile.BadZipFile:
            return "a ZIP archive, not a text export"
        if "opendocument.spreadsheet" in mimetype:
            return "this is an OpenDocument spreadsheet; declare format: ods"
        if any(n.startswith("xl/") for n in names):
            return "this is an Excel workbook; declare format: xlsx"
        return "this is a ZIP archive, not a text export; unpack it and declare the file inside"
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "this is an old Excel workbook (.xls); declare format: xls"
    if wide_encoding(encoding):
        return None
    if raw.startswith(UTF16_BOMS) and b"\x00" in raw[:4096]:
        return "this is UTF-16 text (it starts with a UTF-16 byte-order mark); declare encoding: utf-16"
    if b"\x00" in raw[:4096]:
        return "this is a binary file, not a text export (it holds NUL bytes); is the declared file right?"
    return None


def read_grid(path: Path, spec: dict) -> Grid:
    fmt = spec.get("format", "csv")
    if not path.exists():
        raise RawExportError(path, "file not found; check raw_exports.directory and the table's file in the config")
    if fmt == "csv":
        return read_csv_grid(path, spec)
    return read_spreadsheet_grid(path, spec)


def flatten_header(rows: list[list[str]]) -> list[str]:
    """Header rows -> one name per column. Upper rows are forward-filled to the right (a merged cell spans the
    columns under it); the parts of a column are joined with " / ", repeats and blanks left out."""
    width = max((len(r) for r in rows), default=0)
    filled = []
    for depth, row in enumerate(rows):
        row = list(row) + [""] * (width - len(row))
        if depth < len(rows) - 1:
            last = ""
            for i, cell in enumerate(row):
                last = cell if cell else last
                row[i] = last
        filled.append(row)
    names = []
    for i in range(width):
        parts: list[str] = []
        for row in filled:
            if row[i] and (not parts or parts[-1] != row[i]):
                parts.append(row[i])
        names.append(" / ".join(parts))
    return names


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


def skip_reason(cells: list[object], spec: dict, width: int) -> str | None:
    texts = [cell_text(c) for c in cells]
    filled = [t for t in texts if t]
    if not filled:
        return "blank"
    pattern = spec.get("skip_rows_matching")
    if pattern and re.search(pattern, filled[0]):
        return "matching skip_rows_matching"
    if spec.get("skip_single_cell_rows") and len(filled) == 1 and width > 2:
        return "single-cell (section) rows"
    return None


def finish(path: Path, header_rows: list[list[str]], body, spec: dict, unit: str, first_number: int) -> Grid:
    header = [h.strip() for h in flatten_header(header_rows)]
    where = first_number
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise RawExportError(path, f"header repeats columns {duplicated}", line=where, unit=unit)
    grid = Grid(path=path, header=header, rows=[], numbers=[], unit=unit)
    for number, cells in body:
        reason = skip_reason(cells, spec, len(header))
        if reason:
            grid.skipped[reason] = grid.skipped.get(reason, 0) + 1
            continue
        grid.rows.append(list(cells) + [None] * (len(header) - len(cells)))
        grid.numbers.append(number)
    return grid


def read_csv_grid(path: Path, spec: dict) -> Grid:
    raw = path.read_bytes()
    what = sniff_binary(path, raw, spec.get("encoding", "utf-8"))
    if what:
        raise RawExportError(path, what, line=1)
    if not raw.strip():
        raise RawExportError(path, "file is empty: expected a header line and data rows", line=1)
    separator = spec.get("separator", ";")
    text = decode(path, raw, spec.get("encoding", "utf-8"), separator)
    quote = spec.get("quote", '"')
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=separator,
        quotechar=quote or None,
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
        strict=True,
    )
    header_at = int(spec.get("header_row", 1))
    n_header = int(spec.get("header_rows", 1))
    records: list[tuple[int, list[str]]] = []  # (line the record starts on, fields); blank lines left out
    previous_end = 0
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if start >= header_at and record and not (len(record) == 1 and record[0] == ""):
                records.append((start, record))
    except csv.Error as err:
        raise RawExportError(path, f"does not parse as CSV: {err}", line=reader.line_num) from None
    head, body = [r for _, r in records[:n_header]], records[n_header:]
    if not head:
        raise RawExportError(path, "no header line found", line=header_at)
    width = len(head[-1])
    tolerant = spec.get("skip_rows_matching") or spec.get("skip_single_cell_rows")
    for k, (number, record) in enumerate(body):
        if len(record) > width and not any(field.strip() for field in record[width:]):
            # Empty fields past the header's last column (a separator at the end of every data line, or a row of
            # separators only) hold nothing: they are dropped, never a reason to stop.
            body[k] = (number, record[:width])
            continue
        if len(record) != width and not tolerant:
            header = [h.strip() for h in head[-1]]
            raise RawExportError(
                path,
                f"{len(record)} fields where the header has {width}"
                + (" (truncated file?)" if len(record) < width else ""),
                line=number,
                column=header[min(len(record), width) - 1],
            )
    return finish(path, [[h.strip() for h in r] for r in head], body, spec, "line", header_at)


def read_spreadsheet_grid(path: Path, spec: dict) -> Grid:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as err:  # calamine raises its own error types for every kind of unreadable file
        raise RawExportError(
            path, f"does not open as a {spec['format']} workbook ({err}); is the declared format right?"
        ) from None
    sheet_name = spec.get("sheet")
    try:
        if sheet_name is None:
            sheet = book.get_sheet_by_index(0)
        elif isinstance(sheet_name, int):
            sheet = book.get_sheet_by_index(sheet_name)
        else:
            sheet = book.get_sheet_by_name(str(sheet_name))
    except Exception:
        raise RawExportError(path, f"no sheet {sheet_name!r}; the workbook has sheets {book.sheet_names}") from None
    cells = sheet.to_python(skip_empty_area=False)
    header_at = int(spec.get("header_row", 1))
    n_header = int(spec.get("header_rows", 1))
    head = [[cell_text(c) for c in row] for row in cells[header_at - 1 : header_at - 1 + n_header]]
    if not head:
        raise RawExportError(path, f"no header row {header_at}: the sheet has {len(cells)} rows", unit="row")
    body = [
        (number, [None if (isinstance(c, str) and not c.strip()) else c for c in row])
        for number, row in enumerate(cells, start=1)
        if number >= header_at + n_header
    ]
    return finish(path, head, body, spec, "row", header_at)


def excel_serial(value: float) -> dt.date:
    """An Excel serial day number (1900 date system, as LibreOffice and Excel write it) -> the calendar date. A
    fraction is a time of day and is dropped: the date is the day the serial falls in."""
    return dt.date(1899, 12, 30) + dt.timedelta(days=int(value // 1))
