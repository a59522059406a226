"""Check a generated cohort against the calibration table (calibration.tsv beside this file).

Hard targets (the paper's numbers) must hold exactly at the paper's cohort size; at other sizes they are checked as
shares of the cohort, since a scaled twin keeps proportions, not counts. Soft targets (the literature) must fall
within their tolerance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from common.kaplan_meier import KaplanMeier
from common.prognosis import bauer_score, katagiri_new_score
from common.study import DAYS_PER_MONTH, DAYS_PER_YEAR, REVISION

from . import design

CALIBRATION_TABLE = Path(__file__).with_name("calibration.tsv")
# At a scaled size, a hard count n_k of 247 is checked as the share n_k / 247 within this absolute tolerance.
SCALED_SHARE_TOLERANCE = 0.02


def load_targets() -> pd.DataFrame:
    return pd.read_csv(CALIBRATION_TABLE, sep="\t")


def overall_survival(truth: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Days from the index operation to death or last contact, and whether death was observed."""
    index = pd.to_datetime(truth["index_date"])
    died = truth["death_date"].fillna("").astype(str) != ""
    end = pd.to_datetime(truth["death_date"].where(died, truth["last_contact_date"]))
    return (end - index).dt.days.to_numpy(), died.to_numpy()


def km(durations: np.ndarray, observed: np.ndarray) -> KaplanMeier:
    return KaplanMeier(durations / DAYS_PER_MONTH, observed)


def cumulative_incidence(time: np.ndarray, event: np.ndarray, cause: int, at: float) -> float:
    """Aalen-Johansen cumulative incidence of `cause` at time `at`: sum over event times t_j <= at of
    S(t_j-) d_cause(t_j) / n(t_j), S the all-cause Kaplan-Meier (Kalbfleisch & Prentice 2002, eq. 8.2.2).
    Only for this calibration check; the analysis uses the competing_risks package."""
    order = np.unique(time[(event > 0) & (time <= at)])
    surv, cif = 1.0, 0.0
    for t in order:
        at_risk = np.sum(time >= t)
        d_all = np.sum((time == t) & (event > 0))
        cif += surv * np.sum((time == t) & (event == cause)) / at_risk
        surv *= 1 - d_all / at_risk
    return cif


LABORATORY = ["crp_mg_dl", "ldh_iu_l", "albumin_g_dl", "platelets_per_ul", "calcium_mg_dl", "bilirubin_mg_dl"]
FLAGS = ["cerebral_metastases", "hormone_dependent", "targeted_therapy", "chemotherapy_before_surgery"]


def _typed_score_inputs(truth: pd.DataFrame) -> pd.DataFrame:
    """The score inputs typed as the score functions read them, whether the truth was read with empty cells as
    missing or as empty text: laboratory values as numbers, flags as booleans (missing stays missing)."""
    out = truth.copy()
    for column in LABORATORY:
        out[column] = pd.to_numeric(out[column].replace("", np.nan))
    for column in FLAGS:
        out[column] = out[column].map({True: True, False: False, "True": True, "False": False})
    out["visceral_spread"] = out["visceral_spread"].replace("", np.nan)
    out["ecog"] = pd.to_numeric(out["ecog"].replace("", np.nan))
    return out


def measure(truth: pd.DataFrame) -> dict[str, float]:
    """Every quantity of the calibration table, measured on an analysis-ready cohort (the truth table)."""
    n = len(truth)
    revised = truth["event"] == REVISION
    out: dict[str, float] = {
        "analysed_patients": n,
        "revised_patients": int(revised.sum()),
        "median_age_years": float(np.median(truth["age_at_surgery"])),
    }
    for group in design.PAPER_REVISED_BY_PRIMARY:
        out[f"revised_primary_{group}"] = int((revised & (truth["primary_group"] == group)).sum())
    for cause in design.PAPER_REVISED_BY_CAUSE:
        out[f"revised_cause_{cause}"] = int((truth["revision_cause"] == cause).sum())
    for group in ("breast", "lung", "kidney", "prostate"):
        out[f"share_primary_{group}"] = float((truth["primary_group"] == group).mean())
    out["share_pathological_fracture"] = float(truth["pathological_fracture"].astype(bool).mean())
    endo = truth[truth["operation_method"] == "endoprosthesis"]
    for bone, segment in (("femur", "proximal"), ("humerus", "proximal"), ("femur", "distal")):
        out[f"share_endoprosthesis_{segment}_{bone}"] = float(
            ((endo["bone"] == bone) & (endo["segment"] == segment)).mean()
        )
    nails = truth[truth["operation_method"] == "intramedullary_osteosynthesis"]
    out["share_nail_proximal_femur"] = float(((nails["bone"] == "femur") & (nails["segment"] == "proximal")).mean())

    days, died = overall_survival(truth)
    fit = km(days, died)
    for years in (1, 2, 3):
        out[f"overall_survival_{years}y"] = float(fit.predict(12 * years))
    out["overall_survival_median_months"] = float(fit.median_survival_time_)
    for group, key, what in (
        ("lung", "survival_1y_lung", 12),
        ("kidney", "survival_1y_kidney", 12),
        ("kidney", "survival_2y_kidney", 24),
        ("prostate", "survival_median_months_prostate", None),
    ):
        mask = (truth["primary_group"] == group).to_numpy()
        fit_g = km(days[mask], died[mask])
        out[key] = float(fit_g.median_survival_time_ if what is None else fit_g.predict(what))
    # Survival by new Katagiri group, among the patients whose every input is known (a missing laboratory value
    # leaves the score missing).
    katagiri = katagiri_new_score(_typed_score_inputs(truth)).to_numpy(float)
    for low, high in ((0, 3), (4, 6), (7, 10)):
        mask = (katagiri >= low) & (katagiri <= high)
        out[f"survival_1y_katagiri_{low}_{high}"] = float(km(days[mask], died[mask]).predict(12))
    # Survival by original Bauer group (Bauer and Wedin 1995: 0-1, 2-3 and 4-5 points); every input is known.
    bauer = bauer_score(truth).to_numpy()
    for low, high in ((0, 1), (2, 3), (4, 5)):
        mask = (bauer >= low) & (bauer <= high)
        out[f"survival_1y_bauer_{low}_{high}"] = float(km(days[mask], died[mask]).predict(12))
    kidney = truth["primary_group"] == "kidney"
    out["revised_share_kidney"] = float(revised[kidney].mean())
    osteo = truth["operation_method"].isin(["intramedullary_osteosynthesis", "plate_osteosynthesis"])
    endo_mask = truth["operation_method"] == "endoprosthesis"
    out["revision_ratio_osteosynthesis_to_endoprosthesis"] = float(revised[osteo].mean() / revised[endo_mask].mean())
    local = truth["revision_cause"].isin(
        [
            "aseptic_instability_after_intramedullary_osteosynthesis",
            "solitary_metastasis_progression_after_osteosynthesis",
        ]
    )
    out["local_failure_median_months"] = float(np.median(truth.loc[local, "time_days"]) / DAYS_PER_MONTH)

    time, event = truth["time_days"].to_numpy(), truth["event"].to_numpy()
    two_years = 2 * DAYS_PER_YEAR
    one_minus_km = 1 - float(KaplanMeier(time, event == REVISION).predict(two_years))
    cif = cumulative_incidence(time, event, 1, two_years)
    out["km_overstatement_2y"] = (one_minus_km - cif) / cif
    return out


def check(truth: pd.DataFrame) -> pd.DataFrame:
    """The calibration table with the observed value and whether it is within tolerance."""
    targets = load_targets()
    observed = measure(truth)
    n = len(truth)
    rows = []
    for t in targets.itertuples():
        value = observed[t.quantity]
        target, tolerance = float(t.target), float(t.tolerance)
        if t.kind == "hard" and n != design.PAPER_COHORT_SIZE and t.quantity != "median_age_years":
            # A scaled twin keeps the paper's proportions: compare shares of the cohort.
            value, target = value / n, target / design.PAPER_COHORT_SIZE
            tolerance = SCALED_SHARE_TOLERANCE
        rows.append(
            {
                "quantity": t.quantity,
                "kind": t.kind,
                "target": target,
                "tolerance": tolerance,
                "observed": value,
                "within": bool(abs(value - target) <= tolerance + 1e-12),
                "source": t.source,
            }
        )
    return pd.DataFrame(rows)
