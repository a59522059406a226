"""Read the hospital's raw exports exactly as the config declares them, or fail naming file, line and column.

A raw table is read as text only (no type guessing): the declared encoding is applied strictly, the declared
separator splits fields, the header must contain every declared column, and every row must have as many fields as
the header. Dates are parsed separately with the declared format, so that an unparseable date is a value-level
finding the cleaning stage records, not a crash.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


class RawExportError(ValueError):
    """A raw export that does not parse as declared. Names the file, the line (1-based; a spreadsheet's row) and the
    column."""

    def __init__(
        self, path: str | Path, message: str, line: int | None = None, column: str | None = None, unit: str = "line"
    ):
        self.path, self.line, self.column = str(path), line, column
        where = self.path
        if line is not None:
            where += f", {unit} {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


@dataclass
class RawTable:
    """A raw table with canonical column names, all values as stripped-of-nothing strings."""

    data: pd.DataFrame
    path: Path
    unexpected_columns: list[str] = field(default_factory=list)
    # Line in the file of each row of `data` (the header is line 1), for messages that point back at the file.
    lines: list[int] = field(default_factory=list)


def decode(path: Path, raw: bytes, encoding: str, separator: str) -> str:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        line = raw.count(b"\n", 0, err.start) + 1
        field_number = raw[line_start : err.start].count(separator.encode("ascii", "replace")) + 1
        raise RawExportError(
            path,
            f"bytes {raw[err.start : err.end]!r} are not valid {encoding} "
            f"(field {field_number} of the line); is the declared encoding right?",
            line=line,
        ) from None
    return text.removeprefix("\ufeff")  # a byte-order mark is not part of the first header


def read_raw_table(path: str | Path, spec: dict) -> RawTable:
    """Read one raw export. `spec` is the table's entry in config `raw_exports.tables`:
    encoding, separator and `columns` (canonical name -> header as exported)."""
    path = Path(path)
    if not path.exists():
        raise RawExportError(path, "file not found; check raw_exports.directory and the table's file in the config")
    raw = path.read_bytes()
    if not raw.strip():
        raise RawExportError(path, "file is empty: expected a header line and data rows", line=1)
    text = decode(path, raw, spec["encoding"], spec["separator"])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=spec["separator"], strict=True)
    try:
        header = next(reader)
    except csv.Error as err:
        raise RawExportError(path, f"header does not parse: {err}", line=1) from None
    header = [h.strip() for h in header]
    declared = spec["columns"]
    position = {h: i for i, h in enumerate(header)}
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise RawExportError(path, f"header repeats columns {duplicated}", line=1)
    missing = [raw_name for raw_name in declared.values() if raw_name not in position]
    if missing:
        hint = ""
        if len(header) == 1 and spec["separator"] not in text.splitlines()[0]:
            hint = f" (the header has no {spec['separator']!r}: is the declared separator right?)"
        raise RawExportError(
            path,
            f"declared columns missing from the header: {missing}; header is {header}{hint}",
            line=1,
            column=missing[0],
        )
    rows, lines = [], []
    width = len(header)
    try:
        for record in reader:
            if not record or (len(record) == 1 and record[0] == ""):
                continue  # blank line
            if len(record) != width:
                raise RawExportError(
                    path,
                    f"{len(record)} fields where the header has {width}"
                    + (" (truncated file?)" if len(record) < width else ""),
                    line=reader.line_num,
                    column=header[min(len(record), width) - 1],
                )
            rows.append(record)
            lines.append(reader.line_num)
    except csv.Error as err:
        raise RawExportError(path, f"does not parse as CSV: {err}", line=reader.line_num) from None
    indices = [position[raw_name] for raw_name in declared.values()]
    data = pd.DataFrame([[r[i] for i in indices] for r in rows], columns=list(declared), dtype=object)
    if not rows:
        data = pd.DataFrame({name: pd.Series(dtype=object) for name in declared})
    unexpected = [h for h in header if h not in set(declared.values())]
    return RawTable(data=data, path=path, unexpected_columns=unexpected, lines=lines)


def parse_dates(values: pd.Series, date_format: str) -> tuple[pd.Series, pd.Series]:
    """Parse date strings with the declared format. Returns (dates, invalid): empty strings are missing (NaT, not
    invalid); anything else that does not parse is NaT and flagged invalid."""
    stripped = values.fillna("").astype(str).str.strip()
    dates = pd.to_datetime(stripped, format=date_format, errors="coerce")
    invalid = dates.isna() & (stripped != "")
    return dates, invalid


def parse_decimal(values: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    """Parse numbers written with the declared decimal mark. Returns (numbers, invalid) like parse_dates."""
    stripped = values.fillna("").astype(str).str.strip()
    numbers = pd.to_numeric(stripped.str.replace(decimal, ".", regex=False), errors="coerce")
    invalid = numbers.isna() & (stripped != "")
    return numbers, invalid
