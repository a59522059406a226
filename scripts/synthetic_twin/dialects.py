"""How each hospital writes its exports. The twin is generated once, in the Herzen institute's format, and rendered
in another centre's dialect on request: other headers, encoding, separator, date format and decimal mark, English
labels. The same cohort then has to come out of the same workflow, changing only the config and the codebook.
"""

from __future__ import annotations

import re

import pandas as pd

from . import vocabulary as vocab

HERZEN = "herzen"
SECOND_CENTRE = "second_centre"

HERZEN_HEADERS = {
    "patients": {
        "record_number": "№ ИБ",
        "full_name": "ФИО",
        "birth_date": "Дата рождения",
        "sex": "Пол",
        "snils": "СНИЛС",
        "oms_policy": "Полис ОМС",
        "address": "Адрес",
        "phone": "Телефон",
    },
    "diagnoses": {
        "record_number": "№ ИБ",
        "diagnosis_date": "Дата установления диагноза",
        "primary_icd10": "Код МКБ-10",
        "primary_text": "Диагноз",
        "bone_lesion_icd10": "Поражение кости (МКБ-10)",
        "bone_metastases_count": "Число костных метастазов",
        "visceral_metastases": "Висцеральные метастазы",
        "ecog": "ECOG",
        "chemotherapy_before_surgery": "Химиотерапия до операции",
        "lesion_size_cm": "Размер очага, см",
        "visceral_spread": "Характер висцеральных метастазов",
        "cerebral_metastases": "Метастазы в головной мозг",
        "hormone_dependent": "Гормонозависимая опухоль",
        "targeted_therapy": "Таргетная терапия",
    },
    "operations": {
        "record_number": "№ ИБ",
        "operation_date": "Дата операции",
        "bone": "Кость",
        "segment": "Отдел",
        "fracture": "Перелом",
        "procedure": "Операция",
        "surgeon": "Хирург",
        "is_revision": "Ревизия",
        "revision_reason": "Причина ревизии",
    },
    "follow_up": {
        "record_number": "№ ИБ",
        "last_contact_date": "Дата последнего контакта",
        "vital_status": "Статус",
        "death_date": "Дата смерти",
    },
    "notes": {"record_number": "№ ИБ", "note_date": "Дата записи", "text": "Текст"},
    "laboratory": {
        "record_number": "№ ИБ",
        "lab_date": "Дата забора",
        "test": "Показатель",
        "value": "Результат",
        "unit": "Ед. изм.",
    },
}
SECOND_CENTRE_HEADERS = {
    "patients": {
        "record_number": "MRN",
        "full_name": "Patient name",
        "birth_date": "Date of birth",
        "sex": "Sex",
        "snils": "SNILS",
        "oms_policy": "Insurance policy",
        "address": "Address",
        "phone": "Phone",
    },
    "diagnoses": {
        "record_number": "MRN",
        "diagnosis_date": "Diagnosis date",
        "primary_icd10": "Primary ICD-10",
        "primary_text": "Primary tumour",
        "bone_lesion_icd10": "Bone lesion ICD-10",
        "bone_metastases_count": "Bone metastases",
        "visceral_metastases": "Visceral metastases",
        "ecog": "ECOG PS",
        "chemotherapy_before_surgery": "Chemotherapy before surgery",
        "lesion_size_cm": "Lesion size (cm)",
        "visceral_spread": "Visceral spread",
        "cerebral_metastases": "Brain metastases",
        "hormone_dependent": "Hormone dependent",
        "targeted_therapy": "Targeted therapy",
    },
    "operations": {
        "record_number": "MRN",
        "operation_date": "Surgery date",
        "bone": "Bone",
        "segment": "Segment",
        "fracture": "Fracture",
        "procedure": "Procedure",
        "surgeon": "Surgeon",
        "is_revision": "Revision",
        "revision_reason": "Revision reason",
    },
    "follow_up": {
        "record_number": "MRN",
        "last_contact_date": "Last contact",
        "vital_status": "Vital status",
        "death_date": "Date of death",
    },
    "notes": {"record_number": "MRN", "note_date": "Note date", "text": "Note"},
    "laboratory": {"record_number": "MRN", "lab_date": "Date drawn", "test": "Test", "value": "Result", "unit": "Unit"},
}

DIALECTS = {
    HERZEN: {
        "headers": HERZEN_HEADERS,
        # The information system is a Windows program: cp1251, ';', CRLF, decimal commas; the notes module UTF-8.
        "formats": {
            name: {
                "encoding": "utf-8" if name == "notes" else "cp1251",
                "separator": ";",
                "date_format": "%d.%m.%Y",
                "decimal": "." if name == "notes" else ",",
                "lineterminator": "\n" if name == "notes" else "\r\n",
            }
            for name in HERZEN_HEADERS
        },
    },
    SECOND_CENTRE: {
        "headers": SECOND_CENTRE_HEADERS,
        "formats": {
            name: {
                "encoding": "utf-8",
                "separator": ",",
                "date_format": "%Y-%m-%d",
                "decimal": ".",
                "lineterminator": "\n",
            }
            for name in SECOND_CENTRE_HEADERS
        },
    },
}

# English labels of the second centre: field -> category -> label.
ENGLISH = {
    "bone": {
        "femur": "Femur",
        "humerus": "Humerus",
        "tibia": "Tibia",
        "radius": "Radius",
        "ulna": "Ulna",
        "fibula": "Fibula",
        "spine": "Spine",
        "pelvis": "Pelvis",
    },
    "segment": {"proximal": "proximal", "diaphysis": "shaft", "distal": "distal", "none": ""},
    "fracture": {"pathological": "pathological fracture", "impending": "impending fracture"},
    "sex": {"female": "F", "male": "M"},
    "yes_no": {"yes": "yes", "no": "no"},
    "yes_no_unknown": {"yes": "yes", "no": "no", "unknown": ""},
    "visceral_spread": {"none": "none", "nodular": "nodular", "disseminated": "disseminated"},
    "laboratory_test": {
        "С-реактивный белок": "CRP",
        "СРБ": "CRP",
        "CRP": "CRP",
        "ЛДГ": "LDH",
        "Лактатдегидрогеназа": "LDH",
        "Альбумин": "Albumin",
        "Альбумин сыворотки": "Albumin",
        "Тромбоциты": "Platelets",
        "PLT": "Platelets",
        "Кальций общий": "Total calcium",
        "Ca общий": "Total calcium",
        "Билирубин общий": "Total bilirubin",
        "Гемоглобин": "Haemoglobin",
        "HGB": "Haemoglobin",
        "Лимфоциты абс.": "Lymphocytes",
        "LYM#": "Lymphocytes",
    },
    "laboratory_unit": {
        "мг/л": "mg/L",
        "мг/дл": "mg/dL",
        "Ед/л": "U/L",
        "г/л": "g/L",
        "10^9/л": "10^9/L",
        "ммоль/л": "mmol/L",
        "мкмоль/л": "umol/L",
    },
    "revision_flag": {"yes": "yes", "no": "no"},
    "vital_status": {"alive": "alive", "dead": "dead"},
    "procedure": {
        "endoprosthesis": "endoprosthetic replacement",
        "intramedullary_osteosynthesis": "intramedullary nailing",
        "plate_osteosynthesis": "plate osteosynthesis",
        "other": "curettage and cementation",
    },
    "revision_procedure": {
        "preoperative_diagnostic_error": "resection and endoprosthetic replacement",
        "postoperative_infection": "debridement and implant removal",
        "endoprosthesis_dislocation": "open reduction of dislocation",
        "solitary_metastasis_progression_after_osteosynthesis": "implant removal and resection",
        "aseptic_instability_after_intramedullary_osteosynthesis": "nail removal and revision",
        "endoprosthesis_stem_fracture": "revision arthroplasty",
    },
    "revision_reason": {
        "preoperative_diagnostic_error": "diagnostic error",
        "postoperative_infection": "infection",
        "endoprosthesis_dislocation": "dislocation",
        "solitary_metastasis_progression_after_osteosynthesis": (
            "progression of a solitary metastasis after osteosynthesis"
        ),
        "aseptic_instability_after_intramedullary_osteosynthesis": "aseptic loosening",
        "endoprosthesis_stem_fracture": "stem fracture",
    },
    "primary": {
        "breast": "breast cancer",
        "kidney": "renal cell carcinoma",
        "lung": "lung cancer",
        "prostate": "prostate cancer",
        "rectum": "rectal cancer",
        "liver": "liver cancer",
        "ewing_sarcoma": "Ewing sarcoma",
        "thyroid": "thyroid cancer",
        "melanoma": "melanoma",
        "stomach": "gastric cancer",
        "bladder": "bladder cancer",
        "cervix": "cervical cancer",
        "unknown_primary": "cancer of unknown primary",
    },
    "non_metastatic": {
        "C40.2": "osteosarcoma",
        "D48.0": "giant cell tumour of bone",
        "C41.4": "chondrosarcoma",
        "D16.2": "enchondroma",
        "M85.5": "aneurysmal bone cyst",
    },
}
SPINE_SURGERY_EN = "spinal decompression and fixation"


def reverse(table: dict[str, list[str]]) -> dict[str, str]:
    return {variant: category for category, variants in table.items() for variant in variants}


def _map(values: pd.Series, table: dict[str, list[str]], english: dict[str, str]) -> pd.Series:
    categories = values.map(reverse(table))
    if categories.isna().any():
        raise ValueError(f"labels without a category: {sorted(set(values[categories.isna()]))[:5]}")
    return categories.map(english)


def _iso(values: pd.Series) -> pd.Series:
    """DD.MM.YYYY -> YYYY-MM-DD; what does not parse stays as written (the defects the stage must catch)."""
    parsed = pd.to_datetime(values, format="%d.%m.%Y", errors="coerce")
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), values)


def _reason(text: str) -> str:
    label, _, tail = text.partition(". Осмотр ")
    english = ENGLISH["revision_reason"][reverse(vocab.REVISION_REASON)[label]]
    if not tail:
        return english
    date, _, surgeon = tail.partition(", хирург ")
    return f"{english}. Seen {_iso(pd.Series([date])).iloc[0]}, surgeon {surgeon}"


def render(raw: dict[str, pd.DataFrame], dialect: str) -> dict[str, pd.DataFrame]:
    """The twin's raw tables (canonical column names, Herzen values) as `dialect` writes them."""
    return {name: render_table(name, table, dialect) for name, table in raw.items()}


def render_table(name: str, table: pd.DataFrame, dialect: str) -> pd.DataFrame:
    """One raw table (canonical column names, Herzen values) as `dialect` writes it; each table is rendered on its
    own, so the twin can be written table by table."""
    if dialect == HERZEN:
        return table
    if dialect != SECOND_CENTRE:
        raise ValueError(f"unknown dialect {dialect!r}; known: {sorted(DIALECTS)}")
    t = table.copy()
    if name == "patients":
        t["birth_date"] = _iso(t["birth_date"])
        t["sex"] = _map(t["sex"], vocab.SEX, ENGLISH["sex"])
    elif name == "diagnoses":
        d = t
        d["diagnosis_date"] = _iso(d["diagnosis_date"])
        d["primary_icd10"] = d["primary_icd10"].str.replace("С", "C", regex=False)
        metastatic = d["bone_lesion_icd10"] != ""
        groups = d["primary_text"].map(reverse({g: texts for g, (_, texts) in vocab.PRIMARY.items()}))
        d["primary_text"] = groups.map(ENGLISH["primary"]).where(
            metastatic, d["primary_icd10"].map(ENGLISH["non_metastatic"])
        )
        d["bone_lesion_icd10"] = d["bone_lesion_icd10"].where(~metastatic, "C79.5")
        for column in ("visceral_metastases", "chemotherapy_before_surgery"):
            d[column] = _map(d[column], vocab.YES_NO, ENGLISH["yes_no"])
        for column in ("cerebral_metastases", "hormone_dependent", "targeted_therapy"):
            d[column] = _map(d[column], vocab.YES_NO_UNKNOWN, ENGLISH["yes_no_unknown"])
        d["visceral_spread"] = _map(d["visceral_spread"], vocab.VISCERAL_SPREAD, ENGLISH["visceral_spread"])
    elif name == "laboratory":
        t["lab_date"] = _iso(t["lab_date"])
        t["test"] = t["test"].map(ENGLISH["laboratory_test"])
        t["unit"] = t["unit"].map(ENGLISH["laboratory_unit"])
    elif name == "operations":
        o = t
        o["operation_date"] = _iso(o["operation_date"])
        o["bone"] = _map(o["bone"], vocab.BONE, ENGLISH["bone"])
        o["segment"] = _map(o["segment"], vocab.SEGMENT, ENGLISH["segment"])
        o["fracture"] = _map(o["fracture"], vocab.FRACTURE, ENGLISH["fracture"])
        revision = o["is_revision"].map(reverse(vocab.REVISION_FLAG)) == "yes"
        o["is_revision"] = _map(o["is_revision"], vocab.REVISION_FLAG, ENGLISH["revision_flag"])
        index_method = o["procedure"].map(reverse(vocab.INDEX_OPERATION))
        revision_kind = o["procedure"].map(reverse(vocab.REVISION_OPERATION))
        o["procedure"] = index_method.map(ENGLISH["procedure"]).where(
            ~revision, revision_kind.map(ENGLISH["revision_procedure"])
        )
        o.loc[o["procedure"].isna(), "procedure"] = SPINE_SURGERY_EN
        o["revision_reason"] = o["revision_reason"].map(lambda text: _reason(text) if text else "")
    elif name == "follow_up":
        for column in ("last_contact_date", "death_date"):
            t[column] = _iso(t[column])
        t["vital_status"] = _map(t["vital_status"], vocab.VITAL_STATUS, ENGLISH["vital_status"])
    elif name == "notes":
        t["note_date"] = _iso(t["note_date"])
    return t


def english_labels() -> list[str]:
    """Every label the second centre writes (the codebook must know them all)."""
    labels = set()
    for table in ENGLISH.values():
        labels.update(table.values())
    return sorted(labels | {SPINE_SURGERY_EN})


def is_iso_date(value: str) -> bool:
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))
