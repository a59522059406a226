"""The corpus of malformed exports: each case mutates one file of the twin's raw exports the way real exports go
wrong, and says what the workflow must do about it: stop with an error that names the file (and the line or the
column), or exclude the patient with a logged reason, or carry on with the defect recorded.

A case is (id, file, mutation, expectation). Mutations take the file's text (or bytes) and the patients of the twin
(`ctx`: record numbers of analysed patients, by role) and return the new content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

CP = "cp1251"


@dataclass
class Case:
    id: str
    file: str
    mutate: Callable
    expect: str  # "error", "excluded" or "ok"
    detail: tuple = ()  # error: fragments the message must hold; excluded: (reason,); ok: (check name,)
    binary: bool = False  # mutate bytes instead of decoded text


def lines(text: str) -> list[str]:
    return text.split("\r\n") if "\r\n" in text else text.split("\n")


def join(rows: list[str], crlf: bool = True) -> str:
    return ("\r\n" if crlf else "\n").join(rows)


def edit_field(text: str, record: str, column: int, value: str, occurrence: int = 0) -> str:
    """Set field `column` of the `occurrence`-th row of `record` (fields split on ';')."""
    rows, seen = lines(text), 0
    for i, row in enumerate(rows):
        if row.startswith(record + ";"):
            if seen == occurrence:
                fields = row.split(";")
                fields[column] = value
                rows[i] = ";".join(fields)
                return join(rows, "\r\n" in text)
            seen += 1
    raise KeyError(record)


def drop_rows(text: str, record: str) -> str:
    return join([r for r in lines(text) if not r.startswith(record + ";")], "\r\n" in text)


def drop_column(text: str, column: int) -> str:
    return join(
        [";".join(f for k, f in enumerate(r.split(";")) if k != column) if r else r for r in lines(text)],
        "\r\n" in text,
    )


def add_column(text: str, header: str, value: str) -> str:
    rows = lines(text)
    return join([rows[0] + f";{header}"] + [r + f";{value}" if r else r for r in rows[1:]], "\r\n" in text)


def duplicate_with(text: str, record: str, column: int, value: str) -> str:
    rows = lines(text)
    original = next(r for r in rows if r.startswith(record + ";"))
    fields = original.split(";")
    fields[column] = value
    return join(rows[:-1] + [";".join(fields)] + rows[-1:], "\r\n" in text)


def first_row_of(text: str, record: str) -> int:
    """Line number (1-based, header = 1) of the record's first row."""
    return next(i for i, r in enumerate(lines(text), start=1) if r.startswith(record + ";"))


# Field positions in the hospital's export (see config/config.yaml).
PATIENTS = {"record": 0, "name": 1, "birth": 2, "sex": 3}
DIAGNOSES = {"date": 1, "icd": 2, "text": 3, "lesion": 4, "count": 5, "visceral": 6, "ecog": 7, "chemo": 8, "size": 9}
OPERATIONS = {
    "date": 1,
    "bone": 2,
    "segment": 3,
    "fracture": 4,
    "procedure": 5,
    "surgeon": 6,
    "revision": 7,
    "reason": 8,
}
FOLLOW_UP = {"last": 1, "status": 2, "death": 3}


def revision_before_index(text, ctx):
    """The revision row of a revised patient, dated a year before the index operation."""
    record = ctx["revised"]
    rows = lines(text)
    index_date = next(
        r.split(";")[1] for r in rows if r.startswith(record + ";") and r.split(";")[7].lower() in ("нет", "")
    )
    day, month, year = index_date.split(".")
    return edit_field(text, record, OPERATIONS["date"], f"{day}.{month}.{int(year) - 1}", occurrence=1)


def revision_on_index_day(text, ctx):
    """The revision row of a revised patient, dated on the day of their index operation."""
    record = ctx["revised"]
    index_date = next(r.split(";")[1] for r in lines(text) if r.startswith(record + ";"))
    return edit_field(text, record, OPERATIONS["date"], index_date, occurrence=1)


def move_to_end(text: str, record: str) -> str:
    """The record's rows moved to the end of the file (the order of rows means nothing)."""
    rows = lines(text)
    trailing = [] if rows[-1] else [""]
    body = [r for r in rows[1:] if r]
    mine = [r for r in body if r.startswith(record + ";")]
    return join([rows[0], *[r for r in body if not r.startswith(record + ";")], *mine, *trailing], "\r\n" in text)


def blank_every_birth_date(text):
    rows = lines(text)
    out = [rows[0]]
    for row in rows[1:]:
        fields = row.split(";")
        if len(fields) > PATIENTS["birth"]:
            fields[PATIENTS["birth"]] = ""
        out.append(";".join(fields))
    return join(out, "\r\n" in text)


CASES = [
    # --- structure of the files: errors that name the file and the line or column
    Case(
        "missing_column", "patients.csv", lambda t, c: drop_column(t, PATIENTS["sex"]), "error", ("patients.csv", "Пол")
    ),
    Case(
        "extra_column",
        "patients.csv",
        lambda t, c: add_column(t, "Телефон родственника", "+7 (999) 123-45-67"),
        "ok",
        ("unexpected_column",),
    ),
    Case(
        "wrong_encoding",
        "operations.csv",
        lambda b, c: b.decode(CP).encode("utf-8"),
        "error",
        ("operations.csv", "line", "cp1251"),
        binary=True,
    ),
    Case("wrong_separator", "follow_up.csv", lambda t, c: t.replace(";", ","), "error", ("follow_up.csv", "separator")),
    Case("empty_file", "diagnoses.csv", lambda b, c: b"", "error", ("diagnoses.csv", "empty"), binary=True),
    Case(
        "truncated_file",
        "operations.csv",
        lambda b, c: b[: len(b) - 40],
        "error",
        ("operations.csv", "line", "truncated"),
        binary=True,
    ),
    Case("header_only", "follow_up.csv", lambda t, c: lines(t)[0] + "\r\n", "excluded", ("missing_follow_up",)),
    Case("byte_order_mark", "notes.csv", lambda b, c: b"\xef\xbb\xbf" + b, "ok", ("same_cohort",), binary=True),
    Case("mixed_line_endings", "operations.csv", lambda t, c: t.replace("\r\n", "\n", 40), "ok", ("same_cohort",)),
    Case(
        "field_with_quoted_separator",
        "operations.csv",
        lambda t, c: edit_field(
            t, c["revised"], OPERATIONS["reason"], '"Инфекционное осложнение; со слов пациента"', 1
        ),
        "error",
        ("revision_reason", "not in the codebook"),
    ),
    Case(
        "unclosed_quote",
        "patients.csv",
        lambda t, c: edit_field(t, c["any"], PATIENTS["name"], '"Иванов Иван'),
        "error",
        ("patients.csv", "line"),
    ),
    # --- values: unknown labels, bad types
    Case(
        "unknown_primary_label",
        "diagnoses.csv",
        lambda t, c: edit_field(t, c["any"], DIAGNOSES["text"], "Рак чего-то"),
        "error",
        ("diagnoses.csv", "line", "'Диагноз'", "not in the codebook"),
    ),
    Case(
        "unknown_bone_label",
        "operations.csv",
        lambda t, c: edit_field(t, c["any"], OPERATIONS["bone"], "Ключица"),
        "error",
        ("operations.csv", "line", "'Кость'", "not in the codebook"),
    ),
    Case(
        "unknown_procedure",
        "operations.csv",
        lambda t, c: edit_field(t, c["any"], OPERATIONS["procedure"], "Остеосинтез спицами"),
        "error",
        ("operations.tsv", "procedure"),
    ),
    Case(
        "unknown_revision_flag",
        "operations.csv",
        lambda t, c: edit_field(t, c["any"], OPERATIONS["revision"], "возможно"),
        "error",
        ("operations.csv", "line", "'Ревизия'", "not in the codebook"),
    ),
    Case(
        "unknown_revision_reason",
        "operations.csv",
        lambda t, c: edit_field(t, c["revised"], OPERATIONS["reason"], "Неизвестная причина", 1),
        "error",
        ("operations.tsv", "revision_reason"),
    ),
    Case(
        "revision_without_reason",
        "operations.csv",
        lambda t, c: edit_field(t, c["revised"], OPERATIONS["reason"], "", 1),
        "error",
        ("operations.tsv", "revision_reason", "without a stated reason"),
    ),
    Case(
        "unknown_sex",
        "patients.csv",
        lambda t, c: edit_field(t, c["any"], PATIENTS["sex"], "?"),
        "error",
        ("patients.tsv", "sex"),
    ),
    Case(
        "unknown_vital_status",
        "follow_up.csv",
        lambda t, c: edit_field(t, c["any"], FOLLOW_UP["status"], "выбыл"),
        "error",
        ("follow_up.csv", "line", "'Статус'", "not in the codebook"),
    ),
    Case(
        "ecog_not_a_number",
        "diagnoses.csv",
        lambda t, c: edit_field(t, c["any"], DIAGNOSES["ecog"], "два"),
        "error",
        ("diagnoses.tsv", "ecog", "not an integer"),
    ),
    Case(
        "ecog_out_of_range",
        "diagnoses.csv",
        lambda t, c: edit_field(t, c["any"], DIAGNOSES["ecog"], "7"),
        "error",
        ("diagnoses.tsv", "ecog"),
    ),
    Case(
        "metastasis_count_negative",
        "diagnoses.csv",
        lambda t, c: edit_field(t, c["any"], DIAGNOSES["count"], "-2"),
        "error",
        ("diagnoses.tsv", "bone_metastases_count"),
    ),
    Case(
        "icd_contradicts_text",
        "diagnoses.csv",
        lambda t, c: edit_field(t, c["breast"], DIAGNOSES["icd"], "C61"),
        "error",
        ("diagnoses.tsv", "primary_icd10", "does not belong"),
    ),
    Case(
        "unknown_bone_lesion_code",
        "diagnoses.csv",
        lambda t, c: edit_field(t, c["any"], DIAGNOSES["lesion"], "C78.0"),
        "error",
        ("diagnoses.tsv", "bone_lesion_icd10"),
    ),
    # --- dates: unparseable and impossible dates, impossible orders
    Case(
        "unparseable_operation_date",
        "operations.csv",
        lambda t, c: edit_field(t, c["any"], OPERATIONS["date"], "12/05/2011"),
        "excluded",
        ("unparseable_date",),
    ),
    Case(
        "impossible_calendar_date",
        "operations.csv",
        lambda t, c: edit_field(t, c["any"], OPERATIONS["date"], "31.02.2015"),
        "excluded",
        ("unparseable_date",),
    ),
    Case(
        "unparseable_death_date",
        "follow_up.csv",
        lambda t, c: edit_field(t, c["dead"], FOLLOW_UP["death"], "весной"),
        "excluded",
        ("unparseable_date",),
    ),
    Case(  # was silently "outside the study period": a date after the export is implausible (issue 15)
        "operation_in_the_future",
        "operations.csv",
        lambda t, c: edit_field(t, c["any"], OPERATIONS["date"], "01.01.2031"),
        "excluded",
        ("date_after_export",),
    ),
    Case(
        "death_before_surgery",
        "follow_up.csv",
        lambda t, c: edit_field(
            edit_field(t, c["dead"], FOLLOW_UP["death"], "01.01.2001"), c["dead"], FOLLOW_UP["last"], "01.01.2001"
        ),
        "excluded",
        ("impossible_date_order",),
    ),
    Case(
        "negative_follow_up",
        "follow_up.csv",
        lambda t, c: edit_field(t, c["censored"], FOLLOW_UP["last"], "01.01.2002"),
        "excluded",
        ("impossible_date_order",),
    ),
    Case(
        "zero_follow_up",
        "follow_up.csv",
        lambda t, c: edit_field(t, c["censored"], FOLLOW_UP["last"], c["index_date"]),
        "excluded",
        ("zero_follow_up",),
    ),
    Case("revision_before_index", "operations.csv", revision_before_index, "excluded", ("impossible_date_order",)),
    Case(
        "dead_without_date_of_death",
        "follow_up.csv",
        lambda t, c: edit_field(t, c["dead"], FOLLOW_UP["death"], ""),
        "excluded",
        ("inconsistent_vital_status",),
    ),
    # --- records: duplicates, missing records
    Case(
        "duplicate_record_conflicting_sex",
        "patients.csv",
        lambda t, c: duplicate_with(t, c["any"], PATIENTS["sex"], "м" if c["any_female"] else "ж"),
        "error",
        ("patients", "different patients rows"),
    ),
    Case(
        "duplicate_diagnosis_conflicting",
        "diagnoses.csv",
        lambda t, c: duplicate_with(t, c["any"], DIAGNOSES["size"], "59,9"),
        "error",
        ("diagnoses", "different"),
    ),
    Case(
        "patient_without_operation",
        "operations.csv",
        lambda t, c: drop_rows(t, c["any"]),
        "excluded",
        ("no_operation",),
    ),
    Case(
        "patient_without_follow_up",
        "follow_up.csv",
        lambda t, c: drop_rows(t, c["any"]),
        "excluded",
        ("missing_follow_up",),
    ),
    Case("missing_file", "diagnoses.csv", None, "error", ("diagnoses.csv",)),
    # --- plausibility rules of the intake (issue 15): raw side, each a named error or a named exclusion
    Case(
        "birth_date_blank",
        "patients.csv",
        lambda t, c: edit_field(t, c["any"], PATIENTS["birth"], ""),
        "excluded",
        ("implausible_birth_date",),
    ),
    Case(
        "birth_date_29_february_1950",
        "patients.csv",
        lambda t, c: edit_field(t, c["any"], PATIENTS["birth"], "29.02.1950"),
        "excluded",
        ("implausible_birth_date",),
    ),
    Case(  # 130 years old at surgery: was top-coded to 90 without a flag
        "age_130_at_surgery",
        "patients.csv",
        lambda t, c: edit_field(t, c["any"], PATIENTS["birth"], "01.01.1880"),
        "excluded",
        ("implausible_birth_date",),
    ),
    Case(
        "too_many_blank_birth_dates",
        "patients.csv",
        lambda t, c: blank_every_birth_date(t),
        "error",
        ("implausible_birth_date", "would exclude", "patients.csv, line 2, column 'birth_date'"),
    ),
    Case(  # two rows of one patient with different birth dates: was resolved silently
        "duplicate_record_conflicting_birth_date",
        "patients.csv",
        lambda t, c: duplicate_with(t, c["any"], PATIENTS["birth"], "01.01.1951"),
        "error",
        ("conflicting_birth_dates", "patients.csv, line", "'01.01.1951'"),
    ),
    Case(
        "last_contact_after_export",
        "follow_up.csv",
        lambda t, c: edit_field(t, c["censored"], FOLLOW_UP["last"], "01.07.2021"),
        "excluded",
        ("date_after_export",),
    ),
    Case(
        "last_contact_after_death",
        "follow_up.csv",
        lambda t, c: edit_field(t, c["dead"], FOLLOW_UP["last"], "30.06.2021"),
        "excluded",
        ("contact_after_death",),
    ),
    Case(  # flag "no" with a reason: the revision was silently dropped
        "revision_flag_no_with_reason",
        "operations.csv",
        lambda t, c: edit_field(t, c["revised"], OPERATIONS["revision"], "нет", 1),
        "excluded",
        ("revision_flag_mismatch",),
    ),
    Case(  # a revision on the index operation's day: was silently dropped
        "revision_on_index_day",
        "operations.csv",
        revision_on_index_day,
        "excluded",
        ("revision_on_index_day",),
    ),
    Case(  # a NUL byte past the first 4 KB (the reader's binary-file check): "4\0,5" was read as 4.0
        "nul_byte_in_a_number",
        "diagnoses.csv",
        lambda t, c: edit_field(move_to_end(t, c["any"]), c["any"], DIAGNOSES["size"], "4\x00,5"),
        "excluded",
        ("control_characters",),
    ),
]


def context(truth_rows: list[dict], raw_operations: str) -> dict:
    """Record numbers of analysed patients in the roles the mutations need."""
    by_event = {e: [r for r in truth_rows if int(r["event"]) == e] for e in (0, 1, 2)}
    # A patient with a single operation and no revision: editing "their" row is unambiguous.
    op_count = {}
    for row in lines(raw_operations)[1:]:
        if row:
            record = row.split(";")[0]
            op_count[record] = op_count.get(record, 0) + 1
    simple = [r for r in by_event[2] if op_count.get(r["record_number"]) == 1]
    revised = [r for r in by_event[1] if op_count.get(r["record_number"]) == 2]
    censored = [r for r in by_event[0] if op_count.get(r["record_number"]) == 1]
    breast = [r for r in simple if r["primary_group"] == "breast"]
    index_date = censored[0]["index_date"]
    y, m, d = index_date.split("-")
    return {
        "any": simple[0]["record_number"],
        "any_female": simple[0]["sex"] == "female",
        "dead": simple[1]["record_number"],
        "revised": revised[0]["record_number"],
        "censored": censored[0]["record_number"],
        "index_date": f"{d}.{m}.{y}",
        "breast": breast[0]["record_number"],
    }


def normalise_log(text: str) -> str:
    return re.sub(r"\s+", " ", text)
