"""Prognostic scores on hand-worked patients: each item of the original Bauer and the new Katagiri score moves the
total by the published points (Bauer and Wedin 1995; Katagiri et al. 2014), and a missing input leaves the score
missing rather than zero."""

from __future__ import annotations

import numpy as np
import pandas as pd

from common.prognosis import bauer_score, katagiri_laboratory_points, katagiri_new_score, modified_bauer_score

NORMAL_LABS = {
    "crp_mg_dl": 0.1,
    "ldh_iu_l": 180.0,
    "albumin_g_dl": 4.2,
    "platelets_per_ul": 250_000.0,
    "calcium_mg_dl": 9.4,
    "bilirubin_mg_dl": 0.6,
}
BEST = {
    "primary_group": "thyroid",
    "hormone_dependent": None,
    "targeted_therapy": None,
    "visceral_metastases": False,
    "visceral_spread": "none",
    "cerebral_metastases": False,
    "pathological_fracture": False,
    "solitary_bone_metastasis": True,
    "ecog": 1,
    "chemotherapy_before_surgery": False,
    **NORMAL_LABS,
}


def patients(*changes: dict) -> pd.DataFrame:
    return pd.DataFrame([{**BEST, **change} for change in changes])


def test_bauer_adds_the_fracture_item_to_the_modified_score():
    df = patients({"primary_group": "kidney"}, {"primary_group": "kidney", "pathological_fracture": True})
    assert list(modified_bauer_score(df)) == [4, 4]
    assert list(bauer_score(df)) == [5, 4]
    worst = patients(
        {
            "primary_group": "lung",
            "visceral_metastases": True,
            "pathological_fracture": True,
            "solitary_bone_metastasis": False,
        }
    )
    assert list(bauer_score(worst)) == [0]


def test_katagiri_items_carry_their_published_points():
    df = patients(
        {},  # thyroid, nothing else: 0
        {"primary_group": "kidney"},  # moderate growth: 2
        {"primary_group": "melanoma"},  # rapid growth: 3
        {"primary_group": "breast", "hormone_dependent": True},  # slow: 0
        {"primary_group": "prostate", "hormone_dependent": False},  # moderate: 2
        {"primary_group": "lung", "targeted_therapy": True},  # moderate: 2
        {"primary_group": "lung", "targeted_therapy": False},  # rapid: 3
        {"visceral_spread": "nodular"},  # 1
        {"visceral_spread": "disseminated"},  # 2
        {"cerebral_metastases": True},  # cerebral counts as visceral: 1
        {"crp_mg_dl": 0.4},  # abnormal laboratory: 1
        {"crp_mg_dl": 0.4, "calcium_mg_dl": 10.3},  # critical wins: 2
        {"ecog": 3},  # 1
        {"ecog": 2},  # 0
        {"chemotherapy_before_surgery": True},  # 1
        {"solitary_bone_metastasis": False},  # 1
        {"primary_group": "some_rare_cancer"},  # "others": moderate, 2
    )
    assert list(katagiri_new_score(df)) == [0, 2, 3, 0, 2, 2, 3, 1, 2, 1, 1, 2, 1, 0, 1, 1, 2]


def test_katagiri_maximum_is_ten():
    df = patients(
        {
            "primary_group": "stomach",
            "visceral_spread": "disseminated",
            "platelets_per_ul": 90_000,
            "ecog": 4,
            "chemotherapy_before_surgery": True,
            "solitary_bone_metastasis": False,
        }
    )
    assert list(katagiri_new_score(df)) == [10]


def test_laboratory_thresholds_are_inclusive_as_published():
    df = patients(
        {"ldh_iu_l": 249.9},
        {"ldh_iu_l": 250.0},
        {"albumin_g_dl": 3.7},
        {"albumin_g_dl": 3.69},
        {"platelets_per_ul": 100_000},
        {"platelets_per_ul": 99_999},
        {"bilirubin_mg_dl": 1.4},
    )
    assert list(katagiri_laboratory_points(df)) == [0, 1, 0, 1, 0, 2, 2]


def test_missing_inputs_leave_the_score_missing():
    df = patients(
        {"crp_mg_dl": np.nan},  # a normal panel with one value missing: unknown
        {"crp_mg_dl": np.nan, "platelets_per_ul": 50_000},  # a critical value decides regardless
        {"primary_group": "breast", "hormone_dependent": None},  # growth group undecidable
        {"ecog": np.nan},
    )
    labs = katagiri_laboratory_points(df)
    assert np.isnan(labs[0]) and labs[1] == 2
    score = katagiri_new_score(df)
    assert np.isnan(score[0]) and score[1] == 2 and np.isnan(score[2]) and np.isnan(score[3])
