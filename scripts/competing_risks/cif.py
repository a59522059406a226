"""Cumulative incidence function: the Aalen-Johansen estimator with cmprsk ``cuminc``'s variance.

Sources: Aalen O.O. & Johansen S. (1978), An empirical transition matrix for non-homogeneous Markov chains based on
censored observations, Scand J Statist 5:141-150 (the estimator); Gray R.J. (1988), A class of K-sample tests for
comparing the cumulative incidence of a competing risk, Ann Stat 16:1141-1154, and the documentation of R's cmprsk
package (``cuminc``: estimate and variance); Kalbfleisch & Prentice (2002), The Statistical Analysis of Failure Time
Data, 2nd ed., section 8.2 (the log(-log) confidence interval).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ._inputs import check_cause, check_conf_level, check_time, check_time_event
from ._tables import CAUSE, OTHER, CountTable, count_table, record_kinds, shift_down

RESULT_COLUMNS = ["time", "estimate", "variance", "lower", "upper"]


def aalen_johansen(time: Any, event: Any, cause: int = 1, times: Any = None, conf_level: float = 0.95) -> pd.DataFrame:
    """Cumulative incidence of ``cause`` (Aalen-Johansen) with cmprsk ``cuminc``'s variance and a log(-log) CI.

    Parameters
    ----------
    time : array-like of non-negative numbers, one per subject (events at time 0 are kept).
    event : array-like of integer codes: 0 = censored, 1, 2, ... = cause of failure.
    cause : the event code whose cumulative incidence is estimated; all other positive codes compete.
    times : optional times at which to read the estimate (see Returns).
    conf_level : level of the pointwise confidence interval.

    Returns
    -------
    DataFrame with columns ``time, estimate, variance, lower, upper``. Without ``times``: one row per distinct
    observed time (events, competing events or censorings), the step function's value at that time (after its
    jump). With ``times``: the step function read at each given time, i.e. its value at the last distinct time
    <= t; 0 before the first observed time, NaN after the last one (the estimator is undefined beyond the follow-up,
    as cmprsk's ``timepoints`` returns NA there).

    Formulas (cmprsk ``cuminc``)
    ----------------------------
    At each distinct time t_j, in increasing order: n_j records at risk (time >= t_j), d1_j events of the cause,
    d2_j events of the other causes, d_j = d1_j + d2_j, and S_{j-} the all-cause Kaplan-Meier just before t_j,
    S_j = S_{j-} (n_j - d_j) / n_j. Ties are exact: all records at t_j are at risk at t_j and events count before
    censorings at the same time; there is no jitter.

    Estimate (Aalen & Johansen 1978):  F_j = F_{j-1} + S_{j-} d1_j / n_j.

    Variance (Gray 1988; cmprsk ``cuminc``): each event type at t_j adds a term with its own tie factor. For a count
    m = d1_j or d2_j > 0: t5(m) = 1 - (m - 1)/(n_j - 1) (1 when m = 1), t6(m) = S_{j-}^2 t5(m) m / n_j^2, and
    t3 = 1/S_j (0 when S_j = 0). The cause part has t4 = 1 + t3 F_j and weight t6(d1_j); the other-cause part
    (only when S_j > 0) has t4 = t3 F_j and weight t6(d2_j). With running sums over both parts
    v1 += t6 t4^2, v2 += t6 t3 t4, v3 += t6 t3^2:   Var F(t_j) = v1 + F_j^2 v3 - 2 F_j v2.
    Like ``cuminc``, the variance is reported at the times with an event of the cause and carried forward: at any
    other time it is the value at the last such time (other-cause events after it enter at the next one).

    Confidence interval: log(-log) transform, theta = log(-log F) with se(theta) = sqrt(Var F) / (F |log F|),
    which gives  lower = F^exp(-z sqrt(V) / (F log F)),  upper = F^exp(+z sqrt(V) / (F log F))  (z the normal
    quantile; log F < 0). This is the interval of Scrucca et al. 2007's ``CumIncidence`` wrapper around ``cuminc``
    (cuminc itself reports no interval). It stays inside [0, 1]; where F = 0 or F = 1 both limits equal F.
    """
    time_array, event_array = check_time_event(time, event)
    cause = check_cause(cause)
    conf_level = check_conf_level(conf_level)
    table = count_table(time_array, record_kinds(event_array, cause))
    estimate, variance = cuminc_estimate_variance(table)
    if times is None:
        return _result_frame(table.time, estimate, variance, conf_level)
    read_at = check_time(times, name="times")
    read_estimate, read_variance = read_step_function(table.time, estimate, variance, read_at)
    return _result_frame(read_at, read_estimate, read_variance, conf_level)


def cumulative_incidence_at(time: np.ndarray, kinds: np.ndarray, read_at: np.ndarray) -> np.ndarray:
    """The estimate column of ``aalen_johansen(time, event, cause, times=read_at)`` alone, for many refits of data
    already checked: ``time`` and ``read_at`` valid float64 arrays, ``kinds`` the record kinds
    (``_tables.record_kinds``). The same arithmetic, so the same numbers bit for bit, without the checks, the
    interval and the DataFrame."""
    table = count_table(time, kinds)
    estimate, variance = cuminc_estimate_variance(table)
    return read_step_function(table.time, estimate, variance, read_at)[0]


def cuminc_estimate_variance(table: CountTable, group: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """F_j and cuminc's carried-forward Var F(t_j) at the table's distinct times (formulas in ``aalen_johansen``)."""
    at_risk = table.at_risk[:, group]
    cause_events = table.counts[:, group, CAUSE]
    other_events = table.counts[:, group, OTHER]
    all_events = cause_events + other_events
    with np.errstate(divide="ignore", invalid="ignore"):
        survival_after = np.cumprod(np.where(at_risk > 0, (at_risk - all_events) / at_risk, 1.0))
        survival_before = shift_down(survival_after, 1.0)
        estimate = np.cumsum(np.where(at_risk > 0, survival_before * cause_events / at_risk, 0.0))

        inverse_survival = np.where(survival_after > 0, 1.0 / survival_after, 0.0)
        cause_weight = _tie_weight(cause_events, at_risk, survival_before)
        other_weight = np.where(survival_after > 0, _tie_weight(other_events, at_risk, survival_before), 0.0)
    cause_t4 = 1.0 + inverse_survival * estimate
    other_t4 = inverse_survival * estimate
    v1 = np.cumsum(cause_weight * cause_t4**2 + other_weight * other_t4**2)
    v2 = np.cumsum(inverse_survival * (cause_weight * cause_t4 + other_weight * other_t4))
    v3 = np.cumsum((cause_weight + other_weight) * inverse_survival**2)
    variance_at_jumps = v1 + estimate**2 * v3 - 2.0 * estimate * v2
    return estimate, _carry_forward(variance_at_jumps, cause_events > 0)


def _tie_weight(events: np.ndarray, at_risk: np.ndarray, survival_before: np.ndarray) -> np.ndarray:
    """t6(m) = S_{j-}^2 t5(m) m / n_j^2 with the tie factor t5(m) = 1 - (m - 1)/(n_j - 1); 0 where m = 0."""
    tie_factor = np.where(events > 1, 1.0 - (events - 1.0) / (at_risk - 1.0), 1.0)
    weight = survival_before**2 * tie_factor * events / at_risk**2
    return np.where(events > 0, weight, 0.0)


def _carry_forward(values: np.ndarray, reported: np.ndarray) -> np.ndarray:
    """values[j] where ``reported[j]``, else the value at the last reported index before j (0 before the first)."""
    last_reported = np.maximum.accumulate(np.where(reported, np.arange(values.size), -1))
    return np.where(last_reported >= 0, values[np.maximum(last_reported, 0)], 0.0)


def read_step_function(
    corners: np.ndarray, estimate: np.ndarray, variance: np.ndarray, read_at: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values of right-continuous step functions at ``read_at``: the value at the last corner <= t.

    0 before the first corner (nothing has happened yet) and NaN after the last corner (no follow-up there).
    """
    index = np.searchsorted(corners, read_at, side="right") - 1
    safe_index = np.maximum(index, 0)
    read_estimate = np.where(index >= 0, estimate[safe_index], 0.0)
    read_variance = np.where(index >= 0, variance[safe_index], 0.0)
    beyond = read_at > corners[-1]
    read_estimate[beyond] = np.nan
    read_variance[beyond] = np.nan
    return read_estimate, read_variance


def log_log_interval(
    estimate: np.ndarray, variance: np.ndarray, conf_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI F^exp(-+z sqrt(V) / (F log F)) (log(-log) transform); F itself where F is 0 or 1."""
    from scipy.special import ndtri  # here: norm.ppf's function, without scipy.stats' import cost

    z = ndtri(1.0 - (1.0 - conf_level) / 2.0)
    interior = (estimate > 0) & (estimate < 1)
    # F = 0 or 1 (and F near 1) make the transform's scale infinite; those points keep F itself.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = np.sqrt(np.maximum(variance, 0.0)) / (estimate * np.log(estimate))
        lower = np.where(interior, estimate ** np.exp(-z * scale), estimate)
        upper = np.where(interior, estimate ** np.exp(z * scale), estimate)
    return lower, upper


def _result_frame(time: np.ndarray, estimate: np.ndarray, variance: np.ndarray, conf_level: float) -> pd.DataFrame:
    lower, upper = log_log_interval(estimate, variance, conf_level)
    return pd.DataFrame(
        {"time": time, "estimate": estimate, "variance": variance, "lower": lower, "upper": upper},
        columns=RESULT_COLUMNS,
    )


__all__ = [
    "aalen_johansen",
    "cuminc_estimate_variance",
    "cumulative_incidence_at",
    "log_log_interval",
    "read_step_function",
]
