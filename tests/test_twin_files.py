"""The raw exports look like the hospital's: encodings, separators, dates, decimal commas, label variants,
identifiers; the twin is deterministic; the defect manifest says what is wrong and where."""

from __future__ import annotations

import hashlib
import json
import re

import pandas as pd
import pytest

from deidentify.identifiers import snils_is_valid
from raw_exports import parse_dates, parse_decimal, read_raw_table
from synthetic_twin import design
from synthetic_twin import vocabulary as vocab
from synthetic_twin.generate import HEADERS, TABLE_FORMAT, generate, write_twin

DATE = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")


def raw(twin_dir, config, name):
    spec = config["raw_exports"]["tables"][name]
    return read_raw_table(twin_dir / "raw" / spec["file"], spec).data


def test_config_declares_what_the_twin_writes(config):
    for name, spec in config["raw_exports"]["tables"].items():
        assert spec["encoding"] == TABLE_FORMAT[name]["encoding"]
        assert spec["separator"] == TABLE_FORMAT[name]["separator"]
        assert spec["columns"] == HEADERS[name]


@pytest.mark.parametrize("name", ["patients", "diagnoses", "operations", "follow_up"])
def test_hospital_tables_are_cp1251_semicolon_crlf(twin_dir, config, name):
    data = (twin_dir / "raw" / config["raw_exports"]["tables"][name]["file"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # Cyrillic in cp1251 is not valid UTF-8
    text = data.decode("cp1251")
    header = text.split("\r\n")[0]
    assert header.split(";") == list(HEADERS[name].values())
    assert text.count("\r\n") == text.count("\n")  # every line ends CRLF


def test_notes_are_utf8(twin_dir, config):
    text = (twin_dir / "raw" / "notes.csv").read_bytes().decode("utf-8")
    assert "Пациент" in text


@pytest.mark.parametrize(
    "name,column",
    [
        ("patients", "birth_date"),
        ("diagnoses", "diagnosis_date"),
        ("follow_up", "last_contact_date"),
        ("notes", "note_date"),
    ],
)
def test_dates_are_dd_mm_yyyy(twin_dir, config, name, column):
    values = raw(twin_dir, config, name)[column]
    assert values.str.match(DATE.pattern).all()


def test_operation_dates_parse_except_the_injected_defects(twin_dir, config, twin):
    ops = raw(twin_dir, config, "operations")
    _, invalid = parse_dates(ops["operation_date"], config["raw_exports"]["tables"]["operations"]["date_format"])
    injected = twin.defects.query("defect == 'unparseable_date'")
    assert sorted(ops.loc[invalid, "operation_date"]) == sorted(injected["value_written"])
    assert set(ops.loc[invalid, "record_number"]) == set(injected["record_number"])


def test_decimal_commas(twin_dir, config):
    sizes = raw(twin_dir, config, "diagnoses")["lesion_size_cm"]
    assert sizes.str.contains(",").any() and not sizes.str.contains(r"\.").any()
    numbers, invalid = parse_decimal(sizes, ",")
    assert not invalid.any() and numbers.between(2, 9).all()


@pytest.mark.parametrize(
    "field_name,column,table",
    [("bone", "bone", "operations"), ("fracture", "fracture", "operations"), ("sex", "sex", "patients")],
)
def test_labels_come_in_realistic_variants(twin_dir, config, field_name, column, table):
    """Each category is written in several spellings, English synonyms and typos included."""
    vocabulary = {"bone": vocab.BONE, "fracture": vocab.FRACTURE, "sex": vocab.SEX}[field_name]
    values = set(raw(twin_dir, config, table)[column])
    known = {v for variants in vocabulary.values() for v in variants}
    assert values <= known
    assert len(values) >= len([c for c in vocabulary if any(v in values for v in vocabulary[c])]) * 2


def test_icd_codes_carry_cyrillic_lookalikes(twin_dir, config):
    codes = raw(twin_dir, config, "diagnoses")["primary_icd10"]
    assert codes.str.startswith("С").any() and codes.str.startswith("C").any()  # Cyrillic and Latin


def test_every_snils_has_a_valid_check_digit(twin_dir, config):
    snils = raw(twin_dir, config, "patients")["snils"]
    assert snils.str.match(r"^\d{3}-\d{3}-\d{3} \d{2}$").all()
    assert snils.map(snils_is_valid).all()


def test_record_numbers_and_identifiers_are_unique_per_patient(twin_dir, config):
    patients = raw(twin_dir, config, "patients").drop_duplicates("record_number")
    for column in ("snils", "oms_policy"):
        assert patients[column].is_unique


def test_identifiers_list_covers_every_identifying_value(twin_dir, config):
    identifiers = set(json.loads((twin_dir / "synthetic" / "identifiers.json").read_text(encoding="utf-8")))
    patients = raw(twin_dir, config, "patients")
    for column in ("record_number", "full_name", "birth_date", "snils", "oms_policy", "address", "phone"):
        assert set(patients[column]) <= identifiers, column
    assert set(raw(twin_dir, config, "operations")["surgeon"]) <= identifiers
    # Every name in a note is listed, in the form the note wrote it.
    notes = raw(twin_dir, config, "notes")["text"]
    names = notes.str.extractall(r"([А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+(?:ович|евич|овна|евна))")[0]
    assert len(names) > 400 and set(names) <= identifiers
    initials = notes.str.extractall(r"([А-ЯЁ][а-яё]+ [А-ЯЁ]\.[А-ЯЁ]\.|[А-ЯЁ]\.[А-ЯЁ]\. [А-ЯЁ][а-яё]+)")[0]
    assert len(initials) > 200 and set(initials) <= identifiers
    phones = notes.str.extractall(r"((?:\+7 \(\d{3}\) |8-\d{3}-)\d{3}-\d{2}-\d{2})")[0]
    assert set(phones) <= identifiers


def test_names_decline_in_the_notes(twin_dir, config):
    """Notes use oblique cases (dative, genitive, instrumental), as real notes do."""
    notes = " ".join(raw(twin_dir, config, "notes")["text"])
    assert re.search(r"[А-ЯЁ][а-яё]+(ой|у) [А-ЯЁ]\.[А-ЯЁ]\. выполнена", notes)
    assert re.search(r"хирургом [А-ЯЁ][а-яё]+(ым|ой|им) [А-ЯЁ]\.", notes)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, config):
    def digests(seed, where):
        twin = generate(design.PAPER_COHORT_SIZE, seed)
        tables = {name: where / "raw" / f"{name}.csv" for name in HEADERS}
        write_twin(twin, tables, where / "synthetic")
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(where.rglob("*.*"))}

    first = digests(config["synthetic_twin"]["seed"], tmp_path / "a")
    again = digests(config["synthetic_twin"]["seed"], tmp_path / "b")
    other = digests(config["synthetic_twin"]["seed"] + 1, tmp_path / "c")
    assert first == again
    assert all(first[name] != other[name] for name in first)


def test_defect_manifest_lists_every_injected_defect(twin, twin_dir, config):
    defects = pd.read_csv(twin_dir / "synthetic" / "defects.csv", keep_default_na=False)
    counts = defects["defect"].value_counts().to_dict()
    for reason, k in design.EXCLUDED_PATIENTS.items():
        assert counts[reason] == k
    truth_ids = set(twin.truth["record_number"])
    excluded = defects[defects["expected_handling"].str.startswith("exclude:")]
    assert not set(excluded["record_number"]) & truth_ids
    kept = defects[~defects["expected_handling"].str.startswith("exclude:")]
    assert set(kept["record_number"]) <= truth_ids
    manifest = json.loads((twin_dir / "synthetic" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["patients_in_export"] == len(truth_ids) + len(excluded)


def test_defects_are_really_in_the_files(twin, twin_dir, config):
    d = twin.defects
    patients = raw(twin_dir, config, "patients")
    for mrn in d.query("defect == 'exact_duplicate_patient_row'")["record_number"]:
        rows = patients[patients["record_number"] == mrn]
        assert len(rows) == 2 and len(rows.drop_duplicates()) == 1
    for mrn in d.query("defect == 'conflicting_duplicate_patient_contacts'")["record_number"]:
        rows = patients[patients["record_number"] == mrn]
        assert len(rows) == 2 and rows["phone"].nunique() == 2 and rows["full_name"].nunique() == 1
    ops = raw(twin_dir, config, "operations")
    for mrn in d.query("defect == 'exact_duplicate_operation_row'")["record_number"]:
        assert ops[ops["record_number"] == mrn].duplicated().sum() == 1
    fu = raw(twin_dir, config, "follow_up")
    for mrn in d.query("defect == 'conflicting_duplicate_follow_up'")["record_number"]:
        assert fu[fu["record_number"] == mrn]["last_contact_date"].nunique() == 2
    missing = set(d.query("defect == 'missing_follow_up'")["record_number"])
    assert not missing & set(fu["record_number"])
    no_op = set(d.query("defect == 'no_operation'")["record_number"])
    assert no_op and not no_op & set(ops["record_number"])
    spine = set(vocab.BONE["spine"] + vocab.BONE["pelvis"])
    for mrn in d.query("defect == 'no_long_bone_operation'")["record_number"]:
        assert set(ops.loc[ops["record_number"] == mrn, "bone"]) <= spine
    reasons = ops.loc[
        ops["record_number"].isin(d.query("defect == 'identifiers_in_revision_reason'")["record_number"]),
        "revision_reason",
    ]
    assert (
        reasons.str.contains(r"\d{2}\.\d{2}\.\d{4}, хирург [А-ЯЁ]").sum()
        == design.ROW_DEFECTS["identifiers_in_revision_reason"]
    )


def test_ages_over_89_exist_for_top_coding(twin):
    assert (twin.truth["age_at_surgery"] > 89).sum() >= 1
