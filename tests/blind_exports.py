"""Exports of three kinds in shapes the project has not seen, built from the twin's raw exports (issue 13).

Written from the documentation alone (README.md, config/README.md, the codebook), not from the intake's code or the
project's own shapes (tests/intake_shapes.py): a new centre's user who maps them by reading the docs. Every patient,
date, event and cause of the twin's exports is kept (defects too: duplicates, an impossible date), so the truth is
known: the flow, the analysis table and results/numbers.json must be the default run's.

- ``excel_registry``: one workbook, a sheet per kind (Patients, Diagnosis, Surgery, Follow-up, Labs, Notes), English
  abbreviated headers under a title row, blank spacer rows, year rows in the surgery sheet, one ROW per operation
  with a Type column (Index / Revision), dates as Excel dates with some typed as text (``2020-03-05`` and
  ``05/03/2020``), numbers as numeric cells.
- ``hospital_system``: UTF-16 with a byte-order mark, tab-separated, ISO 8601 datetimes with a ``T`` and seconds,
  sex as M/F, English bones, segments, fractures and procedures, the primary as a local code list, Y/N flags, test
  codes, the name in two fields, revisions in their own table keyed by the operation, no notes.
- ``legacy_dump``: cp866, ``|``-separated, CRLF, 8-character upper-case headers, 2-digit years for events and 4-digit
  birth years, upper-case labels abbreviated in a local way (``БЕДР.``, ``ПАТ.ПЕР.``; codebook entries), revision flag
  ``Д``/``Н``, a missing date, segment, reason or lesion code as ``-`` (which is also a label, "no", in the yes/no
  columns beside them), missing prognostic inputs as ``N/A``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TWIN_FILES = {
    "patients": ("patients.csv", "cp1251"),
    "diagnoses": ("diagnoses.csv", "cp1251"),
    "operations": ("operations.csv", "cp1251"),
    "follow_up": ("follow_up.csv", "cp1251"),
    "notes": ("notes.csv", "utf-8"),
    "laboratory": ("laboratory.csv", "cp1251"),
}
SHAPES = ("excel_registry", "hospital_system", "legacy_dump")
# A two-row UTF-16 export, as a hospital system's "Unicode text" export writes it (for the reader's unit test).
UTF16_SAMPLE = "PatientID\tSurname\tDOB\r\nИБ-0000001\tДорофеева\t1932-09-20T00:00:00\r\n"


def read_twin(raw: Path) -> dict[str, list[dict[str, str]]]:
    """The twin's six raw exports (cp1251 or UTF-8, ``;``) as lists of rows keyed by header."""
    tables = {}
    for name, (file, encoding) in TWIN_FILES.items():
        with open(raw / file, encoding=encoding, newline="") as handle:
            tables[name] = list(csv.DictReader(handle, delimiter=";"))
    return tables


def _norm(label: str) -> str:
    return " ".join(label.replace("ё", "е").replace("Ё", "Е").casefold().split())


class Categories:
    """Raw label -> codebook category, from config/codebook.yaml (the documented matching, simplified)."""

    def __init__(self, codebook: Path = ROOT / "config" / "codebook.yaml"):
        book = yaml.safe_load(codebook.read_text(encoding="utf-8"))
        self.fields: dict[str, dict[str, str]] = {}
        for field, entries in book.items():
            if not isinstance(entries, dict):
                continue
            lookup = {}
            for category, labels in entries.items():
                if isinstance(labels, dict):
                    labels = labels.get("labels", [])
                for label in labels:
                    lookup[_norm(str(label))] = str(category)
            self.fields[field] = lookup

    def __call__(self, field: str, label: str) -> str | None:
        return self.fields[field].get(_norm(label))


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%d.%m.%Y").date()
    except ValueError:
        return None


def _redate(text: str, fmt: str, bad: str) -> str:
    """A DD.MM.YYYY date written in ``fmt``; an impossible one (31.02.2014) as ``bad`` would write its parts."""
    if not text:
        return ""
    day = _date(text)
    if day is not None:
        return day.strftime(fmt)
    parts = text.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return text  # not a date at all ("неизв."): the export prints what was typed
    d, m, y = parts
    return bad.replace("%d", d).replace("%m", m).replace("%Y", y).replace("%y", y[-2:])


# --------------------------------------------------------------------------------------------------------- registry

TEXT_DATE_STYLES = ("%Y-%m-%d", "%d/%m/%Y")


def _cell_date(text: str, i: int):
    """Mostly a real Excel date; every 7th typed as ISO text, every 11th as DD/MM/YYYY text; impossible ones as text."""
    if not text:
        return None
    day = _date(text)
    if day is None:
        return _redate(text, "%d/%m/%Y", "%d/%m/%Y")
    if i % 7 == 3:
        return day.strftime("%Y-%m-%d")
    if i % 11 == 5:
        return day.strftime("%d/%m/%Y")
    return dt.datetime(day.year, day.month, day.day)


def _number(text: str):
    if text == "":
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return text
    return int(value) if value.is_integer() and "," not in text and "." not in text else value


def write_excel_registry(twin: dict, out: Path, cats: Categories) -> None:
    from openpyxl import Workbook

    out.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)

    def sheet(name: str, title: str, header: list[str]):
        ws = book.create_sheet(name)
        ws.append([title])
        ws.append([])
        ws.append(header)
        return ws

    ws = sheet(
        "Patients",
        "Bone metastases registry, Dept. of Orthopaedic Oncology: patients",
        ["Case #", "Patient (full name)", "D.o.b.", "M/F", "SNILS no.", "Ins. policy", "Home address", "Tel."],
    )
    for i, row in enumerate(twin["patients"]):
        if i and i % 25 == 0:
            ws.append([])  # a spacer row
        sex = {"female": "F", "male": "M"}[cats("sex", row["Пол"])]
        ws.append(
            [
                row["№ ИБ"],
                row["ФИО"],
                _cell_date(row["Дата рождения"], i),
                sex,
                row["СНИЛС"],
                row["Полис ОМС"],
                row["Адрес"],
                row["Телефон"],
            ]
        )

    ws = sheet(
        "Diagnosis",
        "Diagnosis at referral",
        [
            "Case #",
            "Dx date",
            "ICD-10 (primary)",
            "Primary tumour",
            "ICD-10 (bone lesion)",
            "No. of bone mets",
            "Visceral mets",
            "ECOG PS",
            "Chemo pre-op",
            "Lesion size, cm",
            "Visceral mets (type)",
            "Brain mets",
            "Hormone-dependent",
            "Targeted therapy",
        ],
    )
    for i, row in enumerate(twin["diagnoses"]):
        ws.append(
            [
                row["№ ИБ"],
                _cell_date(row["Дата установления диагноза"], i),
                row["Код МКБ-10"],
                row["Диагноз"],
                row["Поражение кости (МКБ-10)"],
                _number(row["Число костных метастазов"]),
                row["Висцеральные метастазы"],
                _number(row["ECOG"]),
                row["Химиотерапия до операции"],
                _number(row["Размер очага, см"]),
                row["Характер висцеральных метастазов"],
                row["Метастазы в головной мозг"],
                row["Гормонозависимая опухоль"],
                row["Таргетная терапия"],
            ]
        )

    ws = sheet(
        "Surgery",
        "Operations (index and revision), one row per operation",
        [
            "Case #",
            "Type",
            "Date of surgery",
            "Bone",
            "Segment",
            "Fracture",
            "Procedure",
            "Surgeon",
            "Reason for revision",
            "Comment",
        ],
    )
    year = None
    for i, row in enumerate(twin["operations"]):
        this_year = row["Дата операции"][-4:]
        if this_year.isdigit() and this_year != year:
            ws.append([f"{this_year}"])  # a year section row: one cell
            year = this_year
        kind = "Revision" if cats("revision_flag", row["Ревизия"]) == "yes" else "Index"
        ws.append(
            [
                row["№ ИБ"],
                kind,
                _cell_date(row["Дата операции"], i),
                row["Кость"],
                row["Отдел"],
                row["Перелом"],
                row["Операция"],
                row["Хирург"],
                row["Причина ревизии"],
                None,
            ]
        )

    ws = sheet("Follow-up", "Follow-up", ["Case #", "Last seen", "Status", "Date of death"])
    for i, row in enumerate(twin["follow_up"]):
        ws.append(
            [
                row["№ ИБ"],
                _cell_date(row["Дата последнего контакта"], i),
                row["Статус"],
                _cell_date(row["Дата смерти"], i + 1),
            ]
        )

    ws = sheet("Labs", "Pre-operative laboratory", ["Case #", "Drawn on", "Test", "Result", "Units"])
    for i, row in enumerate(twin["laboratory"]):
        drawn, value = _cell_date(row["Дата забора"], i), _number(row["Результат"])
        ws.append([row["№ ИБ"], drawn, row["Показатель"], value, row["Ед. изм."]])

    ws = sheet("Notes", "Clinical notes", ["Case #", "Date", "Note"])
    for i, row in enumerate(twin["notes"]):
        ws.append([row["№ ИБ"], _cell_date(row["Дата записи"], i), row["Текст"]])

    book.save(out / "bone_mets_registry.xlsx")


# ---------------------------------------------------------------------------------------------------- hospital system

HIS_BONE = {
    "femur": "Femur",
    "humerus": "Humerus",
    "tibia": "Tibia",
    "radius": "Radius",
    "ulna": "Ulna",
    "fibula": "Fibula",
    "spine": "Spine",
    "pelvis": "Pelvis",
}
HIS_SEGMENT = {"proximal": "Proximal", "diaphysis": "Shaft", "distal": "Distal", "not_applicable": ""}
HIS_FRACTURE = {"pathological": "Pathological fracture", "impending": "Impending fracture"}
HIS_PROCEDURE = {
    "endoprosthesis": "Endoprosthetic replacement",
    "intramedullary_osteosynthesis": "Intramedullary nailing",
    "plate_osteosynthesis": "Plate osteosynthesis",
    "other": "Curettage and cementation",
    "spine_surgery": "Spinal decompression and fixation",
    "revision_procedure": "Revision arthroplasty",
}
# The hospital's own code list of primary sites (the config maps each code to a label the codebook knows).
HIS_PRIMARY = {
    "breast": "BRE",
    "kidney": "KID",
    "lung": "LUN",
    "prostate": "PRO",
    "rectum": "REC",
    "liver": "LIV",
    "ewing_sarcoma": "EWS",
    "thyroid": "THY",
    "melanoma": "MEL",
    "stomach": "STO",
    "bladder": "BLA",
    "cervix": "CER",
    "unknown_primary": "CUP",
    "osteosarcoma": "OST",
    "chondrosarcoma": "CHS",
    "giant_cell_tumour": "GCT",
    "enchondroma": "ENC",
    "aneurysmal_bone_cyst": "ABC",
}
HIS_YES_NO = {"yes": "Y", "no": "N", "unknown": ""}
HIS_SPREAD = {"none": "none", "nodular": "nodular", "disseminated": "disseminated", "unknown": ""}
HIS_TEST = {
    "crp": "CRP",
    "ldh": "LDH",
    "albumin": "ALB",
    "platelets": "PLT",
    "calcium": "CA",
    "bilirubin": "TBIL",
    "haemoglobin": "HGB",
    "lymphocytes": "LYMPH#",
}
HIS_UNIT = {
    "mg_per_l": "mg/L",
    "mg_per_dl": "mg/dL",
    "u_per_l": "U/L",
    "g_per_l": "g/L",
    "g_per_dl": "g/dL",
    "e9_per_l": "10^9/L",
    "mmol_per_l": "mmol/L",
    "umol_per_l": "umol/L",
}


def _iso(text: str, i: int) -> str:
    """ISO 8601 with a T and seconds; a time of day that varies; impossible dates as the system would print them."""
    stamp = f"T{(7 + i % 12):02d}:{(i * 7) % 60:02d}:{(i * 13) % 60:02d}"
    written = _redate(text, "%Y-%m-%d", "%Y-%m-%d")
    return written + stamp if written[:4].isdigit() else written


def _tsv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    lines = ["\t".join(header)] + ["\t".join(row) for row in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-16")


def write_hospital_system(twin: dict, out: Path, cats: Categories) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stamp = "20210630"
    rows = []
    for row in twin["patients"]:
        surname, _, given = row["ФИО"].partition(" ")
        sex = {"female": "F", "male": "M"}[cats("sex", row["Пол"])]
        birth = _redate(row["Дата рождения"], "%Y-%m-%d", "%Y-%m-%d")
        rows.append(
            [row["№ ИБ"], surname, given, birth + "T00:00:00" if birth else "", sex, row["СНИЛС"], row["Полис ОМС"]]
            + [row["Адрес"], row["Телефон"]]
        )
    header = ["PatientID", "Surname", "GivenNames", "DOB", "Sex", "SNILS", "InsurancePolicy", "Address", "Phone"]
    _tsv(out / f"PAT_{stamp}.tsv", header, rows)

    rows = []
    for i, row in enumerate(twin["diagnoses"]):
        text = row["Диагноз"]
        primary = HIS_PRIMARY[cats("primary_group", text)] if text else ""
        rows.append(
            [
                row["№ ИБ"],
                _iso(row["Дата установления диагноза"], i),
                row["Код МКБ-10"],
                primary,
                row["Поражение кости (МКБ-10)"],
                row["Число костных метастазов"],
                HIS_YES_NO[cats("yes_no", row["Висцеральные метастазы"])],
                row["ECOG"],
                HIS_YES_NO[cats("yes_no", row["Химиотерапия до операции"])],
                row["Размер очага, см"].replace(",", "."),
                HIS_SPREAD[cats("visceral_spread", row["Характер висцеральных метастазов"])],
                HIS_YES_NO[cats("yes_no_unknown", row["Метастазы в головной мозг"])],
                HIS_YES_NO[cats("yes_no_unknown", row["Гормонозависимая опухоль"])],
                HIS_YES_NO[cats("yes_no_unknown", row["Таргетная терапия"])],
            ]
        )
    header = [
        "PatientID",
        "DiagnosisDateTime",
        "ICD10",
        "PrimarySiteCode",
        "LesionICD10",
        "BoneMetCount",
        "VisceralMets",
        "ECOG",
        "NeoadjChemo",
        "LesionSizeCm",
        "VisceralSpread",
        "BrainMets",
        "HormoneDependent",
        "TargetedTherapy",
    ]
    _tsv(out / f"DX_{stamp}.tsv", header, rows)

    index_rows, revision_rows = [], []
    last_operation: dict[tuple[str, str], str] = {}
    for i, row in enumerate(twin["operations"]):
        bone = cats("bone", row["Кость"])
        common = [
            row["№ ИБ"],
            _iso(row["Дата операции"], i),
            HIS_BONE[bone],
            HIS_SEGMENT[cats("segment", row["Отдел"])],
            HIS_FRACTURE[cats("fracture", row["Перелом"])],
            HIS_PROCEDURE[cats("operation_method", row["Операция"])],
            row["Хирург"],
        ]
        if cats("revision_flag", row["Ревизия"]) == "yes":
            revised = last_operation.get((row["№ ИБ"], bone), "")
            revision_rows.append([f"R{i + 1:05d}", revised] + common + [row["Причина ревизии"]])
        else:
            op_id = f"OP{i + 1:05d}"
            last_operation[(row["№ ИБ"], bone)] = op_id
            index_rows.append([op_id] + common)
    header = ["OperationID", "PatientID", "StartDateTime", "Site", "SiteDetail", "Fracture", "ProcedureText", "Surgeon"]
    _tsv(out / f"SURG_{stamp}.tsv", header, index_rows)
    _tsv(out / f"SURG_REV_{stamp}.tsv", ["RevisionID", "RevisedOperationID"] + header[1:] + ["Reason"], revision_rows)

    rows = []
    for i, row in enumerate(twin["follow_up"]):
        status = {"alive": "alive", "dead": "dead"}[cats("vital_status", row["Статус"])]
        rows.append([row["№ ИБ"], _iso(row["Дата последнего контакта"], i), status, _iso(row["Дата смерти"], i + 3)])
    _tsv(out / f"VITAL_{stamp}.tsv", ["PatientID", "LastContactDateTime", "VitalStatus", "DeathDateTime"], rows)

    rows = []
    for i, row in enumerate(twin["laboratory"]):
        test = HIS_TEST[cats("laboratory_test", row["Показатель"])]
        unit = HIS_UNIT[cats("laboratory_unit", row["Ед. изм."])]
        rows.append([row["№ ИБ"], _iso(row["Дата забора"], i), test, row["Результат"].replace(",", "."), unit])
    _tsv(out / f"LAB_{stamp}.tsv", ["PatientID", "CollectedAt", "TestCode", "ResultValue", "ResultUnit"], rows)


# -------------------------------------------------------------------------------------------------------- legacy dump

LEGACY_BONE = {
    "femur": "БЕДР.",
    "humerus": "ПЛЕЧ.",
    "tibia": "Б/БЕРЦ.",
    "radius": "ЛУЧ.",
    "ulna": "ЛОКТ.",
    "fibula": "М/БЕРЦ.",
    "spine": "ПОЗВ.",
    "pelvis": "ТАЗ",
}
LEGACY_SEGMENT = {"proximal": "ПРОКС.", "diaphysis": "ДИАФ.", "distal": "ДИСТ.", "not_applicable": ""}
LEGACY_FRACTURE = {"pathological": "ПАТ.ПЕР.", "impending": "УГР.ПЕР."}
LEGACY_FLAG = {"yes": "Д", "no": "Н"}
# The entries a user adds to config/codebook.yaml for these local labels (appended under the existing fields).
LEGACY_CODEBOOK = {
    "bone": {category: [label] for category, label in LEGACY_BONE.items()},
    "segment": {category: [label] for category, label in LEGACY_SEGMENT.items() if label},
    "fracture": {category: [label] for category, label in LEGACY_FRACTURE.items()},
    "revision_flag": {category: [label] for category, label in LEGACY_FLAG.items()},
}


def _dos(path: Path, header: list[str], rows: list[list[str]]) -> None:
    lines = ["|".join(header)] + ["|".join(row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp866"))


def _yy(text: str) -> str:
    return _redate(text, "%d/%m/%y", "%d/%m/%y")


def write_legacy_dump(twin: dict, out: Path, cats: Categories) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for row in twin["patients"]:
        parts = row["ФИО"].split(" ")
        parts += [""] * (3 - len(parts))
        sex = {"female": "Ж", "male": "М"}[cats("sex", row["Пол"])]
        rows.append([row["№ ИБ"], *parts[:3], row["Дата рождения"], sex, row["СНИЛС"], row["Полис ОМС"]])
        rows[-1] += [row["Адрес"], row["Телефон"]]
    header = ["NOMER_IB", "FAMILIYA", "IMYA", "OTCHESTV", "DATA_ROZ", "POL", "SNILS", "POLIS_OM", "ADRES", "TELEFON"]
    _dos(out / "PACIENT.DAT", header, rows)

    rows = []
    for row in twin["diagnoses"]:

        def unknown(value: str) -> str:
            return "N/A" if value == "" else value.upper()

        rows.append(
            [
                row["№ ИБ"],
                _yy(row["Дата установления диагноза"]),
                row["Код МКБ-10"],
                row["Диагноз"].upper(),
                row["Поражение кости (МКБ-10)"] or "-",
                row["Число костных метастазов"],
                row["Висцеральные метастазы"].upper(),
                row["ECOG"],
                row["Химиотерапия до операции"].upper(),
                row["Размер очага, см"],
                row["Характер висцеральных метастазов"].upper(),
                unknown(row["Метастазы в головной мозг"]),
                unknown(row["Гормонозависимая опухоль"]),
                unknown(row["Таргетная терапия"]),
            ]
        )
    header = ["NOMER_IB", "DATA_DZ", "KOD_MKB", "DIAGNOZ", "MKB_KOST", "KOL_MTS", "VISC_MTS", "ECOG", "HIMIOTER"]
    header += ["RAZMER", "HAR_VISC", "MTS_MOZG", "GORM_ZAV", "TARGET"]
    _dos(out / "DIAGNOZ.DAT", header, rows)

    rows = []
    for row in twin["operations"]:
        rows.append(
            [
                row["№ ИБ"],
                _yy(row["Дата операции"]),
                LEGACY_BONE[cats("bone", row["Кость"])],
                LEGACY_SEGMENT[cats("segment", row["Отдел"])] or "-",
                LEGACY_FRACTURE[cats("fracture", row["Перелом"])],
                row["Операция"].upper(),
                row["Хирург"],
                LEGACY_FLAG[cats("revision_flag", row["Ревизия"])],
                row["Причина ревизии"] or "-",
            ]
        )
    header = ["NOMER_IB", "DATA_OP", "KOST", "OTDEL", "PERELOM", "OPERACIA", "HIRURG", "REVIZIA", "PRICH_RV"]
    _dos(out / "OPERACII.DAT", header, rows)

    rows = [
        [row["№ ИБ"], _yy(row["Дата последнего контакта"]), row["Статус"].upper(), _yy(row["Дата смерти"]) or "-"]
        for row in twin["follow_up"]
    ]
    _dos(out / "KATAMNEZ.DAT", ["NOMER_IB", "DATA_KON", "ISHOD", "DATA_SM"], rows)

    rows = [
        [row["№ ИБ"], _yy(row["Дата забора"]), row["Показатель"].upper(), row["Результат"], row["Ед. изм."].upper()]
        for row in twin["laboratory"]
    ]
    _dos(out / "ANALIZY.DAT", ["NOMER_IB", "DATA_ZAB", "POKAZAT", "REZULTAT", "ED_IZM"], rows)

    rows = [[row["№ ИБ"], _yy(row["Дата записи"]), re.sub(r"[|\r\n]", " ", row["Текст"])] for row in twin["notes"]]
    _dos(out / "ZAPISI.DAT", ["NOMER_IB", "DATA_ZAP", "TEKST"], rows)


def legacy_codebook(out: Path, codebook: Path = ROOT / "config" / "codebook.yaml") -> Path:
    """The project's codebook with the legacy dump's local labels added, as a user would add them."""
    text = codebook.read_text(encoding="utf-8")
    book = yaml.safe_load(text)
    for field, entries in LEGACY_CODEBOOK.items():
        for category, labels in entries.items():
            book[field][category] = list(book[field][category]) + labels
    out.write_text(yaml.safe_dump(book, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


WRITERS = {
    "excel_registry": write_excel_registry,
    "hospital_system": write_hospital_system,
    "legacy_dump": write_legacy_dump,
}


def build(shape: str, raw: Path, out: Path) -> Path:
    """Write the exports of ``shape`` into ``out`` from the twin's raw exports in ``raw``."""
    WRITERS[shape](read_twin(raw), out, Categories())
    return out


if __name__ == "__main__":
    import sys

    raw_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    for name in sys.argv[3:] or SHAPES:
        print(build(name, raw_dir, out_dir / name))
