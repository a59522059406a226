"""Checks of the config that JSON schema cannot make, run before anything runs (workflow/rules/common.smk): names
the codebook must define, encodings Python must know, date formats that must read the first dates of each export.
Each returns the sentences of what is wrong (an empty list when all is well); the workflow stops on the first."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from pathlib import Path

# Config keys (dotted) whose values are categories of a codebook section: key -> (section, how to read the values).
CODEBOOK_ENUMERATIONS = {
    "analysis.primary_groups_shown": "primary_group",
    "analysis.revision_causes": "revision_cause",
    "analysis.sensitivity.excluded_causes": "revision_cause",
}

# How many data rows of each export the date-format check reads, and the bytes it reads at most.
SAMPLE_ROWS = 20
SAMPLE_BYTES = 256 * 1024


def _get(config: dict, dotted: str):
    value = config
    for part in dotted.split("."):
        value = value[part]
    return value


def codebook_enumerations(config: dict, codebook: dict, codebook_path: str) -> list[str]:
    """Every name of CODEBOOK_ENUMERATIONS that the codebook does not define, one sentence each, naming the key and
    the valid values (a typo such as "kidny" would otherwise pool kidney into "other")."""
    problems = []
    for key, section in CODEBOOK_ENUMERATIONS.items():
        valid = list(codebook.get(section, {}))
        unknown = [name for name in _get(config, key) if name not in valid]
        if unknown:
            problems.append(
                f"{key} names {', '.join(repr(u) for u in unknown)}, which the codebook ({codebook_path}, section "
                f"{section}) does not define; valid values: {', '.join(valid)}"
            )
    return problems


def encodings(tables: dict) -> list[str]:
    """Every source whose encoding Python does not know, one sentence each."""
    problems = []
    for name, spec in tables.items():
        if spec is None or "encoding" not in spec:
            continue
        try:
            codecs.lookup(spec["encoding"])
        except LookupError:
            problems.append(
                f"raw_exports.tables.{name}.encoding is {spec['encoding']!r}, which Python does not know as a text "
                "encoding (examples: utf-8, utf-8-sig, cp1251, cp866, koi8-r, latin-1)"
            )
    return problems


OPTIONAL_TABLES = ("notes", "laboratory")


def export_files(tables: dict, directory: str) -> list[str]:
    """Every declared source of real exports whose file (or glob) finds nothing in the directory, one sentence
    each. Without it Snakemake stops with its own "Missing input files" and no word of the config key: the usual
    case is an override that does not mention an optional table, which keeps the default's declaration."""
    folder = Path(directory)
    where = f"{directory}" if folder.is_dir() else f"{directory} (no such folder: check raw_exports.directory)"
    problems = []
    for name, spec in tables.items():
        if spec is None:
            continue
        file = spec["file"]
        found = sorted(folder.glob(file)) if any(ch in file for ch in "*?[") else [folder / file]
        if any(path.is_file() for path in found):
            continue
        hint = ""
        if spec.get("into", name) in OPTIONAL_TABLES:
            hint = (
                f"; declare `{name}: null` if the centre has none (an override file that does not mention "
                "a table keeps the default config's declaration of it)"
            )
        problems.append(f"raw_exports.tables.{name}.file {file!r} matches no file in {where}{hint}")
    return problems


def _parses(text: str, formats: list[str]) -> bool:
    for fmt in formats:
        try:
            dt.datetime.strptime(text.strip(), fmt)
            return True
        except ValueError:
            continue
    return False


def _sample_rows(path: Path, spec: dict) -> tuple[list[str], list[list[str]]]:
    """The header and the first SAMPLE_ROWS data rows of a CSV export (one header row only), read leniently."""
    with open(path, "rb") as f:
        raw = f.read(SAMPLE_BYTES)
    text = raw.decode(spec.get("encoding", "utf-8"), errors="replace").lstrip("\ufeff")
    quote = spec.get("quote", '"')
    reader = csv.reader(
        io.StringIO(text, newline=""),
        delimiter=spec.get("separator", ";"),
        quotechar=quote or None,
        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE,
    )
    rows = []
    try:
        for record in reader:
            rows.append(record)
            if len(rows) >= int(spec.get("header_row", 1)) + SAMPLE_ROWS:
                break
    except csv.Error:
        pass
    rows = rows[int(spec.get("header_row", 1)) - 1 :]
    if not rows:
        return [], []
    body = rows[1:-1] if len(raw) == SAMPLE_BYTES else rows[1:]  # the last row may be cut off
    return [h.strip() for h in rows[0]], body


def date_formats(tables: dict, directory: str, date_columns: set[str]) -> list[str]:
    """For each CSV source with one header row whose file exists: each declared date column (a plain header) whose
    first non-empty values (up to SAMPLE_ROWS rows) match none of the declared formats, one sentence naming the
    file, the column, the format and an example. A few dates that do not parse are findings of the run (the
    exclusion unparseable_date), not a wrong format: only a column where none parses stops the run. Workbooks,
    globs, several header rows and composed columns are left to the intake."""
    problems = []
    for name, spec in tables.items():
        if spec is None or spec.get("format", "csv") != "csv" or int(spec.get("header_rows", 1)) != 1:
            continue
        path = Path(directory) / spec["file"]
        if any(ch in spec["file"] for ch in "*?[") or not path.is_file():
            continue
        try:
            codecs.lookup(spec.get("encoding", "utf-8"))
            header, rows = _sample_rows(path, spec)
        except (LookupError, OSError):
            continue
        for column, decl in spec.get("columns", {}).items():
            if column not in date_columns:
                continue
            decl = {"header": decl} if isinstance(decl, str) else dict(decl)
            plain = {"header", "date_format", "century_pivot", "missing_values"}
            if set(decl) - plain or decl.get("header") not in header:
                continue
            markers = {str(v).strip() for v in decl.get("missing_values", spec.get("missing_values", []))}
            declared = decl.get("date_format", spec.get("date_format", "%d.%m.%Y"))
            formats = [declared] if isinstance(declared, str) else list(declared)
            at = header.index(decl["header"])
            values = [r[at].strip() for r in rows if len(r) > at and r[at].strip() and r[at].strip() not in markers]
            if values and not any(_parses(v, formats) for v in values):
                problems.append(
                    f"raw_exports.tables.{name}.date_format {' or '.join(formats)!s} reads none of the first "
                    f"{len(values)} dates of column {decl['header']!r} in {path} (for example {values[0]!r}); "
                    "check date_format"
                )
    return problems
