"""Map a centre's exports, as `raw_exports.tables` declares them, into the canonical raw model (intake.model).

One mechanism for every shape: each entry of `raw_exports.tables` is a *source* that reads one file (or several,
by glob) and fills some columns of one canonical table (`into`, by default the entry's own name). A hospital
system's five tables are five sources; a separate revisions table is one more source `into: operations`; a registry
(one row per patient) is several sources reading the same file, each picking its columns.

A column is declared as a header, or as a mapping:

- ``header``: the header in the export; ``headers``: several, joined with ``join`` (default one space);
- ``split`` + ``part``: one part of the value split at ``split`` (0-based; bone and segment from "Бедро, прокс.");
- ``codes``: a local code list, code -> the label the codebook knows;
- ``value``: a constant fact the export implies (every row of a registry has bone metastases);
- ``date_format`` (one format or a list, tried in order) and ``century_pivot`` override the table's;
- ``missing_values``: the cells that mean "not recorded" (``-``, ``N/A``), read as empty; overrides the table's.
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from raw_exports import RawExportError

from .model import CANONICAL_DATE_FORMAT, DATE_COLUMNS, ORIGIN, TABLES
from .read import SPREADSHEETS, Grid, excel_serial, read_grid


@dataclass
class Source:
    """One source as read: canonical columns (text), where each row is, and what reading it found."""

    entry: str
    into: str
    data: pd.DataFrame  # canonical columns of `into` it declares, plus source_file and source_line
    info: dict = field(default_factory=dict)


def column_declaration(decl) -> dict:
    return {"header": decl} if isinstance(decl, str) else dict(decl)


def headers_of(decl: dict) -> list[str]:
    if "headers" in decl:
        return list(decl["headers"])
    return [decl["header"]] if "header" in decl else []


def source_files(directory: str | Path, spec: dict) -> list[Path]:
    pattern = str(Path(directory) / spec["file"])
    if glob.has_magic(spec["file"]):
        found = sorted(Path(p) for p in glob.glob(pattern))
        if not found:
            raise RawExportError(pattern, "no file matches this pattern; check raw_exports.directory and the file")
        return found
    return [Path(pattern)]


def formats_of(spec: dict, decl: dict) -> list[str]:
    declared = decl.get("date_format", spec.get("date_format", CANONICAL_DATE_FORMAT))
    return [declared] if isinstance(declared, str) else list(declared)


def missing_values(spec: dict, decl: dict) -> set[str]:
    """The cells that mean "not recorded" (``-``, ``N/A``): the column's ``missing_values``, else the source's."""
    return {str(v).strip() for v in decl.get("missing_values", spec.get("missing_values", []))}


def blank_missing(column: np.ndarray, markers: set[str]) -> np.ndarray:
    """The column with the cells that are a missing-value marker (as written, spaces aside) made empty (None),
    before codes, splits or dates see them; each distinct value is looked at once."""
    if not markers or not len(column):
        return column
    codes, uniques = pd.factorize(column)
    marker = np.array([isinstance(u, str) and u.strip() in markers for u in uniques] + [False], dtype=bool)
    hit = marker[codes]  # (code -1, a missing cell, picks the trailing False)
    if not hit.any():
        return column
    out = column.copy()
    out[hit] = None
    return out


def per_value(column: np.ndarray, func, text: bool) -> np.ndarray:
    """`func` of every cell, as an object array. In a text column (a CSV's: str, or None for a missing cell) once per
    distinct value; in a spreadsheet's cell by cell (1, 1.0 and True are equal as keys but not as cells)."""
    out = np.empty(len(column), dtype=object)
    if not text:
        out[:] = [func(v) for v in column]
        return out
    codes, uniques = pd.factorize(column)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(u) for u in uniques]
    if (codes < 0).any():
        mapped[-1] = func(None)
    return mapped[codes]  # (code -1, a missing cell, picks func(None))


def texts(column: np.ndarray, decimal: str, text: bool) -> np.ndarray:
    """`text_of` of every cell. A text column needs only its missing cells made "" (text stays as written)."""
    if not text:
        return per_value(column, lambda v: text_of(v, decimal), text=False)
    missing = pd.isna(column)
    if not missing.any():
        return column
    out = column.copy()
    out[missing] = ""
    return out


def text_of(value: object, decimal: str) -> str:
    """A cell as text: strings as written; spreadsheet numbers without a spurious .0, with the declared decimal
    mark; dates in the canonical format."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value).replace(".", decimal)
    if isinstance(value, dt.datetime | dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).strftime(CANONICAL_DATE_FORMAT)
    return str(value)


def shift_century(stamp: pd.Timestamp, pivot: int) -> pd.Timestamp:
    """A date read from a 2-digit year: years up to `pivot` are 20yy, later ones 19yy."""
    yy = stamp.year % 100
    year = (2000 if yy <= pivot else 1900) + yy
    try:
        return stamp.replace(year=year)
    except ValueError:  # 29 February in a year that is not a leap year in the other century
        return stamp.replace(year=year, day=28)


# The year marker Russian records write after a date ("01.02.2019 г.", "01.02.2019г", "1 февраля 2019 года"): not
# part of any date format, so it is dropped before the formats are tried.
YEAR_MARKER = r"\s*(?:г\.?|года?)\s*$"
TIME_OF_DAY = r"(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*$"


def canonical_dates(cells, formats: list[str], pivot: int | None, spreadsheet: bool, weights=None):
    """Cells of one date column -> canonical date text, and counts of what was done. A datetime becomes the
    calendar date it falls on (by rule: the date part, never a shortened string); an Excel serial the day it
    numbers; text is parsed with the declared formats, in order. Text that already reads as the same date in the
    canonical format is kept as written; text that parses with no declared format is kept as written (a finding
    for the cleaning stage), prefixed with "?" if it would otherwise read as a canonical date it is not.
    `weights`, if given, is how many cells each of `cells` stands for (distinct values of a column), in the counts."""
    weight = np.ones(len(cells), dtype=np.int64) if weights is None else np.asarray(weights, dtype=np.int64)
    out: list[str] = [""] * len(cells)
    counts: Counter = Counter()
    text_at: list[int] = []
    for i, v in enumerate(cells):
        if v is None:
            continue
        if isinstance(v, dt.datetime | dt.date):
            out[i] = text_of(v, ".")
            counts["spreadsheet_dates"] += int(weight[i])
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out[i] = excel_serial(v).strftime(CANONICAL_DATE_FORMAT)
            counts["excel_serials"] += int(weight[i])
        elif spreadsheet and re.fullmatch(r"\s*\d{5}(?:[.,]\d+)?\s*", str(v)):
            out[i] = excel_serial(float(str(v).replace(",", "."))).strftime(CANONICAL_DATE_FORMAT)
            counts["excel_serials"] += int(weight[i])
        else:
            out[i] = str(v)
            text_at.append(i)
    if not text_at:
        return out, counts
    raw = pd.Series([out[i] for i in text_at], dtype=object)
    w = pd.Series(weight[text_at], index=raw.index)
    written = raw.str.strip()
    stripped = written.str.replace(YEAR_MARKER, "", regex=True)
    canon = pd.to_datetime(stripped, format=CANONICAL_DATE_FORMAT, errors="coerce")
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & (stripped != "")
        if not todo.any():
            break
        found = pd.to_datetime(stripped[todo], format=fmt, errors="coerce")
        if pivot is not None and "%y" in fmt:
            found = found.map(lambda s: shift_century(s, pivot) if pd.notna(s) else s)
        parsed[todo] = found
    # A time of day after a date whose declared format has none ("05.03.2019 14:30" from a system that writes
    # datetimes): the date is the day it falls on, by rule, as for datetimes read with a format that has a time.
    timed = parsed.isna() & stripped.str.contains(TIME_OF_DAY, regex=True)
    if timed.any():
        dates_only = stripped[timed].str.replace(TIME_OF_DAY, "", regex=True)
        for fmt in (f for f in formats if "%H" not in f and "%I" not in f):
            todo = parsed[timed].isna()
            if not todo.any():
                break
            found = pd.to_datetime(dates_only[todo], format=fmt, errors="coerce")
            if pivot is not None and "%y" in fmt:
                found = found.map(lambda s: shift_century(s, pivot) if pd.notna(s) else s)
            parsed[found.index] = found
        counts["with_time_of_day"] += int(w[timed & parsed.notna()].sum())
    day = parsed.dt.normalize()
    verbatim = canon.notna() & (canon == day) & (stripped == written)
    rewritten = day.notna() & ~verbatim
    unparseable = day.isna() & (stripped != "")
    misread = unparseable & canon.notna()
    counts["parsed"] += int(w[day.notna()].sum())
    counts["rewritten"] += int(w[rewritten].sum())
    counts["with_time_of_day"] += int(w[parsed.notna() & (parsed != day)].sum())
    counts["unparseable"] += int(w[unparseable].sum())
    rendered = day.dt.strftime(CANONICAL_DATE_FORMAT)
    for k, i in enumerate(text_at):
        if rewritten.iat[k]:
            out[i] = rendered.iat[k]
        elif misread.iat[k]:
            out[i] = "?" + raw.iat[k]
    return out, counts


def canonical_date_column(cells: np.ndarray, formats: list[str], pivot: int | None, spreadsheet: bool, text: bool):
    """`canonical_dates` of a column; in a text column (a CSV's) worked out once per distinct value, counted as
    often as each occurs."""
    if not text:
        out, counts = canonical_dates(list(cells), formats, pivot, spreadsheet)
        column = np.empty(len(out), dtype=object)
        column[:] = out
        return column, counts
    codes, uniques = pd.factorize(cells)
    weights = np.bincount(codes[codes >= 0], minlength=len(uniques))
    found, counts = canonical_dates(list(uniques), formats, pivot, spreadsheet, weights)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:] = [*found, ""]
    return mapped[codes], counts


def check_declaration(entry: str, spec: dict) -> str:
    into = spec.get("into", entry)
    if into not in TABLES:
        raise ValueError(
            f"raw_exports.tables.{entry}: {into!r} is not a canonical table; declare `into:` one of {list(TABLES)}"
        )
    unknown = set(spec["columns"]) - set(TABLES[into])
    if unknown:
        raise ValueError(
            f"raw_exports.tables.{entry}.columns: {sorted(unknown)} are not columns of the canonical {into} table "
            f"({TABLES[into]})"
        )
    if "record_number" not in spec["columns"]:
        raise ValueError(f"raw_exports.tables.{entry}.columns must declare record_number")
    return into


def read_source(entry: str, spec: dict, directory: str | Path) -> Source:
    into = check_declaration(entry, spec)
    declarations = {c: column_declaration(d) for c, d in spec["columns"].items()}
    decimal = spec.get("decimal", ".")
    # A five-digit number in a date column is an Excel serial day in a workbook, and in a CSV saved from one when
    # the table says so (`excel_serials: true`); otherwise it is kept as written, a finding for cleaning.
    spreadsheet = spec.get("excel_serials", spec.get("format", "csv") in SPREADSHEETS)
    frames, infos = [], []
    for path in source_files(directory, spec):
        grid = read_grid(path, spec)
        frame, info = extract(grid, entry, spec, declarations, decimal, spreadsheet)
        frames.append(frame)
        infos.append(info)
    data = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    unexpected = list(dict.fromkeys(c for info in infos for c in info["unexpected_columns"]))
    return Source(entry, into, data, {"entry": entry, "into": into, "files": infos, "unexpected_columns": unexpected})


def header_key(header: str) -> str:
    """The form headers are matched in when the declared one is not found as written: Unicode-normalised (NFKC, so a
    non-breaking space is a space), case-folded, ё as е, spaces collapsed ("Дата  операции " is "дата операции")."""
    return " ".join(unicodedata.normalize("NFKC", header).casefold().replace("ё", "е").split())


def header_positions(header: list[str], declared: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Where each declared header is: as written, else the one header that matches it in `header_key` form. Returns
    the positions and the loose matches (declared -> found), which the intake summary lists for the preflight."""
    exact = {h: i for i, h in enumerate(header)}
    by_key: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        by_key.setdefault(header_key(h), []).append(i)
    position, loose = dict(exact), {}
    for wanted in declared:
        if wanted in exact:
            continue
        candidates = by_key.get(header_key(wanted), [])
        if len(candidates) == 1:  # two headers that match alike are ambiguous: the declaration must name one exactly
            position[wanted] = candidates[0]
            loose[wanted] = header[candidates[0]]
    return position, loose


def extract(grid: Grid, entry: str, spec: dict, declarations: dict, decimal: str, spreadsheet: bool):
    used = [h for d in declarations.values() for h in headers_of(d)]
    position, loose = header_positions(grid.header, list(dict.fromkeys(used)))
    missing = [h for h in dict.fromkeys(used) if h not in position]
    header_line = int(spec.get("header_row", 1))
    if missing:
        hint = ""
        separator = spec.get("separator", ";")
        if not spreadsheet and len(grid.header) == 1 and separator not in grid.header[0]:
            hint = f" (the header has no {separator!r}: is the declared separator right?)"
        raise RawExportError(
            grid.path,
            f"declared columns missing from the header: {missing}; header is {grid.header}{hint}",
            line=header_line,
            column=missing[0],
            unit=grid.unit,
        )
    text = grid.unit == "line"  # a CSV's cells are text (or None); a spreadsheet's keep their types
    n = len(grid)
    columns: dict[str, np.ndarray] = {}
    dates: dict[str, dict] = {}
    for name, decl in declarations.items():
        if "value" in decl:
            columns[name] = np.full(n, str(decl["value"]), dtype=object)
            continue
        idx = [position[h] for h in headers_of(decl)]
        transformed = "split" in decl or "codes" in decl or len(idx) > 1
        markers = missing_values(spec, decl)
        parts = [blank_missing(grid.columns[i], markers) for i in idx]
        if name in DATE_COLUMNS and not transformed:
            cells = parts[0]
        else:
            if len(idx) == 1:
                cells = texts(parts[0], decimal, text)
            else:
                joiner = decl.get("join", " ")
                cells = np.empty(n, dtype=object)
                cells[:] = [
                    joiner.join(t for t in (text_of(v, decimal) for v in values) if t)
                    for values in zip(*parts, strict=True)
                ]
            if "split" in decl:
                part, at = int(decl.get("part", 0)), decl["split"]
                cells = per_value(cells, lambda v, at=at, part=part: split_part(v, at, part), text=True)
            if "codes" in decl:
                codes = {str(k): str(v) for k, v in decl["codes"].items()}
                cells = per_value(cells, lambda v, codes=codes: codes.get(v.strip(), v), text=True)
        if name in DATE_COLUMNS:
            pivot = decl.get("century_pivot", spec.get("century_pivot"))
            cells, counts = canonical_date_column(cells, formats_of(spec, decl), pivot, spreadsheet, text)
            dates[name] = dict(sorted(counts.items()))
        else:
            cells = texts(cells, decimal, text=True)
        columns[name] = cells
    frame = pd.DataFrame(columns, dtype=object)
    frame["source_file"] = str(grid.path)
    frame["source_line"] = np.asarray(grid.numbers, dtype=np.int64)
    if len(frame) == 0:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in [*declarations, *ORIGIN]})
    for name in spec.get("fill_down", []):
        filled = frame[name].replace("", None).ffill().fillna("")
        frame[name] = filled.astype(object)
    required = spec.get("require", [])
    dropped = 0
    if required:
        keep = pd.Series(False, index=frame.index)
        for name in required:
            keep |= frame[name].str.strip() != ""
        dropped = int((~keep).sum())
        frame = frame[keep].reset_index(drop=True)
    info = {
        "file": str(grid.path),
        "header": grid.header,
        "rows_read": n,
        "rows_skipped": dict(sorted(grid.skipped.items())),
        "rows_without_required_values": dropped,
        "rows_kept": int(len(frame)),
        "unexpected_columns": [h for h in grid.header if h and h not in set(used) | set(loose.values())],
        "headers_matched_loosely": loose,
        "dates": dates,
    }
    return frame, info


def split_part(value: str, separator: str, part: int) -> str:
    """Part `part` (0-based; -1 the last) of `value` split at `separator`, stripped; "" when there is no such part."""
    parts = [p.strip() for p in value.split(separator)]
    return parts[part] if -len(parts) <= part < len(parts) else ""


@dataclass
class Intake:
    tables: dict[str, pd.DataFrame]  # canonical table -> every canonical column + source_file, source_line
    summary: dict


def intake(tables: dict[str, dict | None], directory: str | Path) -> Intake:
    """Read every declared source and assemble the canonical tables (absent tables are empty)."""
    sources = [read_source(entry, spec, directory) for entry, spec in tables.items() if spec is not None]
    out, summary = {}, {}
    for name, columns in TABLES.items():
        parts = [s for s in sources if s.into == name]
        frames = [s.data.reindex(columns=[*columns, *ORIGIN], fill_value="") for s in parts]
        data = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame({c: pd.Series(dtype=object) for c in [*columns, *ORIGIN]})
        )
        out[name] = data
        summary[name] = {
            "rows": int(len(data)),
            "patients": int(data["record_number"].str.strip().replace("", None).dropna().nunique()),
            "sources": [s.info for s in parts],
            "unexpected_columns": list(dict.fromkeys(c for s in parts for c in s.info["unexpected_columns"])),
        }
    return Intake(out, summary)


def write_canonical(table: pd.DataFrame, path: str | Path) -> None:
    """A canonical table as UTF-8, tab-separated, quoted where needed (free text keeps its newlines)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(table.itertuples(index=False, name=None))


def read_canonical(path: str | Path) -> pd.DataFrame:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    header, body = rows[0], rows[1:]
    return pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header, dtype=object)
