"""Cox proportional-hazards regression as R's ``survival::coxph`` fits it (Efron or Breslow ties, right-censored or
counting-process (start, stop] data, an optional ridge penalty), without lifelines' ~2 s of imports.

Sources: Cox D.R. (1972), Regression models and life-tables, J R Stat Soc B 34:187-220; Efron B. (1977), The
efficiency of Cox's likelihood function for censored data, J Am Stat Assoc 72:557-565; Therneau T.M. & Grambsch
P.M. (2000), Modeling Survival Data: Extending the Cox Model, Springer, chapters 3 (the fit, the iteration), 4.6
(residuals) and 5.5 (penalised models); the documentation of R's survival package (``?coxph``, ``?coxph.control``,
``?ridge``, ``?residuals.coxph``), whose conventions tests/r/cox_fixtures.R pins down. No code of the survival
package was used.

The partial likelihood. Record i is at risk at t when start_i < t <= stop_i (start = -inf for right-censored data);
eta_i = x_i' beta, r_i = exp(eta_i). At a distinct event time t with d tied events D(t) and risk set R(t), let
S0 = sum_R r, S1 = sum_R r x, S2 = sum_R r x x' and D0, D1, D2 the same sums over D(t). Efron's approximation
gives the m-th (m = 0..d-1) tied event the risk set with m/d of the tied events removed:

    a0_m = S0 - (m/d) D0,   a1_m = S1 - (m/d) D1,   a2_m = S2 - (m/d) D2,
    log L  = sum_t [ sum_{i in D(t)} eta_i - sum_m log a0_m ],
    U      = sum_t [ sum_{i in D(t)} x_i   - sum_m a1_m / a0_m ],                    (score)
    I      = sum_t sum_m [ a2_m / a0_m - (a1_m / a0_m)(a1_m / a0_m)' ].              (information)

Breslow's approximation takes m = 0 for all d events. All sums at all event times are suffix sums over the records
sorted by stop (minus those sorted by start), read at the event times: O(n log n + n p^2) per iteration, no loop over
event times. The covariates are centred at their means first (the partial likelihood does not change).

The iteration (coxph.control: eps = 1e-9, iter.max = 20, toler.chol = .Machine$double.eps^0.75): from beta = 0,
Newton-Raphson steps beta + I^-1 U; the fit has converged when |1 - logL_old / logL_new| <= eps after a full step;
a step that lowers the log likelihood is halved (the next point is the mean of the old and the new beta) until it
does not; after iter.max iterations the fit stops unconverged (``converged`` False). I is factorised as L D L'
with pivots below toler.chol x the largest diagonal element set to zero (that coefficient does not move: aliased).
The variance is I^-1 at the final beta. A coefficient is flagged ``infinite`` as coxph warns "Loglik converged
before variable ...; coefficient may be infinite": when |(U' I^-1)_j| > eps and > sqrt(eps) |beta_j| at the end
(monotone likelihood: the maximum is at infinity, the log likelihood converged, the coefficient did not).

Ridge (``penalty``: theta_j per coefficient): R's ``coxph(Surv(...) ~ ridge(x1, ..., theta = theta, scale =
FALSE))`` (scale = TRUE: theta_j = theta var(x_j)) maximises logL - sum_j theta_j beta_j^2 / 2, with score
U - theta beta and information I + diag(theta); its ``var`` (summary's se) is (I + diag theta)^-1, and R's
convergence test is on the penalised log likelihood; ``loglik`` is the unpenalised one, as R reports it.

Residuals. Schoenfeld (one row per event, at time t): x_i - xbar(t), xbar(t) = (1/d) sum_m a1_m / a0_m for Efron
(the mean of the d Efron means), S1/S0 for Breslow; scaled, as ``residuals(fit, "scaledsch")``: beta + n_events x
(x_i - xbar(t))' var (Grambsch & Therneau 1994, Biometrika 81:515-526: their mean at t estimates beta(t)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .fine_gray import _design_matrix

EPS = 1e-9
ITER_MAX = 20
TOLER_CHOL = float(np.finfo(float).eps ** 0.75)


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model.

    ``table``: one row per covariate: covariate, coef, hr, se, z, p, lower, upper (exp(coef -+ z_{1-alpha/2} se)),
    infinite (the coefficient may be infinite, see the module docstring); ``var``: the variance matrix (p, p);
    ``loglik``: (at beta = 0, at the fit), unpenalised; ``iterations``; ``converged``: the likelihood converged
    within iter.max iterations; ``score``: U at the fit; ``n``, ``events``; ``schoenfeld``: the Schoenfeld residuals
    (events, p), in the order of the event times (ties in the order of the records); ``event_time``: their times."""

    table: pd.DataFrame
    var: np.ndarray
    loglik: tuple[float, float]
    iterations: int
    converged: bool
    score: np.ndarray
    n: int
    events: int
    schoenfeld: np.ndarray
    event_time: np.ndarray

    @property
    def coef(self) -> pd.Series:
        return self.table.set_index("covariate")["coef"]

    @property
    def se(self) -> pd.Series:
        return self.table.set_index("covariate")["se"]

    def scaled_schoenfeld(self) -> pd.DataFrame:
        """R's ``residuals(fit, "scaledsch")``: beta + n_events (x_i - xbar(t_i))' var, one row per event (columns
        the covariates, index the event times)."""
        coef = self.table["coef"].to_numpy()
        scaled = self.schoenfeld @ self.var * self.events + coef
        return pd.DataFrame(scaled, columns=list(self.table["covariate"]), index=pd.Index(self.event_time, name="time"))


class _RiskSets:
    """The data sorted once: the suffix-sum layout of the risk sets at the distinct event times."""

    def __init__(self, start: np.ndarray | None, stop: np.ndarray, event: np.ndarray, x: np.ndarray, efron: bool):
        self.x = x
        self.is_event = event == 1
        self.event_times, self.event_pos, self.count = np.unique(
            stop[self.is_event], return_inverse=True, return_counts=True
        )
        self.stop_order = np.argsort(stop, kind="stable")
        self.stop_at = np.searchsorted(stop[self.stop_order], self.event_times, side="left")
        if start is None:
            self.start_order = None
        else:
            self.start_order = np.argsort(start, kind="stable")
            self.start_at = np.searchsorted(start[self.start_order], self.event_times, side="left")
        if efron:
            self.term_time = np.repeat(np.arange(self.count.size), self.count)
            first = np.cumsum(self.count) - self.count
            self.fraction = (np.arange(self.term_time.size) - first[self.term_time]) / self.count[self.term_time]
        else:
            self.term_time = np.arange(self.count.size)
            self.fraction = np.zeros(self.count.size)
        # each Efron term counts once; Breslow's one term per time counts for its d events
        self.multiplier = np.ones(self.term_time.size) if efron else self.count.astype(float)
        self.event_x = np.zeros((self.count.size, x.shape[1]))
        np.add.at(self.event_x, self.event_pos, x[self.is_event])
        self.efron = efron

    def _suffix(self, order: np.ndarray, at: np.ndarray, values: np.ndarray) -> np.ndarray:
        suffix = np.zeros((values.shape[0] + 1,) + values.shape[1:])
        suffix[:-1] = np.cumsum(values[order][::-1], axis=0)[::-1]
        return suffix[at]

    def terms(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """log L, U, I at beta, and the per-term means a1/a0 with their time index (formulas: module docstring)."""
        x = self.x
        p = x.shape[1]
        eta = x @ beta
        r = np.exp(eta)
        moments = np.concatenate(
            [r[:, None], r[:, None] * x, (r[:, None, None] * x[:, :, None] * x[:, None, :]).reshape(-1, p * p)], axis=1
        )
        sums = self._suffix(self.stop_order, self.stop_at, moments)
        if self.start_order is not None:  # at risk at t: stop >= t minus start >= t
            sums = sums - self._suffix(self.start_order, self.start_at, moments)
        tied = np.zeros((self.count.size, moments.shape[1]))
        np.add.at(tied, self.event_pos, moments[self.is_event])
        k, f = self.term_time, self.fraction
        a = sums[k] - f[:, None] * tied[k]
        a0, a1, a2 = a[:, 0], a[:, 1 : 1 + p], a[:, 1 + p :].reshape(-1, p, p)
        c = self.multiplier
        mean = a1 / a0[:, None]
        loglik = float(eta[self.is_event].sum() - c @ np.log(a0))
        score = self.event_x.sum(axis=0) - c @ mean
        information = np.einsum("t,tij->ij", c, a2 / a0[:, None, None]) - (c[:, None] * mean).T @ mean
        return loglik, score, information, mean, k


def _ldl(matrix: np.ndarray, toler: float) -> tuple[np.ndarray, np.ndarray]:
    """L D L' of a symmetric matrix with pivots below toler x max(diagonal) set to zero (a generalised Cholesky
    for a possibly singular information). Returns (L unit lower triangular, d)."""
    a = np.array(matrix, dtype=float)
    p = a.shape[0]
    eps = toler * max(float(np.max(np.diag(a))), 0.0) if p else 0.0
    lower, d = np.eye(p), np.zeros(p)
    for i in range(p):
        pivot = a[i, i]
        if not np.isfinite(pivot) or pivot < eps or pivot <= 0:
            d[i] = 0.0
            continue
        d[i] = pivot
        column = a[i + 1 :, i] / pivot
        lower[i + 1 :, i] = column
        a[i + 1 :, i + 1 :] -= pivot * np.outer(column, column)
    return lower, d


def _solve(lower: np.ndarray, d: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(L D L')^- b with zero pivots giving zero components."""
    y = np.linalg.solve(lower, b)
    pivots = d.reshape((-1,) + (1,) * (y.ndim - 1))
    z = np.where(pivots > 0, y / np.where(pivots > 0, pivots, 1.0), 0.0)
    return np.linalg.solve(lower.T, z)


def _inverse(lower: np.ndarray, d: np.ndarray) -> np.ndarray:
    inverse = _solve(lower, d, np.eye(d.size))
    dropped = d <= 0
    inverse[dropped, :] = 0.0
    inverse[:, dropped] = 0.0
    return inverse


def coxph(
    time: Any,
    event: Any,
    covariates: Any,
    *,
    start: Any = None,
    ties: str = "efron",
    penalty: Any = None,
    alpha: float = 0.05,
    eps: float = EPS,
    iter_max: int = ITER_MAX,
    toler_chol: float = TOLER_CHOL,
) -> CoxResult:
    """Fit a Cox model to stop times ``time`` (or (``start``, ``time``] intervals) and 0/1 ``event``, as R's
    ``coxph(Surv(time, event) ~ ., ties = ties)`` (or ``Surv(start, time, event)``) with coxph.control's defaults;
    ``penalty``: ridge theta (scalar or one per covariate; see the module docstring). Returns a CoxResult.

    Raises ValueError for ties other than efron or breslow, records with stop <= start, no events, or non-finite
    input; a fit that does not converge or a coefficient that diverges is reported (``converged``, ``infinite``),
    not raised."""
    from scipy.special import ndtr, ndtri  # here: norm's functions, without scipy.stats' (or scipy.special's) import

    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    x, names = _design_matrix(covariates)
    stop = np.asarray(time, dtype=float).reshape(-1)
    status = np.asarray(event, dtype=float).reshape(-1)
    if stop.size != x.shape[0] or status.size != x.shape[0]:
        raise ValueError("time, event and covariates must have one row per record")
    if not np.isfinite(stop).all() or not np.isin(status, (0, 1)).all():
        raise ValueError("times must be finite and events 0 or 1")
    begin = None
    if start is not None:
        begin = np.asarray(start, dtype=float).reshape(-1)
        if begin.size != stop.size or not (begin < stop).all():
            raise ValueError("every record needs start < stop")
    if not (status == 1).any():
        raise ValueError("no events: the Cox model needs at least one")
    p = x.shape[1]
    theta = np.zeros(p) if penalty is None else np.broadcast_to(np.asarray(penalty, dtype=float), (p,)).copy()
    x = x - x.mean(axis=0)
    risk_sets = _RiskSets(begin, stop, status.astype(int), x, ties == "efron")

    def evaluate(b: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        loglik, score, information, mean, k = risk_sets.terms(b)
        penalised = loglik - 0.5 * float(theta @ b**2)
        return loglik, penalised, score - theta * b, information + np.diag(theta), mean, k

    beta = np.zeros(p)
    loglik0, current, score, information, mean, k = evaluate(beta)
    lower, d = _ldl(information, toler_chol)
    new_beta = beta + _solve(lower, d, score)
    halving, converged, iterations = False, False, 0
    loglik = loglik0
    for iterations in range(1, iter_max + 1):
        loglik, new_value, score, information, mean, k = evaluate(new_beta)
        lower, d = _ldl(information, toler_chol)
        change = abs(1 - current / new_value) if new_value != 0 else abs(current)  # log L = 0: one record per risk set
        if change <= eps and not halving:
            converged = True
            break
        if iterations == iter_max:
            break
        if new_value < current or not np.isfinite(new_value):  # not climbing: halve the step
            halving = True
            new_beta = (new_beta + beta) / 2
        else:
            halving = False
            current = new_value
            beta = new_beta
            new_beta = new_beta + _solve(lower, d, score)
    beta = new_beta
    var = _inverse(lower, d)
    se = np.sqrt(np.diag(var))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = beta / se
    influence = np.abs(score @ var)
    infinite = (influence > eps) & (influence > np.sqrt(eps) * np.abs(beta)) if iter_max > 1 else np.zeros(p, bool)
    zq = float(ndtri(1 - alpha / 2))
    with np.errstate(over="ignore"):  # a diverging coefficient: its ratio and bounds are inf, flagged "infinite"
        hr, lower_bound, upper_bound = np.exp(beta), np.exp(beta - zq * se), np.exp(beta + zq * se)
    table = pd.DataFrame(
        {
            "covariate": names,
            "coef": beta,
            "hr": hr,
            "se": se,
            "z": z,
            "p": 2 * ndtr(-np.abs(z)),
            "lower": lower_bound,
            "upper": upper_bound,
            "infinite": infinite | (d <= 0),
        }
    )
    # Schoenfeld residuals: x_i - mean of the d Efron means at its time (ties in the records' order)
    time_mean = np.zeros((risk_sets.count.size, p))
    np.add.at(time_mean, k, mean)
    if risk_sets.efron:
        time_mean /= risk_sets.count[:, None]
    event_rows = np.flatnonzero(risk_sets.is_event)
    order = np.argsort(stop[event_rows], kind="stable")
    rows = event_rows[order]
    position = risk_sets.event_pos[order]
    schoenfeld = x[rows] - time_mean[position]
    return CoxResult(
        table=table,
        var=var,
        loglik=(loglik0, loglik),
        iterations=iterations,
        converged=converged,
        score=score,
        n=int(stop.size),
        events=int(risk_sets.is_event.sum()),
        schoenfeld=schoenfeld,
        event_time=stop[rows],
    )


__all__ = ["CoxResult", "coxph"]
