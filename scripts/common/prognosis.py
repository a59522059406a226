"""The modified Bauer score, one definition for the analysis and for the synthetic twin's truth."""

from __future__ import annotations

import pandas as pd

# Primaries with a favourable prognosis in the modified Bauer score.
FAVOURABLE_PRIMARIES = ("breast", "kidney", "lymphoma", "myeloma")


def modified_bauer_score(df: pd.DataFrame) -> pd.Series:
    """Modified Bauer score (Leithner et al. 2008, Eur Spine J 17:1488-1495, doi:10.1007/s00586-008-0763-1: the
    Bauer score "without scoring for pathologic fracture", abstract): one point each for no visceral metastases,
    primary not lung, primary breast / kidney / lymphoma / myeloma, and a solitary skeletal metastasis.
    0-1: supportive care; 2: short-term palliation; 3-4: long-term local control. The paper's survival by group
    was not read here (README, "Soft calibration"), so the twin has no target for it."""
    favourable = df["primary_group"].isin(list(FAVOURABLE_PRIMARIES))
    return (
        (~df["visceral_metastases"]).astype(int)
        + (df["primary_group"] != "lung").astype(int)
        + favourable.astype(int)
        + df["solitary_bone_metastasis"].astype(int)
    )


def bauer_score(df: pd.DataFrame) -> pd.Series:
    """Original Bauer score (Bauer and Wedin 1995, Acta Orthop Scand 66:143-146, doi:10.3109/17453679508995508):
    the modified score's four items plus one point for no pathological fracture, 0-5 (the abstract's negative
    variables: pathologic fracture, visceral or brain metastases, lung cancer; positive: solitary skeletal
    metastasis, breast and kidney cancer, myeloma, lymphoma). Groups 0-1, 2-3 and 4-5; the abstract gives three
    groups "with a 1-year survival ranging from 0.5 to 0.0", and Janssen et al. 2015 (Clin Orthop Relat Res,
    doi:10.1007/s11999-015-4446-z), citing it, 0.5 for 4-5, 0.25 for 2-3 and death within 6 months for 0-1. Its
    visceral item reads "visceral or brain metastases"; the twin's ``visceral_metastases`` is that item."""
    return modified_bauer_score(df) + (~df["pathological_fracture"].astype(bool)).astype(int)


# Katagiri et al. 2014 (Cancer Med 3:1359, doi:10.1002/cam4.292), primary lesion by growth: slow 0, moderate 2,
# rapid 3. Breast and prostate depend on hormone dependence and lung on molecularly targeted therapy; those three are
# resolved per patient by katagiri_growth_points.
KATAGIRI_GROWTH = {
    "thyroid": 0,
    "myeloma": 0,
    "lymphoma": 0,
    "kidney": 2,
    "endometrium": 2,
    "ovary": 2,
    "sarcoma": 2,
    "ewing_sarcoma": 2,
    "rectum": 3,
    "colon": 3,
    "stomach": 3,
    "pancreas": 3,
    "head_and_neck": 3,
    "oesophagus": 3,
    "bladder": 3,
    "melanoma": 3,
    "liver": 3,
    "gallbladder": 3,
    "cervix": 3,
    "unknown_primary": 3,
}
KATAGIRI_OTHER = 2  # "others" are in the moderate group


def katagiri_growth_points(primary: pd.Series, hormone_dependent: pd.Series, targeted_therapy: pd.Series) -> pd.Series:
    """Growth points of the primary lesion (new Katagiri score): hormone-dependent breast and prostate 0, hormone-
    independent 2; lung with molecularly targeted therapy 2, without 3; the others from KATAGIRI_GROWTH. NaN where
    the item that decides it is missing."""
    points = primary.map(KATAGIRI_GROWTH).astype(float).fillna(float(KATAGIRI_OTHER))
    hormonal = primary.isin(["breast", "prostate"])
    points[hormonal] = hormone_dependent[hormonal].map({True: 0.0, False: 2.0})
    lung = primary == "lung"
    points[lung] = targeted_therapy[lung].map({True: 2.0, False: 3.0})
    return points


def katagiri_new_score(df: pd.DataFrame) -> pd.Series:
    """New Katagiri score (Katagiri et al. 2014, Cancer Med 3:1359), 0-10, NaN where an input is missing (the
    analysis imputes it):

    - primary lesion: slow growth 0, moderate 2, rapid 3 (``katagiri_growth_points``);
    - visceral or cerebral metastases: nodular 1, disseminated 2 (pleural, peritoneal or leptomeningeal
      dissemination); ``visceral_spread`` is "none", "nodular" or "disseminated", ``cerebral_metastases`` counts as
      nodular;
    - laboratory data: abnormal 1 (CRP >= 0.4 mg/dL, LDH >= 250 IU/L or albumin < 3.7 g/dL), critical 2 (platelets
      < 100,000/uL, serum calcium >= 10.3 mg/dL or total bilirubin >= 1.4 mg/dL), from ``katagiri_laboratory_points``;
    - ECOG performance status 3 or 4: 1; previous chemotherapy: 1; multiple skeletal metastases: 1.

    Groups 0-3, 4-6 and 7-10 (1-year survival about 91 %, 49 % and 6 % in the paper)."""
    growth = katagiri_growth_points(df["primary_group"], df["hormone_dependent"], df["targeted_therapy"])
    spread = df["visceral_spread"].map({"none": 0.0, "nodular": 1.0, "disseminated": 2.0})
    cerebral = df["cerebral_metastases"].map({True: 1.0, False: 0.0})
    visceral = pd.concat([spread, cerebral], axis=1).max(axis=1, skipna=False)
    ecog = (df["ecog"].astype(float) >= 3).astype(float).where(df["ecog"].notna())
    chemo = df["chemotherapy_before_surgery"].map({True: 1.0, False: 0.0})
    multiple = (
        (~df["solitary_bone_metastasis"].astype(bool)).astype(float).where(df["solitary_bone_metastasis"].notna())
    )
    return growth + visceral + katagiri_laboratory_points(df) + ecog + chemo + multiple


def katagiri_laboratory_points(df: pd.DataFrame) -> pd.Series:
    """Laboratory item of the new Katagiri score in conventional units (CRP mg/dL, LDH IU/L, albumin g/dL,
    platelets per uL, calcium mg/dL, bilirubin mg/dL): 2 if any critical value, else 1 if any abnormal value, else
    0. A critical value decides the item even when other values are missing; otherwise any missing value makes the
    item missing."""
    critical = pd.concat(
        [df["platelets_per_ul"] < 100_000, df["calcium_mg_dl"] >= 10.3, df["bilirubin_mg_dl"] >= 1.4], axis=1
    )
    abnormal = pd.concat([df["crp_mg_dl"] >= 0.4, df["ldh_iu_l"] >= 250, df["albumin_g_dl"] < 3.7], axis=1)
    inputs = ["platelets_per_ul", "calcium_mg_dl", "bilirubin_mg_dl", "crp_mg_dl", "ldh_iu_l", "albumin_g_dl"]
    complete = df[inputs].notna().all(axis=1)
    points = pd.Series(float("nan"), index=df.index)
    points[complete] = 0.0
    points[complete & abnormal.any(axis=1)] = 1.0
    points[critical.any(axis=1)] = 2.0
    return points
