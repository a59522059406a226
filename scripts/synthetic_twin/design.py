"""The design of the synthetic twin: what it must reproduce exactly, and the models behind everything else.

Hard targets come from the paper (Wang J., Kharchenko N.V., Zapirov G.M., Kaprin A.D., Bukharov A.V., Derzhavin
V.A., Yadrina A.V. Factors associated with revision surgery in long bones metastases. Traumatology and Orthopedics
of Russia. DOI 10.17816/2311-2905-1775) and hold exactly at the default cohort size of 247. Everything the paper does
not publish is a soft target drawn from the literature listed in ../shared/reference/calibration.md; the numbers a
generated cohort is checked against are in calibration.tsv beside this file.
"""

from __future__ import annotations

import datetime as dt

# --- Hard targets: the paper -------------------------------------------------------------------------------------
PAPER_COHORT_SIZE = 247
PAPER_MEDIAN_AGE = 62
PAPER_REVISED_BY_PRIMARY = {
    "breast": 10,
    "kidney": 13,
    "lung": 3,
    "prostate": 2,
    "rectum": 3,
    "liver": 1,
    "ewing_sarcoma": 1,
}
PAPER_REVISED_BY_CAUSE = {
    "preoperative_diagnostic_error": 3,
    "postoperative_infection": 6,
    "endoprosthesis_dislocation": 4,
    "solitary_metastasis_progression_after_osteosynthesis": 5,
    "aseptic_instability_after_intramedullary_osteosynthesis": 14,
    "endoprosthesis_stem_fracture": 1,
}
STUDY_PERIOD = (dt.date(2006, 1, 1), dt.date(2020, 12, 31))

# The 33 revisions: (primary, cause, index operation). The paper gives the margins only; this joint split is the
# twin's choice, made consistent with the causes: aseptic instability follows intramedullary nails, dislocation and
# stem fracture follow endoprostheses, progression of a solitary metastasis follows osteosynthesis (nail or plate),
# and kidney primaries, often solitary, carry most of the local progression (Wedin 1999: local failure 24 % vs 11 %).
REVISED = (
    [
        ("kidney", "solitary_metastasis_progression_after_osteosynthesis", m)
        for m in (
            "intramedullary_osteosynthesis",
            "intramedullary_osteosynthesis",
            "plate_osteosynthesis",
            "plate_osteosynthesis",
        )
    ]
    + [("lung", "solitary_metastasis_progression_after_osteosynthesis", "intramedullary_osteosynthesis")]
    + [
        (p, "aseptic_instability_after_intramedullary_osteosynthesis", "intramedullary_osteosynthesis")
        for p in ["kidney"] * 5 + ["breast"] * 5 + ["lung", "prostate", "rectum", "liver"]
    ]
    + [(p, "endoprosthesis_dislocation", "endoprosthesis") for p in ("kidney", "breast", "breast", "prostate")]
    + [("breast", "endoprosthesis_stem_fracture", "endoprosthesis")]
    + [
        ("kidney", "postoperative_infection", "endoprosthesis"),
        ("kidney", "postoperative_infection", "endoprosthesis"),
        ("breast", "postoperative_infection", "endoprosthesis"),
        ("ewing_sarcoma", "postoperative_infection", "endoprosthesis"),
        ("lung", "postoperative_infection", "intramedullary_osteosynthesis"),
        ("rectum", "postoperative_infection", "plate_osteosynthesis"),
    ]
    + [
        ("kidney", "preoperative_diagnostic_error", "intramedullary_osteosynthesis"),
        ("breast", "preoperative_diagnostic_error", "plate_osteosynthesis"),
        ("rectum", "preoperative_diagnostic_error", "other"),
    ]
)

# --- Soft targets: composition of the 247 ------------------------------------------------------------------------
# Primary mix: breast ~25 %, lung ~17 %, kidney ~16 %, prostate ~7 % (Ristevski 2009; Chafey 2018); the rest spread
# over the usual other primaries.
PRIMARY_COUNTS = {
    "breast": 62,
    "kidney": 40,
    "lung": 42,
    "prostate": 18,
    "rectum": 10,
    "liver": 5,
    "ewing_sarcoma": 2,
    "thyroid": 14,
    "melanoma": 7,
    "stomach": 8,
    "bladder": 9,
    "cervix": 6,
    "unknown_primary": 24,
}
# Index operation mix: endoprostheses and nails dominate a tertiary oncology centre's series.
METHOD_COUNTS = {"endoprosthesis": 112, "intramedullary_osteosynthesis": 93, "plate_osteosynthesis": 30, "other": 12}

# Operated site by method: (bone, segment, weight). Endoprostheses: proximal femur 45 %, proximal humerus 26 %,
# distal femur 17 % (Henrichs 2014). Nails: mostly subtrochanteric / proximal femur, then diaphyses (Tanaka 2016).
SITES = {
    "endoprosthesis": [
        ("femur", "proximal", 45),
        ("humerus", "proximal", 26),
        ("femur", "distal", 17),
        ("tibia", "proximal", 8),
        ("humerus", "distal", 4),
    ],
    "intramedullary_osteosynthesis": [
        ("femur", "proximal", 65),
        ("femur", "diaphysis", 15),
        ("humerus", "diaphysis", 12),
        ("tibia", "diaphysis", 5),
        ("humerus", "proximal", 3),
    ],
    "plate_osteosynthesis": [
        ("humerus", "diaphysis", 30),
        ("femur", "distal", 25),
        ("femur", "proximal", 15),
        ("radius", "diaphysis", 10),
        ("ulna", "diaphysis", 5),
        ("tibia", "distal", 15),
    ],
    "other": [
        ("femur", "proximal", 35),
        ("humerus", "proximal", 25),
        ("tibia", "proximal", 20),
        ("fibula", "proximal", 10),
        ("radius", "distal", 10),
    ],
}

PATHOLOGICAL_FRACTURE_SHARE = 0.68  # 60-80 % pathological (Ristevski 2009; Guzik 2018; Chafey 2018)
FEMALE_SHARE = {"breast": 0.99, "cervix": 1.0, "prostate": 0.0}  # others: 0.45
VISCERAL_SHARE = {"lung": 0.6, "liver": 0.6, "melanoma": 0.6, "kidney": 0.3, "breast": 0.3, "thyroid": 0.25}
SOLITARY_SHARE = {"kidney": 0.4, "thyroid": 0.35, "breast": 0.45}  # others: 0.25
# (No target holds these two; breast and kidney carry fewer visceral and more solitary metastases than the other
# primaries so that the best original Bauer group, 4-5, is large enough for its survival band: see SURVIVAL.)
AGE_SPREAD = 11.5  # years, standard deviation of age at surgery around the median 62

# Survival after surgery by primary: Weibull (median in months, shape) of a patient with none of the Bauer score's
# adverse items; each item present multiplies the median by BAUER_ITEM_SURVIVAL (a pathological fracture 0.8,
# visceral metastases 0.8, multiple skeletal metastases 0.6), so that survival by original Bauer group comes within
# the tolerance of Bauer and Wedin 1995 (1-year survival about 0.5, 0.25 and 0 in the groups 4-5, 2-3 and 0-1; see
# calibration.tsv). Calibrated, with the items, to prostate median ~6 months, lung 3-4 months, kidney 58 % / 37 %
# at 1 / 2 years, all primaries ~40 % / 30 % at 1 / 2 years (Hansen 2004; Weiss 2012; Fottner 2010; Willeumier 2018).
SURVIVAL = {
    "breast": (22.0, 0.85),
    "kidney": (15.0, 0.9),
    "lung": (8.0, 0.9),
    "prostate": (11.0, 1.0),
    "rectum": (16.0, 1.0),
    "liver": (9.0, 1.0),
    "ewing_sarcoma": (32.0, 1.0),
    "thyroid": (80.0, 0.9),
    "melanoma": (10.0, 1.0),
    "stomach": (8.0, 1.0),
    "bladder": (10.0, 1.0),
    "cervix": (12.0, 1.0),
    "unknown_primary": (10.0, 1.0),
}
BAUER_ITEM_SURVIVAL = {"pathological_fracture": 0.8, "visceral_metastases": 0.8, "multiple_bone_metastases": 0.6}
# Time from the index operation to revision by cause: log-normal (median in months, sigma). Local failure after
# fixation: median 8-10 months, IQR 4-14 (Wedin 1999; Forsberg 2013); infections and dislocations come early.
REVISION_TIME = {
    "preoperative_diagnostic_error": (3.0, 0.6),
    "postoperative_infection": (1.2, 0.6),
    "endoprosthesis_dislocation": (1.5, 0.8),
    "solitary_metastasis_progression_after_osteosynthesis": (12.0, 0.6),
    "aseptic_instability_after_intramedullary_osteosynthesis": (8.0, 0.9),
    "endoprosthesis_stem_fracture": (26.0, 0.5),
}
LOSS_TO_FOLLOW_UP_SHARE = 0.10
EXPORT_DATE = dt.date(2021, 6, 30)  # the day the exports were drawn: administrative censoring

# --- Defects of the export (what the cleaning stage must catch) ---------------------------------------------------
# Extra patients the inclusion criteria must exclude, per 247 analysed.
EXCLUDED_PATIENTS = {
    "operation_outside_study_period": 6,
    "no_long_bone_operation": 8,
    "no_metastatic_disease": 5,
    "missing_follow_up": 4,
    "impossible_date_order": 3,
    "unparseable_date": 3,
    "no_operation": 2,
}
# Defects in the rows of analysed patients, resolved by a stated rule without losing the patient, per 247.
ROW_DEFECTS = {
    "exact_duplicate_patient_row": 5,
    "exact_duplicate_operation_row": 4,
    "conflicting_duplicate_follow_up": 3,
    "conflicting_duplicate_patient_contacts": 3,
    "later_operation_other_site": 12,
    "earlier_operation_not_long_bone": 6,
    "identifiers_in_revision_reason": 8,
}
SURGEON_COUNT = 14

# Prognostic-score inputs (synthetic_twin.prognostic_inputs). Survival bands (months) and, per band, the chances of
# the Katagiri groups 0-3, 4-6 and 7-10, tuned so that survival by group comes close to Katagiri et al. 2014 (Cancer
# Med 3:1359: 1-year survival about 91 %, 49 % and 6 %); calibration.tsv holds the targets and tolerances.
KATAGIRI_TARGET_BANDS_MONTHS = [3.0, 6.0, 12.0, 24.0]
KATAGIRI_TARGET = [
    [0.00, 0.05, 0.95],  # < 3 months
    [0.03, 0.17, 0.80],  # 3-6
    [0.15, 0.55, 0.30],  # 6-12
    [0.22, 0.68, 0.10],  # 12-24
    [0.62, 0.36, 0.02],  # >= 24, or alive
]
CEREBRAL_SHARE_OF_VISCERAL = 0.15
# Share of each pre-operative laboratory test that was not drawn: 3 % per test, so that about one patient in six
# lacks a complete Katagiri panel and multiple imputation has work to do.
LABORATORY_MISSING_SHARE = 0.03
