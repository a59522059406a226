"""Plausibility rules on the canonical raw model (raw side, where the export's file, line and column are known).

Each rule finds rows that cannot be right, and the config (`plausibility.rules.<rule>.action`) says what a finding
does: ``error`` stops the run with a PlausibilityError naming the rule and showing three rows (raw file, line,
column, value); ``exclude`` excludes the patient under the rule's name as the reason. An excluded patient keeps all
their rows (so cleaning counts them: the flow adds up) and crosses the de-identification boundary only as a coded
reason by pseudonym; the raw details stay in the raw-side report (`resources/intake/plausibility.tsv`). When a rule
would exclude more than `max_excluded_share` of the patients, the export is more likely declared wrongly than
implausible patient by patient: the run stops, whatever the action.

No rule turns a missing value into a value: a blank birth date is a finding, never an age.

The rules, in the order a patient's exclusion reason is chosen (the first that applies):

- ``control_characters``: a control character (NUL, ...; not tab or line breaks) in any field. With ``exclude`` the
  control characters are removed from the canonical value so that later stages do not misread it (`4\\0,5` is
  never 4.0); the patient is excluded anyway.
- ``conflicting_birth_dates``: two patient rows of one record number with different birth dates.
- ``implausible_birth_date``: a birth date that is missing or not a date (29.02.1950, 31.04.1960), or an age at an
  operation outside `age_range`.
- ``date_after_export``: an operation, diagnosis, last contact, death or note dated after the export date.
- ``contact_after_death``: a last contact after the date of death (of the same follow-up row).
- ``revision_flag_mismatch``: the revision flag says no but a revision reason is given, or says yes on an undated
  operation.
- ``revision_on_index_day``: a revision dated on the day of a non-revision operation of the same patient (the index
  operation's day: cleaning could only drop it).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from common.study import PLAUSIBILITY_RULES

from .model import CANONICAL_DATE_FORMAT, ORIGIN, REQUIRED

RULES = PLAUSIBILITY_RULES
ACTIONS = ("error", "exclude")
# Dated events checked against the export date.
EVENT_DATES = (
    ("operations", "operation_date"),
    ("diagnoses", "diagnosis_date"),
    ("follow_up", "last_contact_date"),
    ("follow_up", "death_date"),
    ("notes", "note_date"),
)
# Control characters: C0 and C1 and DEL, except tab and line breaks (free text keeps its newlines).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
FINDING_COLUMNS = ["rule", "record_number", "table", "source_file", "source_line", "column", "value"]
EXAMPLES = 3


class PlausibilityError(ValueError):
    """An export that fails a plausibility rule whose action is `error`, or whose share of excluded patients is over
    the threshold. Names the rule and shows example rows (raw file, line, column, value): a terminal message only."""

    def __init__(self, rule: str, message: str, examples: pd.DataFrame):
        self.rule = rule
        shown = [
            f"  {r.source_file}, line {r.source_line}, column {r.column!r}: {r.value!r}"
            for r in examples.head(EXAMPLES).itertuples()
        ]
        super().__init__(f"plausibility rule {rule} ({RULES[rule]}): {message}\n" + "\n".join(shown))


@dataclass
class Plausibility:
    findings: pd.DataFrame  # FINDING_COLUMNS, raw side
    exclusions: pd.DataFrame  # record_number, reason: one row per excluded patient (the first rule that applies)
    tables: dict[str, pd.DataFrame]  # the canonical tables (control characters removed where patients are excluded)
    export_date: dt.date
    patients: int


def patient_key(value: object) -> str:
    """Case, width and spacing do not change whose record number it is (as in de-identification)."""
    return " ".join(unicodedata.normalize("NFKC", str(value)).casefold().split())


def patient_keys(values: pd.Series) -> pd.Series:
    """`patient_key` of every value, worked out once per distinct value (a table holds each record number many
    times); missing values (None, NaN) one by one, as Series.map would."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [patient_key(u) for u in uniques]
    out = np.empty(len(values), dtype=object)
    known = codes >= 0
    out[known] = mapped[codes[known]]
    if not known.all():
        out[~known] = [patient_key(v) for v in values.to_numpy(dtype=object)[~known]]
    return pd.Series(out, index=values.index, name=values.name, dtype=object)


def parse(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Canonical date text -> (dates, written but not a date)."""
    text = values.fillna("").astype(str).str.strip()
    dates = pd.to_datetime(text, format=CANONICAL_DATE_FORMAT, errors="coerce")
    return dates, dates.isna() & (text != "")


def findings_frame(rule: str, table: str, column: str, rows: pd.DataFrame, values: pd.Series | None = None):
    values = rows[column] if values is None else values
    return pd.DataFrame(
        {
            "rule": rule,
            "record_number": rows["record_number"].astype(str).to_numpy(),
            "table": table,
            "source_file": rows["source_file"].astype(str).to_numpy(),
            "source_line": rows["source_line"].astype(str).to_numpy(),
            "column": column,
            "value": values.astype(str).to_numpy(),
        },
        columns=FINDING_COLUMNS,
    )


def control_characters(tables: dict[str, pd.DataFrame]) -> list[pd.DataFrame]:
    out = []
    for name, df in tables.items():
        for column in df.columns:
            if column in ORIGIN:
                continue
            text = df[column].astype(str)
            if not CONTROL.search("\n".join(text.to_numpy())):  # (a line break is no control character here)
                continue
            bad = text.str.contains(CONTROL)
            if bad.any():
                out.append(findings_frame("control_characters", name, column, df[bad]))
    return out


def conflicting_birth_dates(patients: pd.DataFrame) -> list[pd.DataFrame]:
    key = patients["record_number"].pipe(patient_keys)
    birth = patients["birth_date"].astype(str).str.strip()
    conflicting = birth.groupby(key).transform("nunique") > 1
    return [findings_frame("conflicting_birth_dates", "patients", "birth_date", patients[conflicting])]


def birth_dates(tables: dict[str, pd.DataFrame], age_range: dict, age_at: dict) -> list[pd.DataFrame]:
    patients = tables["patients"]
    born, invalid = parse(patients["birth_date"])
    missing = patients["birth_date"].astype(str).str.strip() == ""
    out = [findings_frame("implausible_birth_date", "patients", "birth_date", patients[missing | invalid])]
    # A patient with no patient row at all has no birth date either: located at their first row elsewhere.
    registered = set(patients["record_number"].pipe(patient_keys))
    for name in REQUIRED[1:]:
        df = tables[name]
        keys = df["record_number"].pipe(patient_keys)
        unregistered = ~keys.isin(registered) & (keys != "")
        registered |= set(keys[unregistered])
        first = df[unregistered & ~keys.duplicated()]
        if len(first):
            out.append(findings_frame("implausible_birth_date", name, "record_number", first, first["record_number"]))
    # Ages at the declared date column (default every operation): outside the range is implausible.
    key = patients["record_number"].pipe(patient_keys)
    first_birth = pd.Series(born.to_numpy(), index=key.to_numpy()).dropna()
    first_birth = first_birth[~first_birth.index.duplicated(keep="first")]
    events = tables[age_at["table"]]
    on, _ = parse(events[age_at["column"]])
    birth_of_row = pd.to_datetime(events["record_number"].pipe(patient_keys).map(first_birth))
    before = (on.dt.month < birth_of_row.dt.month) | (
        (on.dt.month == birth_of_row.dt.month) & (on.dt.day < birth_of_row.dt.day)
    )
    age = on.dt.year - birth_of_row.dt.year - before.astype(int)
    outside = (age < age_range["minimum"]) | (age > age_range["maximum"])
    outside = outside.fillna(False).astype(bool) & on.notna() & birth_of_row.notna()
    if outside.any():
        # Located at the birth date (the likelier culprit), with the age and the date it was reached at.
        first_row = patients.assign(key=key).drop_duplicates("key").set_index("key")
        rows = first_row.loc[events.loc[outside, "record_number"].map(patient_key)].reset_index(drop=True)
        shown = (
            rows["birth_date"].astype(str).to_numpy()
            + " (age "
            + age[outside].astype(int).astype(str).to_numpy()
            + f" on {age_at['column']} "
            + events.loc[outside, age_at["column"]].astype(str).to_numpy()
            + ")"
        )
        out.append(findings_frame("implausible_birth_date", "patients", "birth_date", rows, pd.Series(shown)))
    return out


def after_export(tables: dict[str, pd.DataFrame], export_date: dt.date) -> list[pd.DataFrame]:
    limit = pd.Timestamp(export_date)
    out = []
    for name, column in EVENT_DATES:
        df = tables.get(name)
        if df is None or column not in df:
            continue
        dates, _ = parse(df[column])
        late = (dates > limit).fillna(False).astype(bool)
        if late.any():
            out.append(findings_frame("date_after_export", name, column, df[late]))
    return out


def contact_after_death(follow_up: pd.DataFrame) -> list[pd.DataFrame]:
    last, _ = parse(follow_up["last_contact_date"])
    death, _ = parse(follow_up["death_date"])
    late = (last > death).fillna(False).astype(bool)
    shown = follow_up["last_contact_date"].astype(str) + " (death " + follow_up["death_date"].astype(str) + ")"
    return [findings_frame("contact_after_death", "follow_up", "last_contact_date", follow_up[late], shown[late])]


def revision_flags(operations: pd.DataFrame, flag_of: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Rows whose flag reads as a revision, and rows whose flag reads as not a revision (labels of the codebook's
    revision_flag field; a label it does not know is neither, and left to cleaning, which names it)."""
    from cleaning.codebook import normalise_label

    flag = operations["is_revision"].astype(str).map(normalise_label).map(flag_of)
    return flag == "yes", flag == "no"


def revision_mismatches(operations: pd.DataFrame, flag_of: dict[str, str]) -> list[pd.DataFrame]:
    yes, no = revision_flags(operations, flag_of)
    reason = operations["revision_reason"].astype(str).str.strip() != ""
    undated = operations["operation_date"].astype(str).str.strip() == ""
    out = [findings_frame("revision_flag_mismatch", "operations", "revision_reason", operations[no & reason])]
    out.append(findings_frame("revision_flag_mismatch", "operations", "operation_date", operations[yes & undated]))
    return out


def revisions_on_index_day(operations: pd.DataFrame, flag_of: dict[str, str]) -> list[pd.DataFrame]:
    yes, no = revision_flags(operations, flag_of)
    dates, _ = parse(operations["operation_date"])
    key = operations["record_number"].pipe(patient_keys)
    operated = set(zip(key[no & dates.notna()], dates[no & dates.notna()], strict=True))
    same_day = pd.Series(
        [bool(y) and (k, d) in operated for k, d, y in zip(key, dates, yes, strict=True)],
        index=operations.index,
        dtype=bool,  # an empty operations table: an empty mask selects no row (an object one would select columns)
    )
    return [findings_frame("revision_on_index_day", "operations", "operation_date", operations[same_day])]


def latest_date(tables: dict[str, pd.DataFrame]) -> dt.date | None:
    found = [parse(tables[t][c])[0].max() for t, c in EVENT_DATES if t in tables and c in tables[t]]
    found = [d for d in found if pd.notna(d)]
    return max(found).date() if found else None


def export_date_of(settings: dict, tables: dict[str, pd.DataFrame]) -> dt.date:
    """The declared export date, else the latest date in the export (then no date can be after it)."""
    declared = settings.get("export_date")
    if declared:
        date = dt.date.fromisoformat(str(declared))
        # The run's date only ever rejects a config (an export cannot be dated in the future); it never changes a
        # result.
        if date > dt.date.today():
            raise ValueError(f"plausibility.export_date {date} is in the future: declare the date of the export")
        return date
    return latest_date(tables) or dt.date.min


def everyone(tables: dict[str, pd.DataFrame]) -> pd.Index:
    """The patients in the export as cleaning counts them: record numbers of the required tables."""
    keys = set()
    for name in REQUIRED:
        keys.update(tables[name]["record_number"].pipe(patient_keys))
    keys.discard("")
    return pd.Index(sorted(keys))


def find(
    tables: dict[str, pd.DataFrame], settings: dict, flag_of: dict[str, str], age_at: dict
) -> tuple[pd.DataFrame, dt.date]:
    """Every finding of the rules of `settings` (config `plausibility`), whatever their action, and the export date
    they were judged against. Raises ValueError for a config the schema cannot check."""
    rules = settings["rules"]
    unknown = set(rules) - set(RULES)
    if unknown:
        raise ValueError(f"plausibility.rules names unknown rules {sorted(unknown)}; known: {list(RULES)}")
    if settings["age_range"]["minimum"] > settings["age_range"]["maximum"]:
        raise ValueError(f"plausibility.age_range: minimum above maximum ({settings['age_range']})")
    export_date = export_date_of(settings, tables)
    found = {
        "control_characters": lambda: control_characters(tables),
        "conflicting_birth_dates": lambda: conflicting_birth_dates(tables["patients"]),
        "implausible_birth_date": lambda: birth_dates(tables, settings["age_range"], age_at),
        "date_after_export": lambda: after_export(tables, export_date),
        "contact_after_death": lambda: contact_after_death(tables["follow_up"]),
        "revision_flag_mismatch": lambda: revision_mismatches(tables["operations"], flag_of),
        "revision_on_index_day": lambda: revisions_on_index_day(tables["operations"], flag_of),
    }
    frames = [f for rule in RULES if rule in rules for f in found[rule]() if len(f)]
    findings = (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({c: [] for c in FINDING_COLUMNS}, dtype=object)
    )
    return findings, export_date


def share_of(findings: pd.DataFrame, patients: pd.Index) -> float:
    """The share of the export's patients that the findings concern."""
    return findings["record_number"].pipe(patient_keys).nunique() / max(len(patients), 1)


def check(tables: dict[str, pd.DataFrame], settings: dict, flag_of: dict[str, str], age_at: dict) -> Plausibility:
    """Apply the rules of `settings` (config `plausibility`) to the canonical tables. Raises PlausibilityError for a
    finding of an `error` rule or a share over the threshold; else returns the findings and the exclusions."""
    rules = settings["rules"]
    findings, export_date = find(tables, settings, flag_of, age_at)
    patients = everyone(tables)
    for rule in RULES:
        mine = findings[findings["rule"] == rule]
        if mine.empty:
            continue
        if rules[rule]["action"] == "error":
            raise PlausibilityError(rule, f"{len(mine)} finding(s); the config stops the run on this rule", mine)
        share = share_of(mine, patients)
        limit = rules[rule].get("max_excluded_share", settings["max_excluded_share"])
        if share > limit:
            raise PlausibilityError(
                rule,
                f"would exclude {share:.1%} of the {len(patients)} patients, more than the allowed {limit:.0%} "
                "(plausibility max_excluded_share): is the export declared right?",
                mine,
            )
    exclusions = first_reasons(findings)
    return Plausibility(findings, exclusions, without_control_characters(tables, findings), export_date, len(patients))


def first_reasons(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per excluded patient: the record number (as first written) and the first rule that applies."""
    if findings.empty:
        return pd.DataFrame({"record_number": [], "reason": []}, dtype=object)
    order = {rule: i for i, rule in enumerate(RULES)}
    f = findings.assign(key=findings["record_number"].pipe(patient_keys), order=findings["rule"].map(order))
    f = f[f["key"] != ""].sort_values(["key", "order"], kind="stable").drop_duplicates("key")
    out = f[["record_number", "rule"]].rename(columns={"rule": "reason"}).reset_index(drop=True)
    out["record_number"] = out["record_number"].str.replace(CONTROL, "", regex=True)  # as the tables will hold it
    return out


def without_control_characters(tables: dict[str, pd.DataFrame], findings: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tables with control characters removed from the fields where they were found (their patients are
    excluded; the raw values are in the report)."""
    hits = findings[findings["rule"] == "control_characters"]
    if hits.empty:
        return tables
    out = dict(tables)
    for name in hits["table"].unique():
        df = tables[name].copy()
        for column in hits.loc[hits["table"] == name, "column"].unique():
            df[column] = df[column].astype(str).str.replace(CONTROL, "", regex=True).astype(object)
        out[name] = df
    return out


def revision_flag_labels(codebook: dict) -> dict[str, str]:
    """Normalised revision-flag label -> "yes"/"no", from the codebook's revision_flag field."""
    from cleaning.codebook import normalise_label

    return {normalise_label(v): flag for flag, variants in codebook.get("revision_flag", {}).items() for v in variants}
