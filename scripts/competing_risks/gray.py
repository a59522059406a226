"""Gray's K-sample test for equality of cumulative incidence functions, as cmprsk ``cuminc`` computes it.

Source: Gray R.J. (1988), A class of K-sample tests for comparing the cumulative incidence of a competing risk,
Ann Stat 16:1141-1154 (the statistic and its variance estimator), and the documentation of R's cmprsk package
(``cuminc(ftime, fstatus, group, strata, rho)``, whose ``$Tests`` this reproduces).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._inputs import check_cause, check_labels, check_time_event
from ._tables import CAUSE, OTHER, count_table, record_kinds, shift_down


@dataclass(frozen=True)
class GrayTestResult:
    """Gray's test of H0: F_1 = ... = F_K for one cause. ``score`` and ``variance`` are for the first K-1 groups."""

    statistic: float
    df: int
    p_value: float
    cause: int
    rho: float
    groups: tuple = field(default=())
    n_strata: int = 1
    score: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    variance: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), repr=False)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "cause": self.cause,
                    "rho": self.rho,
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                }
            ]
        )


def gray_test(
    time: Any, event: Any, group: Any, cause: int = 1, rho: float = 0.0, strata: Any = None
) -> GrayTestResult:
    """Gray's (1988) test that the cumulative incidence of ``cause`` is the same in all groups.

    The statistic is s' V^-1 s on the scores s of the first K-1 groups, chi-square with K-1 degrees of freedom under
    H0. With ``strata`` the scores and variances are computed within each stratum and added up (the groups are
    compared within strata). Groups are ordered as R orders factor levels (sorted); the statistic does not depend on
    which group is left out. If V is singular or not finite the statistic and p-value are NaN (cuminc reports -1).

    Formulas, per stratum, at each distinct time t with an event (cmprsk's crstm routine; Gray 1988 section 2):
    for group k: n_k at risk, d1_k and d2_k events of the cause and of other causes, S_k(t-) the all-cause
    Kaplan-Meier and F_k(t-) the cause's Aalen-Johansen estimate in group k just before t;
    h_k = n_k / S_k(t-), H = sum_k h_k, R_k = h_k (1 - F_k(t-)) (the subdistribution risk set), D1 = sum_k d1_k.

    - Pooled estimate used in the weight: F(t) = F(t-) + D1 / H; weight fb = (1 - F(t-))^rho.
      This F is not a distribution function: it can reach 1 (and go beyond) while one group is still at risk, e.g.
      when the other groups have all failed from the cause. Then 1 / (1 - F(t-)) (in C below) and, for fractional
      rho, fb are infinite or NaN, but they only multiply terms that are exactly zero (A(t) = 0 when a single group
      is at risk; no score term for a group outside the risk set): such products count as 0, as in cuminc, which
      then gives a finite statistic. (Before this was handled, 0 * inf made the variance NaN and the test failed
      with "SVD did not converge".) Where a non-finite factor meets a non-zero term the statistic is NaN.
    - Score: s_i = sum_t fb (d1_i - D1 R_i / sum_k R_k).
    - Variance: with A_ij(t) = fb h_i (delta_ij - h_j / H) and C(t) = sum_{u<=t} A(u) D1(u) / (H(u) (1 - F(u-))),
      cause part (times with D1 > 0, groups with n_k > 0): t4_k = 1 - (1 - F(t)) / S_k(t) (1 if S_k(t) = 0),
      t5_k = 1 - (D1 - 1)/(H S_k(t-) - 1) (1 if D1 = 1), t3_k = t5_k S_k(t-) D1 / (H n_k), B_ik = A_ik - t4_k C_ik:
          V_ij += sum_k t3_k B_ik B_jk,  v2_ik += t3_k t4_k B_ik,  v3_k += t3_k t4_k^2;
      other-cause part (groups with d2_k > 0 and S_k(t) > 0): t4_k = (1 - F(t)) / S_k(t),
      t5_k = 1 - (d2_k - 1)/(n_k - 1), t3_k = t5_k S_k(t-)^2 d2_k / n_k^2:
          V_ij += sum_k t3_k t4_k^2 C_ik C_jk,  v2_ik -= t3_k t4_k^2 C_ik,  v3_k += t3_k t4_k^2;
      and at the end, with C = C(last time): V_ij += sum_k (C_ik C_jk v3_k + C_ik v2_jk + C_jk v2_ik).
    Every sum over t is a cumulative sum over the distinct times, so the cost is one sort plus O(T K^3).
    """
    time_array, event_array = check_time_event(time, event)
    cause = check_cause(cause)
    n = time_array.size
    group_codes, group_labels = check_labels(group, "group", n)
    n_groups = group_labels.size
    if n_groups < 2:
        raise ValueError(f"gray_test needs at least two groups, got {n_groups}")
    if not np.isfinite(rho):
        raise ValueError(f"rho must be a finite number, got {rho!r}")
    if strata is None:
        strata_codes, n_strata = np.zeros(n, dtype=np.int64), 1
    else:
        strata_codes, strata_labels = check_labels(strata, "strata", n)
        n_strata = strata_labels.size
    kinds = record_kinds(event_array, cause)

    score = np.zeros(n_groups - 1)
    variance = np.zeros((n_groups - 1, n_groups - 1))
    for stratum in range(n_strata):
        in_stratum = strata_codes == stratum if n_strata > 1 else slice(None)
        stratum_score, stratum_variance = _gray_score_variance(
            time_array[in_stratum], kinds[in_stratum], group_codes[in_stratum], n_groups, float(rho)
        )
        score += stratum_score
        variance += stratum_variance

    df = n_groups - 1
    statistic = _quadratic_form(score, variance)
    from scipy.special import chdtrc  # here: chi2.sf's function, without scipy.stats' import cost

    p_value = float(chdtrc(df, statistic)) if np.isfinite(statistic) else float("nan")
    return GrayTestResult(
        statistic=statistic,
        df=df,
        p_value=p_value,
        cause=cause,
        rho=float(rho),
        groups=tuple(group_labels.tolist()),
        n_strata=n_strata,
        score=score,
        variance=variance,
    )


def _gray_score_variance(
    time: np.ndarray, kinds: np.ndarray, groups: np.ndarray, n_groups: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score (first K-1 groups) and its variance within one stratum; formulas in ``gray_test``."""
    table = count_table(time, kinds, groups, n_groups)
    at_risk = table.at_risk  # (T, K)
    cause_events = table.counts[:, :, CAUSE]  # (T, K)
    other_events = table.counts[:, :, OTHER]
    has_event = (cause_events + other_events).sum(axis=1) > 0
    # Only times with an event contribute; dropping the censoring-only times changes no left limit below because
    # the Kaplan-Meier and cumulative incidence estimates do not move at them.
    at_risk, cause_events, other_events = at_risk[has_event], cause_events[has_event], other_events[has_event]
    if at_risk.shape[0] == 0:
        return np.zeros(n_groups - 1), np.zeros((n_groups - 1, n_groups - 1))
    in_risk_set = at_risk > 0
    all_cause_total = cause_events + other_events
    with np.errstate(divide="ignore", invalid="ignore"):
        km_after = np.cumprod(np.where(in_risk_set, (at_risk - all_cause_total) / at_risk, 1.0), axis=0)
        km_before = shift_down(km_after, 1.0)
        cif_after = np.cumsum(np.where(in_risk_set, km_before * cause_events / at_risk, 0.0), axis=0)
        cif_before = shift_down(cif_after, 0.0)

        h = np.where(in_risk_set, at_risk / km_before, 0.0)  # h_k = n_k / S_k(t-)
        h_total = h.sum(axis=1)  # H
        subdistribution_risk = h * (1.0 - cif_before)  # R_k
        cause_total = cause_events.sum(axis=1)  # D1
        pooled_after = np.cumsum(cause_total / h_total)  # F(t)
        pooled_before = shift_down(pooled_after, 0.0)  # F(t-)
        weight = (1.0 - pooled_before) ** rho  # fb

        # Score for every group (the last is dropped at the end). Cells that are zero (a group not at risk, a time
        # without events of the cause) stay zero even where the weight is not finite (see _masked_product).
        expected = cause_total[:, None] * subdistribution_risk / subdistribution_risk.sum(axis=1)[:, None]
        score = _masked_product(weight[:, None], cause_events - expected).sum(axis=0)

        # A(t) = fb (diag(h) - h h' / H) and its weighted running sum C(t).
        a_unweighted = np.einsum("ti,ij->tij", h, np.eye(n_groups)) - np.einsum("t,ti,tj->tij", 1.0 / h_total, h, h)
        a_matrix = _masked_product(weight[:, None, None], a_unweighted)
        increment = np.where(cause_total > 0, cause_total / (h_total * (1.0 - pooled_before)), 0.0)
        c_matrix = np.cumsum(_masked_product(increment[:, None, None], a_matrix), axis=0)

        # Cause-of-interest part.
        cause_rows = in_risk_set & (cause_total > 0)[:, None]
        t4 = np.where(km_after > 0, 1.0 - (1.0 - pooled_after)[:, None] / km_after, 1.0)
        tie = np.where(
            cause_total[:, None] > 1, 1.0 - (cause_total[:, None] - 1.0) / (h_total[:, None] * km_before - 1.0), 1.0
        )
        t3 = np.where(cause_rows, tie * km_before * cause_total[:, None] / (h_total[:, None] * at_risk), 0.0)
        b_matrix = a_matrix - t4[:, None, :] * c_matrix  # B_ik = A_ik - t4_k C_ik
        variance = np.einsum("tk,tik,tjk->ij", t3, b_matrix, b_matrix)
        v2 = np.einsum("tk,tik->ik", t3 * t4, b_matrix)
        v3 = (t3 * t4**2).sum(axis=0)

        # Other-cause part.
        other_rows = (other_events > 0) & (km_after > 0)
        t4_other = np.where(other_rows, (1.0 - pooled_after)[:, None] / km_after, 0.0)
        tie_other = np.where(other_events > 1, 1.0 - (other_events - 1.0) / (at_risk - 1.0), 1.0)
        t3_other = np.where(other_rows, tie_other * km_before**2 * other_events / at_risk**2, 0.0)
        other_weight = t3_other * t4_other**2
        variance += np.einsum("tk,tik,tjk->ij", other_weight, c_matrix, c_matrix)
        v2 -= np.einsum("tk,tik->ik", other_weight, c_matrix)
        v3 += other_weight.sum(axis=0)

    c_final = c_matrix[-1]
    variance += (c_final * v3) @ c_final.T + c_final @ v2.T + v2 @ c_final.T
    keep = n_groups - 1
    return score[:keep], variance[:keep, :keep]


def _masked_product(factor: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """factor * cells with 0 wherever a cell is exactly 0, whatever the factor (0 * inf and 0 * NaN count as 0).

    The factors that can be infinite or NaN are (1 - F(t-))^rho and 1 / (1 - F(t-)) once the pooled estimate F
    has reached 1; the cells they multiply are zero when no group other than one is at risk (then A(t) = 0) or a
    group has left the risk set. A structurally zero term contributes nothing, as in cuminc.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(cells == 0.0, 0.0, factor * cells)


def _quadratic_form(score: np.ndarray, variance: np.ndarray) -> float:
    """s' V^-1 s, or NaN when V is singular (numerically rank deficient) or not finite."""
    if variance.size == 0 or not (np.isfinite(variance).all() and np.isfinite(score).all()):
        return float("nan")
    if np.linalg.matrix_rank(variance) < variance.shape[0]:
        return float("nan")
    return float(score @ np.linalg.solve(variance, score))


__all__ = ["GrayTestResult", "gray_test"]
