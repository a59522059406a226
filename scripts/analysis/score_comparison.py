"""Which prognostic score should guide the choice of operation (issue 17): survival by each score's groups against
the survival its authors published, and the paper's recommendation (osteosynthesis against endoprosthesis, within
prognostic groups) repeated within each score's groups, with its interaction tests.

Groups are formed from the observed scores: a patient whose score cannot be computed (an input missing) is left out
of that score's groups and counted (`unscored`). Discrimination, which uses every patient through multiple
imputation, is in prognostic_scores.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .prognostic_scores import SCORE_LABELS, SCORES, group_label
from .recommendation import fixation_within_prognostic_groups, interactions
from .risk import overall_survival

__all__ = ["SCORE_LABELS", "calibration", "group_order", "recommendation_by_score", "with_score_groups"]
# Published 1-year survival by group, where the score's paper gives it, with the source; the calibration compares
# the observed survival with these. Katagiri et al. 2014 (Cancer Med 3:1359-1367, doi:10.1002/cam4.292): about
# 91 %, 49 % and 6 % in the groups 0-3, 4-6 and 7-10. The Bauer scores are not given one here: the original score's
# 1-year survival by group (0.5, 0.25, 0) is a calibration target of the twin (calibration.tsv), but only its range
# was read in the primary paper (the 0.25 of the middle group is from a citing paper), and the modified score's
# survival by group (Leithner 2008) was not read at all (README, "Soft calibration").
PUBLISHED_ONE_YEAR_SURVIVAL = {
    "katagiri_new": {
        "groups": {"0-3": 0.91, "4-6": 0.49, "7-10": 0.06},
        "source": "Katagiri et al. 2014, Cancer Med 3:1359 (doi:10.1002/cam4.292)",
    }
}


def group_order(name: str) -> tuple[str, ...]:
    """A score's group labels, worst prognosis first (the order the recommendation's trend test steps through)."""
    return tuple(f"{low}-{high}" if low != high else f"{low}" for low, high in reversed(SCORES[name].groups))


def with_score_groups(df: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """The analysis table with one column `<score>_group` per score (None where the score is missing), matched by
    patient_id."""
    by_patient = scores.set_index("patient_id")
    out = df.copy()
    for name in SCORES:
        values = by_patient[name].reindex(out["patient_id"]).to_numpy(dtype=float, na_value=np.nan)
        out[f"{name}_group"] = [None if np.isnan(v) else group_label(SCORES[name], v) for v in values]
    return out


def calibration(df: pd.DataFrame, horizons_months: dict[str, float], conf_level: float) -> pd.DataFrame:
    """Observed overall survival (Kaplan-Meier, with its interval) at each horizon in each score group, beside the
    published survival where there is one: score, group, n, deaths, horizon, observed, lower, upper, published,
    source."""
    rows = []
    for name in SCORES:
        column = f"{name}_group"
        known = df[df[column].notna()]
        # A centre whose exports lack a score's inputs has no patient with that score: its rows say n = 0.
        table = (
            overall_survival(known, 1 - conf_level, known[column], horizons_months)[1]
            if len(known)
            else pd.DataFrame(columns=["group"])
        )
        published = PUBLISHED_ONE_YEAR_SURVIVAL.get(name, {"groups": {}, "source": ""})
        for group in group_order(name):
            hit = table[table["group"] == group]
            for horizon, months in horizons_months.items():
                observed = float(hit[f"survival_{horizon}"].iloc[0]) if len(hit) else np.nan
                rows.append(
                    {
                        "score": name,
                        "group": group,
                        "n": int(hit["n"].iloc[0]) if len(hit) else 0,
                        "deaths": int(hit["deaths"].iloc[0]) if len(hit) else 0,
                        "unscored": int(df[column].isna().sum()),
                        "horizon": horizon,
                        "months": months,
                        "observed": observed,
                        "lower": float(hit[f"lower_{horizon}"].iloc[0]) if len(hit) else np.nan,
                        "upper": float(hit[f"upper_{horizon}"].iloc[0]) if len(hit) else np.nan,
                        "published": published["groups"].get(group, np.nan) if months == 12 else np.nan,
                        "source": published["source"] if months == 12 and group in published["groups"] else "",
                    }
                )
    return pd.DataFrame(rows)


def recommendation_by_score(
    df: pd.DataFrame, horizons_months: dict[str, float], conf_level: float
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The recommendation analysis within each score's groups: cumulative incidence of revision per arm, Gray's
    tests (Holm within each score) and the interaction tests, each with a `score` column first."""
    tables, tests, inter = [], [], []
    for name in SCORES:
        column, groups = f"{name}_group", group_order(name)
        if df[column].isna().all():
            tests.append(not_scored_tests(groups).assign(score=name))
            inter.append(not_scored_interactions().assign(score=name))
            continue
        table, test = fixation_within_prognostic_groups(df, horizons_months, conf_level, column, groups)
        tables.append(table.assign(score=name))
        tests.append(test.assign(score=name))
        inter.append(interactions(df, conf_level, column, groups).assign(score=name))

    def first(frames: list[pd.DataFrame]) -> pd.DataFrame:
        out = pd.concat(frames, ignore_index=True)
        return out[["score", *[c for c in out.columns if c != "score"]]]

    return first(tables), first(tests), first(inter)


NOT_SCORED = "not testable: no patient has this score (an input missing)"


def not_scored_tests(groups: tuple[str, ...]) -> pd.DataFrame:
    """Gray's tests of a score no patient has: one row per group, not testable."""
    return pd.DataFrame(
        {
            "prognostic_group": list(groups),
            "factor": "fixation",
            "levels": 0,
            "statistic": np.nan,
            "df": 0,
            "p_value": np.nan,
            "note": NOT_SCORED,
            "p_holm": np.nan,
        }
    )


def not_scored_interactions() -> pd.DataFrame:
    """The interaction tests of a score no patient has: not estimable."""
    kinds = ("Fine-Gray", "cause-specific Cox", "cause-specific Cox, groups (likelihood ratio, 2 df)")
    return pd.DataFrame(
        [
            {"kind": k, "estimate": np.nan, "lower": np.nan, "upper": np.nan, "p_value": np.nan, "estimable": False}
            for k in kinds
        ]
    )
