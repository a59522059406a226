"""The adversarial corpus (deidentify.adversarial) written as a centre's raw exports, to run through the workflow.

The clinical content is the default twin's (read back from its exports as a user would, so that the study has a
cohort to analyse); every identifier is the adversarial corpus's, placed the ways real exports carry them:

- the patient's own identity in the identifier columns (name, record number, SNILS, OMS policy, phone, address),
  so the scrubber knows them as "own" identifiers;
- the surgeons' column holds the adversarial staff roster (third persons the pipeline learns from that column);
- the adversarial records' four text columns, appended as further sentences to the free-text cells (procedure,
  revision reason, diagnosis text) and as a clinical note;
- names, phones and dates inside coded-label cells (vital status, bone, segment, ICD-10 code) of a few patients,
  which the codebook cannot know (review mode excludes them);
- an unexpected column whose header is a relative's name and phone, and a "contact person" column and an
  "attending physician" column (relatives and staff in several columns of one table).

Written with its own code (not the twin's writer, not tests/intake_shapes.py): UTF-8 without BOM, commas, English
snake-case headers, ISO dates. `build()` returns every identifier placed (kind and where), for the
assertions; the config override that maps the files is `override()`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from deidentify.adversarial import Record, generate
from raw_exports import read_raw_table

TWIN_TABLES = ("patients", "diagnoses", "operations", "follow_up", "notes")
HEADERS = {
    "patients": {
        "record_number": "case_no",
        "full_name": "patient_name",
        "birth_date": "dob",
        "sex": "sex",
        "snils": "snils_no",
        "oms_policy": "insurance_no",
        "address": "home_address",
        "phone": "contact_phone",
    },
    "diagnoses": {
        "record_number": "case_no",
        "diagnosis_date": "diagnosed_on",
        "primary_icd10": "icd10_primary",
        "primary_text": "diagnosis_text",
        "bone_lesion_icd10": "icd10_bone",
        "bone_metastases_count": "bone_mets_n",
        "visceral_metastases": "visceral_mets",
        "ecog": "ecog_ps",
        "chemotherapy_before_surgery": "chemo_before",
        "lesion_size_cm": "lesion_cm",
    },
    "operations": {
        "record_number": "case_no",
        "operation_date": "operated_on",
        "bone": "bone_site",
        "segment": "bone_segment",
        "fracture": "fracture_present",
        "procedure": "procedure_text",
        "surgeon": "operating_surgeon",
        "is_revision": "revision_yn",
        "revision_reason": "revision_comment",
    },
    "follow_up": {
        "record_number": "case_no",
        "last_contact_date": "last_seen",
        "vital_status": "status",
        "death_date": "died_on",
    },
    "notes": {"record_number": "case_no", "note_date": "written_on", "text": "note_body"},
}
FILES = {name: f"adv_{name}.csv" for name in HEADERS}


@dataclass
class Planted:
    """Every identifier written into the exports, with the kind it was planted as and where."""

    values: list[tuple[str, str, str]] = field(default_factory=list)  # (value, kind, where)

    def add(self, value: str, kind: str, where: str) -> None:
        if value and value.strip():
            self.values.append((value.strip(), kind, where))


def _iso(text: str) -> str:
    try:
        return dt.datetime.strptime(text.strip(), "%d.%m.%Y").date().isoformat()
    except ValueError:
        return text  # an unparseable date stays as typed (the twin's defects)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def _append(label: str, text: str) -> str:
    """A label followed by the record's sentences (the codebook reads the first sentence only)."""
    label = label.strip()
    if not label:
        return label
    return f"{label.rstrip('.')}. {text.strip()}"


def _spans(record: Record, kinds: tuple[str, ...]) -> list[str]:
    """The values of the record's annotated identifiers of these kinds (the patient's own and third persons')."""
    return [record.columns[c][s:e] for c, s, e, kind, _ in record.spans if kind in kinds]


def build(
    twin_dir: Path,
    config: dict,
    out: Path,
    n_patients: int = 40,
    seed: int = 2024,
    coded: bool = True,
    header: bool = True,
):
    """Write the exports to `out`; return the Planted identifiers. `coded`: also put identifiers into coded-label
    cells (vital status, bone, segment, ICD-10) of a few patients; `header`: and a column whose header is a
    relative's name and phone."""
    specs = config["raw_exports"]["tables"]
    raw = {n: read_raw_table(twin_dir / "raw" / specs[n]["file"], specs[n]).data.copy() for n in TWIN_TABLES}
    out.mkdir(parents=True, exist_ok=True)
    planted = Planted()

    records, staff = generate(n_patients * 2, seed)
    taken = set(raw["patients"]["record_number"])
    chosen: list[Record] = []
    for record in records:  # record numbers unique in the export
        if record.record_number not in taken and len(chosen) < n_patients:
            taken.add(record.record_number)
            chosen.append(record)
    # Patients in the order of the export; every third gets an adversarial identity (spread over the cohort).
    patients = list(dict.fromkeys(raw["patients"]["record_number"]))
    targets = patients[1::3][: len(chosen)]
    renumber = {old: rec.record_number for old, rec in zip(targets, chosen, strict=False)}
    by_new = {rec.record_number: rec for rec in chosen}

    for record in chosen:
        where = f"patient {record.record_number}"
        planted.add(record.full_name, "name", f"{where}: name column")
        planted.add(record.record_number, "record_number", f"{where}: record number column")
        for number, kind in zip(record.numbers, ("snils", "oms", "phone"), strict=True):
            planted.add(number, kind, f"{where}: identifier column")
        for column, start, end, kind, own in record.spans:
            planted.add(
                record.columns[column][start:end], kind, f"{where}: {column} text ({'own' if own else 'other'})"
            )
    for name in staff:
        planted.add(name, "name_staff", "surgeon column")

    # patients
    p = raw["patients"]
    p["record_number"] = p["record_number"].map(lambda v: renumber.get(v, v))
    relatives, physicians = [], []
    for i, row in p.iterrows():
        rec = by_new.get(row["record_number"])
        if rec is None:
            relatives.append("")
            physicians.append("")
            continue
        p.at[i, "full_name"] = rec.full_name
        p.at[i, "snils"] = f"{rec.numbers[0][:3]}-{rec.numbers[0][3:6]}-{rec.numbers[0][6:9]} {rec.numbers[0][9:]}"
        p.at[i, "oms_policy"] = rec.numbers[1]
        p.at[i, "phone"] = rec.numbers[2]
        address = _spans(rec, ("address_nomarker",))
        p.at[i, "address"] = address[0] if address else p.at[i, "address"]
        relative = [rec.columns[c][s:e] for c, s, e, kind, own in rec.spans if kind.startswith("name") and not own]
        relatives.append(f"{relative[-1]}, {_spans(rec, ('phone',))[-1]}" if relative else "")
        physicians.append(staff[i % len(staff)])
    p_rows = [
        [r.record_number, r.full_name, _iso(r.birth_date), r.sex, r.snils, r.oms_policy, r.address, r.phone, rel, doc]
        for r, rel, doc in zip(p.itertuples(), relatives, physicians, strict=True)
    ]
    # An unexpected column, whose header names a relative of the first adversarial patient and her phone.
    first = chosen[0]
    relative_header = (
        next(first.columns[c][s:e] for c, s, e, kind, own in first.spans if kind == "name" and not own)
        if any(kind == "name" and not own for _, _, _, kind, own in first.spans)
        else first.full_name
    )
    header_phone = first.numbers[2]
    unexpected = [f"Контакт {relative_header} {header_phone}"] if header else []
    if header:
        planted.add(relative_header, "name", "unexpected column header")
        planted.add(header_phone, "phone", "unexpected column header")
    h = HEADERS["patients"]
    columns = [h[c] for c in ("record_number", "full_name", "birth_date", "sex", "snils", "oms_policy", "address",
                              "phone")] + ["contact_person", "attending_physician"]  # fmt: skip
    _write(out / FILES["patients"], columns + unexpected, [row + [""] * len(unexpected) for row in p_rows])

    # diagnoses: the diagnosis text gets the record's diagnosis-text column; a few ICD-10 cells a name
    d = raw["diagnoses"]
    d["record_number"] = d["record_number"].map(lambda v: renumber.get(v, v))
    coded_patients = [rec.record_number for rec in chosen[:6]] if coded else []
    for i, row in d.iterrows():
        rec = by_new.get(row["record_number"])
        if rec is None:
            continue
        if str(row["primary_text"]).strip():
            d.at[i, "primary_text"] = _append(row["primary_text"], rec.columns["primary_text"])
        if rec.record_number in coded_patients[:2]:
            latin = _spans(rec, ("name_latin",)) or [rec.full_name]
            d.at[i, "primary_icd10"] = f"{row['primary_icd10']} {latin[0]}"
            planted.add(latin[0], "name_latin", "ICD-10 cell (coded)")
    h = HEADERS["diagnoses"]
    cols = list(h)
    _write(out / FILES["diagnoses"], [h[c] for c in cols],
           [[_iso(v) if c == "diagnosis_date" else v for c, v in zip(cols, r, strict=True)]
            for r in d[cols].itertuples(index=False)])  # fmt: skip

    # operations: surgeons from the staff roster; procedure and revision reason get the record's columns
    o = raw["operations"]
    o["record_number"] = o["record_number"].map(lambda v: renumber.get(v, v))
    surgeons = {s: staff[n % len(staff)] for n, s in enumerate(sorted(set(o["surgeon"]) - {""}))}
    o["surgeon"] = o["surgeon"].map(lambda v: surgeons.get(v, v))
    seen: set[str] = set()
    for i, row in o.iterrows():
        rec = by_new.get(row["record_number"])
        if rec is None:
            continue
        if row["record_number"] not in seen:
            seen.add(row["record_number"])
            o.at[i, "procedure"] = _append(row["procedure"], rec.columns["procedure"])
            if rec.record_number in coded_patients[2:4]:
                noun = _spans(rec, ("name_homoglyph", "name_invisible", "name")) or [rec.full_name]
                o.at[i, "bone"] = f"{row['bone']} ({noun[0]})"
                planted.add(noun[0], "name", "bone cell (coded)")
            if rec.record_number in coded_patients[4:5]:
                phone = _spans(rec, ("phone",))[0]
                o.at[i, "segment"] = f"{row['segment']}, тел. {phone}"
                planted.add(phone, "phone", "segment cell (coded)")
        if str(row["revision_reason"]).strip():
            o.at[i, "revision_reason"] = _append(row["revision_reason"], rec.columns["revision_reason"])
    h = HEADERS["operations"]
    cols = list(h)
    _write(out / FILES["operations"], [h[c] for c in cols],
           [[_iso(v) if c == "operation_date" else v for c, v in zip(cols, r, strict=True)]
            for r in o[cols].itertuples(index=False)])  # fmt: skip

    # follow-up: the vital status of a few patients names who reported it, with a written date
    f = raw["follow_up"]
    f["record_number"] = f["record_number"].map(lambda v: renumber.get(v, v))
    for i, row in f.iterrows():
        rec = by_new.get(row["record_number"])
        if rec is None or rec.record_number not in coded_patients[5:6]:
            continue
        relative = [rec.columns[c][s:e] for c, s, e, kind, own in rec.spans if kind == "name" and not own]
        who = relative[0] if relative else rec.full_name
        f.at[i, "vital_status"] = f"{row['vital_status']} (со слов {who})"
        planted.add(who, "name", "vital status cell (coded)")
    h = HEADERS["follow_up"]
    cols = list(h)
    _write(out / FILES["follow_up"], [h[c] for c in cols],
           [[_iso(v) if c.endswith("_date") else v for c, v in zip(cols, r, strict=True)]
            for r in f[cols].itertuples(index=False)])  # fmt: skip

    # notes: the twin's notes, and one more per adversarial patient with the record's note column
    n = raw["notes"]
    n["record_number"] = n["record_number"].map(lambda v: renumber.get(v, v))
    rows = [[r.record_number, _iso(r.note_date), r.text] for r in n.itertuples()]
    for rec in chosen:
        rows.append([rec.record_number, "", rec.columns["note"]])
    h = HEADERS["notes"]
    _write(out / FILES["notes"], [h["record_number"], h["note_date"], h["text"]], rows)
    return planted


def override(directory: Path) -> dict:
    """The config override that maps the exports (source real, review mode for the coded cells)."""
    tables = {}
    for name, columns in HEADERS.items():
        tables[name] = {
            "file": FILES[name],
            "encoding": "utf-8",
            "separator": ",",
            "date_format": "%Y-%m-%d",
            "decimal": ",",
            "columns": dict(columns),
        }
    tables["laboratory"] = None  # this system exports no laboratory results
    return {
        "raw_exports": {"source": "real", "directory": str(directory), "tables": tables},
        "cleaning": {"unknown_labels": "review"},
    }
