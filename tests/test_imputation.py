"""Multiple imputation of the score inputs (analysis.imputation) and Rubin's rules, on small hand-made cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.imputation import LABORATORY, impute, rubin
from analysis.prognostic_scores import per_patient


def cohort(n: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "patient_id": [f"P{i:016x}" for i in range(n)],
            "primary_group": rng.choice(["breast", "lung", "kidney", "prostate"], n),
            "visceral_metastases": rng.random(n) < 0.5,
            "solitary_bone_metastasis": rng.random(n) < 0.3,
            "chemotherapy_before_surgery": rng.random(n) < 0.5,
            "pathological_fracture": rng.random(n) < 0.5,
            "ecog": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "survival_days": rng.integers(10, 2000, n),
            "died": rng.random(n) < 0.8,
            "event": rng.integers(0, 3, n),
            "time_days": rng.integers(5, 1000, n),
        }
    )
    frame["hormone_dependent"] = pd.array(
        np.where(frame["primary_group"].isin(["breast", "prostate"]), rng.random(n) < 0.6, None), dtype="boolean"
    )
    frame["targeted_therapy"] = pd.array(
        np.where(frame["primary_group"] == "lung", rng.random(n) < 0.3, None), dtype="boolean"
    )
    frame["visceral_spread"] = np.where(
        frame["visceral_metastases"], rng.choice(["nodular", "disseminated"], n), "none"
    ).astype(object)
    frame["cerebral_metastases"] = pd.array(frame["visceral_metastases"] & (rng.random(n) < 0.2), dtype="boolean")
    for name in LABORATORY:
        frame[name] = rng.lognormal(0, 0.5, n) * 10
    return frame


def test_rubins_rules_by_hand():
    # m = 3 estimates 1, 2, 3 with within variances 0.1, 0.2, 0.3: W = 0.2, B = 1, T = 0.2 + 4/3.
    estimate, total, dof = rubin(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.2, 0.3]))
    assert estimate == 2.0
    assert total == pytest.approx(0.2 + 4 / 3, abs=1e-15)
    assert dof == pytest.approx(2 * (1 + 0.2 / (4 / 3)) ** 2, abs=1e-12)
    assert rubin(np.array([1.0, 1.0]), np.array([0.1, 0.1]))[2] == float("inf")


def test_nothing_missing_gives_the_data_back():
    df = cohort()
    for completed in impute(df, imputations=2, iterations=2, donors=5, seed=1):
        pd.testing.assert_frame_equal(completed, df)


def test_imputed_values_are_observed_values_and_only_where_missing():
    df = cohort()
    holes = df.copy()
    rng = np.random.default_rng(4)
    gone = rng.random(len(df)) < 0.2
    holes.loc[gone, "crp_mg_dl"] = np.nan
    holes["ecog"] = holes["ecog"].mask(pd.Series(rng.random(len(df)) < 0.2))
    first, second = impute(holes, imputations=2, iterations=3, donors=5, seed=7)
    again = impute(holes, imputations=2, iterations=3, donors=5, seed=7)[0]
    pd.testing.assert_frame_equal(first, again)  # deterministic for a seed
    assert first["crp_mg_dl"].notna().all() and first["ecog"].notna().all()
    observed = set(np.round(holes["crp_mg_dl"].dropna(), 9))
    assert set(np.round(first.loc[gone, "crp_mg_dl"], 9)) <= observed  # predictive mean matching draws donors
    assert set(first["ecog"].astype(int)) <= {0, 1, 2, 3, 4}
    kept = ~gone
    assert (first.loc[kept, "crp_mg_dl"] == holes.loc[kept, "crp_mg_dl"]).all()
    assert not first["crp_mg_dl"].equals(second["crp_mg_dl"])  # the imputations differ


def test_variables_apply_only_where_they_apply():
    df = cohort()
    df.loc[df["primary_group"] == "breast", "hormone_dependent"] = pd.NA
    completed = impute(df, imputations=1, iterations=2, donors=3, seed=2)[0]
    breast = completed["primary_group"] == "breast"
    assert completed.loc[breast, "hormone_dependent"].notna().all()
    assert completed.loc[completed["primary_group"] == "kidney", "hormone_dependent"].isna().all()


def test_a_variable_never_recorded_stays_missing_and_so_does_the_score():
    df = cohort()
    df[LABORATORY] = np.nan
    completed = impute(df, imputations=1, iterations=2, donors=3, seed=2)[0]
    assert completed[LABORATORY].isna().all().all()
    scores = per_patient(completed)
    assert scores["katagiri_new"].isna().all() and scores["bauer"].notna().all()
