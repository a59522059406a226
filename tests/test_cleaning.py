"""The cleaning stage: the round trip to the generator's truth, every defect caught by its rule, named errors."""

from __future__ import annotations

import copy
import shutil

import pandas as pd
import pytest
import yaml
from conftest import ROOT, TEST_KEY, clean, coder_for, deidentify_twin, read_raw, write_deidentified

from cleaning.codebook import Codebook, normalise_icd, normalise_label
from cleaning.errors import CleaningError
from deidentify.coding import UnknownLabel
from deidentify.keys import patient_pseudonym
from synthetic_twin import vocabulary as vocab

COMPARED = [
    "age_at_surgery",
    "sex",
    "primary_group",
    "operation_method",
    "bone",
    "segment",
    "pathological_fracture",
    "solitary_bone_metastasis",
    "bone_metastases_count",
    "visceral_metastases",
    "ecog",
    "chemotherapy_before_surgery",
    "year_of_surgery",
    "time_days",
    "event",
    "revision_cause",
    "survival_days",
    "died",
]


@pytest.fixture(scope="module")
def truth(twin, config):
    t = twin.truth.copy()
    t["patient_id"] = t["record_number"].map(lambda r: patient_pseudonym(TEST_KEY, r))
    top = config["deidentification"]["age_top_code"]
    t["age_at_surgery"] = t["age_at_surgery"].clip(upper=top)
    t["revision_cause"] = t["revision_cause"].fillna("")
    return t.set_index("patient_id").sort_index()


def test_round_trip_every_patient_and_column_equals_the_truth(cohort, truth):
    analysis = cohort.analysis.set_index("patient_id").sort_index()
    assert list(analysis.index) == list(truth.index)
    for column in COMPARED:
        mine = analysis[column].astype(object).where(analysis[column].notna(), None).tolist()
        expected = truth[column].astype(object).tolist()
        mismatched = [(pid, a, b) for pid, a, b in zip(analysis.index, mine, expected, strict=True) if a != b]
        assert not mismatched, f"{column}: {mismatched[:3]}"


def test_flow_adds_up_and_matches_the_papers_247(cohort, twin):
    flow = cohort.flow
    assert flow["patients_in_export"] == flow["patients_analysed"] + sum(flow["excluded"].values())
    assert flow["patients_in_export"] == twin.summary["patients_in_export"]
    assert flow["patients_analysed"] == 247 and flow["patients_revised"] == 33
    assert {k: v for k, v in flow["excluded"].items() if v} == twin.summary["excluded"]


def test_every_injected_defect_is_caught_by_the_rule_meant_for_it(cohort, twin):
    exclusions = cohort.exclusions.set_index("patient_id")["reason"]
    fixes = cohort.corrections
    expected_correction = {
        "resolve:drop_exact_duplicate": "exact_duplicate_dropped",
        "resolve:contacts_dropped_by_deidentification": "exact_duplicate_dropped",
        "resolve:latest_last_contact": "conflicting_follow_up_resolved",
        "ignore:not_the_index_site": "later_operation_not_index",
        "ignore:not_a_long_bone": "operation_not_on_long_bone_ignored",
    }
    analysed = set(cohort.analysis["patient_id"])
    for defect in twin.defects.itertuples():
        pid = patient_pseudonym(TEST_KEY, defect.record_number)
        handling = defect.expected_handling
        if handling.startswith("exclude:"):
            assert exclusions.get(pid) == handling.removeprefix("exclude:"), defect
        elif handling in expected_correction:
            assert pid in analysed, defect
            mine = fixes[(fixes["patient_id"] == pid) & (fixes["correction"] == expected_correction[handling])]
            assert len(mine) >= 1, defect
        elif handling == "scrub:free_text":
            row = cohort.analysis.set_index("patient_id").loc[pid]
            assert row["event"] == 1 and row["revision_cause"] != "", defect
        else:
            raise AssertionError(f"no check for {handling}")


def test_nothing_silently_dropped(cohort, deid_dir):
    """Every patient is analysed or excluded with a reason; every input row dropped is a listed correction."""
    everyone = set()
    for name in ("patients", "diagnoses", "operations", "follow_up"):
        everyone |= set(pd.read_csv(deid_dir / f"{name}.tsv", sep="\t", dtype=str)["patient_id"])
    analysed, excluded = set(cohort.analysis["patient_id"]), set(cohort.exclusions["patient_id"])
    assert not analysed & excluded and analysed | excluded == everyone
    dropped_kinds = {"exact_duplicate_dropped", "conflicting_follow_up_resolved"}
    for name in ("patients", "follow_up"):
        rows = len(pd.read_csv(deid_dir / f"{name}.tsv", sep="\t", dtype=str))
        dropped = cohort.corrections[
            (cohort.corrections["table"] == name) & cohort.corrections["correction"].isin(dropped_kinds)
        ]
        without_row = cohort.flow["excluded"]["missing_follow_up"] if name == "follow_up" else 0
        assert rows - len(dropped) == len(everyone) - without_row


def test_codebook_maps_every_variant_the_hospital_writes():
    """The codebook (written independently) maps every spelling the twin uses to the twin's category."""
    book = Codebook(ROOT / "config" / "codebook.yaml")
    fields = {
        "bone": vocab.BONE,
        "fracture": vocab.FRACTURE,
        "sex": vocab.SEX,
        "revision_cause": vocab.REVISION_REASON,
        "operation_method": vocab.INDEX_OPERATION,
        "vital_status": vocab.VITAL_STATUS,
        "yes_no": vocab.YES_NO,
        "revision_flag": vocab.REVISION_FLAG,
    }
    for field_name, table in fields.items():
        for category, variants in table.items():
            for variant in variants:
                assert book.maps[field_name].get(normalise_label(variant)) == category, (field_name, variant)
    segment = {"none": "not_applicable"}
    for category, variants in vocab.SEGMENT.items():
        for variant in variants:
            assert book.maps["segment"][normalise_label(variant)] == segment.get(category, category)
    for group, (codes, texts) in vocab.PRIMARY.items():
        for text in texts:
            assert book.primary_labels[normalise_label(text)] == group, text
        assert all(book.icd_matches(group, c) for c in codes)
    for procedures in vocab.REVISION_OPERATION.values():
        for procedure in procedures:
            assert normalise_label(procedure) in book.maps["operation_method"], procedure
    assert {normalise_icd(c) for c in vocab.BONE_METASTASIS_CODE} == {"C79.5"}


@pytest.mark.parametrize(
    "raw,normal",
    [
        ("Вывих ЭП. Осмотр [ДАТА +24], хирург [ФИО]", "вывих эп"),
        ("рак прям. кишки", "рак прям. кишки"),
        ("  Рак  лёгкого ", "рак легкого"),
        ("Aseptic loosening. Осмотр [ДАТА +161], хирург [ФИО]", "aseptic loosening"),
    ],
)
def test_label_normalisation(raw, normal):
    assert normalise_label(raw) == normal


def test_icd_normalisation():
    assert normalise_icd("С 79.5") == "C79.5" and normalise_icd("c50.4") == "C50.4"


def test_a_label_under_two_categories_is_a_codebook_error(tmp_path):
    book = yaml.safe_load((ROOT / "config" / "codebook.yaml").read_text(encoding="utf-8"))
    book["bone"]["humerus"].append("бедро")
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CleaningError, match="both 'femur' and 'humerus'"):
        Codebook(path)


def edited_copy(deid_dir, tmp_path, table, edit):
    where = tmp_path / "deid"
    shutil.copytree(deid_dir, where)
    df = pd.read_csv(where / f"{table}.tsv", sep="\t", dtype=str, keep_default_na=False)
    edit(df)
    df.to_csv(where / f"{table}.tsv", sep="\t", index=False, lineterminator="\n")
    return where


def planted(twin_dir, config, table: str, column: str, row: int, value: str) -> dict:
    """The twin's raw tables with one raw value replaced (row: index in the export's data rows)."""
    raw = read_raw(twin_dir, config)
    raw[table].data.loc[row, column] = value
    return raw


def test_unknown_label_stops_at_deidentification_naming_raw_file_line_and_column_not_the_label(
    twin_dir, config, scrubber
):
    label = "Остеосинтез спицами Илизарова"
    raw = planted(twin_dir, config, "operations", "procedure", 5, label)
    coder = coder_for(config)
    with pytest.raises(UnknownLabel) as err:
        deidentify_twin(twin_dir, config, scrubber, raw=raw, coder=coder)
    message = str(err.value)
    assert "operations.csv" in message and err.value.line == raw["operations"].lines[5] == 7
    assert err.value.column == "Операция" and "operations.tsv" in message and "procedure" in message
    assert label not in message  # the message reaches the terminal and .snakemake/log
    # The label is listed on the raw side only (the rule writes this list to resources/deid/unknown_labels.tsv).
    assert coder.review_table(coder.unknown)[["source_line", "column", "label"]].values.tolist() == [
        [7, "procedure", label]
    ]


def test_unknown_label_in_review_mode_crosses_as_unmapped_and_is_listed_on_the_raw_side_only(
    twin_dir, config, scrubber, tmp_path
):
    raw = planted(twin_dir, config, "follow_up", "vital_status", 0, "выбыл")
    coder = coder_for(config, review=True)
    result = deidentify_twin(twin_dir, config, scrubber, raw=raw, coder=coder)
    crossed = "".join(t.to_csv(sep="\t") for t in result.tables.values())
    assert "выбыл" not in crossed and (result.tables["follow_up"]["vital_status"] == "unmapped").sum() == 1
    listed = coder.review_table()
    assert listed[["source_line", "column", "label"]].values.tolist() == [[2, "vital_status", "выбыл"]]
    write_deidentified(result, tmp_path)
    settings = copy.deepcopy(config["cleaning"])
    settings["unknown_labels"] = "review"
    cohort = clean(tmp_path, config, settings)
    assert cohort.review.columns.tolist() == ["table", "patient_id", "entry", "column", "codebook_field"]
    assert cohort.review[["table", "column", "codebook_field"]].values.tolist() == [
        ["follow_up", "vital_status", "vital_status"]
    ]
    assert cohort.review["patient_id"].tolist() == listed["patient_id"].tolist()
    assert "выбыл" not in cohort.review.to_csv() + cohort.label_usage.to_csv()
    assert cohort.label_usage.columns.tolist() == ["field", "category", "rows"]
    assert cohort.flow["excluded"]["label_needs_review"] == 1
    assert cohort.flow["patients_in_export"] == cohort.flow["patients_analysed"] + sum(cohort.flow["excluded"].values())


def test_a_cleaning_error_names_the_raw_file_line_and_column_through_the_locator(twin_dir, config, scrubber, tmp_path):
    raw = planted(twin_dir, config, "diagnoses", "ecog", 3, "два")
    result = deidentify_twin(twin_dir, config, scrubber, raw=raw)
    assert result.audit["numbers"]["diagnoses.ecog"]["unparseable"] == 1
    write_deidentified(result, tmp_path)
    with pytest.raises(CleaningError) as err:
        clean(tmp_path, config)
    message = str(err.value)
    assert err.value.path.endswith("diagnoses.csv") and err.value.line == raw["diagnoses"].lines[3] == 5
    assert "ecog" in err.value.column and "not an integer" in message and "два" not in message
    pid = result.tables["diagnoses"].loc[result.tables["diagnoses"]["ecog_unparseable"] == 1, "patient_id"].item()
    assert pid in message


def test_without_the_locator_a_cleaning_error_names_the_deidentified_row(deid_dir, tmp_path, config):
    where = edited_copy(
        deid_dir, tmp_path, "diagnoses", lambda df: df.__setitem__("ecog", df["ecog"].where(df.index != 3, "два"))
    )
    (where / "locator.tsv").unlink()
    with pytest.raises(CleaningError) as err:
        clean(where, config)
    assert err.value.line == 5 and err.value.column == "ecog" and "is not an integer" in str(err.value)


def test_a_value_out_of_range_names_the_raw_file_line_and_column(deid_dir, tmp_path, config, deidentified):
    where = edited_copy(
        deid_dir, tmp_path, "diagnoses", lambda df: df.__setitem__("ecog", df["ecog"].where(df.index != 10, "7"))
    )
    with pytest.raises(CleaningError) as err:
        clean(where, config)
    row = deidentified.tables["diagnoses"].iloc[10]
    loc = deidentified.locator.set_index(["table", "patient_id", "entry"]).loc[("diagnoses", row["patient_id"], 1)]
    assert err.value.path == loc["source_file"] and err.value.line == loc["source_line"]
    assert "ecog" in err.value.column


def test_icd_code_that_contradicts_the_diagnosis_text_stops_the_run(deid_dir, tmp_path, config):
    def edit(df):
        row = df.index[df["primary_text"] == "breast"][0]
        df.loc[row, "primary_icd10"] = "C61"

    with pytest.raises(CleaningError, match="does not belong to the primary group 'breast'"):
        clean(edited_copy(deid_dir, tmp_path, "diagnoses", edit), config)


def test_conflicting_patient_rows_stop_the_run_naming_both_lines(deid_dir, tmp_path, config):
    def edit(df):
        extra = df.iloc[[0]].copy()
        extra["sex"] = "male" if df.iloc[0]["sex"] == "female" else "female"
        extra["entry"] = "9999"
        df.loc[len(df)] = extra.iloc[0]

    with pytest.raises(CleaningError, match="9999"):
        clean(edited_copy(deid_dir, tmp_path, "patients", edit), config)


def test_death_before_surgery_is_an_impossible_date_order(deid_dir, tmp_path, config, cohort):
    target = cohort.analysis.loc[cohort.analysis["event"] == 2, "patient_id"].iloc[0]

    def edit(df):
        rows = df["patient_id"] == target
        df.loc[rows, "death_day"] = "-5"

    result = clean(edited_copy(deid_dir, tmp_path, "follow_up", edit), config)
    assert result.exclusions.set_index("patient_id").loc[target, "reason"] == "impossible_date_order"


def test_analysis_table_schema_holds(cohort):
    a = cohort.analysis
    assert a["patient_id"].is_unique and len(a) == 247
    assert ((a["event"] == 1) == (a["revision_cause"] != "")).all()
    assert (a["time_days"] >= 0).all() and a["age_at_surgery"].max() <= 90


def _mutations(df: pd.DataFrame):
    """Tables one defect away from a valid one: a missing value, a value of another type or out of range, another
    dtype, in each column; a column dropped, added, moved; a row repeated."""
    for column in df.columns:
        series = df[column]
        for value in (None, -1, 10**6, "x"):
            changed = df.copy()
            try:
                changed.loc[changed.index[0], column] = value
            except (TypeError, ValueError):
                continue
            yield f"{column} = {value!r}", changed
        for dtype in (object, float):
            try:
                yield f"{column} as {dtype}", df.assign(**{column: series.astype(dtype)})
            except (TypeError, ValueError):
                continue
        yield f"without {column}", df.drop(columns=column)
    yield "an extra column", df.assign(extra=1)
    yield "columns reversed", df[list(reversed(df.columns))]
    yield "a row repeated", pd.concat([df, df.iloc[:1]], ignore_index=True)


def test_the_plain_schema_check_passes_only_what_pandera_passes(deid_dir, config, cohort):
    """cleaning.schemas validates with pandera only when its plain check (Schema.passes) finds something: so that
    check must never pass a table pandera fails. Every valid table passes both; of the tables one defect away from
    valid, those the plain check passes pandera passes too, and the plain check fails the others (hundreds)."""
    import pandera.pandas as pa

    from cleaning.schemas import INPUT_SCHEMAS, analysis_schema, read_table

    codebook = Codebook(ROOT / config["cleaning"]["codebook"])
    cases = [
        (INPUT_SCHEMAS[p.stem], read_table(p, p.stem))
        for p in sorted(deid_dir.glob("*.tsv"))
        if p.stem in INPUT_SCHEMAS
    ]
    cases.append((analysis_schema(codebook), cohort.analysis))
    assert len(cases) == 6
    rejected = 0
    for schema, table in cases:
        strict = schema.to_pandera()
        assert schema.passes(table)
        strict.validate(table, lazy=True)
        for what, changed in _mutations(table.head(30)):
            if schema.passes(changed):  # then pandera must pass it too
                try:
                    strict.validate(changed, lazy=True)
                except pa.errors.SchemaErrors as err:
                    raise AssertionError(f"{what}: the plain check passes, pandera fails") from err
            else:
                rejected += 1
    assert rejected > 300


PROGNOSTIC_INPUTS = ["visceral_spread", "cerebral_metastases", "hormone_dependent", "targeted_therapy"]
LABORATORY = [
    "crp_mg_dl",
    "ldh_iu_l",
    "albumin_g_dl",
    "platelets_per_ul",
    "calcium_mg_dl",
    "bilirubin_mg_dl",
    "haemoglobin_g_dl",
    "lymphocytes_per_ul",
]


def test_round_trip_of_the_prognostic_inputs_and_the_preoperative_panel(cohort, truth):
    """The twin hides each pre-operative value among earlier and post-operative draws and writes CRP in two units;
    the cleaning rule must recover exactly the value the generator meant, converted to conventional units."""
    analysis = cohort.analysis.set_index("patient_id").sort_index()
    for column in PROGNOSTIC_INPUTS:
        mine = analysis[column].astype(object).where(analysis[column].notna(), None).tolist()
        expected = truth[column].astype(object).where(truth[column].notna(), None).tolist()
        assert mine == expected, column
    for column in LABORATORY:
        mine, expected = analysis[column].astype(float), truth[column].astype(float)
        assert (mine.isna() == expected.isna()).all(), column
        assert expected.isna().any() and expected.notna().mean() > 0.9, column
        pd.testing.assert_series_equal(mine.dropna(), expected.dropna(), check_names=False, rtol=1e-9)
    lab = cohort.quality["laboratory"]
    assert lab["after_the_operation"] > 0 and lab["before_the_window"] > 0 and lab["superseded_by_a_later_draw"] > 0
