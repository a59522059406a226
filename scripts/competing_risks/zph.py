"""Test of proportional hazards: the score test of Grambsch & Therneau (1994), as R's ``survival::cox.zph`` computes
it since survival 3.0, for Cox models (right-censored or counting-process data, case weights, Breslow or Efron
ties) and for Fine-Gray models (the weighted risk sets of ``fine_gray``).

Sources: Grambsch P.M. & Therneau T.M. (1994), Proportional hazards tests and diagnostics based on weighted
residuals, Biometrika 81:515-526; Therneau T.M. & Grambsch P.M. (2000), Modeling Survival Data: Extending the Cox
Model, Springer, section 6.2; the documentation of R's survival package (``?cox.zph`` and the vignette "The
survival package", section "Computational details" of the time-dependent coefficients: the score test with the full
information matrix, which replaced the approximation of the earlier versions in survival 3.0).

The test. The model is extended by the time-dependent covariates x g(t), one per covariate, for a time transform g
(``"km"``: 1 - S(t-), the left-continuous Kaplan-Meier of the fitted records, unweighted; ``"rank"``: the rank of
the event time among the (stop) times of all records, censored ones included, ties averaged; ``"identity"``: t; the
case weights enter neither, as in cox.zph, whose conventions tests/r/zph_fixtures.R pins down), and the score test
of gamma = 0 is taken at (beta_hat, 0). With V(t) the (weighted) covariance of x over the risk set at event time t,
x_bar(t) its mean and the sums running over the events (each weighted by its case weight):

    U_beta  = sum w_i (x_i - x_bar(t_i))               = 0 at the maximum of the partial likelihood
    U_gamma = sum w_i g(t_i) (x_i - x_bar(t_i))        (g-weighted Schoenfeld residuals)
    H = [[H1, H2], [H2, H3]],  H1 = sum w V(t),  H2 = sum w g(t) V(t),  H3 = sum w g(t)^2 V(t).

The global test is U' H^-1 U with U = (0, U_gamma): chisq = U_gamma' (H3 - H2 H1^-1 H2)^-1 U_gamma on p degrees of
freedom. The test of covariate j adds x_j g(t) alone: chisq_j = U_gamma,j^2 / (H3_jj - H2_j. H1^-1 H2_.j) on one
degree of freedom. (The approximation of Grambsch & Therneau 1994 section 4, kept by lifelines'
``proportional_hazard_test``, takes V(t) constant, so that H2 = 0; it differs where the covariance of x changes
over time.) Shifting g by a constant leaves the test unchanged (it re-parametrises beta); g is centred at its
(weighted) mean over the events for numerical stability.

Ties. Breslow: every event at t sees the whole risk set. Efron: the m-th (m = 0..d-1) of the d events tied at t
sees the risk set sums minus m/d of the tied events' sums, S_k - (m/d) S_k^D, with the mean weight of the tied
events as the multiplier of each of the d terms of the score and of H (Efron B. 1977, The efficiency of Cox's
likelihood function for censored data, J Am Stat Assoc 72:557-565; coxph's convention, also with weights).

beta_hat: a Cox fit's coefficients are taken as a starting value and polished by Newton-Raphson on the same sums
until the step is below 1e-10 relative (its error is then of the order of the step squared), so the test does not
depend on the fitter's stopping rule (R's reference fits are converged to 1e-12); a likelihood without a finite
maximum (a diverging coefficient) is refused. The Fine-Gray coefficients are used as ``fine_gray`` returns them
(converged to 1e-12).

Cost: one sort of the records; the risk-set sums at all event times are suffix sums read at the event times
(``searchsorted``), so a test costs O(n log n + n p^2): no loop over event times touches the records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import chdtrc  # chi2.sf's function, without scipy.stats' import cost

from ._tables import CAUSE, OTHER, record_kinds
from .fine_gray import FineGrayResult, _design_matrix, _SortedData

TRANSFORMS = ("km", "rank", "identity")
MAX_POLISH_STEPS = 30


@dataclass(frozen=True)
class ZphResult:
    """``table``: one row per covariate and a last row ``GLOBAL`` with columns chisq, df, p; ``transform``,
    ``ties``."""

    table: pd.DataFrame
    transform: str
    ties: str


@dataclass
class _EventTerms:
    """The per-term pieces of the score test: one term per distinct event time (Breslow) or per tied event (Efron).

    c: multiplier of the term (Breslow: the summed weight of the events at t; Efron: their mean weight);
    x_bar: (terms, p); v: (terms, p, p); time_index: distinct event time of the term; event_x: (K, p) weighted sum of
    the covariates of the events at each distinct event time; event_weight: (K,) their summed weight; event_count:
    (K,) their number."""

    c: np.ndarray
    x_bar: np.ndarray
    v: np.ndarray
    time_index: np.ndarray
    event_x: np.ndarray
    event_weight: np.ndarray
    event_count: np.ndarray
    event_times: np.ndarray


def _suffix_at(key: np.ndarray, values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """sum of values[i] over records with key[i] >= threshold, for every threshold: one sort, one cumulative sum."""
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    suffix = np.zeros((key.size + 1,) + values.shape[1:])
    suffix[:-1] = np.cumsum(values[order][::-1], axis=0)[::-1]
    return suffix[np.searchsorted(sorted_key, thresholds, side="left")]


def _efron_terms(
    s0: np.ndarray,
    s1: np.ndarray,
    s2: np.ndarray,
    d0: np.ndarray,
    d1: np.ndarray,
    d2: np.ndarray,
    count: np.ndarray,
    weight: np.ndarray,
    efron: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Terms of the score and information from the risk-set sums S0, S1, S2 and the tied events' sums D0, D1, D2 at
    each distinct event time (Breslow: one term per time; Efron: one per tied event, fraction m/d removed)."""
    if efron:
        time_index = np.repeat(np.arange(count.size), count)
        first = np.cumsum(count) - count
        fraction = (np.arange(time_index.size) - first[time_index]) / count[time_index]
        c = (weight / count)[time_index]
    else:
        time_index = np.arange(count.size)
        fraction = np.zeros(count.size)
        c = weight
    f = fraction[:, None]
    a0 = s0[time_index] - fraction * d0[time_index]
    a1 = s1[time_index] - f * d1[time_index]
    a2 = s2[time_index] - f[:, :, None] * d2[time_index]
    x_bar = a1 / a0[:, None]
    v = a2 / a0[:, None, None] - x_bar[:, :, None] * x_bar[:, None, :]
    return c, x_bar, v, time_index


def _transform(
    name: str, event_times: np.ndarray, event_count: np.ndarray, at_risk: np.ndarray, all_times: np.ndarray | None
) -> np.ndarray:
    """g at the distinct event times, as cox.zph defines it (case weights do not enter).

    km: 1 - S(t-), S(t) = prod_{s <= t} (1 - d(s) / Y(s)) the Kaplan-Meier of the fitted records, with d the number
    of events and Y the number of records at risk (unweighted); rank: the average rank of t among the (stop) times
    of all records, ties averaged; identity: t."""
    if name == "identity":
        return event_times.astype(float)
    if name == "rank":
        if all_times is None:
            raise ValueError("the rank transform needs the stop times of all records")
        ordered = np.sort(all_times)
        below = np.searchsorted(ordered, event_times, side="left")
        at_or_below = np.searchsorted(ordered, event_times, side="right")
        return below + (at_or_below - below + 1) / 2.0
    if name == "km":
        survival = np.cumprod(1.0 - event_count / at_risk)
        left = np.concatenate([[1.0], survival[:-1]])
        return 1.0 - left
    raise ValueError(f"unknown transform {name!r}: use one of {TRANSFORMS}")


def _tests(terms: _EventTerms, g: np.ndarray, names: list[str], transform: str, ties: str) -> ZphResult:
    """The per-covariate and global score tests from the event terms and g at the distinct event times."""
    g = g - (terms.event_weight @ g) / terms.event_weight.sum()
    g_term = g[terms.time_index]
    cv = terms.c[:, None, None] * terms.v
    h1 = cv.sum(axis=0)
    h2 = np.einsum("t,tij->ij", g_term, cv)
    h3 = np.einsum("t,tij->ij", g_term**2, cv)
    u = g @ terms.event_x - (terms.c * g_term) @ terms.x_bar
    h1_inv_h2 = np.linalg.solve(h1, h2)
    schur = h3 - h2 @ h1_inv_h2
    per = u**2 / np.diag(schur)
    total = float(u @ np.linalg.solve(schur, u))
    p = len(names)
    chisq = np.append(per, total)
    df = np.append(np.ones(p, dtype=int), p)
    table = pd.DataFrame({"chisq": chisq, "df": df, "p": chdtrc(df, chisq)}, index=[*names, "GLOBAL"])
    return ZphResult(table=table, transform=transform, ties=ties)


def _cox_terms(
    start: np.ndarray,
    stop: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    weights: np.ndarray,
    beta: np.ndarray,
    efron: bool,
) -> _EventTerms:
    is_event = event == 1
    event_times, event_pos, event_count = np.unique(stop[is_event], return_inverse=True, return_counts=True)
    linear = x @ beta
    risk = weights * np.exp(linear - linear.max())
    p = x.shape[1]
    moments = np.concatenate(
        [risk[:, None], risk[:, None] * x, (risk[:, None, None] * x[:, :, None] * x[:, None, :]).reshape(-1, p * p)],
        axis=1,
    )
    sums = _suffix_at(stop, moments, event_times)
    if np.isfinite(start).any():
        # at risk at t: start < t <= stop, i.e. stop >= t minus start >= t
        sums = sums - _suffix_at(start, moments, event_times)
    tied = np.zeros((event_times.size, moments.shape[1]))
    np.add.at(tied, event_pos, moments[is_event])
    s0, s1, s2 = sums[:, 0], sums[:, 1 : 1 + p], sums[:, 1 + p :].reshape(-1, p, p)
    d0, d1, d2 = tied[:, 0], tied[:, 1 : 1 + p], tied[:, 1 + p :].reshape(-1, p, p)
    event_weight = np.bincount(event_pos, weights=weights[is_event], minlength=event_times.size)
    event_x = np.zeros((event_times.size, p))
    np.add.at(event_x, event_pos, weights[is_event, None] * x[is_event])
    c, x_bar, v, time_index = _efron_terms(s0, s1, s2, d0, d1, d2, event_count, event_weight, efron)
    return _EventTerms(c, x_bar, v, time_index, event_x, event_weight, event_count, event_times)


def cox_zph(
    time: Any,
    event: Any,
    covariates: Any,
    beta: Any,
    *,
    start: Any = None,
    weights: Any = None,
    ties: str = "efron",
    transform: str = "km",
    polish: bool = True,
) -> ZphResult:
    """cox.zph's score test for a Cox model fitted to (start, stop] x event (right-censored data: start None) with
    case weights, Breslow or Efron ties; ``beta`` the fitted coefficients (polished, see the module docstring).

    Returns a ZphResult whose table has chisq, df and p per covariate and GLOBAL (formulas: module docstring).
    Raises ValueError for a transform other than km, rank, identity, ties other than efron, breslow, no events, or
    a non-finite beta."""
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    if transform not in TRANSFORMS:
        raise ValueError(f"unknown transform {transform!r}: use one of {TRANSFORMS}")
    x, names = _design_matrix(covariates)
    stop = np.asarray(time, dtype=float)
    status = np.asarray(event, dtype=float)
    n = stop.size
    start_array = np.full(n, -np.inf) if start is None else np.asarray(start, dtype=float)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    b = np.asarray(beta, dtype=float).reshape(-1)
    if not np.isfinite(b).all() or b.size != x.shape[1]:
        raise ValueError("beta must be finite, one coefficient per covariate")
    if not (status == 1).any():
        raise ValueError("no events: the test needs at least one")
    x = x - (w @ x) / w.sum()  # the test is invariant to shifting x; centring keeps exp in range
    efron = ties == "efron"
    terms = _cox_terms(start_array, stop, status, x, w, b, efron)
    if polish:
        for _ in range(MAX_POLISH_STEPS):
            score = terms.event_x.sum(axis=0) - terms.c @ terms.x_bar
            information = np.einsum("t,tij->ij", terms.c, terms.v)
            step = np.linalg.solve(information, score)
            b = b + step
            terms = _cox_terms(start_array, stop, status, x, w, b, efron)
            if np.all(np.abs(step) <= 1e-10 * np.maximum(np.abs(b), 1.0)):  # quadratic: the error is now ~step^2
                break
        else:
            raise ValueError(
                "the partial likelihood has no finite maximum (a coefficient diverges): no test of proportional hazards"
            )
        if not np.isfinite(b).all():
            raise ValueError("the Cox fit diverged: no test of proportional hazards")
    ones = np.ones((n, 1))
    at_risk = _suffix_at(stop, ones, terms.event_times)[:, 0]
    if start is not None:
        at_risk = at_risk - _suffix_at(start_array, ones, terms.event_times)[:, 0]
    g = _transform(transform, terms.event_times, terms.event_count, at_risk, stop)
    return _tests(terms, g, names, transform, ties)


def fine_gray_zph(
    time: Any, event: Any, covariates: Any, fit: FineGrayResult, *, cause: int = 1, transform: str = "km"
) -> ZphResult:
    """cox.zph's score test for a Fine-Gray fit (``fine_gray``), as R's cox.zph on the coxph fit that reproduces
    crr: counting-process data in which a subject with a competing event at T_i stays in the risk set of every later
    event time t of the cause with weight G(t-)/G(T_i-) (G the Kaplan-Meier of the censoring times), Breslow ties
    (tests/r/zph_fixtures.R builds those data). V(t), x_bar(t) are those of the weighted risk sets of ``fine_gray``.

    Transforms: "km" (1 - S(t-) of the unweighted Kaplan-Meier of those records: at t the subjects with T >= t and
    those with a competing event before t are at risk) and "identity". "rank" is refused: cox.zph ranks the stop
    times of all records, which depends on how the weighted data are split into rows, not on the data.
    Raises ValueError for "rank" or when a coefficient of the fit is not estimable."""
    if transform not in ("km", "identity"):
        raise ValueError(
            f"transform {transform!r} is not defined for a Fine-Gray fit: use 'km' or 'identity' (a rank of the "
            "weighted records' times depends on how they are laid out)"
        )
    beta = fit.coef.to_numpy(float)
    if not np.isfinite(beta).all():
        raise ValueError("a Fine-Gray coefficient is not estimable: no test of proportional hazards")
    design, names = _design_matrix(covariates)
    time_array = np.asarray(time, dtype=float)
    kinds = record_kinds(np.asarray(event, dtype=int), cause)
    data = _SortedData.build(time_array, kinds, design)
    relative_risk, _, _ = data._relative_risk(beta)
    s0, s1, s2 = data._risk_set_sums(relative_risk, order=2)
    has_event = data.events > 0
    count = data.events[has_event].astype(int)
    p = design.shape[1]
    c, x_bar, v, time_index = _efron_terms(
        s0[has_event],
        s1[has_event],
        s2[has_event],
        np.zeros(count.size),
        np.zeros((count.size, p)),
        np.zeros((count.size, p, p)),
        count,
        count.astype(float),
        efron=False,
    )
    is_cause = data.kinds == CAUSE
    event_x = np.add.reduceat(np.where(is_cause[:, None], data.design, 0.0), data.block_starts, axis=0)[has_event]
    times = np.sort(time_array)[data.block_starts][has_event]
    terms = _EventTerms(c, x_bar, v, time_index, event_x, count.astype(float), count, times)
    other = np.add.reduceat((data.kinds == OTHER).astype(float), data.block_starts)
    other_before = np.cumsum(other) - other
    at_risk = (data.at_risk + other_before)[has_event]
    g = _transform(transform, times, count, at_risk, None)
    return _tests(terms, g, names, transform, "breslow")


__all__ = ["TRANSFORMS", "ZphResult", "cox_zph", "fine_gray_zph"]
