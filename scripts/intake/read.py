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

import numpy as np
import pandas as pd

from raw_exports import RawExportError, decode

SPREADSHEETS = {"xlsx", "xls", "ods"}
FORMATS = {"csv"} | SPREADSHEETS


@dataclass
class Grid:
    """What one file holds: its header (flattened) and its data rows, cells as the reader gives them, column by
    column (one numpy object array per header column: text, None for a missing cell, spreadsheet values typed)."""

    path: Path
    header: list[str]
    columns: list[np.ndarray]
    numbers: np.ndarray  # row (spreadsheet) or line (CSV) of each data row, 1-based, as the user's program shows it
    unit: str = "line"  # "line" for text files, "row" for spreadsheets
    skipped: dict[str, int] = field(default_factory=dict)  # why rows were skipped -> how many

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def rows(self) -> list[list[object]]:
        """The data rows as lists (small grids and tests only: a large grid is read column by column)."""
        return [list(row) for row in zip(*self.columns, strict=True)] if self.columns else [[] for _ in self.numbers]


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
    rows: list[list[object]] = []
    numbers: list[int] = []
    skipped: dict[str, int] = {}
    for number, cells in body:
        reason = skip_reason(cells, spec, len(header))
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        rows.append(list(cells) + [None] * (len(header) - len(cells)))
        numbers.append(number)
    columns = []
    for i in range(len(header)):
        column = np.empty(len(rows), dtype=object)
        column[:] = [row[i] for row in rows]  # (slice assignment: a list of lists would make a 2-D array)
        columns.append(column)
    return Grid(path, header, columns, np.asarray(numbers, dtype=np.int64), unit, skipped)


def read_csv_grid(path: Path, spec: dict, fast: bool = True) -> Grid:
    """A CSV export as a grid. Large exports of the usual shape are read column-wise by pandas' C parser
    (`read_csv_columns`); every file that parser might read differently from the exact reader (`read_csv_exact`),
    and every file with a problem, is read by the exact reader, so that what is read and every message are the same
    either way."""
    raw = path.read_bytes()
    what = sniff_binary(path, raw, spec.get("encoding", "utf-8"))
    if what:
        raise RawExportError(path, what, line=1)
    if not raw.strip():
        raise RawExportError(path, "file is empty: expected a header line and data rows", line=1)
    if fast:
        plan = csv_plan(path, raw, spec)
        if plan is not None:
            del raw  # (pandas reads the file itself: the bytes need not stay in memory)
            grid = read_csv_columns(path, spec, plan)
            if grid is not None:
                return grid
            raw = path.read_bytes()
    return read_csv_exact(path, raw, spec)


def csv_records(path: Path, text: str, spec: dict) -> list[tuple[int, list[str]]]:
    """(line the record starts on, fields) of every record on or after `header_row`; blank lines left out."""
    separator = spec.get("separator", ";")
    quote = spec.get("quote", '"')
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=separator,
        quotechar=quote or None,
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
        strict=True,
    )
    header_at = int(spec.get("header_row", 1))
    records: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if start >= header_at and record and not (len(record) == 1 and record[0] == ""):
                records.append((start, record))
    except csv.Error as err:
        raise RawExportError(path, f"does not parse as CSV: {err}", line=reader.line_num) from None
    return records


def read_csv_exact(path: Path, raw: bytes, spec: dict) -> Grid:
    """The exact reader: Python's csv module, strict, record by record (the reference the fast path must equal)."""
    separator = spec.get("separator", ";")
    text = decode(path, raw, spec.get("encoding", "utf-8"), separator)
    header_at = int(spec.get("header_row", 1))
    n_header = int(spec.get("header_rows", 1))
    records = csv_records(path, text, spec)
    del text
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


# Encodings in which every byte below 0x80 is the ASCII character it reads as, whatever comes before it: a separator,
# quote or line break found in the bytes is one in the text (UTF-16, UTF-32 and the like are read exactly).
ASCII_SAFE = {
    "ascii",
    "utf-8",
    "utf-8-sig",
    "cp1250",
    "cp1251",
    "cp1252",
    "cp866",
    "koi8-r",
    "koi8-u",
    "iso8859-1",
    "iso8859-5",
    "iso8859-15",
    "mac-cyrillic",
}
CHUNK = 1 << 26  # bytes scanned at once for the record structure (64 MiB: bounded temporaries)
FIELD_LIMIT = 100_000  # a record longer (in bytes) may hold a field over csv's limit: read exactly


@dataclass
class Structure:
    """Where a CSV file's records are, from its bytes: what the exact reader would see, without reading a field."""

    starts: np.ndarray  # byte offset where each record starts
    filled: np.ndarray  # whether the record holds anything (an empty line, or CRLF alone, does not)
    lines: np.ndarray  # 1-based line each record starts on
    fields: np.ndarray  # separators outside quotes in each record, + 1


def byte_positions(data: np.ndarray, byte: int) -> np.ndarray:
    """Offsets of `byte` in `data`, found CHUNK bytes at a time (no temporary as large as the file)."""
    found = [offset + np.flatnonzero(data[offset : offset + CHUNK] == byte) for offset in range(0, len(data), CHUNK)]
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def csv_structure(raw: bytes, separator: str, quote: str | None, begin: int) -> Structure | None:
    """The records of `raw` (from byte `begin`, past a byte-order mark) as Python's csv module (strict, quotes
    doubled inside quoted fields) splits them, or None when the bytes are of a shape where that is in doubt: a
    carriage return that is not part of CRLF, a NUL byte, an odd number of quotes, a quote that neither opens a field
    nor closes one (nor is doubled inside one), a record longer than FIELD_LIMIT.

    A line break or separator is inside a quoted field exactly when an odd number of quotes precede it: every quote
    either opens a field (at its start), closes it (before a separator, line break or the end) or is one of a
    doubled pair inside it, which is checked here quote by quote. A record starting after the line break with index
    j (among all line breaks, 0-based) starts on line j + 2."""
    data = np.frombuffer(raw, dtype=np.uint8)
    n = len(data)
    sep = ord(separator)
    if len(byte_positions(data, 0)):
        return None
    cr = byte_positions(data, 13)
    if len(cr) and (cr[-1] == n - 1 or np.any(data[cr + 1] != 10)):
        return None
    del cr
    quotes = byte_positions(data, ord(quote)) if quote else np.empty(0, dtype=np.int64)
    if len(quotes) % 2:
        return None
    if len(quotes):
        opening, closing = quotes[0::2], quotes[1::2]
        before = data[np.maximum(opening - 1, 0)]
        after = data[np.minimum(closing + 1, n - 1)]
        doubled_open = np.zeros(len(opening), dtype=bool)
        doubled_open[1:] = opening[1:] == closing[:-1] + 1
        doubled_close = np.zeros(len(closing), dtype=bool)
        doubled_close[:-1] = closing[:-1] + 1 == opening[1:]
        opens_field = (opening == begin) | np.isin(before, (sep, 10, 13)) | doubled_open
        closes_field = (closing == n - 1) | np.isin(after, (sep, 10, 13)) | doubled_close
        if np.any(opening < begin) or not (opens_field.all() and closes_field.all()):
            return None

    def outside(positions: np.ndarray) -> np.ndarray:
        """The positions not inside a quoted field (an even number of quotes before them)."""
        return positions[np.searchsorted(quotes, positions) % 2 == 0] if len(quotes) else positions

    breaks = byte_positions(data, 10)
    ends_at = np.flatnonzero(np.searchsorted(quotes, breaks) % 2 == 0) if len(quotes) else np.arange(len(breaks))
    record_breaks = breaks[ends_at]
    del breaks
    starts = np.concatenate(([begin], record_breaks + 1))
    ends = np.concatenate((record_breaks, [n]))
    lines = np.concatenate(([1], ends_at + 2)).astype(np.int64)
    del ends_at, record_breaks
    if starts[-1] == n:  # the file ends with a line break: no record after it
        starts, ends, lines = starts[:-1], ends[:-1], lines[:-1]
    ends -= (ends > starts) & (data[np.maximum(ends - 1, 0)] == 13)  # CRLF: the CR is no part of the record
    if len(starts) and int((ends - starts).max()) > FIELD_LIMIT:
        return None
    filled = ends > starts
    del ends
    fields = np.ones(len(starts), dtype=np.int32)
    for offset in range(0, n, CHUNK):
        found = outside(offset + np.flatnonzero(data[offset : offset + CHUNK] == sep))
        if len(found):
            record = np.searchsorted(starts, found, side="right") - 1
            first = int(record[0])
            fields[first : int(record[-1]) + 1] += np.bincount(record - first).astype(np.int32)
    return Structure(starts, filled, lines, fields)


@dataclass
class Plan:
    """What the fast path knows before reading a field: the header (read exactly), where the data records start,
    their start lines, which are empty lines, and how many fields each has."""

    head: list[list[str]]
    offset: int  # byte where the first data record starts
    lines: np.ndarray
    filled: np.ndarray
    fields: int  # every non-empty data record's field count (the header's, or more: empty fields past it)


def csv_plan(path: Path, raw: bytes, spec: dict) -> Plan | None:
    """The fast path's plan for a file (`csv_structure`, then the header read exactly), or None (read the file
    exactly) for anything the exact reader might read differently or stop at: an encoding that is not ASCII-safe,
    a separator or quote that is not one ASCII character, tolerant specs (skip_rows_matching,
    skip_single_cell_rows), records whose field count differs from the header's (save the same number of fields
    past it in every record), a header that does not decode or parse."""
    encoding = spec.get("encoding", "utf-8")
    separator = spec.get("separator", ";")
    quote = spec.get("quote", '"')
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    if name not in ASCII_SAFE or spec.get("skip_rows_matching") or spec.get("skip_single_cell_rows"):
        return None
    if len(separator) != 1 or ord(separator) > 127 or separator in "\r\n" or (quote and len(quote) != 1):
        return None
    if quote and (ord(quote) > 127 or quote in "\r\n" or quote == separator):
        return None
    begin = 3 if name.startswith("utf-8") and raw.startswith(codecs.BOM_UTF8) else 0
    shape = csv_structure(raw, separator, quote or None, begin)
    if shape is None:
        return None
    header_at = int(spec.get("header_row", 1))
    n_header = int(spec.get("header_rows", 1))
    candidates = np.flatnonzero(shape.filled & (shape.lines >= header_at))
    if len(candidates) <= n_header:
        return None
    first_body = int(candidates[n_header])
    offset = int(shape.starts[first_body])
    try:
        head_records = csv_records(path, decode(path, raw[:offset], encoding, separator), spec)
    except RawExportError:
        return None
    if len(head_records) != n_header:
        return None
    head = [r for _, r in head_records]
    width = len(head[-1])
    filled = shape.filled[first_body:]
    counts = np.unique(shape.fields[first_body:][filled])
    if width < 2:
        return None
    if len(counts) != 1 or counts[0] < width:
        wrong_field_count(path, raw, spec, shape, first_body, head)
        return None
    return Plan(head, offset, shape.lines[first_body:], filled, int(counts[0]))


WRONG_COUNT_CANDIDATES = 10_000  # records past the header's width looked at for the first wrong one, at most


def wrong_field_count(path: Path, raw: bytes, spec: dict, shape: Structure, first_body: int, head: list) -> None:
    """Raise the exact reader's error for the first data record whose field count is wrong (fewer fields than the
    header, or more with one past the header holding something), so that a large export with one bad line is not
    read twice; return (read it exactly) when none is found among the first WRONG_COUNT_CANDIDATES records of
    another width, or when the file does not decode (the exact reader names that first)."""
    width = len(head[-1])
    records = first_body + np.flatnonzero(shape.filled[first_body:] & (shape.fields[first_body:] != width))
    starts = np.append(shape.starts, len(raw))
    for k in records[:WRONG_COUNT_CANDIDATES]:
        count = int(shape.fields[k])
        if count > width or count == 1:
            text = raw[int(starts[k]) : int(starts[k + 1])].decode(spec.get("encoding", "utf-8"), "replace")
            found = csv_records(path, text, {**spec, "header_row": 1})
            if not found:  # a record of one empty quoted field: no record to the exact reader either
                continue
            if count > width and not any(f.strip() for f in found[0][1][width:]):
                continue
        try:
            raw.decode(spec.get("encoding", "utf-8"))
        except UnicodeDecodeError:
            return
        header = [h.strip() for h in head[-1]]
        raise RawExportError(
            path,
            f"{count} fields where the header has {width}" + (" (truncated file?)" if count < width else ""),
            line=int(shape.lines[k]),
            column=header[min(count, width) - 1],
        )


def read_csv_columns(path: Path, spec: dict, plan: Plan) -> Grid | None:
    """The fast path: the data records read column-wise by pandas' C parser (every field text, as written), from
    the plan's offset; the plan gives each record's line. None (read it exactly) when the parser stops (a byte that
    does not decode, for one) or finds a different number of records, when a field past the header's last column
    holds something, or when the header repeats a column."""
    encoding = spec.get("encoding", "utf-8")
    quote = spec.get("quote", '"')
    width = len(plan.head[-1])
    try:
        with open(path, "rb") as f:
            f.seek(plan.offset)
            frame = pd.read_csv(
                f,
                sep=spec.get("separator", ";"),
                quotechar=quote or '"',
                quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
                doublequote=True,
                header=None,
                names=list(range(plan.fields)),
                dtype=str,
                na_filter=False,
                keep_default_na=False,
                skip_blank_lines=False,
                encoding=encoding,
                encoding_errors="strict",
                engine="c",
            )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        return None
    if len(frame) != len(plan.filled):
        return None
    columns = [frame.pop(i).to_numpy(dtype=object) for i in range(plan.fields)]
    del frame
    numbers = plan.lines
    if not plan.filled.all():
        columns = [c[plan.filled] for c in columns]
        numbers = numbers[plan.filled]
    for extra in columns[width:]:  # empty fields past the header's last column are dropped, as the exact reader does
        if any(v.strip() for v in pd.unique(extra)):
            return None
    columns = columns[:width]
    header = [h.strip() for h in flatten_header([[h.strip() for h in r] for r in plan.head])]
    if any(h and header.count(h) > 1 for h in header):
        return None
    blank = np.ones(len(numbers), dtype=bool)
    for column in columns:
        blank &= stripped_empty(column)
    grid = Grid(path, header, columns, numbers, "line", {})
    if blank.any():
        grid.skipped["blank"] = int(blank.sum())
        grid.columns = [c[~blank] for c in columns]
        grid.numbers = numbers[~blank]
    return grid


def stripped_empty(column: np.ndarray) -> np.ndarray:
    """Whether each text cell is empty once stripped (str.strip, as the exact reader's blank-row test), worked out
    once per distinct value."""
    codes, uniques = pd.factorize(column)
    return np.array([not u.strip() for u in uniques], dtype=bool)[codes] if len(uniques) else codes >= 0


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
