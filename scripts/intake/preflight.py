"""Pre-flight: read the exports as declared and say, in one human report, what the intake finds and would produce.

The report is for the user mapping a new centre's exports, who iterates on it instead of on failing runs. It quotes
raw values (headers, unknown labels, unparseable dates), so it lives on the raw side, under resources/, never
under results/. Nothing stops at the first problem: every source is read, every problem listed.

Per source: the file(s) and the header found, each declared column and whether its header is there, columns not
read, rows read, skipped and left out; per date and number column the parse rate with examples of what does not
parse; every label the codebook does not know, with counts; implausible values; and the canonical tables the
intake would produce (patients, operations, revisions, follow-up).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pandas as pd

from cleaning.codebook import Codebook, normalise_label
from raw_exports import RawExportError

from .build import read_source
from .model import DATE_COLUMNS, NUMBER_COLUMNS, ORIGIN, TABLES

# Canonical column -> the codebook field its labels are mapped through (as the cleaning stage maps them).
LABEL_FIELDS = {
    ("patients", "sex"): "sex",
    ("diagnoses", "primary_text"): "primary_group",
    ("diagnoses", "visceral_metastases"): "yes_no",
    ("diagnoses", "chemotherapy_before_surgery"): "yes_no",
    ("operations", "bone"): "bone",
    ("operations", "segment"): "segment",
    ("operations", "fracture"): "fracture",
    ("operations", "procedure"): "operation_method",
    ("operations", "is_revision"): "revision_flag",
    ("operations", "revision_reason"): "revision_cause",
    ("follow_up", "vital_status"): "vital_status",
}
EXAMPLES = 5


def quote(values) -> str:
    return ", ".join(f"`{v}`" for v in values) if len(values) else "none"


def parse_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.str.strip(), format="%d.%m.%Y", errors="coerce")


def number_rate(values: pd.Series, decimal: str) -> tuple[int, int, list[str]]:
    text = values.fillna("").str.strip()
    filled = text[text != ""]
    numbers = pd.to_numeric(filled.str.replace(decimal, ".", regex=False), errors="coerce")
    bad = filled[numbers.isna()]
    return int(numbers.notna().sum()), int(len(filled)), list(dict.fromkeys(bad))[:EXAMPLES]


def plausibility_section(frames: dict, settings: dict, book: Codebook, age_at: dict | None, problems: list) -> list:
    """What the plausibility rules of the intake would find, with what each would do (intake.plausibility)."""
    from .plausibility import RULES, everyone, find, share_of

    flag_of = book.maps["revision_flag"]
    out = ["## Plausibility rules", ""]
    try:
        findings, export_date = find(
            frames, settings, flag_of, age_at or {"table": "operations", "column": "operation_date"}
        )
    except ValueError as err:
        problems.append(f"plausibility: {err}")
        return out + [f"**Cannot be checked:** {err}", ""]
    patients = everyone(frames)
    out += [f"Judged against the export date {export_date}.", ""]
    for rule in RULES:
        mine = findings[findings["rule"] == rule]
        if mine.empty:
            continue
        spec = settings["rules"][rule]
        limit = spec.get("max_excluded_share", settings["max_excluded_share"])
        share = share_of(mine, patients)
        does = "stops the run" if spec["action"] == "error" or share > limit else "excludes the patients"
        item = f"`{rule}`: {len(mine)} findings, {share:.1%} of the patients; the run {does}"
        problems.append(item)
        out.append(
            f"- {item}: "
            + quote([f"line {r.source_line}, {r.column} = {r.value!r}" for r in mine.head(5).itertuples()])
        )
    if len(out) == 4:
        out.append("None found.")
    return out + [""]


def preflight(
    tables: dict,
    directory: str | Path,
    codebook_path: str | Path,
    today: dt.date | None = None,
    plausibility: dict | None = None,
    age_at: dict | None = None,
) -> str:
    today = today or dt.date.today()
    book = Codebook(codebook_path)
    lines = [
        "# Pre-flight report of the raw exports",
        "",
        f"Exports in `{directory}`, read as `raw_exports.tables` declares them. This report quotes raw values: keep",
        "it on the raw side (it is written under resources/ and never enters results/).",
        "",
    ]
    problems: list[str] = []
    sources = []
    for entry, spec in tables.items():
        if spec is None:
            lines += [f"## `{entry}`: declared absent (null)", ""]
            continue
        lines += [f"## `{entry}` -> canonical `{spec.get('into', entry)}`", ""]
        try:
            source = read_source(entry, spec, directory)
        except (RawExportError, ValueError) as err:
            problems.append(f"`{entry}`: {err}")
            lines += [f"**Cannot be read:** {err}", ""]
            continue
        sources.append((source, spec))
        for info in source.info["files"]:
            lines += [f"File `{info['file']}`: {info['rows_read']} data rows, {info['rows_kept']} kept.", ""]
            if info["rows_skipped"]:
                lines.append("Rows skipped: " + ", ".join(f"{n} {why}" for why, n in info["rows_skipped"].items()))
                lines.append("")
            if info["rows_without_required_values"]:
                lines += [f"Rows left out (no value in any of `require`): {info['rows_without_required_values']}", ""]
            lines += ["Header found: " + quote(info["header"]), ""]
            if info["unexpected_columns"]:
                lines += ["Columns not read (not declared): " + quote(info["unexpected_columns"]), ""]
            if info["headers_matched_loosely"]:
                lines += [
                    "Headers matched ignoring case and spacing (declared -> in the file): "
                    + ", ".join(f"`{d}` -> `{f}`" for d, f in info["headers_matched_loosely"].items()),
                    "",
                ]
        lines += ["| canonical column | declared as | filled | parse rate | examples that do not parse |"]
        lines += ["| --- | --- | --- | --- | --- |"]
        data = source.data
        for column, decl in spec["columns"].items():
            values = data[column].fillna("").astype(str)
            filled = int((values.str.strip() != "").sum())
            rate, examples = "", []
            if column in DATE_COLUMNS:
                parsed = parse_dates(values)
                ok = int(parsed.notna().sum())
                rate = f"{ok}/{filled} dates" if filled else ""
                examples = list(dict.fromkeys(values[parsed.isna() & (values.str.strip() != "")]))[:EXAMPLES]
                if filled and ok < filled:
                    problems.append(f"`{entry}.{column}`: {filled - ok} of {filled} dates do not parse")
            elif column in NUMBER_COLUMNS:
                ok, n, examples = number_rate(values, spec.get("decimal", "."))
                rate = f"{ok}/{n} numbers" if n else ""
                if ok < n:
                    problems.append(f"`{entry}.{column}`: {n - ok} of {n} values are not numbers")
            shown = decl if isinstance(decl, str) else ", ".join(f"{k}: {v}" for k, v in decl.items())
            lines.append(f"| {column} | `{shown}` | {filled}/{len(values)} | {rate} | {quote(examples)} |")
        lines.append("")

    canonical = {name: [] for name in TABLES}
    for source, _ in sources:
        canonical[source.into].append(source.data)
    frames = {
        name: pd.concat(parts, ignore_index=True).reindex(columns=[*TABLES[name], *ORIGIN], fill_value="")
        if parts
        else pd.DataFrame(columns=[*TABLES[name], *ORIGIN], dtype=object)
        for name, parts in canonical.items()
    }
    frames = {name: frame.fillna("").astype(str) for name, frame in frames.items()}

    lines += ["## Labels the codebook does not know", ""]
    unknown_any = False
    for (table, column), field in LABEL_FIELDS.items():
        values = frames[table][column]
        if table == "operations" and column == "revision_reason":
            flags = frames["operations"]["is_revision"].map(normalise_label).map(book.maps["revision_flag"])
            revision = flags == "yes"
            values = values[revision]
        if table == "diagnoses" and column == "primary_text":
            by_code = frames["diagnoses"]["primary_icd10"].map(book.group_of_icd)
            values = values[~((values.str.strip() == "") & by_code.notna())]
        known = book.primary_labels if field == "primary_group" else book.maps[field]
        unknown = Counter(v for v in values if normalise_label(v) not in known)
        if unknown:
            unknown_any = True
            problems.append(f"`{table}.{column}`: {len(unknown)} labels not in the codebook under `{field}`")
            lines.append(f"`{table}.{column}` (codebook `{field}`):")
            lines += [f"- `{label}` x {n}" for label, n in unknown.most_common()]
            lines.append("")
    if not unknown_any:
        lines += ["None: every label maps to a category.", ""]

    lines += ["## Implausible values", ""]
    implausible = []
    for name, frame in frames.items():
        for column in TABLES[name]:
            if column not in DATE_COLUMNS:
                continue
            dates = parse_dates(frame[column])
            future = frame[column][dates.dt.date > today] if dates.notna().any() else []
            old = frame[column][dates.dt.year < 1900] if dates.notna().any() else []
            if len(future):
                implausible.append(f"`{name}.{column}`: {len(future)} dates in the future: {quote(list(future)[:5])}")
            if len(old):
                implausible.append(f"`{name}.{column}`: {len(old)} dates before 1900: {quote(list(old)[:5])}")
    born = parse_dates(frames["patients"]["birth_date"]).groupby(frames["patients"]["record_number"]).min()
    first_op = parse_dates(frames["operations"]["operation_date"]).groupby(frames["operations"]["record_number"]).min()
    ages = ((first_op - born.reindex(first_op.index)).dt.days / 365.25).dropna()
    odd = ages[(ages < 0) | (ages > 105)]
    if len(odd):
        implausible.append(
            f"age at the first operation below 0 or above 105 for {len(odd)} patients "
            "(a 2-digit year read in the wrong century? see century_pivot): "
            + quote(list(odd.round(0).astype(int))[:5])
        )
    for column, low, high in (("ecog", 0, 4), ("bone_metastases_count", 0, 200)):
        numbers = pd.to_numeric(frames["diagnoses"][column].str.strip(), errors="coerce")
        out = frames["diagnoses"][column][(numbers < low) | (numbers > high)]
        if len(out):
            implausible.append(f"`diagnoses.{column}` outside {low}-{high}: {quote(list(dict.fromkeys(out))[:5])}")
    lines += [f"- {item}" for item in implausible] or ["None found."]
    lines.append("")
    problems += implausible
    if plausibility is not None:
        lines += plausibility_section(frames, plausibility, book, age_at, problems)

    ops = frames["operations"]
    flags = ops["is_revision"].map(normalise_label).map(book.maps["revision_flag"])
    record = {name: frame["record_number"].str.strip() for name, frame in frames.items()}
    lines += [
        "## What the intake would produce",
        "",
        "| canonical table | rows | patients |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {len(frame)} | {record[name][record[name] != ''].nunique()} |"
            for name, frame in frames.items()
        ),
        "",
        f"Operations: {int((flags != 'yes').sum())} not revisions, {int((flags == 'yes').sum())} revisions "
        f"(of {record['operations'][flags == 'yes'].nunique()} patients).",
        "",
        "## Summary",
        "",
        *([f"- {p}" for p in problems] or ["Nothing to fix: the exports read as declared."]),
        "",
    ]
    return "\n".join(lines)
