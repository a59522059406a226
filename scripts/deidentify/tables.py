"""De-identify the raw tables: only allow-listed columns pass, each transformed according to its role.

Roles (config deidentification.columns, table -> column -> role):

- ``patient_id``: the record number; becomes ``patient_id``, a keyed HMAC pseudonym.
- ``staff_id``: a staff member's name; becomes a staff pseudonym in the same column.
- ``date``: becomes ``<base>_day`` (days from the patient's anchor, the first date of the anchor column),
  ``<base>_year`` (the calendar year, which HIPAA Safe Harbor allows) and ``<base>_date_unparseable`` (1 where the
  export had a value that is not a date in the declared format); the date itself never passes.
- ``free_text``: scrubbed by deidentify.scrub (own identifiers, patterns, NER); dates in it become days from the
  same anchor, so text and tables agree.
- ``keep``: coded values. A column that deidentification.coding lists crosses only as its code (a codebook
  category, ``unmapped`` in review mode, a normalised ICD-10 code, or a parsed number: see deidentify.coding); any
  other passes after the same pattern scrub as a safety net (replacements are counted).
- ``free_text`` columns that deidentification.coding lists cross as their code too; their scrubbed text crosses
  (as ``<column>_text``) only when deidentification.free_text_passes names the column.
- ``birth_date``: never passes; gives ``age_at_<base>`` for the configured date column, top-coded.
- ``name``, ``identifier``: never pass; used to find the patient's own identifiers in text and by the leak gate.
- ``drop``, and every column not listed: never pass.

No row carries its line in the export: rows are sorted by pseudonym (then the table's first relative date, then the
export's order) and numbered ``entry`` 1..n within each patient. The raw-side locator (table, patient_id, entry ->
source_file, source_line) lets later errors point at the user's file without that file's lines crossing.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from common.progress import progress
from common.study import DATA_ROLES, PASSING_ROLES, ROLES
from raw_exports import RawTable, parse_dates

from . import keys
from .coding import ICD10, NUMBER_KINDS, Coder, check_coding, icd_codes, numbers
from .scrub import PatientIdentity, Scrubber
from .shards import drop_unchanged

log = logging.getLogger("deidentify")


@dataclass
class Deidentified:
    tables: dict[str, pd.DataFrame]
    audit: dict
    identifiers: list[str] = field(default_factory=list)  # raw-side: for the leak gate, never written to results
    # Raw side: (table, patient_id, entry) -> source_file, source_line; never written to results.
    locator: pd.DataFrame = field(default_factory=pd.DataFrame)
    # Raw side: table -> the header names of the unexpected columns dropped.
    unexpected_headers: dict[str, list[str]] = field(default_factory=dict)
    # Raw side: the staff names met, normalised (their number is audit["staff"]; deidentify.shards counts the union).
    staff: set[str] = field(default_factory=set)


def date_base(column: str) -> str:
    return column[: -len("_date")] if column.endswith("_date") else column


def completed_years(birth: pd.Series, on: pd.Series) -> pd.Series:
    before = (on.dt.month < birth.dt.month) | ((on.dt.month == birth.dt.month) & (on.dt.day < birth.dt.day))
    return on.dt.year - birth.dt.year - before.astype(int)


def check_roles(columns: dict[str, dict[str, str]], specs: dict[str, dict]) -> None:
    for table, roles in columns.items():
        if table not in specs:
            raise ValueError(f"deidentification.columns.{table}: no such table in raw_exports.tables")
        unknown = {c: r for c, r in roles.items() if r not in ROLES}
        if unknown:
            raise ValueError(f"deidentification.columns.{table}: unknown roles {unknown}; known: {sorted(ROLES)}")
        undeclared = set(roles) - set(specs[table]["columns"])
        if undeclared:
            raise ValueError(
                f"deidentification.columns.{table} lists {sorted(undeclared)}, which raw_exports.tables."
                f"{table}.columns does not declare"
            )
        if list(roles.values()).count("patient_id") != 1:
            raise ValueError(f"deidentification.columns.{table} needs exactly one patient_id column")


def columns_with_role(columns: dict, table: str, role: str) -> list[str]:
    """The columns of `table` that the allow-list gives `role`, in the config's order."""
    return [c for c, r in columns.get(table, {}).items() if r == role]


def raw_side_frames(
    raw: dict[str, RawTable], columns: dict, files: dict[str, list[str]] | None = None
) -> dict[str, pd.DataFrame]:
    """Copies of the raw tables with the patient's normalised record number (`__record`, for joins on the raw side
    only) and each row's file and line in the export (`__file`, `__line`: raw side only, for the locator)."""
    data = {}
    for table, rt in raw.items():
        df = rt.data.copy()
        df["__record"] = df[columns_with_role(columns, table, "patient_id")[0]].map(keys.normalise)
        df["__line"] = list(rt.lines) if len(rt.lines) == len(df) else range(2, len(df) + 2)
        row_files = (files or {}).get(table)
        df["__file"] = list(row_files) if row_files is not None and len(row_files) == len(df) else str(rt.path)
        data[table] = df
    return data


def parse_date_columns(
    data: dict[str, pd.DataFrame], columns: dict, specs: dict[str, dict]
) -> dict[tuple[str, str], tuple[pd.Series, pd.Series]]:
    """Every date and birth-date column parsed once in its table's declared format: (dates, unparseable) by
    (table, column)."""
    parsed: dict[tuple[str, str], tuple[pd.Series, pd.Series]] = {}
    for table, df in data.items():
        for column in columns_with_role(columns, table, "date") + columns_with_role(columns, table, "birth_date"):
            parsed[(table, column)] = parse_dates(df[column], specs[table]["date_format"])
    return parsed


def patient_anchors(
    data: dict[str, pd.DataFrame],
    parsed: dict[tuple[str, str], tuple[pd.Series, pd.Series]],
    role_of: dict[tuple[str, str], str],
    anchor_setting: dict,
) -> pd.Series:
    """Each patient's anchor date, from which days are counted: the first valid date in the anchor column, else
    the patient's first valid date anywhere (so a patient without the anchor event keeps relative dates)."""
    anchor_table, anchor_column = anchor_setting["table"], anchor_setting["column"]
    first = (
        pd.Series(parsed[(anchor_table, anchor_column)][0].to_numpy(), index=data[anchor_table]["__record"])
        .dropna()
        .groupby(level=0)
        .min()
    )
    fallback = (
        pd.concat(
            [
                pd.Series(parsed[(t, c)][0].to_numpy(), index=data[t]["__record"])
                for (t, c) in parsed
                if role_of[(t, c)] == "date"
            ]
        )
        .dropna()
        .groupby(level=0)
        .min()
    )
    return first.combine_first(fallback)


def empty_audit() -> dict:
    """The audit record de-identification fills in: what was read, dropped, converted and scrubbed."""
    return {
        "tables": {},
        "dropped_tables": [],
        "free_text": {},
        "coded_values_scrubbed": {},
        "coded": {},
        "numbers": {},
        "dates": {},
        "ages_top_coded": 0,
    }


def relative_date_columns(
    table: str, column: str, parsed: tuple[pd.Series, pd.Series], anchors: pd.Series, audit: dict
) -> dict[str, pd.Series]:
    """A date column as `<base>_day` (days from the patient's anchor), `<base>_year` and `<base>_date_unparseable`;
    the date itself never passes. Counts converted, unparseable and empty values in the audit."""
    dates, invalid = parsed
    base = date_base(column)
    day = (dates - pd.to_datetime(anchors)).dt.days
    audit["dates"][f"{table}.{column}"] = {
        "converted": int(dates.notna().sum()),
        "unparseable": int(invalid.sum()),
        "empty": int((dates.isna() & ~invalid).sum()),
    }
    return {
        f"{base}_day": day.astype("Int64"),
        f"{base}_year": dates.dt.year.astype("Int64"),
        f"{base}_date_unparseable": invalid.astype(int),
    }


def scrubbed_column(
    table: str, column: str, values: pd.Series, patients: pd.Series, use_ner: bool, scrubber: Scrubber, audit: dict
) -> list[str]:
    """Free text (with NER) or coded values (pattern scrub only, a safety net) scrubbed row by row against each
    row's patient. Both are audited here; deidentify then leaves out coded columns where no value changed."""
    out, counts, changed = [], Counter(), 0
    rows = progress(zip(values, patients, strict=True), len(values), f"scrubbing {table}.{column}", log)
    for text, patient in rows:
        result = scrubber.scrub(text, patient, ner=use_ner)
        out.append(result.text)
        counts.update(result.counts)
        changed += result.text != text
    target = audit["free_text"] if use_ner else audit["coded_values_scrubbed"]
    target[f"{table}.{column}"] = {
        "values": int(len(out)),
        "values_changed": int(changed),
        "replacements": dict(sorted(counts.items())),
    }
    return out


def in_patient_order(out: pd.DataFrame, sort_day: pd.Series | None, position: pd.Series) -> pd.DataFrame:
    """Rows by pseudonym, then by the table's first relative date, then by their order in the export (`position`):
    an order that reveals nothing of the export's (which may follow record numbers or admission). Adds `entry`,
    the row's ordinal within its patient (1..n), right after patient_id."""
    order = pd.DataFrame({"p": out["patient_id"], "d": sort_day if sort_day is not None else 0, "l": position})
    out = out.loc[order.sort_values(["p", "d", "l"], na_position="first", kind="stable").index]
    out.insert(1, "entry", (out.groupby("patient_id", sort=False).cumcount() + 1).astype(int))
    return out


def pseudonyms_of(key: bytes, records: pd.Series) -> pd.Series:
    """Each row's patient pseudonym (keys.patient_pseudonym), one HMAC per distinct record number: a patient's rows
    (laboratory: dozens each) share it."""
    distinct = pd.unique(records.to_numpy())
    return records.map(dict(zip(distinct, (keys.patient_pseudonym(key, r) for r in distinct), strict=True)))


def check_pseudonyms_unique(key: bytes, records: pd.Index) -> int:
    """The number of patients, after checking that no two record numbers share a pseudonym."""
    pseudonyms = {keys.patient_pseudonym(key, r) for r in records}
    if len(pseudonyms) != len(set(records)):
        raise RuntimeError("two record numbers share a pseudonym (HMAC truncated to 64 bits); widen the pseudonym")
    return len(pseudonyms)


def deidentify(
    raw: dict[str, RawTable],
    specs: dict[str, dict],
    settings: dict,
    key: bytes,
    scrubber: Scrubber,
    coder: Coder | None = None,
    decimals: dict[str, str] | None = None,
    files: dict[str, list[str]] | None = None,
    raise_unknown: bool = True,
    unchanged_counts: bool = False,
) -> Deidentified:
    """De-identify every raw table. `specs` is config raw_exports.tables, `settings` config deidentification;
    `coder` codes the columns deidentification.coding lists (required when it lists any), `decimals` is each
    table's decimal mark, `files` each row's source file (else the table's path). `raise_unknown=False` leaves
    unknown labels (error mode) in `coder.unknown` for the caller to raise (after gathering shards);
    `unchanged_counts=True` keeps the audit of coded columns the pattern scrub left unchanged (a shard's part: the
    gather adds their counts up and then leaves them out, deidentify.shards.drop_unchanged)."""
    columns = settings["columns"]
    check_roles(columns, specs)
    coding = settings.get("coding", {}) or {}
    check_coding(coding, columns)
    if coding and coder is None:
        raise ValueError("deidentification.coding lists columns but no codebook coder was given")
    text_passes = set(settings.get("free_text_passes", []) or [])
    role_of = {(t, c): r for t, roles in columns.items() for c, r in roles.items()}
    data = raw_side_frames(raw, columns, files)
    parsed = parse_date_columns(data, columns, specs)
    anchor = patient_anchors(data, parsed, role_of, settings["anchor"])
    # What the raw tables say about each patient, for the first scrub pass and for the leak gate.
    who = identities(data, columns, anchor)
    staff_names: set[str] = set()
    audit = empty_audit()
    out_tables, locators = {}, []
    for table, df in data.items():
        roles = columns.get(table, {})
        declared = list(specs[table]["columns"])
        passing = [c for c in declared if roles.get(c) in DATA_ROLES]
        table_audit = {
            "rows_read": int(len(df)),
            "columns_read": declared,
            "columns_dropped": [c for c in declared if roles.get(c) not in PASSING_ROLES],
            "unexpected_columns_dropped": len(raw[table].unexpected_columns),
        }
        audit["tables"][table] = table_audit
        if not passing:
            audit["dropped_tables"].append(table)
            table_audit["rows_written"] = 0
            continue
        pseudonyms = pseudonyms_of(key, df[columns_with_role(columns, table, "patient_id")[0]])
        out = pd.DataFrame({"patient_id": pseudonyms})
        where = pd.DataFrame({"source_file": df["__file"], "source_line": df["__line"], "patient_id": pseudonyms})
        coded = {c: k for c, k in (coding.get(table) or {}).items() if roles.get(c) in ("keep", "free_text")}
        codes = table_codes(table, df, coded, coder, where, (decimals or {}).get(table, "."), audit)
        patient_of_row = df["__record"].map(who)
        anchors = df["__record"].map(anchor)
        sort_day = None
        for column in declared:
            role = roles.get(column)
            if role == "date":
                base = date_base(column)
                for name, values in relative_date_columns(
                    table, column, parsed[(table, column)], anchors, audit
                ).items():
                    out[name] = values
                sort_day = out[f"{base}_day"] if sort_day is None else sort_day
                age_at = settings.get("age_at", {})
                if age_at.get("table") == table and age_at.get("column") == column:
                    out[f"age_at_{base}"] = ages(
                        data,
                        columns,
                        parsed,
                        parsed[(table, column)][0],
                        df["__record"],
                        settings["age_top_code"],
                        audit,
                    )
            elif role == "staff_id":
                staff_names.update(v for v in df[column] if v.strip())
                out[column] = df[column].map(lambda v: keys.staff_pseudonym(key, v) if v.strip() else "")
            elif role in ("free_text", "keep") and column in codes:
                for name, values in codes[column].items():
                    out[name] = values
                if role == "free_text" and f"{table}.{column}" in text_passes:
                    out[f"{column}_text"] = scrubbed_column(
                        table, column, df[column], patient_of_row, True, scrubber, audit
                    )
            elif role in ("free_text", "keep"):
                out[column] = scrubbed_column(
                    table, column, df[column], patient_of_row, role == "free_text", scrubber, audit
                )
        out = in_patient_order(out, sort_day, df["__line"])
        locators.append(
            pd.DataFrame(
                {
                    "table": table,
                    "patient_id": out["patient_id"],
                    "entry": out["entry"],
                    "source_file": df.loc[out.index, "__file"].astype(str),
                    "source_line": df.loc[out.index, "__line"].astype(int),
                }
            )
        )
        out = out.reset_index(drop=True)
        table_audit["rows_written"] = int(len(out))
        table_audit["columns_written"] = list(out.columns)
        out_tables[table] = out

    if not unchanged_counts:
        drop_unchanged(audit)
    if coder is not None and raise_unknown:
        coder.raise_unknown()
    audit["patients"] = check_pseudonyms_unique(key, anchor.index.union(pd.Index(who.index)))
    staff = {keys.normalise(s) for s in staff_names}
    audit["staff"] = len(staff)
    identifiers = identifier_list(data, columns, staff_names)
    locator = (
        pd.concat(locators, ignore_index=True)
        if locators
        else pd.DataFrame(columns=["table", "patient_id", "entry", "source_file", "source_line"])
    )
    unexpected = {table: list(rt.unexpected_columns) for table, rt in raw.items()}
    return Deidentified(out_tables, audit, identifiers, locator, unexpected, staff)


# Codebook rules that read a second column of the row: (field, the other column's kind) -> how.
DEPENDENT_FIELDS = ("primary_group", "revision_cause")


def table_codes(
    table: str,
    df: pd.DataFrame,
    kinds: dict[str, str],
    coder: Coder | None,
    where: pd.DataFrame,
    decimal: str,
    audit: dict,
) -> dict[str, dict[str, pd.Series]]:
    """The coded form of every column deidentification.coding lists for `table`: column -> output columns. Labels
    are coded first, then the two fields that read another column of the row (see deidentify.coding)."""
    out: dict[str, dict[str, pd.Series]] = {}
    everywhere = pd.Series(True, index=df.index)
    ordered = sorted(kinds.items(), key=lambda item: item[1] in DEPENDENT_FIELDS)
    for column, kind in ordered:
        values = df[column]
        if kind in NUMBER_KINDS:
            number, bad = numbers(values, kind, decimal)
            out[column] = {column: number, f"{column}_unparseable": bad}
            audit["numbers"][f"{table}.{column}"] = {
                "kind": kind,
                "parsed": int(number.notna().sum()),
                "unparseable": int(bad.sum()),
                "empty": int((number.isna() & (bad == 0)).sum()),
            }
            continue
        if kind == ICD10:
            code, bad = icd_codes(values)
            out[column] = {column: code}
            audit["coded"][f"{table}.{column}"] = {
                "kind": kind,
                "values": int(len(code)),
                "empty": int((code == "").sum()),
                "unmapped": bad,
            }
            continue
        rows = everywhere
        fallback = None
        if kind == "primary_group":
            icd_column = next((c for c, k in kinds.items() if k == ICD10 and c.startswith("primary")), None)
            if icd_column is not None:
                by_code = icd_codes(df[icd_column])[0].map(coder.codebook.group_of_icd)
                code_only = (values.fillna("").str.strip() == "") & by_code.notna()
                rows, fallback = ~code_only, by_code.where(code_only)
                for group, n in by_code[code_only].value_counts().items():
                    coder.usage[(table, column, kind, "", group)] += int(n)
        elif kind == "revision_cause":
            flag = next((c for c, k in kinds.items() if k == "revision_flag"), None)
            if flag is not None:
                rows = (out[flag][flag] == "yes") & (values.fillna("").str.strip() != "")
        code = coder.labels(table, column, kind, values, rows, where)
        if fallback is not None:
            code = code.mask(fallback.notna(), fallback)
        out[column] = {column: code}
        audit["coded"][f"{table}.{column}"] = {
            "kind": kind,
            "values": int(rows.sum()),
            # Empty in the export (the codebook may still map an empty value to a category, e.g. "not a revision").
            "empty": int((values.fillna("").str.strip() == "").sum()),
            "unmapped": int((code[rows] == "unmapped").sum()),
        }
    return out


def identities(data: dict[str, pd.DataFrame], columns: dict, anchor: pd.Series) -> pd.Series:
    """record -> PatientIdentity from the columns with roles name and identifier (and the record number)."""
    names: dict[str, str] = {}
    numbers: dict[str, set[str]] = {}
    raw_records: dict[str, str] = {}
    for table, df in data.items():
        roles = columns.get(table, {})
        record_col = next(c for c, r in roles.items() if r == "patient_id")
        for column, role in roles.items():
            if role == "name":
                names.update(zip(df["__record"], df[column], strict=True))
            elif role in ("identifier", "birth_date"):
                for record, value in zip(df["__record"], df[column], strict=True):
                    if value.strip():
                        numbers.setdefault(record, set()).add(value)
        raw_records.update(zip(df["__record"], df[record_col], strict=True))
    out = {}
    for record, raw_record in raw_records.items():
        day = anchor.get(record)
        out[record] = PatientIdentity(
            full_name=names.get(record, ""),
            record_number=raw_record,
            numbers=tuple(sorted(numbers.get(record, ()))),
            anchor=None if day is None or pd.isna(day) else day.date(),
        )
    return pd.Series(out, dtype=object)


def ages(data, columns, parsed, dates: pd.Series, records: pd.Series, top_code: int, audit: dict) -> pd.Series:
    """Age in completed years on each date, from the birth date column; ages above top_code - 1 become top_code;
    an unknown age stays NA."""
    birth_table, birth_column = next(
        (t, c) for t, roles in columns.items() for c, r in roles.items() if r == "birth_date"
    )
    birth = pd.Series(parsed[(birth_table, birth_column)][0].to_numpy(), index=data[birth_table]["__record"]).dropna()
    birth = birth[~birth.index.duplicated(keep="first")]
    born = pd.to_datetime(records.map(birth))
    years = completed_years(born, dates).astype("Int64")
    # An unknown age (no birth date, no date) stays unknown: never top-coded into a value (issue 15). Ages outside
    # the plausible range are stopped or excluded on the raw side (intake.plausibility) before they get here.
    over = (years > top_code - 1).fillna(False)
    audit["ages_top_coded"] += int(over.sum())
    return years.mask(over, top_code)


def identifier_list(data, columns, staff_names) -> list[str]:
    """Every identifying value the raw tables hold, in the forms the leak gate looks for."""
    values: set[str] = set(staff_names)
    for table, df in data.items():
        for column, role in columns.get(table, {}).items():
            if role in ("patient_id", "name", "identifier", "birth_date"):
                values.update(v.strip() for v in df[column] if v.strip())
            if role == "name":
                for full in df[column]:
                    parts = full.split()
                    if len(parts) >= 3:
                        initials = f"{parts[1][0]}.{parts[2][0]}."
                        values.update({f"{parts[0]} {initials}", f"{initials} {parts[0]}"})
    return sorted(values)
