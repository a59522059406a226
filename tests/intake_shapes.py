"""Three realistic export shapes, built from the default twin's exports by transformation (so the truth is known).

Written independently of the twin's writer: each builder reads the twin's raw exports as a user would (the
herzen files, through raw_exports.read_raw_table) and rewrites them the way another centre's system would hold the
same patients. The configs that map them back are tests/fixtures/intake/<shape>.yaml, written from the docs.

- hospital_system: another hospital information system. UTF-8 with BOM, commas, every field quoted, CRLF, free
  text with embedded line breaks, datetimes with a time of day, ISO birth dates, sex and bone as local codes, the
  primary as an ICD-10 code only (text only where the code does not tell the group), the name over three columns,
  index operations and revisions in separate tables, no notes table.
- legacy_dump: a DOS-era dump. cp866, tabs, no quoting, 2-digit years, DBF-style short upper-case headers, coded
  labels in upper case with abbreviations ("ПРОКС. ОТДЕЛ"), the bone and segment in one column ("БЕДРО/ПРОКС.").
- excel_registry: a hand-kept .xlsx registry, one block of rows per patient: a title row, a two-level header
  (merged group cells), year section rows, a total row, the record number merged over the patient's rows, index
  operations and revisions side by side, Excel dates mixed with text dates and serial numbers, numbers as numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pandas as pd

from cleaning.codebook import Codebook, normalise_label
from raw_exports import read_raw_table

TABLES = ("patients", "diagnoses", "operations", "follow_up", "notes")


def twin_exports(twin_dir: Path, config: dict) -> dict[str, pd.DataFrame]:
    specs = config["raw_exports"]["tables"]
    return {name: read_raw_table(twin_dir / "raw" / specs[name]["file"], specs[name]).data for name in TABLES}


def as_date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text.strip(), "%d.%m.%Y").date()
    except ValueError:
        return None


def category(book: Codebook, field: str, label: str) -> str | None:
    return book.maps[field].get(normalise_label(label))


def is_revision(book: Codebook, flag: str) -> bool:
    return category(book, "revision_flag", flag) == "yes"


def write_text(path: Path, header: list[str], rows: list[list[str]], **fmt) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer,
        delimiter=fmt.get("delimiter", ","),
        quoting=fmt.get("quoting", csv.QUOTE_ALL),
        lineterminator=fmt.get("lineterminator", "\r\n"),
        quotechar=fmt.get("quotechar", '"'),
    )
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(fmt.get("encoding", "utf-8")))


# --- another hospital system -----------------------------------------------------------------------------------
SEX_CODES = {"female": "2", "male": "1"}
BONE_CODES = {"femur": "01", "humerus": "02", "tibia": "03", "radius": "04", "ulna": "05", "fibula": "06"}


def hospital_datetime(text: str, hour: int) -> str:
    """A date as the other system writes it: ISO with a time of day (late evening for some, which a truncating
    reader would push into the next day if it worked in UTC). Unparseable dates stay as they were typed."""
    day = as_date(text)
    return f"{day.isoformat()} {hour:02d}:{(hour * 7) % 60:02d}" if day else text


def hospital_system(twin_dir: Path, config: dict, book: Codebook, out: Path) -> None:
    raw = twin_exports(twin_dir, config)
    out.mkdir(parents=True, exist_ok=True)
    p = raw["patients"]
    rows = []
    for r in p.itertuples():
        parts = (r.full_name.split(maxsplit=2) + ["", "", ""])[:3]
        birth = as_date(r.birth_date)
        sex = SEX_CODES.get(category(book, "sex", r.sex) or "", r.sex)
        rows.append([r.record_number, *parts, birth.isoformat() if birth else r.birth_date, sex, r.snils, r.phone])
    header = ["MRN", "Last name", "First name", "Middle name", "Birth date", "Sex code", "SNILS", "Phone"]
    write_text(out / "persons.csv", header, rows, encoding="utf-8-sig")

    d = raw["diagnoses"]
    rows = []
    for r in d.itertuples():
        # The text only where the ICD-10 code does not tell the group (C40/C41: several sarcomas).
        text = r.primary_text if book.group_of_icd(r.primary_icd10) is None else ""
        rows.append(
            [
                r.record_number,
                hospital_datetime(r.diagnosis_date, 10),
                r.primary_icd10,
                text,
                r.bone_lesion_icd10,
                r.bone_metastases_count,
                r.visceral_metastases,
                r.ecog,
                r.chemotherapy_before_surgery,
                r.lesion_size_cm.replace(",", "."),
            ]
        )
    header = ["MRN", "Diagnosed at", "ICD-10", "Comment", "Bone lesion ICD-10", "Bone mets", "Visceral mets", "ECOG",
              "Chemo before surgery", "Lesion size (cm)"]  # fmt: skip
    write_text(out / "diagnoses.csv", header, rows, encoding="utf-8-sig")

    o = raw["operations"]
    index_rows, revision_rows = [], []
    for i, r in enumerate(o.itertuples()):
        bone = BONE_CODES.get(category(book, "bone", r.bone) or "", r.bone)
        when = hospital_datetime(r.operation_date, 23 if i % 3 == 0 else 9)
        if is_revision(book, r.is_revision):
            # The reason as the surgeon typed it, over two lines (a quoted field with a line break).
            revision_rows.append(
                [r.record_number, when, bone, r.segment, r.fracture, r.procedure, r.revision_reason + "\n"]
            )
        else:
            index_rows.append([r.record_number, when, bone, r.segment, r.fracture, r.procedure, r.surgeon,
                               r.is_revision, r.revision_reason])  # fmt: skip
    header = ["MRN", "Performed at", "Bone code", "Segment", "Fracture", "Procedure", "Surgeon", "Revision flag",
              "Revision reason"]  # fmt: skip
    write_text(out / "surgery.csv", header, index_rows, encoding="utf-8-sig")
    header = ["MRN", "Performed at", "Bone code", "Segment", "Fracture", "Procedure", "Reason"]
    write_text(out / "revisions.csv", header, revision_rows, encoding="utf-8-sig")

    f = raw["follow_up"]
    rows = [
        [r.record_number, hospital_datetime(r.last_contact_date, 12), r.vital_status,
         hospital_datetime(r.death_date, 22) if r.death_date.strip() else ""]
        for r in f.itertuples()
    ]  # fmt: skip
    write_text(out / "outcomes.csv", ["MRN", "Last seen", "Status", "Died at"], rows, encoding="utf-8-sig")


# --- a legacy dump ---------------------------------------------------------------------------------------------
SEGMENT_ABBREVIATIONS = {"proximal": "ПРОКС. ОТДЕЛ", "distal": "ДИСТ. ОТДЕЛ", "diaphysis": "ДИАФИЗ"}
BONE_ABBREVIATIONS = {"femur": "БЕДРО", "humerus": "ПЛЕЧО", "tibia": "ББК"}


def two_digit(text: str) -> str:
    day = as_date(text)
    return day.strftime("%d.%m.%y") if day else text


def legacy_dump(twin_dir: Path, config: dict, book: Codebook, out: Path) -> None:
    raw = twin_exports(twin_dir, config)
    out.mkdir(parents=True, exist_ok=True)
    fmt = {
        "delimiter": "\t",
        "quoting": csv.QUOTE_NONE,
        "quotechar": "\x07",
        "encoding": "cp866",
        "lineterminator": "\r\n",
    }

    def clean(value: str) -> str:  # the dump has no quoting: tabs and line breaks in text became spaces
        return " ".join(value.replace("\t", " ").split()) if ("\t" in value or "\n" in value) else value

    p = raw["patients"]
    rows = [[r.record_number, r.full_name, two_digit(r.birth_date), r.sex.upper(), r.snils, r.oms_policy,
             clean(r.address), r.phone] for r in p.itertuples()]  # fmt: skip
    write_text(out / "PACIENT.TXT", ["NIB", "FIO", "DR", "POL", "SNILS", "POLIS", "ADRES", "TEL"], rows, **fmt)

    d = raw["diagnoses"]
    rows = [[r.record_number, two_digit(r.diagnosis_date), r.primary_icd10, clean(r.primary_text),
             r.bone_lesion_icd10, r.bone_metastases_count, r.visceral_metastases.upper(), r.ecog,
             r.chemotherapy_before_surgery.upper(), r.lesion_size_cm] for r in d.itertuples()]  # fmt: skip
    header = ["NIB", "DDIAG", "MKB", "DIAG", "MKBKOST", "NMTS", "VISC", "ECOG", "HIMIO", "RAZM"]
    write_text(out / "DIAGN.TXT", header, rows, **fmt)

    o = raw["operations"]
    rows = []
    for r in o.itertuples():
        bone_cat = category(book, "bone", r.bone)
        segment_cat = category(book, "segment", r.segment)
        bone = BONE_ABBREVIATIONS.get(bone_cat or "", r.bone.upper())
        segment = SEGMENT_ABBREVIATIONS.get(segment_cat or "", r.segment.upper())
        site = f"{bone}/{segment}" if segment else bone
        rows.append([r.record_number, two_digit(r.operation_date), site, r.fracture.upper(), clean(r.procedure),
                     r.surgeon, r.is_revision.upper(), clean(r.revision_reason)])  # fmt: skip
    header = ["NIB", "DOPER", "LOKAL", "PERELOM", "OPER", "HIRURG", "REVIZ", "PRREV"]
    write_text(out / "OPER.TXT", header, rows, **fmt)

    f = raw["follow_up"]
    rows = [[r.record_number, two_digit(r.last_contact_date), r.vital_status.upper(), two_digit(r.death_date)]
            for r in f.itertuples()]  # fmt: skip
    write_text(out / "KATAMN.TXT", ["NIB", "DKONT", "STATUS", "DSMERT"], rows, **fmt)


# --- a hand-kept Excel registry --------------------------------------------------------------------------------
REGISTRY_GROUPS = [
    ("Пациент", ["№ ИБ", "ФИО", "Дата рождения", "Пол"]),
    ("Диагноз", ["Дата диагноза", "МКБ-10", "Первичная опухоль", "МКБ-10 очага", "Число метастазов",
                 "Висцеральные мтс", "ECOG", "ХТ до операции", "Размер, см"]),
    ("Операция", ["Дата", "Кость", "Отдел", "Перелом", "Вмешательство", "Хирург", "Ревизия?"]),
    ("Ревизия", ["Дата", "Кость", "Отдел", "Перелом", "Вмешательство", "Причина"]),
    ("Исход", ["Последний контакт", "Статус", "Дата смерти"]),
]  # fmt: skip
PATIENT_COLUMNS = ["full_name", "birth_date", "sex"]
DIAGNOSIS_COLUMNS = ["diagnosis_date", "primary_icd10", "primary_text", "bone_lesion_icd10", "bone_metastases_count",
                     "visceral_metastases", "ecog", "chemotherapy_before_surgery", "lesion_size_cm"]  # fmt: skip
OPERATION_COLUMNS = ["operation_date", "bone", "segment", "fracture", "procedure", "surgeon", "is_revision"]
REVISION_COLUMNS = ["operation_date", "bone", "segment", "fracture", "procedure", "revision_reason"]
FOLLOW_UP_COLUMNS = ["last_contact_date", "vital_status", "death_date"]


def excel_cell(value: str, column: str, k: int):
    """How a hand-kept registry holds a value: dates as Excel dates, some as typed text, some as bare serial
    numbers; counts and sizes as numbers."""
    if column.endswith("_date"):
        day = as_date(value)
        if day is None:
            return value or None
        return [dt.datetime(day.year, day.month, day.day), value, (day - dt.date(1899, 12, 30)).days][k % 3]
    if column in ("bone_metastases_count", "ecog") and value.strip().lstrip("-").isdigit():
        return int(value)
    if column == "lesion_size_cm" and value.strip():
        try:
            return float(value.replace(",", "."))
        except ValueError:
            return value
    return value or None


def excel_registry(twin_dir: Path, config: dict, book: Codebook, out: Path) -> None:
    from openpyxl import Workbook

    raw = twin_exports(twin_dir, config)
    out.mkdir(parents=True, exist_ok=True)
    by_patient: dict[str, dict[str, list]] = {}
    for name in ("patients", "diagnoses", "operations", "follow_up"):
        for r in raw[name].to_dict("records"):
            part = name
            if name == "operations" and is_revision(book, r["is_revision"]):
                part = "revisions"
            by_patient.setdefault(r["record_number"], {}).setdefault(part, []).append(r)
    year_of = {}
    for record, parts in by_patient.items():
        days = [as_date(r["operation_date"]) for r in parts.get("operations", [])]
        days = [d for d in days if d]
        year_of[record] = min(days).year if days else 0

    wb = Workbook()
    ws = wb.active
    ws.title = "Реестр"
    ws.append(["Реестр пациентов с метастазами в длинные кости, оперированных в 2006-2020 гг."])
    top, bottom = [], []
    for group, names in REGISTRY_GROUPS:
        top += [group] + [None] * (len(names) - 1)
        bottom += names
    ws.append(top)
    ws.append(bottom)
    start = 1
    for _, names in REGISTRY_GROUPS:
        ws.merge_cells(start_row=2, start_column=start, end_row=2, end_column=start + len(names) - 1)
        start += len(names)
    year, k = None, 0
    for record in sorted(by_patient, key=lambda r: (year_of[r], r)):
        if year_of[record] != year:
            year = year_of[record]
            ws.append([f"{year} год" if year else "Без операции"])
        parts = by_patient[record]
        height = max(len(v) for v in parts.values())
        first = ws.max_row + 1
        for i in range(height):
            row = [record if i == 0 else None]
            for part, columns in (
                ("patients", PATIENT_COLUMNS),
                ("diagnoses", DIAGNOSIS_COLUMNS),
                ("operations", OPERATION_COLUMNS),
                ("revisions", REVISION_COLUMNS),
                ("follow_up", FOLLOW_UP_COLUMNS),
            ):
                rows = parts.get(part, [])
                source = rows[i] if i < len(rows) else {}
                row += [excel_cell(source.get(c, ""), c, k) for c in columns]
                k += 1
            ws.append(row)
        if height > 1:
            ws.merge_cells(start_row=first, start_column=1, end_row=first + height - 1, end_column=1)
    ws.append(["Итого пациентов:", len(by_patient)])
    wb.save(out / "registry.xlsx")
