"""Fine-Gray proportional subdistribution hazards regression, with cmprsk ``crr``'s conventions and variance.

Sources: Fine J.P. & Gray R.J. (1999), A proportional hazards model for the subdistribution of a competing risk,
J Am Stat Assoc 94:496-509 (the weighted partial likelihood, section 3, and the sandwich variance with the
censoring term psi, section 4); the documentation of R's cmprsk package (``crr``: Breslow ties, Kaplan-Meier of the
censoring distribution read just before each time, Newton-Raphson with step halving).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._inputs import check_cause, check_same_length, check_time_event
from ._tables import CAUSE, CENSORED, OTHER, record_kinds, shift_down

# crr's step-halving rule: accept a step when the log-likelihood rises by at least this fraction of the rise the
# quadratic model predicts (an Armijo condition), else halve it.
ARMIJO_FRACTION = 1e-4
MAX_HALVINGS = 30
# Divergence check (see _diverging): coefficients whose log hazard ratio across the covariate's range exceeds this.
DIVERGENCE_SPAN = 10.0
# Joint divergence (see _diverging): the information is flat in a direction when its smallest eigenvalue is below
# this share of its largest; the coefficients that direction moves by more than MOVED_SHARE of its largest move
# are the diverging ones.
FLAT_INFORMATION = 1e-8
MOVED_SHARE = 1e-3


class FineGrayConvergenceWarning(RuntimeWarning):
    """Newton-Raphson stopped before the convergence criterion was met."""


@dataclass(frozen=True)
class FineGrayResult:
    """A fitted Fine-Gray model. ``coef``/``se`` are indexed by covariate name; ``variance`` is the sandwich.

    ``estimable`` is False for a coefficient that diverges (monotone likelihood); its ``coef``, ``se`` and summary
    row are NaN (see ``fine_gray``)."""

    coef: pd.Series
    se: pd.Series
    variance: pd.DataFrame
    summary: pd.DataFrame
    loglik: float
    loglik_null: float
    score: pd.Series
    information: pd.DataFrame
    cause: int
    n: int
    n_events: int
    converged: bool
    iterations: int
    estimable: pd.Series
    conf_level: float = field(default=0.95)


def fine_gray(
    time: Any,
    event: Any,
    covariates: Any,
    cause: int = 1,
    *,
    gtol: float = 1e-12,
    max_iter: int = 100,
    conf_level: float = 0.95,
) -> FineGrayResult:
    """Fit the Fine & Gray (1999) model for the subdistribution hazard of ``cause``, as cmprsk ``crr`` does.

    Model: the subdistribution hazard of subject i is lambda_0(t) exp(x_i' beta), i.e.
    F(t | x) = 1 - exp(-Lambda_0(t) exp(x' beta)).

    Estimation (Fine & Gray 1999 section 3; crr): maximise the weighted partial log-likelihood with Breslow ties,
        l(beta) = sum_t [ sum_{i fails from cause at t} x_i' beta - d_t log S0(t) ],
        S0(t) = sum_i w_i(t) exp(x_i' beta),   w_i(t) = 1 if T_i >= t,
                                               w_i(t) = G(t-) / G(T_i-) if T_i < t and i failed from another cause,
                                               w_i(t) = 0 otherwise (censored before t),
    where d_t is the number of cause events at t and G is the Kaplan-Meier estimate of the censoring distribution
    (censorings as events; at a tied time the failures count as still at risk for censoring), read just before t
    (left limit). S1 and S2 are the same sums with x_i and x_i x_i'; x_bar = S1/S0. The score is
    U = sum_t [sum_{fails at t} x_i - d_t x_bar(t)], the information I = sum_t d_t [S2/S0 - x_bar x_bar'].
    Newton-Raphson from beta = 0 with step halving (a step is halved until l rises by at least 1e-4 of the rise the
    quadratic model predicts, as crr), until max|U_j| max(|beta_j|, 1) < gtol max(|l|, 1) (crr's criterion; crr's
    default gtol is 1e-6, here 1e-12). Near the optimum, where the predicted rise is below rounding level, the full
    Newton step is taken without the check, and a step below 1e-14 relative in every coordinate also ends the
    iteration (converged: no further step can change beta).

    Variance (Fine & Gray 1999 section 4; crr): sandwich I^-1 (sum_i u_i u_i') I^-1 with u_i = eta_i + psi_i,
        eta_i = int (x_i - x_bar(t)) w_i(t) [dN_i(t) - exp(x_i' beta) dLambda(t)],  dLambda(t) = d_t / S0(t),
        psi_i = int q(u) / Y(u) dM^c_i(u),   dM^c_i(u) = dN^c_i(u) - 1(T_i >= u) c(u) / Y(u),
        q(u) = sum_{t >= u} d_t G(t-) / S0(t) sum_{j: T_j < u, other cause} exp(x_j' beta) (x_j - x_bar(t)) / G(T_j-),
    where Y(u) is the number with T >= u and c(u) the number censored at u. psi is the correction for estimating G;
    without it (e.g. coxph's robust variance on a weighted data set) the standard errors differ.

    Computation: one sort; every sum over t above is a cumulative sum over the distinct times (the weights for
    other-cause subjects factor into G(t-) times a forward cumulative sum of exp(x_j' beta)/G(T_j-)), so each Newton
    iteration and the variance are O(n p^2): no quadratic loop over pairs of subjects.

    Parameters
    ----------
    time, event : survival time and event code (0 censored, 1, 2, ... causes) per subject.
    covariates : DataFrame (column names are used), Series, or array (n,) or (n, p) of numbers, no missing values.
    cause : the event code modelled; other positive codes are competing events.
    gtol, max_iter : convergence tolerance (crr's criterion) and the maximum number of Newton iterations.
    conf_level : level of the confidence intervals in ``summary``.

    Divergence (monotone likelihood): when a covariate level has no events of ``cause`` (or all of them), the
    partial likelihood keeps rising as that coefficient goes to +-infinity and no finite estimate exists. The score
    then decays like exp(-|beta_j|), so crr's criterion is met at |beta_j| ~ 30 (crr with gtol 1e-12 reports
    converged = TRUE there, with its defaults gtol 1e-6 / maxiter 10 FALSE), which used to give an HR of ~1e-13
    with p = 0. After the iteration each coefficient with |beta_j| range(x_j) > 10 is pushed 10 / range(x_j)
    further out; if the log-likelihood does not drop (by more than 1e-9 relative) it is diverging. Then
    ``converged = False``, a FineGrayConvergenceWarning names the covariate(s) and the direction, and those
    coefficients are reported as not estimable: ``estimable`` False, NaN in ``coef``, ``se``, their rows and
    columns of ``variance`` and their ``summary`` row (HR, CI, z, p). The other coefficients keep their values (the
    limit of the fit with the diverging ones at infinity) and their sandwich variance is computed from the
    information and score residuals of the estimable coefficients only. ``loglik`` is the last (supremum-
    approaching) value.

    Raises ValueError for invalid input, no or too few events of ``cause`` (fewer than p + 1) and a singular design
    (a constant covariate or collinear covariates). Warns FineGrayConvergenceWarning if the iteration does not
    converge or a coefficient diverges (the result then has ``converged = False``).
    """
    time_array, event_array = check_time_event(time, event)
    cause = check_cause(cause)
    design, names = _design_matrix(covariates)
    check_same_length(time=time_array, covariates=design)
    n = design.shape[0]
    kinds = record_kinds(event_array, cause)
    n_events = _check_events_and_design(kinds, design, names, cause)
    data = _SortedData.build(time_array, kinds, design)
    fit = _newton(data, design, names, gtol, max_iter)
    beta, loglik, score, information, diverging = fit.beta, fit.loglik, fit.score, fit.information, fit.diverging
    loglik_null, converged, iterations = fit.loglik_null, fit.converged, fit.iterations
    if diverging.any():
        described = ", ".join(
            f"{name!r} (towards {'+' if value > 0 else '-'}infinity, stopped at {value:.3g})"
            for name, value, flag in zip(names, beta, diverging, strict=True)
            if flag
        )
        warnings.warn(
            f"Fine-Gray fit for cause {cause} did not converge: the coefficient(s) of {described} grow without "
            f"bound while the partial likelihood keeps increasing (monotone likelihood, typically a covariate "
            f"level without events of cause {cause}); they are not estimable and are reported as NaN",
            FineGrayConvergenceWarning,
            stacklevel=2,
        )
    elif fit.singular is not None:
        raise fit.singular
    elif not converged:
        warnings.warn(
            f"Fine-Gray fit for cause {cause} did not converge in {iterations} iteration(s) (max |score| "
            f"{np.max(np.abs(score)):.3g}); the coefficients may be infinite or the data degenerate",
            FineGrayConvergenceWarning,
            stacklevel=2,
        )

    # The sandwich for the estimable coefficients, with the diverging ones held at their last value (their
    # subjects then carry ~0 weight in the risk sets, as in the limit); NaN rows and columns for the others.
    keep = ~diverging
    n_covariates = design.shape[1]
    variance = np.full((n_covariates, n_covariates), np.nan)
    if keep.any():
        kept_names = [name for name, flag in zip(names, keep, strict=True) if flag]
        inverse_information = np.linalg.inv(_checked_information(information[np.ix_(keep, keep)], kept_names))
        meat = data.score_residuals(beta)[:, keep]
        kept_variance = inverse_information @ (meat.T @ meat) @ inverse_information
        variance[np.ix_(keep, keep)] = (kept_variance + kept_variance.T) / 2.0
    coef = pd.Series(np.where(keep, beta, np.nan), index=names, name="coef")
    se = pd.Series(np.sqrt(np.diag(variance)), index=names, name="se(coef)")
    return FineGrayResult(
        coef=coef,
        se=se,
        variance=pd.DataFrame(variance, index=names, columns=names),
        summary=summary_frame(coef, se, conf_level),
        loglik=float(loglik),
        loglik_null=float(loglik_null),
        score=pd.Series(score, index=names, name="score"),
        information=pd.DataFrame(information, index=names, columns=names),
        cause=cause,
        n=n,
        n_events=n_events,
        converged=converged,
        iterations=iterations,
        estimable=pd.Series(keep, index=names, name="estimable"),
        conf_level=conf_level,
    )


def fine_gray_coefficients(time: np.ndarray, kinds: np.ndarray, design: np.ndarray, names: list[str]) -> np.ndarray:
    """The coefficients of ``fine_gray`` alone (NaN where it reports them not estimable), for many refits of
    data already checked: ``time`` a valid float64 array, ``kinds`` the record kinds (``_tables.record_kinds``),
    ``design`` a finite float64 (n, p) array. The same arithmetic as ``fine_gray`` (so the same numbers, bit for
    bit) without its input conversion, warnings, sandwich variance and summary tables. Raises ValueError where
    ``fine_gray`` does (too few events of the cause, a singular design or information)."""
    _check_events_and_design(kinds, design, names, CAUSE)
    fit = _newton(_SortedData.build(time, kinds, design), design, names, 1e-12, 100)
    if not fit.diverging.any() and fit.singular is not None:
        raise fit.singular
    return np.where(~fit.diverging, fit.beta, np.nan)


def _check_events_and_design(kinds: np.ndarray, design: np.ndarray, names: list[str], cause: int) -> int:
    """The number of events of the cause; ValueError when there are too few for the covariates or the design is
    singular."""
    n_covariates = design.shape[1]
    n_events = int((kinds == CAUSE).sum())
    if n_events == 0:
        raise ValueError(f"no events of cause {cause}: the Fine-Gray model needs failures from the modelled cause")
    if n_events < n_covariates + 1:
        raise ValueError(
            f"too few events of cause {cause}: {n_events} for {n_covariates} covariate(s); "
            f"at least {n_covariates + 1} are needed to estimate the coefficients"
        )
    _check_design_rank(design, names)
    return n_events


@dataclass(frozen=True)
class _Newton:
    """Where the Newton-Raphson iteration of ``fine_gray`` ended."""

    beta: np.ndarray
    loglik: float
    loglik_null: float
    score: np.ndarray
    information: np.ndarray
    converged: bool
    iterations: int
    diverging: np.ndarray
    singular: ValueError | None


def _newton(data: _SortedData, design: np.ndarray, names: list[str], gtol: float, max_iter: int) -> _Newton:
    """Newton-Raphson with crr's step halving and stopping rule, then the divergence check (see ``fine_gray``)."""
    beta = np.zeros(design.shape[1])
    loglik_null, score, information = data.loglik_score_information(beta)
    loglik = loglik_null
    converged = False
    iterations = 0
    singular: ValueError | None = None
    for iterations in range(max_iter + 1):
        if np.max(np.abs(score) * np.maximum(np.abs(beta), 1.0)) < max(abs(loglik), 1.0) * gtol:
            converged = True
            break
        if iterations == max_iter:
            break
        try:
            step = _solve(information, score, names)
        except ValueError as error:  # a diverging coefficient can make the information singular: checked below
            singular = error
            break
        beta_new = _halving_step(data, beta, step, loglik, score)
        if beta_new is None:
            break
        tiny_step = np.all(np.abs(beta_new - beta) <= 1e-14 * np.maximum(np.abs(beta), 1.0))
        beta = beta_new
        loglik, score, information = data.loglik_score_information(beta)
        if tiny_step:
            converged = True
            break
    diverging = _diverging(data, beta, loglik, design, information)
    return _Newton(
        beta=beta,
        loglik=loglik,
        loglik_null=loglik_null,
        score=score,
        information=information,
        converged=converged and not diverging.any(),
        iterations=iterations,
        diverging=diverging,
        singular=singular,
    )


def summary_frame(coef: pd.Series, se: pd.Series, conf_level: float = 0.95) -> pd.DataFrame:
    """coef, exp(coef), se(coef), Wald z and two-sided p, and the Wald confidence limits of coef and exp(coef)."""
    from scipy.special import ndtr, ndtri  # here: the functions behind scipy.stats' norm, without its import cost

    z_quantile = ndtri(1.0 - (1.0 - conf_level) / 2.0)
    percent = f"{100 * conf_level:g}%"
    z = coef / se
    lower, upper = coef - z_quantile * se, coef + z_quantile * se
    return pd.DataFrame(
        {
            "coef": coef,
            "exp(coef)": np.exp(coef),
            "se(coef)": se,
            "z": z,
            "p": 2.0 * ndtr(-np.abs(z)),
            f"coef lower {percent}": lower,
            f"coef upper {percent}": upper,
            f"exp(coef) lower {percent}": np.exp(lower),
            f"exp(coef) upper {percent}": np.exp(upper),
        }
    )


def _design_matrix(covariates: Any) -> tuple[np.ndarray, list[str]]:
    if isinstance(covariates, pd.DataFrame):
        names = [str(column) for column in covariates.columns]
        non_numeric = [str(c) for c in covariates.columns if not pd.api.types.is_numeric_dtype(covariates[c])]
        if non_numeric:
            raise ValueError(
                f"covariates must be numeric; non-numeric column(s): {non_numeric} "
                f"(code categorical variables as indicator columns)"
            )
        values = covariates.to_numpy(dtype="float64", na_value=np.nan)
    elif isinstance(covariates, pd.Series):
        names = [str(covariates.name) if covariates.name is not None else "x1"]
        values = covariates.to_numpy(dtype="float64", na_value=np.nan)[:, None]
    else:
        try:
            values = np.asarray(covariates, dtype="float64")
        except (TypeError, ValueError) as error:
            raise ValueError(f"covariates must be numeric: {error}") from None
        if values.ndim == 1:
            values = values[:, None]
        names = [f"x{j + 1}" for j in range(values.shape[1] if values.ndim == 2 else 0)]
    if values.ndim != 2 or values.shape[1] == 0:
        raise ValueError(f"covariates must be an (n, p) table with p >= 1 columns, got shape {values.shape}")
    if values.shape[0] == 0:
        raise ValueError("covariates are empty: no observations")
    if not np.isfinite(values).all():
        rows, columns = np.nonzero(~np.isfinite(values))
        raise ValueError(
            f"covariates have {rows.size} missing or infinite value(s), the first in column "
            f"{names[columns[0]]!r} at position {rows[0]}; drop or impute them before the fit"
        )
    return values, names


def _check_design_rank(design: np.ndarray, names: list[str]) -> None:
    constant = [name for name, column in zip(names, design.T, strict=True) if column.min() == column.max()]
    if constant:
        raise ValueError(
            f"singular design: covariate(s) {constant} are constant, so their effect is not "
            f"identifiable (the model has no intercept)"
        )
    centered = design - design.mean(axis=0)
    # Unit-variance columns, so that a covariate's units (days vs years) cannot make it look redundant.
    if np.linalg.matrix_rank(centered / centered.std(axis=0)) < design.shape[1]:
        raise ValueError(
            f"singular design: the covariates {names} are linearly dependent (collinear); drop or "
            f"combine the redundant column(s)"
        )


def _checked_information(information: np.ndarray, names: list[str]) -> np.ndarray:
    scale = np.sqrt(np.abs(np.diag(information)))
    # Rank of the correlation-scaled matrix, so that covariates on very different scales are not called singular.
    if (
        not np.isfinite(information).all()
        or np.any(scale == 0)
        or np.linalg.matrix_rank(information / np.outer(scale, scale)) < information.shape[0]
    ):
        raise ValueError(
            f"singular information matrix for covariates {names}: a covariate does not vary within the "
            f"risk sets of the events, or the fit diverged"
        )
    return information


def _solve(information: np.ndarray, score: np.ndarray, names: list[str]) -> np.ndarray:
    return np.linalg.solve(_checked_information(information, names), score)


def _diverging(
    data: _SortedData, beta: np.ndarray, loglik: float, design: np.ndarray, information: np.ndarray
) -> np.ndarray:
    """Which coefficients diverge: large, and the log-likelihood does not drop when they are pushed further out.

    A coefficient is a candidate when |beta_j| times the range of x_j exceeds DIVERGENCE_SPAN (a hazard ratio of
    e^10 = 22,026 across the observed values). It diverges if moving it by another DIVERGENCE_SPAN / range further
    in the same direction does not lower the log-likelihood (by more than rounding): with a finite maximum at
    beta_j, the concave log-likelihood falls by a clear amount over such a step; with a monotone likelihood it
    still rises, by amounts that vanish like exp(-|beta_j|). (crr's score criterion alone is met by such a fit at
    |beta_j| ~ 30, where the score has decayed below gtol.)

    Several coefficients can diverge together, none alone: with two factors and their product, a cell without
    events sends main effects and products to infinity in opposite directions that cancel in the other cells
    (pushing one coefficient alone then lowers the likelihood). That direction is the flat one of the information
    matrix (its smallest eigenvalue vanishes like exp(-|beta|)); it is pushed the same way, and the coefficients
    it moves are the diverging ones.
    """
    spans = design.max(axis=0) - design.min(axis=0)
    tolerance = 1e-9 * max(abs(loglik), 1.0)
    diverging = np.zeros(beta.size, dtype=bool)
    large = np.flatnonzero(np.abs(beta) * spans > DIVERGENCE_SPAN)
    for j in large:
        pushed = beta.copy()
        pushed[j] += np.sign(beta[j]) * DIVERGENCE_SPAN / spans[j]
        pushed_loglik = data.loglik(pushed)
        diverging[j] = bool(np.isfinite(pushed_loglik) and pushed_loglik >= loglik - tolerance)
    if large.size > 1 and not diverging.any():
        eigenvalues, vectors = np.linalg.eigh((information + information.T) / 2.0)
        if eigenvalues[0] <= FLAT_INFORMATION * max(abs(eigenvalues[-1]), np.finfo(float).tiny):
            direction = vectors[:, 0] * (1.0 if vectors[:, 0] @ beta >= 0 else -1.0)
            moved = np.abs(direction) * spans
            pushed_loglik = data.loglik(beta + direction * DIVERGENCE_SPAN / moved.max())
            if np.isfinite(pushed_loglik) and pushed_loglik >= loglik - tolerance:
                diverging = moved > MOVED_SHARE * moved.max()
    return diverging


def _halving_step(
    data: _SortedData, beta: np.ndarray, step: np.ndarray, loglik: float, score: np.ndarray
) -> np.ndarray | None:
    """crr's step halving: halve until l(beta + step) >= l(beta) + 1e-4 step'U; None if that never happens."""
    if float(step @ score) <= 1e-13 * max(abs(loglik), 1.0):
        # Rounding-level region: the log-likelihood change of this step is noise (crr's line search stalls here),
        # while the Newton step itself is accurate.
        return beta + step
    for _ in range(MAX_HALVINGS + 1):
        candidate = beta + step
        candidate_loglik = data.loglik(candidate)
        if np.isfinite(candidate_loglik) and candidate_loglik >= loglik + ARMIJO_FRACTION * float(step @ score):
            return candidate
        step = step / 2.0
    return None


@dataclass
class _SortedData:
    """Records sorted by time with their block (distinct time) structure and the censoring distribution."""

    design: np.ndarray  # (n, p), centered: x - mean(x); the model is invariant to the shift
    kinds: np.ndarray  # (n,) 0 censored, 1 cause, 2 other cause
    block_starts: np.ndarray  # (T,) first record of each distinct time
    block_of: np.ndarray  # (n,) distinct-time index of each record
    at_risk: np.ndarray  # (T,) Y(u): records with time >= u
    censored: np.ndarray  # (T,) c(u)
    events: np.ndarray  # (T,) d_t, cause events
    censoring_before: np.ndarray  # (T,) G(u-)
    other_weight: np.ndarray  # (n,) 1/G(T_i-) for other-cause records, else 0

    @classmethod
    def build(cls, time: np.ndarray, kinds: np.ndarray, design: np.ndarray) -> _SortedData:
        order = np.argsort(time, kind="stable")
        time, kinds, design = time[order], kinds[order], design[order]
        new_block = np.empty(time.size, dtype=bool)
        new_block[0] = True
        np.not_equal(time[1:], time[:-1], out=new_block[1:])
        block_starts = np.flatnonzero(new_block)
        block_of = np.cumsum(new_block) - 1
        at_risk = (time.size - block_starts).astype(np.float64)
        censored = np.add.reduceat((kinds == CENSORED).astype(np.float64), block_starts)
        events = np.add.reduceat((kinds == CAUSE).astype(np.float64), block_starts)
        # Kaplan-Meier of the censoring times; failures tied with a censoring are at risk for it (Y counts them).
        censoring_after = np.cumprod(1.0 - censored / at_risk)
        censoring_before = shift_down(censoring_after, 1.0)
        other_weight = np.where(kinds == OTHER, 1.0 / censoring_before[block_of], 0.0)
        return cls(
            design=design - design.mean(axis=0),
            kinds=kinds,
            block_starts=block_starts,
            block_of=block_of,
            at_risk=at_risk,
            censored=censored,
            events=events,
            censoring_before=censoring_before,
            other_weight=other_weight,
        )

    def _relative_risk(self, beta: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """exp(x'beta - shift) with the shift that keeps exp in range; returns (values, shift, x'beta)."""
        linear = self.design @ beta
        shift = float(linear.max())
        return np.exp(linear - shift), shift, linear

    def _risk_set_sums(self, relative_risk: np.ndarray, order: int) -> list[np.ndarray]:
        """S0, S1 (and S2 if order == 2) at every distinct time, from block sums and cumulative sums.

        S_k(t) = sum_{T_i >= t} r_i x_i^k  +  G(t-) sum_{T_i < t, other cause} r_i x_i^k / G(T_i-).
        """
        starts = self.block_starts
        weighted_other = relative_risk * self.other_weight
        moments: list[tuple[np.ndarray, np.ndarray]] = [(relative_risk, weighted_other)]
        if order >= 1:
            moments.append((relative_risk[:, None] * self.design, weighted_other[:, None] * self.design))
        sums = []
        for at_risk_terms, other_terms in moments:
            sums.append(
                self._combine(
                    np.add.reduceat(at_risk_terms, starts, axis=0), np.add.reduceat(other_terms, starts, axis=0)
                )
            )
        if order >= 2:
            n_covariates = self.design.shape[1]
            second = np.empty((starts.size, n_covariates, n_covariates))
            for j in range(n_covariates):
                column = self.design[:, j]
                at_risk_block = np.add.reduceat((relative_risk * column)[:, None] * self.design, starts, axis=0)
                other_block = np.add.reduceat((weighted_other * column)[:, None] * self.design, starts, axis=0)
                second[:, j, :] = self._combine(at_risk_block, other_block)
            sums.append(second)
        return sums

    def _combine(self, at_risk_block: np.ndarray, other_block: np.ndarray) -> np.ndarray:
        at_or_after = np.cumsum(at_risk_block[::-1], axis=0)[::-1]
        before = np.cumsum(other_block, axis=0) - other_block  # strictly earlier times
        g_before = self.censoring_before.reshape((-1,) + (1,) * (at_risk_block.ndim - 1))
        return at_or_after + g_before * before

    def loglik(self, beta: np.ndarray) -> float:
        relative_risk, shift, linear = self._relative_risk(beta)
        (s0,) = self._risk_set_sums(relative_risk, order=0)
        failures = self.events > 0
        return float(linear[self.kinds == CAUSE].sum() - (self.events[failures] * (np.log(s0[failures]) + shift)).sum())

    def loglik_score_information(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        relative_risk, shift, linear = self._relative_risk(beta)
        s0, s1, s2 = self._risk_set_sums(relative_risk, order=2)
        failures = self.events > 0
        d, s0, s1, s2 = self.events[failures], s0[failures], s1[failures], s2[failures]
        x_bar = s1 / s0[:, None]
        is_cause = self.kinds == CAUSE
        loglik = float(linear[is_cause].sum() - (d * (np.log(s0) + shift)).sum())
        score = self.design[is_cause].sum(axis=0) - d @ x_bar
        information = np.einsum("t,tij->ij", d / s0, s2) - np.einsum("t,ti,tj->ij", d, x_bar, x_bar)
        return loglik, score, (information + information.T) / 2.0

    def score_residuals(self, beta: np.ndarray) -> np.ndarray:
        """u_i = eta_i + psi_i (formulas in ``fine_gray``), one row per record, in sorted order."""
        relative_risk, _, _ = self._relative_risk(beta)
        s0, s1 = self._risk_set_sums(relative_risk, order=1)
        x = self.design
        block = self.block_of
        with np.errstate(divide="ignore", invalid="ignore"):
            x_bar = np.where(self.events[:, None] > 0, s1 / s0[:, None], 0.0)
            hazard = np.where(self.events > 0, self.events / s0, 0.0)  # d_t / S0(t)
        weighted_hazard = hazard * self.censoring_before  # d_t G(t-) / S0(t)

        # eta_i: event term, at-risk part (t <= T_i, weight 1) and other-cause part (t > T_i, G(t-)/G(T_i-)).
        cum_hazard = np.cumsum(hazard)
        cum_hazard_x = np.cumsum(hazard[:, None] * x_bar, axis=0)
        cum_weighted = np.cumsum(weighted_hazard)
        cum_weighted_x = np.cumsum(weighted_hazard[:, None] * x_bar, axis=0)
        is_cause = (self.kinds == CAUSE)[:, None]
        eta = np.where(is_cause, x - x_bar[block], 0.0)
        eta -= relative_risk[:, None] * (x * cum_hazard[block][:, None] - cum_hazard_x[block])
        later_weighted = cum_weighted[-1] - cum_weighted[block]
        later_weighted_x = cum_weighted_x[-1] - cum_weighted_x[block]
        eta -= (relative_risk * self.other_weight)[:, None] * (x * later_weighted[:, None] - later_weighted_x)

        # psi_i: q(u) at every distinct time u, then the censoring martingale integral.
        other_terms = relative_risk * self.other_weight
        other_sum = np.add.reduceat(other_terms, self.block_starts)
        other_sum_x = np.add.reduceat(other_terms[:, None] * x, self.block_starts, axis=0)
        earlier_other = np.cumsum(other_sum) - other_sum  # sum over T_j < u
        earlier_other_x = np.cumsum(other_sum_x, axis=0) - other_sum_x
        from_u_weighted = np.cumsum(weighted_hazard[::-1])[::-1]  # sum over t >= u
        from_u_weighted_x = np.cumsum((weighted_hazard[:, None] * x_bar)[::-1], axis=0)[::-1]
        q = earlier_other_x * from_u_weighted[:, None] - earlier_other[:, None] * from_u_weighted_x
        compensator = np.cumsum(q * (self.censored / self.at_risk**2)[:, None], axis=0)
        psi = -compensator[block]
        is_censored = self.kinds == CENSORED
        psi[is_censored] += q[block[is_censored]] / self.at_risk[block[is_censored]][:, None]
        return eta + psi


__all__ = ["FineGrayConvergenceWarning", "FineGrayResult", "fine_gray", "summary_frame"]
