"""Degenerate cohorts (issue 15), made by rewriting the synthetic twin's raw exports: exports of another shape
than the twin's cohort, that the workflow reads as real exports. Each case is a function (raw folder, truth rows)
-> None that edits the exports in place, what the run must do ("error" or "runs") and what it must say."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

CP = "cp1251"
ID = "№ ИБ"


def read(path: Path, encoding: str = CP) -> tuple[list[str], list[dict]]:
    text = path.read_bytes().decode(encoding)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
    return list(reader.fieldnames or []), list(reader)


def write(path: Path, header: list[str], rows: list[dict], encoding: str = CP) -> None:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, delimiter=";", lineterminator="\r\n" if encoding == CP else "\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


def edit(path: Path, change: Callable[[list[dict]], list[dict]], encoding: str = CP) -> None:
    header, rows = read(path, encoding)
    write(path, header, change(rows), encoding)


def no_revision_rows(rows: list[dict]) -> list[dict]:
    return [{**r, "Ревизия": "нет", "Причина ревизии": ""} for r in rows]


def empty_operations(raw: Path, truth: list[dict]) -> None:
    edit(raw / "operations.csv", lambda rows: [])


def no_revision(raw: Path, truth: list[dict]) -> None:
    edit(raw / "operations.csv", no_revision_rows)


def no_death(raw: Path, truth: list[dict]) -> None:
    edit(raw / "follow_up.csv", lambda rows: [{**r, "Статус": "жив", "Дата смерти": ""} for r in rows])


def censored_at_day_0(raw: Path, truth: list[dict]) -> None:
    """Nobody revised, nobody dead, everyone last seen on the day of their index operation."""
    index = {t["record_number"]: dt.date.fromisoformat(t["index_date"]).strftime("%d.%m.%Y") for t in truth}
    edit(raw / "operations.csv", no_revision_rows)
    edit(
        raw / "follow_up.csv",
        lambda rows: [
            {
                **r,
                "Статус": "жив",
                "Дата смерти": "",
                "Дата последнего контакта": index.get(r[ID], r["Дата последнего контакта"]),
            }
            for r in rows
        ],
    )


def keep_only(raw: Path, keep: set[str]) -> None:
    """Every export cut down to the patients `keep` (their record numbers)."""
    for name in ("patients", "diagnoses", "operations", "follow_up", "laboratory"):
        edit(raw / f"{name}.csv", lambda rows: [r for r in rows if r[ID] in keep])
    edit(raw / "notes.csv", lambda rows: [r for r in rows if r[ID] in keep], "utf-8")


def one_patient(raw: Path, truth: list[dict]) -> None:
    """Only the first revised patient of the twin's truth."""
    keep_only(raw, {next(t["record_number"] for t in truth if t["event"] == "1")})


def two_patients(raw: Path, truth: list[dict]) -> None:
    """Almost everyone gone: the first revised patient and the first who died without revision."""
    keep_only(raw, {next(t["record_number"] for t in truth if t["event"] == event) for event in ("1", "2")})


def no_revision_after_fracture(raw: Path, truth: list[dict]) -> None:
    """A factor level with no events: no revision among the patients with a pathological fracture."""
    fractured = {t["record_number"] for t in truth if t["pathological_fracture"] == "True"}
    edit(
        raw / "operations.csv",
        lambda rows: [{**r, "Ревизия": "нет", "Причина ревизии": ""} if r[ID] in fractured else r for r in rows],
    )


@dataclass(frozen=True)
class Case:
    id: str
    make: Callable[[Path, list[dict]], None]
    expect: str  # "error": the run stops, saying `says`; "runs": the manuscript is written and says `says`
    says: tuple[str, ...]


CASES = [
    Case("empty_operations", empty_operations, "error", ("no patient was analysed", "278 of 278", "no_operation")),
    Case("censored_at_day_0", censored_at_day_0, "error", ("no patient was analysed", "zero_follow_up")),
    Case("one_patient", one_patient, "error", ("one patient",)),
    Case("no_revision", no_revision, "error", ("no revision",)),
    Case("two_patients", two_patients, "runs", ("not estimable",)),
    Case("no_death", no_death, "runs", ("no patient died without revision", "median not reached")),
    Case("no_revision_after_fracture", no_revision_after_fracture, "runs", ("not estimable",)),
]
