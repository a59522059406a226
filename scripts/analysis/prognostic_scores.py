"""The prognostic scores per patient and how well each separates short from long survivors (issue 17).

Scores (definitions in common.prognosis, with their sources): the modified Bauer score (Leithner 2008), the original
Bauer score (Bauer and Wedin 1995) and the new Katagiri score (Katagiri 2014). Discrimination, per score:

- Harrell's C for overall survival (analysis.discrimination.harrell; equal to R's survival::concordance);
- Wolbers' C for revision, death without revision competing (analysis.discrimination.wolbers);
- the cumulative/dynamic time-dependent AUC for death by 3, 6 and 12 months (Uno et al. 2007, JASA 102:1234;
  Hung and Chiang 2010, Can J Stat 38:8; analysis.discrimination.time_dependent_auc, equal to scikit-survival's
  ``cumulative_dynamic_auc`` to 1e-12 in the tests: the bootstrap calls it thousands of times, and scikit-learn's
  import alone would cost more than the whole rule).

Missing score inputs are multiply imputed (analysis.imputation); each estimate is computed in every completed data
set with a bootstrap variance, and pooled by Rubin's rules (Marshall et al. 2009, BMC Med Res Methodol 9:57). The
complete-case analysis is the sensitivity analysis. Scores where a higher value means a better prognosis (both
Bauer scores) are negated before computing C and AUC, so that every number reads the same way (0.5 none, 1
perfect).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from common.prognosis import bauer_score, katagiri_new_score, modified_bauer_score
from common.study import DAYS_PER_MONTH, REVISION

from .discrimination import (
    harrell,
    harrell_resampled,
    time_dependent_auc,
    time_dependent_auc_resampled,
    wolbers,
    wolbers_resampled,
)
from .imputation import impute, rubin


@dataclass(frozen=True)
class Score:
    compute: Callable[[pd.DataFrame], pd.Series]
    higher_is_better: bool
    groups: tuple[tuple[int, int], ...]  # (low, high) inclusive, best prognosis first


# The scores' names in the manuscript's words.
SCORE_LABELS = {"modified_bauer": "modified Bauer", "bauer": "original Bauer", "katagiri_new": "new Katagiri"}
SCORES = {
    "modified_bauer": Score(modified_bauer_score, True, ((3, 4), (2, 2), (0, 1))),
    "bauer": Score(bauer_score, True, ((4, 5), (2, 3), (0, 1))),
    "katagiri_new": Score(katagiri_new_score, False, ((0, 3), (4, 6), (7, 10))),
}


def with_implied_inputs(df: pd.DataFrame) -> pd.DataFrame:
    """Inputs that follow from others: without visceral metastases the spread is "none" and there are no cerebral
    metastases (the twin's visceral item is Bauer's "visceral or brain")."""
    out = df.copy()
    none = ~out["visceral_metastases"].astype(bool)
    out["visceral_spread"] = out["visceral_spread"].astype(object).where(~none, "none")
    out["cerebral_metastases"] = out["cerebral_metastases"].astype("boolean").mask(none, False)
    return out


def per_patient(df: pd.DataFrame) -> pd.DataFrame:
    """patient_id and one integer column per score, as observed (missing where an input is missing)."""
    df = with_implied_inputs(df)
    out = pd.DataFrame({"patient_id": df["patient_id"].to_numpy()})
    for name, score in SCORES.items():
        out[name] = pd.array(score.compute(df).to_numpy(), dtype="Int64")
    return out


def group_label(score: Score, value: float) -> str | None:
    for low, high in score.groups:
        if low <= value <= high:
            return f"{low}-{high}" if low != high else f"{low}"
    return None


def _risk(df: pd.DataFrame, name: str) -> np.ndarray:
    """The score as a risk (higher = worse), NaN where it cannot be computed."""
    value = SCORES[name].compute(df).astype(float).to_numpy()
    return -value if SCORES[name].higher_is_better else value


@dataclass(frozen=True)
class _Outcomes:
    """The outcome arrays every measure reads, so that a bootstrap resample is an index, not a new frame."""

    survival: np.ndarray
    died: np.ndarray
    time: np.ndarray
    status: np.ndarray  # 1 revision, 2 death without revision, 0 censored

    @classmethod
    def of(cls, df: pd.DataFrame) -> _Outcomes:
        event = df["event"].to_numpy()
        return cls(
            df["survival_days"].to_numpy(float),
            df["died"].to_numpy(bool),
            df["time_days"].to_numpy(float),
            np.select([event == REVISION, event == 2], [1, 2], 0),
        )


def estimates(o: _Outcomes, risk: np.ndarray, idx: np.ndarray, horizons_months: dict[str, float]) -> dict[str, float]:
    """Every discrimination measure of one score (its risk per patient) on the patients `idx`."""
    survival, died, r = o.survival[idx], o.died[idx], risk[idx]
    out = {
        "overall_survival": harrell(survival, died, r).c_index,
        "revision_competing_risks": wolbers(o.time[idx], o.status[idx], r).c_index,
    }
    for label, months in horizons_months.items():
        out[f"auc_death_by_{label}"] = time_dependent_auc(survival, died, r, months * DAYS_PER_MONTH)
    return out


def resampled_estimates(
    o: _Outcomes, risk: np.ndarray, known: np.ndarray, draws: list[np.ndarray], horizons_months: dict[str, float]
) -> dict[str, list[float]]:
    """``estimates`` on each bootstrap resample ``known[idx]``, idx in ``draws``, as one list per measure: the same
    numbers, bit for bit, as calling ``estimates`` per resample (tests/test_discrimination.py), computed for all
    resamples at once (the loop was most of the rule's time)."""
    survival, died, r = o.survival[known], o.died[known], risk[known]
    out = {
        "overall_survival": [c.c_index for c in harrell_resampled(survival, died, r, draws)],
        "revision_competing_risks": [c.c_index for c in wolbers_resampled(o.time[known], o.status[known], r, draws)],
    }
    for label, months in horizons_months.items():
        auc = time_dependent_auc_resampled(survival, died, r, months * DAYS_PER_MONTH, draws)
        out[f"auc_death_by_{label}"] = auc.tolist()
    return out


def discrimination(
    df: pd.DataFrame,
    completed: list[pd.DataFrame],
    horizons_months: dict[str, float],
    resamples: int,
    level: float,
    seed: int,
) -> pd.DataFrame:
    """score, outcome, c_index (or the AUC), ci_low, ci_high, n: each measure in every completed data set with a
    bootstrap variance, pooled by Rubin's rules, with a t interval on Rubin's degrees of freedom (normal when the
    imputations agree). With one data set (complete case) this is the estimate with a bootstrap normal interval."""
    rows = []
    for name in SCORES:
        per_set = []
        for m, data in enumerate(completed):
            rng = np.random.default_rng([seed, m])
            outcomes, risk = _Outcomes.of(data), _risk(data, name)
            known = np.flatnonzero(np.isfinite(risk))  # complete case: the patients with this score
            point = estimates(outcomes, risk, known, horizons_months)
            draws = [rng.integers(0, len(known), len(known)) for _ in range(resamples if len(known) > 1 else 0)]
            replicates = resampled_estimates(outcomes, risk, known, draws, horizons_months)
            variance = {k: _variance(replicates[k]) for k in point}
            per_set.append((point, variance, len(known)))
        for outcome in per_set[0][0]:
            q = np.array([p[outcome] for p, _, _ in per_set])
            u = np.array([v[outcome] for _, v, _ in per_set])
            n = min(k for _, _, k in per_set)
            if np.isnan(q).any() or np.isnan(u).any():
                rows.append(
                    {"score": name, "outcome": outcome, "c_index": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n}
                )
                continue
            estimate, total, dof = rubin(q, u)
            z = _quantile(1 - (1 - level) / 2, dof)
            half = z * np.sqrt(total)
            rows.append(
                {
                    "score": name,
                    "outcome": outcome,
                    "c_index": estimate,
                    "ci_low": max(0.0, estimate - half),
                    "ci_high": min(1.0, estimate + half),
                    "n": n,
                }
            )
    return pd.DataFrame(rows, columns=["score", "outcome", "c_index", "ci_low", "ci_high", "n"])


def _variance(values: list[float]) -> float:
    """Bootstrap variance over the resamples where the measure exists (NaN with fewer than two)."""
    finite = np.array(values, float)
    finite = finite[np.isfinite(finite)]
    return float(np.var(finite, ddof=1)) if len(finite) > 1 else float("nan")


def _quantile(p: float, dof: float) -> float:
    if not np.isfinite(dof) or dof > 1e6:
        return NormalDist().inv_cdf(p)
    from scipy.special import stdtrit  # the t quantile, without importing scipy.stats

    return float(stdtrit(dof, p))


def analyse(df: pd.DataFrame, settings: dict) -> dict[str, pd.DataFrame]:
    """The rule's tables: per-patient scores, discrimination (multiple imputation, primary) and its complete-case
    sensitivity analysis, and survival by score group (observed scores)."""
    df = with_implied_inputs(df)
    completed = impute(
        df,
        imputations=settings["imputations"],
        iterations=settings["iterations"],
        donors=settings["donors"],
        seed=settings["seed"],
    )
    scores = per_patient(df)
    args = (settings["auc_horizons_months"], settings["bootstrap_resamples"], settings["confidence_level"])
    return {
        "scores": scores,
        "discrimination": discrimination(df, completed, *args, seed=settings["seed"]),
        "complete_case": discrimination(df, [df], *args, seed=settings["seed"]),
    }
