"""The analysis: hand-made cohorts whose answers can be checked on paper, and the published numbers on the twin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import data, description, factors, recommendation, risk
from common.study import DAYS_PER_MONTH, DEATH, REVISION

HORIZONS = {"6m": 6, "1y": 12, "2y": 24, "5y": 60}
MONTH = DAYS_PER_MONTH


def patients(rows: list[dict]) -> pd.DataFrame:
    """A hand-made cohort: defaults for every column, overridden per patient."""
    base = {
        "age_at_surgery": 60,
        "sex": "female",
        "primary_group": "breast",
        "primary_icd10": "C50",
        "operation_method": "endoprosthesis",
        "bone": "femur",
        "segment": "proximal",
        "pathological_fracture": True,
        "solitary_bone_metastasis": False,
        "bone_metastases_count": 3,
        "visceral_metastases": False,
        "ecog": 1,
        "chemotherapy_before_surgery": False,
        "lesion_size_cm": 4.0,
        "year_of_surgery": 2010,
        "revision_cause": "",
    }
    out = []
    for i, r in enumerate(rows):
        row = {"patient_id": f"P{i:016x}", **base, **r}
        row.setdefault("survival_days", row["time_days"])
        row.setdefault("died", row["event"] == DEATH)
        if row["event"] == REVISION and not row["revision_cause"]:
            row["revision_cause"] = "postoperative_infection"
        out.append(row)
    return data.with_derived(pd.DataFrame(out))


@pytest.fixture(scope="module")
def twin_analysis(cohort, tmp_path_factory):
    path = tmp_path_factory.mktemp("analysis") / "analysis_table.tsv"
    cohort.analysis.to_csv(path, sep="\t", index=False)
    return data.load(path)


# --- hand-worked examples -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "primary,visceral,solitary,score,group",
    [
        ("breast", False, True, 4, "3-4"),  # no visceral 1 + not lung 1 + favourable 1 + solitary 1
        ("kidney", True, False, 2, "2"),  # 0 + 1 + 1 + 0
        ("lung", True, True, 1, "0-1"),  # 0 + 0 + 0 + 1
        ("lung", True, False, 0, "0-1"),
        ("prostate", False, False, 2, "2"),  # 1 + 1 + 0 + 0
        ("melanoma", False, True, 3, "3-4"),
    ],
)
def test_modified_bauer_score_by_hand(primary, visceral, solitary, score, group):
    df = patients(
        [
            {
                "primary_group": primary,
                "visceral_metastases": visceral,
                "solitary_bone_metastasis": solitary,
                "time_days": 100,
                "event": 0,
            }
        ]
    )
    assert df["modified_bauer_score"].item() == score and df["prognostic_group"].item() == group


def test_km_and_cumulative_incidence_by_hand():
    """Five patients, times in months: revision at 1, death at 2, revision at 3, censored at 4 and 13.
    1 - KM of revision (deaths censored): S = 4/5 after 1, 4/5 * 2/3 = 8/15 after 3 -> 1 - KM(12 m) = 7/15.
    Cumulative incidence: 1/5 at 1; all-cause S(3-) = 4/5 * 3/4 = 3/5, so CIF(3) = 1/5 + 3/5 * 1/3 = 2/5.
    At 6 months both are the values after month 3; the overestimate is 7/15 - 2/5 = 1/15."""
    df = patients([{"time_days": m * MONTH, "event": e} for m, e in ((1, 1), (2, 2), (3, 1), (4, 0), (13, 0))])
    table = risk.revision_risk(df, {"6m": 6, "1y": 12}, alpha=0.05).set_index("horizon")
    assert table.loc["1y", "km_revision"] == pytest.approx(7 / 15)
    assert table.loc["1y", "cif_revision"] == pytest.approx(2 / 5)
    assert table.loc["6m", "overestimate_points"] == pytest.approx(100 / 15)
    assert table.loc["6m", "overestimate_relative"] == pytest.approx((7 / 15 - 2 / 5) / (2 / 5))
    assert (table["km_lower"] <= table["km_revision"]).all() and (table["cif_upper"] >= table["cif_revision"]).all()


def test_overall_survival_counts_deaths_after_revision():
    """Two revised patients who die later and one alive: KM overall survival 2/3 after the first death, 1/3 after
    the second; the median is the second death (at 20 months)."""
    df = patients(
        [
            {"time_days": 2 * MONTH, "event": 1, "survival_days": 10 * MONTH, "died": True},
            {"time_days": 3 * MONTH, "event": 1, "survival_days": 20 * MONTH, "died": True},
            {"time_days": 30 * MONTH, "event": 0, "survival_days": 30 * MONTH, "died": False},
        ]
    )
    _, table = risk.overall_survival(df, 0.05, horizons={"1y": 12, "2y": 24})
    row = table.iloc[0]
    assert row["survival_1y"] == pytest.approx(2 / 3) and row["survival_2y"] == pytest.approx(1 / 3)
    assert row["median_months"] == pytest.approx(20)
    assert row["deaths"] == 2


def test_causes_by_primary_and_time_to_revision_by_hand():
    df = patients(
        [
            {"time_days": 30, "event": 1, "primary_group": "kidney", "revision_cause": "postoperative_infection"},
            {"time_days": 90, "event": 1, "primary_group": "kidney", "revision_cause": "endoprosthesis_dislocation"},
            {"time_days": 300, "event": 1, "primary_group": "breast", "revision_cause": "postoperative_infection"},
            {"time_days": 400, "event": 2},
        ]
    )
    causes = ["postoperative_infection", "endoprosthesis_dislocation", "endoprosthesis_stem_fracture"]
    table = description.causes_by_primary(df, causes, ["breast", "kidney", "lung"]).set_index("revision_cause")
    assert table.loc["postoperative_infection", "kidney"] == 1 and table.loc["postoperative_infection", "total"] == 2
    assert table.loc["endoprosthesis_stem_fracture", "total"] == 0 and table.loc["total", "total"] == 3
    assert "lung" not in table.columns  # a primary with no revision is not a column
    times = description.time_to_revision_by_cause(df, causes).set_index("revision_cause")
    assert times.loc["postoperative_infection", "median_months"] == pytest.approx(165 / MONTH)
    assert times.loc["all", "n"] == 3 and times.loc["endoprosthesis_stem_fracture", "n"] == 0


def test_events_per_variable_limits_the_multivariable_model():
    rng = np.random.default_rng(3)
    n = 400
    rows = [
        {
            "time_days": float(rng.integers(10, 2000)),
            "event": int(rng.choice([0, 1, 2], p=[0.3, 0.08, 0.62])),
            "primary_group": rng.choice(["breast", "kidney", "lung"]),
            "operation_method": rng.choice(["endoprosthesis", "intramedullary_osteosynthesis"]),
            "pathological_fracture": bool(rng.integers(0, 2)),
            "visceral_metastases": bool(rng.integers(0, 2)),
        }
        for _ in range(n)
    ]
    df = patients(rows)
    events = int((df["event"] == 1).sum())
    wanted = ["osteosynthesis", "modified_bauer_score", "pathological_fracture", "kidney_primary"]
    table, ph, record = factors.models(df, ["osteosynthesis"], wanted, 10, 0.05)
    assert record["multivariable_covariates"] == wanted[: max(1, events // 10)]
    assert record["events_per_variable"] == pytest.approx(events / len(record["multivariable_covariates"]))
    assert set(table["kind"]) == {"cause-specific Cox", "Fine-Gray"}
    assert set(ph["model"]) == {"univariable: osteosynthesis", "multivariable"}


def test_too_few_events_give_a_recorded_warning_not_a_crash():
    df = patients(
        [{"time_days": 100 + 10 * i, "event": 2 if i % 3 else 0} for i in range(30)]
        + [
            {"time_days": 50, "event": 1, "operation_method": "intramedullary_osteosynthesis"},
            {"time_days": 70, "event": 1},
        ]
    )
    table, ph, record = factors.models(
        df, ["osteosynthesis", "age_per_10_years"], ["osteosynthesis", "femur"], 10, 0.05
    )
    assert record["events"] == 2 and record["events_per_variable"] == 2
    assert any("events per variable" in w for w in record["warnings"])
    assert any("could not be fitted" in w for w in record["warnings"])  # femur is constant here
    none = patients([{"time_days": 100 + i, "event": 2} for i in range(10)])
    _, _, record = factors.models(none, ["osteosynthesis"], ["osteosynthesis"], 10, 0.05)
    assert record["warnings"] == ["no revisions: no model can be fitted"]
    table, tests = recommendation.fixation_within_prognostic_groups(none, HORIZONS)
    assert tests["p_value"].isna().all() and tests["note"].str.contains("not testable").all()


def test_gray_test_records_a_single_level_as_not_testable():
    df = patients([{"time_days": 10 * (i + 1), "event": i % 3} for i in range(12)])
    result = factors.gray(df, df["fixation"], "fixation")
    assert result["note"] == "one level only" and result["df"] == 0


# --- the twin: the published numbers ------------------------------------------------------------------------
def test_table_one_counts_the_cohort(twin_analysis):
    table = description.table_one(twin_analysis, None)
    assert str(table.loc[table["variable"] == "n", "Overall"].item()) == "247"
    by_revision = description.table_one(
        twin_analysis.assign(revised=twin_analysis["revised"].map({True: "revised", False: "not revised"})), "revised"
    )
    n_row = by_revision[by_revision["variable"] == "n"].iloc[0]
    assert str(n_row["revised"]) == "33" and str(n_row["not revised"]) == "214"


def _with_gaps(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The twin with missing values in categories and continuous variables, a level of its own for one patient,
    and a group where a continuous variable is all missing."""
    rng = np.random.default_rng(seed)
    out = df.copy()
    for column in ("sex", "bone", "pathological_fracture", "prognostic_group", "age_at_surgery"):
        out[column] = out[column].astype(object).mask(rng.random(len(out)) < 0.1)
    out["ecog"] = out["ecog"].astype("Int64").mask(rng.random(len(out)) < 0.1)
    out.loc[out.index[0], "segment"] = "whole_bone"
    out["age_at_surgery"] = pd.to_numeric(out["age_at_surgery"]).mask(out["operation_method"] == "other")
    return out


@pytest.mark.parametrize("seed", [None, 1, 2])
@pytest.mark.parametrize("groupby", [None, "revised", "operation_method"])
def test_table_one_equals_tableone(twin_analysis, seed, groupby):
    import warnings

    frame = twin_analysis if seed is None else _with_gaps(twin_analysis, seed)
    frame = frame.assign(revised=frame["revised"].map({True: "revised", False: "not revised"}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tableone's and numpy's warnings about the all-missing group
        reference = description.table_one_tableone(frame, groupby)
    ours = description.table_one(frame, groupby)
    pd.testing.assert_frame_equal(ours, reference)
    assert ours.to_csv(sep="\t", index=False) == reference.to_csv(sep="\t", index=False)


def test_published_margins_come_out_of_the_analysis(twin_analysis, config):
    causes = config["analysis"]["revision_causes"]
    table = description.causes_by_primary(twin_analysis, causes, list(vocab_primaries())).set_index("revision_cause")
    assert table["total"].drop("total").to_dict() == {
        "preoperative_diagnostic_error": 3,
        "postoperative_infection": 6,
        "endoprosthesis_dislocation": 4,
        "solitary_metastasis_progression_after_osteosynthesis": 5,
        "aseptic_instability_after_intramedullary_osteosynthesis": 14,
        "endoprosthesis_stem_fracture": 1,
    }
    assert table.loc["total"].drop("total").to_dict() == {
        "breast": 10,
        "ewing_sarcoma": 1,
        "kidney": 13,
        "liver": 1,
        "lung": 3,
        "prostate": 2,
        "rectum": 3,
    }
    assert np.median(twin_analysis["age_at_surgery"]) == 62


def test_naive_km_overstates_the_risk_on_the_twin(twin_analysis):
    table = risk.revision_risk(twin_analysis, HORIZONS, 0.05)
    assert (table["km_revision"] >= table["cif_revision"] - 1e-12).all()
    assert table.set_index("horizon").loc["2y", "overestimate_relative"] > 0.2


def vocab_primaries():
    from synthetic_twin.vocabulary import PRIMARY

    return PRIMARY
