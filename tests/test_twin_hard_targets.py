"""The paper's numbers, read back from the raw exports themselves.

The raw files are parsed as the study parses them (raw_exports.read_raw_table with the config's declared encoding,
separator, headers and date format), and the cohort is derived from them with the inclusion criteria: a bone
metastasis (ICD-10 C79.5), a first operation on a long bone in 2006-2020, usable follow-up. Labels are mapped with
the generator's own vocabulary (the cleaning stage's codebook is tested against the twin separately).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from raw_exports import parse_dates, read_raw_table
from synthetic_twin import design
from synthetic_twin import vocabulary as vocab
from synthetic_twin.calibration import load_targets


def reverse(table: dict[str, list[str]]) -> dict[str, str]:
    return {variant: category for category, variants in table.items() for variant in variants}


def normalise_icd(code: str) -> str:
    return code.replace("С", "C").replace("с", "c").replace(" ", "").upper()


@pytest.fixture(scope="module")
def derived(twin_dir, config) -> pd.DataFrame:
    """One row per patient who meets the inclusion criteria, derived from the raw files alone."""
    spec = config["raw_exports"]["tables"]
    read = {name: read_raw_table(twin_dir / "raw" / s["file"], s).data for name, s in spec.items()}
    fmt = spec["operations"]["date_format"]

    ops = read["operations"].drop_duplicates().copy()
    ops["date"], ops["bad_date"] = parse_dates(ops["operation_date"], fmt)
    ops["bone_group"] = ops["bone"].map(reverse(vocab.BONE))
    assert ops["bone_group"].notna().all(), "a bone label outside the vocabulary"
    ops["revision"] = ops["is_revision"].map(reverse(vocab.REVISION_FLAG)) == "yes"
    long_bone = ops["bone_group"].isin(vocab.LONG_BONES)
    # Patients with an unparseable date on a long-bone operation cannot be placed in time: excluded.
    unplaceable = set(ops.loc[long_bone & ops["bad_date"], "record_number"])
    index_ops = (
        ops[long_bone & ~ops["revision"] & ops["date"].notna()]
        .sort_values(["record_number", "date"])
        .drop_duplicates("record_number")
    )
    index_ops = index_ops[~index_ops["record_number"].isin(unplaceable)]
    index_ops = index_ops[index_ops["date"].between("2006-01-01", "2020-12-31")]

    dx = read["diagnoses"]
    metastatic = set(dx.loc[dx["bone_lesion_icd10"].map(normalise_icd) == "C79.5", "record_number"])
    fu = read["follow_up"].copy()
    fu["last"], _ = parse_dates(fu["last_contact_date"], fmt)
    fu["death"], _ = parse_dates(fu["death_date"], fmt)
    fu = fu.sort_values(["record_number", "last"]).drop_duplicates("record_number", keep="last")

    cohort = (
        index_ops[index_ops["record_number"].isin(metastatic)]
        .merge(fu, on="record_number", how="inner")
        .merge(dx, on="record_number")
        .merge(read["patients"].drop_duplicates("record_number"), on="record_number")
    )
    cohort = cohort[(cohort["last"] >= cohort["date"]) & ~(cohort["death"] < cohort["date"])]

    revisions = ops[ops["revision"]][["record_number", "date", "bone_group", "revision_reason"]]
    first_revision = (
        revisions.merge(cohort[["record_number", "date", "bone_group"]], on="record_number", suffixes=("", "_index"))
        .query("date > date_index and bone_group == bone_group_index")
        .sort_values("date")
        .drop_duplicates("record_number")
    )
    cohort = cohort.merge(
        first_revision[["record_number", "date", "revision_reason"]],
        on="record_number",
        how="left",
        suffixes=("", "_revision"),
    )
    reason_text = cohort["revision_reason_revision"].fillna("").str.split(". Осмотр ").str[0]
    cohort["cause"] = reason_text.map(reverse(vocab.REVISION_REASON)).fillna("")
    icd_group = {normalise_icd(code): group for group, (codes, _) in vocab.PRIMARY.items() for code in codes}
    cohort["primary"] = cohort["primary_icd10"].map(normalise_icd).map(icd_group)
    birth, _ = parse_dates(cohort["birth_date"], spec["patients"]["date_format"])
    on = cohort["date"]
    before = (on.dt.month < birth.dt.month) | ((on.dt.month == birth.dt.month) & (on.dt.day < birth.dt.day))
    cohort["age"] = on.dt.year - birth.dt.year - before.astype(int)
    return cohort


@pytest.fixture(scope="module")
def targets() -> dict[str, float]:
    hard = load_targets().query("kind == 'hard'")
    return dict(zip(hard["quantity"], hard["target"], strict=True))


def test_247_patients_analysed(derived, targets):
    assert len(derived) == targets["analysed_patients"] == 247
    assert derived["record_number"].is_unique


def test_33_revised(derived, targets):
    assert derived["date_revision"].notna().sum() == targets["revised_patients"] == 33


def test_median_age_62(derived, targets):
    assert np.median(derived["age"]) == targets["median_age_years"] == 62


@pytest.mark.parametrize("group", list(design.PAPER_REVISED_BY_PRIMARY))
def test_primary_of_the_revised(derived, targets, group):
    revised = derived[derived["date_revision"].notna()]
    assert (revised["primary"] == group).sum() == targets[f"revised_primary_{group}"]


@pytest.mark.parametrize("cause", list(design.PAPER_REVISED_BY_CAUSE))
def test_cause_of_revision(derived, targets, cause):
    assert (derived["cause"] == cause).sum() == targets[f"revised_cause_{cause}"]


def test_every_revision_has_a_known_cause(derived):
    revised = derived[derived["date_revision"].notna()]
    assert (revised["cause"] != "").all(), revised.loc[revised["cause"] == "", "revision_reason_revision"].tolist()


def test_each_cause_is_consistent_with_the_index_implant(derived):
    method = reverse(vocab.INDEX_OPERATION)
    revised = derived[derived["cause"] != ""].assign(method=lambda d: d["procedure"].map(method))
    allowed = {
        "aseptic_instability_after_intramedullary_osteosynthesis": {"intramedullary_osteosynthesis"},
        "solitary_metastasis_progression_after_osteosynthesis": {
            "intramedullary_osteosynthesis",
            "plate_osteosynthesis",
        },
        "endoprosthesis_dislocation": {"endoprosthesis"},
        "endoprosthesis_stem_fracture": {"endoprosthesis"},
    }
    for row in revised.itertuples():
        assert row.method in allowed.get(row.cause, {row.method}), (row.record_number, row.cause, row.method)
    solitary = revised[revised["cause"] == "solitary_metastasis_progression_after_osteosynthesis"]
    assert (solitary["bone_metastases_count"].astype(int) == 1).all()


def test_raw_derivation_agrees_with_the_truth_table(derived, twin):
    """The truth the generator writes is what the raw files say, patient by patient."""
    truth = twin.truth.set_index("record_number")
    d = derived.set_index("record_number")
    assert set(d.index) == set(truth.index)
    d = d.loc[truth.index]
    revision_days = (d["date_revision"] - d["date"]).dt.days
    death_days = (d["death"] - d["date"]).dt.days
    last_days = (d["last"] - d["date"]).dt.days
    expected_time = np.where(revision_days.notna(), revision_days, np.where(death_days.notna(), death_days, last_days))
    assert (expected_time == truth["time_days"].to_numpy()).all()
    expected_event = np.select([revision_days.notna(), death_days.notna()], [1, 2], 0)
    assert (expected_event == truth["event"].to_numpy()).all()
    assert (d["age"].to_numpy() == truth["age_at_surgery"].to_numpy()).all()
    assert (d["primary"].to_numpy() == truth["primary_group"].to_numpy()).all()
    assert (d["cause"].to_numpy() == truth["revision_cause"].fillna("").to_numpy()).all()


def test_design_margins_equal_the_paper():
    """The twin's joint split of the 33 revisions adds up to the paper's two published margins."""
    revised = pd.DataFrame(design.REVISED, columns=["primary", "cause", "method"])
    assert revised["primary"].value_counts().to_dict() == design.PAPER_REVISED_BY_PRIMARY
    assert revised["cause"].value_counts().to_dict() == design.PAPER_REVISED_BY_CAUSE
    assert sum(design.PRIMARY_COUNTS.values()) == sum(design.METHOD_COUNTS.values()) == design.PAPER_COHORT_SIZE


def test_revision_reason_text_is_what_the_cause_says():
    """No reason spelling is shared between two causes (else the cause could not be read back)."""
    spellings = [v for variants in vocab.REVISION_REASON.values() for v in variants]
    assert len(spellings) == len(set(spellings))
    assert all(re.search(r"\S", s) for s in spellings)
