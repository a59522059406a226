"""The modified Bauer score, one definition for the analysis and for the synthetic twin's truth."""

from __future__ import annotations

import pandas as pd

# Primaries with a favourable prognosis in the modified Bauer score.
FAVOURABLE_PRIMARIES = ("breast", "kidney", "lymphoma", "myeloma")


def modified_bauer_score(df: pd.DataFrame) -> pd.Series:
    """Modified Bauer score (Leithner et al. 2008, Eur Spine J 17:1488): one point each for no visceral
    metastases, primary not lung, primary breast / kidney / lymphoma / myeloma, and a solitary skeletal metastasis.
    0-1: supportive care; 2: short-term palliation; 3-4: long-term local control."""
    favourable = df["primary_group"].isin(list(FAVOURABLE_PRIMARIES))
    return (
        (~df["visceral_metastases"]).astype(int)
        + (df["primary_group"] != "lung").astype(int)
        + favourable.astype(int)
        + df["solitary_bone_metastasis"].astype(int)
    )
