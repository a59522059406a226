"""The analysis table as the analysis reads it, with the derived variables every analysis step shares."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from common.prognosis import modified_bauer_score

# DAYS_PER_MONTH is also read as data.DAYS_PER_MONTH by the exploratory notebook.
from common.study import DAYS_PER_MONTH as DAYS_PER_MONTH
from common.study import REVISION

OSTEOSYNTHESIS = ("intramedullary_osteosynthesis", "plate_osteosynthesis")
PROGNOSTIC_GROUPS = ("0-1", "2", "3-4")
BOOLEAN = (
    "pathological_fracture",
    "solitary_bone_metastasis",
    "visceral_metastases",
    "chemotherapy_before_surgery",
    "died",
)


# What to check when most patients are excluded under a rule (the rule with the most exclusions is named).
EXCLUSION_HINTS = {
    "label_needs_review": "see results/cleaning/review.tsv and add the labels to the codebook",
    "no_operation": "check the operations export and its declaration (raw_exports.tables.operations)",
    "unparseable_date": "check date_format",
    "no_long_bone_operation": "check the bone column and the codebook's bone labels and long_bones",
    "no_metastatic_disease": "check the bone lesion ICD-10 column (bone_lesion_icd10)",
    "operation_outside_study_period": "check cleaning.study_period and the operation dates",
    "missing_follow_up": "check the follow-up export and its record numbers",
    "impossible_date_order": "check the date columns and their date_format",
    "inconsistent_vital_status": "check the vital status and date of death columns",
    "zero_follow_up": "check the date of last contact: it is the day of the operation for these patients",
}


class NotAnalysable(SystemExit):
    """The cohort cannot be analysed at all; the message says why in one sentence (the rule ends with it)."""


def excluded_text(flow: dict) -> str:
    """ "276 of 278 were excluded, 274 by unparseable_date, 2 by no_operation" from the cleaning flow (the three
    commonest rules, then the rest together)."""
    excluded = sorted(((v, k) for k, v in flow.get("excluded", {}).items() if v), key=lambda vk: -vk[0])
    total = sum(v for v, _ in excluded)
    parts = [f"{n} by {reason}" for n, reason in excluded[:3]]
    rest = sum(n for n, _ in excluded[3:])
    if rest:
        parts.append(f"{rest} by {len(excluded) - 3} other rules")
    return f"{total} of {flow.get('patients_in_export', total)} were excluded" + "".join(f", {p}" for p in parts)


def analysable(df: pd.DataFrame, flow: dict | None) -> None:
    """Stop (NotAnalysable) with one sentence when the cohort cannot be analysed at all: no patient analysed, one
    patient (nothing to compare), or no revision (the outcome never happens: no risk of it can be estimated or
    compared). Thinner cohorts run, with the estimates they cannot support marked not estimable."""
    flow = flow or {}
    excluded = {k: v for k, v in flow.get("excluded", {}).items() if v}
    hint = EXCLUSION_HINTS.get(max(excluded, key=excluded.get), "") if excluded else ""
    listed = " (results/cleaning/exclusions.tsv lists them)" if excluded else ""
    if len(df) == 0:
        raise NotAnalysable("no patient was analysed: " + excluded_text(flow) + listed + (f"; {hint}" if hint else ""))
    if len(df) == 1:
        raise NotAnalysable(
            f"only one patient was analysed ({excluded_text(flow)}{listed}): the analysis compares patients and "
            "cannot run on one"
        )
    if int((df["event"] == REVISION).sum()) == 0:
        raise NotAnalysable(
            f"no revision among the {len(df)} analysed patients: no risk of revision can be estimated or compared; "
            "check the revision flag column (raw_exports.tables.operations, is_revision) and the codebook's "
            "revision_flag labels"
        )


def load(path: str | Path) -> pd.DataFrame:
    """The analysis table, with the derived variables; stops with one sentence if the cohort cannot be analysed
    (analysable; the flow written beside the table by the same job says how the patients were excluded)."""
    df = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""], dtype={"revision_cause": str})
    flow_path = Path(path).with_name("flow.json")
    analysable(df, json.loads(flow_path.read_text(encoding="utf-8")) if flow_path.is_file() else None)
    df["revision_cause"] = df["revision_cause"].fillna("")
    for column in BOOLEAN:
        df[column] = df[column].astype(str).str.lower().map({"true": True, "false": False}).astype(bool)
    return with_derived(df)


def prognostic_group(score: pd.Series) -> pd.Series:
    """The modified Bauer group of a score: 0-1, 2 or 3-4 (PROGNOSTIC_GROUPS, in that order)."""
    low, middle, high = PROGNOSTIC_GROUPS
    return pd.Series(np.select([score <= 1, score == 2], [low, middle], high), index=score.index)


def with_derived(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["months"] = out["time_days"] / DAYS_PER_MONTH
    out["survival_months"] = out["survival_days"] / DAYS_PER_MONTH
    out["modified_bauer_score"] = modified_bauer_score(out)
    out["prognostic_group"] = prognostic_group(out["modified_bauer_score"])
    out["fixation"] = np.select(
        [out["operation_method"].isin(OSTEOSYNTHESIS), out["operation_method"] == "endoprosthesis"],
        ["osteosynthesis", "endoprosthesis"],
        "other",
    )
    out["revised"] = out["event"] == REVISION
    return out


def grouped_primary(df: pd.DataFrame, shown: list[str]) -> pd.Series:
    """The primary group, with the small groups pooled as "other" (for curves and tests that need events)."""
    return df["primary_group"].where(df["primary_group"].isin(shown), "other")


def grouped_bone(df: pd.DataFrame) -> pd.Series:
    return df["bone"].where(df["bone"].isin(["femur", "humerus"]), "other")


def factor(df: pd.DataFrame, name: str, shown_primaries: list[str]) -> pd.Series:
    """The grouping variable of a factor the analysis compares cumulative incidences across."""
    if name == "operation_method":
        return df["operation_method"]
    if name == "fixation":
        return df["fixation"]
    if name == "primary_group":
        return grouped_primary(df, shown_primaries)
    if name == "fracture":
        return df["pathological_fracture"].map({True: "pathological", False: "impending"})
    if name == "bone":
        return grouped_bone(df)
    if name == "prognostic_group":
        return df["prognostic_group"]
    raise ValueError(f"unknown factor {name!r}")


# Covariates of the regression models: name -> (label, how to compute it). Binary covariates are 0/1.
COVARIATES = {
    "osteosynthesis": ("Osteosynthesis (vs endoprosthesis)", lambda d: d["fixation"] == "osteosynthesis"),
    "modified_bauer_score": ("Modified Bauer score (per point)", lambda d: d["modified_bauer_score"]),
    "pathological_fracture": ("Pathological fracture", lambda d: d["pathological_fracture"]),
    "kidney_primary": ("Kidney primary", lambda d: d["primary_group"] == "kidney"),
    "breast_primary": ("Breast primary", lambda d: d["primary_group"] == "breast"),
    "visceral_metastases": ("Visceral metastases", lambda d: d["visceral_metastases"]),
    "solitary_bone_metastasis": ("Solitary bone metastasis", lambda d: d["solitary_bone_metastasis"]),
    "femur": ("Femur (vs other bones)", lambda d: d["bone"] == "femur"),
    "age_per_10_years": ("Age (per 10 years)", lambda d: d["age_at_surgery"] / 10),
}


def covariate_frame(df: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    unknown = set(names) - set(COVARIATES)
    if unknown:
        raise ValueError(f"unknown covariates {sorted(unknown)}; known: {sorted(COVARIATES)}")
    return pd.DataFrame({name: COVARIATES[name][1](df).astype(float).to_numpy() for name in names}, index=df.index)
