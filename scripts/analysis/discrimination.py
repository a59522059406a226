"""Discrimination of a prognostic score: how well it orders patients by their outcome.

Harrell's concordance index for overall survival and Wolbers' concordance index for a competing-risks outcome,
both as pair counts in O(n log n), with percentile bootstrap intervals. A *risk* score is expected: a higher value
means a worse prognosis (shorter survival, earlier revision). A score where higher is better (the Bauer scores) is
passed negated, so that every C here reads the same way: 0.5 is no discrimination, 1 a perfect ordering.

Harrell's C (Harrell, Califf, Pryor, Lee, Rosati 1982, JAMA 247:2543; Harrell, Lee, Mark 1996, Stat Med 15:361) as
R's ``survival::concordance`` counts it (Therneau and Atkinson, "Concordance", vignette of the survival package,
version 3; ``timewt = "n"``, the default):

* a pair (i, j) is comparable when the shorter time is an event: T_i < T_j with d_i = 1, or T_i = T_j with d_i = 1
  and d_j = 0 (a censoring at the time of an event is taken to come after it);
* pairs of events at the same time are not comparable (``tied.y``);
* a comparable pair is concordant when the earlier failure has the higher risk, discordant when it has the lower,
  and tied in the score (``tied.x``) when the two risks are equal;
* C = (concordant + tied.x / 2) / (concordant + discordant + tied.x).

Wolbers' C for cause k (Wolbers, Koller, Witteman, Steyerberg 2009, Epidemiology 20:555; Wolbers, Blanche, Koller,
Witteman, Gerds 2014, Biostatistics 15:526, the estimator without censoring weights) counts the same pairs for the
event of interest, with one change: a patient who had a competing event can never have the event of interest, so
their time counts as infinite. A patient with a revision at T_i is therefore comparable with every patient who died
without revision, before or after T_i. It equals Harrell's C on (time with competing events set to +inf, d = event
is cause k), which is how it is computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Concordance:
    """Pair counts and the concordance index, in the terms of R's ``concordance()$count``."""

    concordant: float
    discordant: float
    tied_risk: float
    tied_time: float

    @property
    def comparable(self) -> float:
        return self.concordant + self.discordant + self.tied_risk

    @property
    def c_index(self) -> float:
        if self.comparable == 0:
            return float("nan")
        return (self.concordant + self.tied_risk / 2) / self.comparable


class _Fenwick:
    """Counts of inserted ranks with prefix sums in O(log n) (Fenwick 1994, Softw Pract Exper 24:327)."""

    def __init__(self, size: int):
        self.tree = [0] * (size + 1)

    def add(self, rank: int) -> None:  # rank is 1-based
        i = rank
        while i < len(self.tree):
            self.tree[i] += 1
            i += i & -i

    def below_or_at(self, rank: int) -> int:
        total, i = 0, rank
        while i > 0:
            total += self.tree[i]
            i -= i & -i
        return total


def _as_arrays(time, event, risk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(time, float)
    d = np.asarray(event, bool)
    x = np.asarray(risk, float)
    if not (t.shape == d.shape == x.shape) or t.ndim != 1:
        raise ValueError("time, event and risk must be one-dimensional and of the same length")
    if np.isnan(t).any() or np.isnan(x).any():
        raise ValueError("time and risk must not be missing: impute or drop patients before computing C")
    return t, d, x


# Below this many patients the pairs are counted all at once in a matrix (fast in numpy); above it, in O(n log n).
PAIRWISE_MAX = 2000
# Above PAIRWISE_MAX, a risk with at most this many distinct values (every prognostic score: integers 0-10) is counted
# value by value in numpy (O(n K + n log n), "levels"); a risk with more, one patient at a time in a Fenwick tree
# ("tree").
LEVELS_MAX = 64


def harrell(time, event, risk, method: str = "auto") -> Concordance:
    """Harrell's pair counts for a risk score (higher = earlier event), as R's
    ``concordance(Surv(time, event) ~ risk, reverse = TRUE)``.

    ``method`` "pairs" compares every pair in one n x n step (small cohorts: bootstraps repeat this thousands of
    times); "tree" takes patients in decreasing time, with a Fenwick tree over the ranks of the risk holding everyone
    known to outlive the current time, so each event is compared with all of them in O(log n); "levels" counts, for
    every event and every distinct risk value, the patients of that value who outlive it (cumulative counts per
    value over the patients sorted by time, binary search: numpy, no Python loop over patients), for risks with few
    distinct values. "auto" picks "pairs" up to
    PAIRWISE_MAX patients, then "levels" up to LEVELS_MAX distinct values, else "tree". All three give the same
    counts (tests/test_discrimination.py)."""
    t, d, x = _as_arrays(time, event, risk)
    if method == "auto":
        method = "pairs" if len(t) <= PAIRWISE_MAX else "levels" if len(np.unique(x)) <= LEVELS_MAX else "tree"
    if method == "pairs":
        return _harrell_pairs(t, d, x)
    if method == "levels":
        return _harrell_levels(t, d, x)
    if method == "tree":
        return _harrell_tree(t, d, x)
    raise ValueError(f"unknown method {method!r}: pairs, levels, tree or auto")


def _pair_matrices(t: np.ndarray, d: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """n x n indicators of the pairs (i, j) that are concordant, discordant, tied in the risk (i the earlier
    failure, j outliving it), and events tied in time (i = j included)."""
    # i (rows) is the earlier failure: an event, and j outlives it (later, or censored at the same time).
    comparable = d[:, None] & ((t[:, None] < t[None, :]) | ((t[:, None] == t[None, :]) & ~d[None, :]))
    higher = x[:, None] > x[None, :]
    lower = x[:, None] < x[None, :]
    both_events_tied = d[:, None] & d[None, :] & (t[:, None] == t[None, :])
    return comparable & higher, comparable & lower, comparable & ~higher & ~lower, both_events_tied


def _harrell_pairs(t: np.ndarray, d: np.ndarray, x: np.ndarray) -> Concordance:
    concordant, discordant, tied_risk, both_events_tied = _pair_matrices(t, d, x)
    return Concordance(
        float(concordant.sum()),
        float(discordant.sum()),
        float(tied_risk.sum()),
        float((both_events_tied.sum() - d.sum()) // 2),
    )


def _harrell_levels(t: np.ndarray, d: np.ndarray, x: np.ndarray) -> Concordance:
    """The counts of _harrell_tree, by risk value instead of by patient. For an event i at time T_i, the patients
    known to outlive it are those with T_j > T_i and those censored at T_i (never i itself or another event at
    T_i); with n_v(i) of them at the v-th smallest risk value, i's pairs are concordant with the n_v of the values
    below its own, tied in the risk with the n_v of its own value, and discordant with the rest. With the patients
    sorted by time, n_v for every event at once is a row of a cumulative count per value (n x K, K values), found by
    binary search of the event's time."""
    levels, ranks = np.unique(x, return_inverse=True)
    order = np.argsort(t, kind="stable")
    times, by_value = t[order], np.eye(len(levels), dtype=np.int64)[ranks[order]]
    # Row k: how many of the first k patients (in time order) have each value; the same for the censored.
    up_to = np.vstack([np.zeros(len(levels), np.int64), np.cumsum(by_value, axis=0)])
    censored_up_to = np.vstack([np.zeros(len(levels), np.int64), np.cumsum(by_value * ~d[order, None], axis=0)])
    event_times = t[d]
    first_later = np.searchsorted(times, event_times, side="right")
    first_at = np.searchsorted(times, event_times, side="left")
    outliving = (up_to[-1] - up_to[first_later]) + (censored_up_to[first_later] - censored_up_to[first_at])
    own = ranks[d]
    below = np.cumsum(outliving, axis=1) - outliving  # patients outliving i at values below each value
    rows = np.arange(len(own))
    concordant = int(below[rows, own].sum())
    tied_risk = int(outliving[rows, own].sum())
    discordant = int(outliving.sum()) - concordant - tied_risk
    _, per_time = np.unique(event_times, return_counts=True)
    tied_time = int((per_time * (per_time - 1) // 2).sum())
    return Concordance(float(concordant), float(discordant), float(tied_risk), float(tied_time))


def _harrell_tree(t: np.ndarray, d: np.ndarray, x: np.ndarray) -> Concordance:
    levels, ranks = np.unique(x, return_inverse=True)
    ranks = ranks + 1
    tree = _Fenwick(len(levels))
    concordant = discordant = tied_risk = tied_time = 0
    inserted = 0
    order = np.lexsort((d, -t))  # decreasing time; within a time, censored (d = 0) first
    ordered = t[order]
    boundaries = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1  # not np.diff: inf - inf (Wolbers) is NaN
    for block in np.split(order, boundaries):
        censored = block[~d[block]]
        events = block[d[block]]
        for j in censored:  # censored at this time: known to outlive the events at this time
            tree.add(int(ranks[j]))
        inserted += len(censored)
        for i in events:
            r = int(ranks[i])
            lower = tree.below_or_at(r - 1)
            equal = tree.below_or_at(r) - lower
            concordant += lower
            tied_risk += equal
            discordant += inserted - lower - equal
        n_events = len(events)
        tied_time += n_events * (n_events - 1) // 2
        for i in events:
            tree.add(int(ranks[i]))
        inserted += n_events
    return Concordance(float(concordant), float(discordant), float(tied_risk), float(tied_time))


def time_dependent_auc(time, event, risk, horizon: float) -> float:
    """Cumulative/dynamic AUC at ``horizon`` with inverse-probability-of-censoring weights (Uno, Cai, Tian, Wei 2007,
    JASA 102:1234; Hung and Chiang 2010, Can J Stat 38:8), as scikit-survival's ``cumulative_dynamic_auc`` computes it
    when the same data give the censoring weights (tests/test_discrimination.py compares the two):

        AUC(t) = sum_i sum_j w_i I(T_i <= t, d_i = 1) I(T_j > t) [I(r_i > r_j) + I(r_i = r_j) / 2]
                 / (sum_i w_i I(T_i <= t, d_i = 1) * sum_j I(T_j > t)),

    w_i = 1 / G(T_i), G the Kaplan-Meier estimate of the censoring distribution (right-continuous; at a tied time
    events come before censorings). NaN without cases or controls, or where G(T_i) = 0 for a case. O(n log n)."""
    t, d, r = _as_arrays(time, event, risk)
    cases = d & (t <= horizon)
    controls = t > horizon
    if not cases.any() or not controls.any():
        return float("nan")
    times, inverse = np.unique(t, return_inverse=True)
    at_risk = len(t) - np.concatenate([[0], np.cumsum(np.bincount(inverse))[:-1]])
    censored = np.bincount(inverse, weights=~d)
    events = np.bincount(inverse, weights=d)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk - events > 0, 1 - censored / (at_risk - events), 1.0)
    survival = np.cumprod(factor)[inverse]  # G at each patient's own time (right-continuous)
    if (survival[cases] <= 0).any():
        return float("nan")
    weight = 1 / survival[cases]
    control_risk = np.sort(r[controls])
    below = np.searchsorted(control_risk, r[cases], side="left")
    equal = np.searchsorted(control_risk, r[cases], side="right") - below
    return float((weight * (below + equal / 2)).sum() / (weight.sum() * controls.sum()))


def wolbers(time, status, risk, cause: int = 1) -> Concordance:
    """Wolbers' pair counts for the cumulative incidence of ``cause`` (status 0 = censored, ``cause`` = the event
    of interest, any other value = a competing event): Harrell's counts with competing events' times set to
    infinity (see the module docstring)."""
    t = np.asarray(time, float).copy()
    s = np.asarray(status)
    competing = (s != 0) & (s != cause)
    t[competing] = np.inf
    return harrell(t, s == cause, risk)


def resample_counts(draws: list[np.ndarray], n: int) -> np.ndarray:
    """The bootstrap resamples as a B x n matrix: how often each of the n patients was drawn into each resample."""
    counts = np.zeros((len(draws), n))
    for b, idx in enumerate(draws):
        counts[b] = np.bincount(idx, minlength=n)
    return counts


def harrell_resampled(time, event, risk, draws: list[np.ndarray]) -> list[Concordance]:
    """``[harrell(time[idx], event[idx], risk[idx]) for idx in draws]``, the same counts, computed at once.

    Whether a pair is comparable, concordant or tied depends only on the two patients, so a resample's count is
    sum_ab w_a w_b P_ab over the full data's pair indicators P, w the patients' multiplicities in the resample
    (``resample_counts``; a patient drawn twice is never comparable with itself, P_aa = 0). The counts are integers
    well below 2^53, so the matrix products in floating point are exact: the bootstrap loop of the old code, four
    n x n comparisons per resample, becomes four matrix products per score (tests/test_discrimination.py checks
    equality with the loop)."""
    t, d, x = _as_arrays(time, event, risk)
    if len(t) > PAIRWISE_MAX:  # the pair matrices would not fit comfortably: resample by resample
        return [harrell(t[idx], d[idx], x[idx]) for idx in draws]
    w = resample_counts(draws, len(t))
    concordant, discordant, tied_risk, both_events_tied = (
        ((w @ m.astype(float)) * w).sum(axis=1) for m in _pair_matrices(t, d, x)
    )
    tied_time = (both_events_tied - w @ d.astype(float)) // 2
    counts = zip(concordant, discordant, tied_risk, tied_time, strict=True)
    return [Concordance(*map(float, row)) for row in counts]


def wolbers_resampled(time, status, risk, draws: list[np.ndarray], cause: int = 1) -> list[Concordance]:
    """``[wolbers(time[idx], status[idx], risk[idx], cause) for idx in draws]``, computed at once (see
    ``harrell_resampled``)."""
    t = np.asarray(time, float).copy()
    s = np.asarray(status)
    t[(s != 0) & (s != cause)] = np.inf
    return harrell_resampled(t, s == cause, risk, draws)


def time_dependent_auc_resampled(time, event, risk, horizon: float, draws: list[np.ndarray]) -> np.ndarray:
    """``[time_dependent_auc(time[idx], event[idx], risk[idx], horizon) for idx in draws]``, bit for bit, with the
    per-resample work reduced to two sums.

    In a resample every quantity of ``time_dependent_auc`` is a function of the patient and the multiplicities w
    (``resample_counts``): the censoring Kaplan-Meier runs over the full data's distinct times with w-weighted counts
    (a time nobody in the resample has contributes the factor 1 - 0/r = 1.0 exactly, so the products are the same
    floating-point numbers), and the controls below and tied with a case are w-weighted counts of an n x n
    indicator (exact integers). Only the two final sums depend on the order of the cases in the resample: they are
    taken over the cases in drawing order, as the loop did, so the result is identical, not merely close."""
    t, d, r = _as_arrays(time, event, risk)
    if len(t) > PAIRWISE_MAX:  # the n x n indicators would not fit comfortably: resample by resample
        return np.array([time_dependent_auc(t[idx], d[idx], r[idx], horizon) for idx in draws], float)
    w = resample_counts(draws, len(t))
    case = d & (t <= horizon)
    control = t > horizon
    times, inverse = np.unique(t, return_inverse=True)
    # The indicators as floats throughout: numpy's matrix product only goes to BLAS when both sides are float.
    at_time = (inverse[:, None] == np.arange(len(times))[None, :]).astype(float)  # n x distinct times
    per_time = w @ at_time  # B x distinct times: patients drawn at each time, and of them censored, events
    censored = w @ (at_time * ~d[:, None])
    events = w @ (at_time * d[:, None])
    before = np.concatenate([np.zeros((len(draws), 1)), np.cumsum(per_time, axis=1)[:, :-1]], axis=1)
    at_risk = w.sum(axis=1, keepdims=True) - before
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(at_risk - events > 0, 1 - censored / (at_risk - events), 1.0)
    survival = np.cumprod(factor, axis=1)[:, inverse]  # B x n: G at each patient's own time
    # B x n: the resample's controls with a lower risk than patient j, and with the same risk
    below = w @ (control[:, None] & (r[:, None] < r[None, :])).astype(float)
    equal = w @ (control[:, None] & (r[:, None] == r[None, :])).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):  # G = 0: such resamples are NaN below
        weight = 1 / survival
        contribution = weight * (below + equal / 2)
    out = np.full(len(draws), np.nan)
    for b, idx in enumerate(draws):
        cases = idx[case[idx]]  # the resample's cases, in the order they were drawn
        n_controls = control[idx].sum()
        if not len(cases) or not n_controls or (survival[b, cases] <= 0).any():
            continue
        out[b] = contribution[b, cases].sum() / (weight[b, cases].sum() * n_controls)
    return out


def percentile_interval(replicates: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile bootstrap interval (Efron and Tibshirani 1993, ch. 13) of replicates computed on resamples of
    the patients with replacement. NaN replicates (a resample without a comparable pair) are dropped."""
    finite = replicates[np.isfinite(replicates)]
    if not len(finite):
        return float("nan"), float("nan")
    tail = (1 - level) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return float(low), float(high)


def _c_index(outcome: str, time: np.ndarray, status: np.ndarray, risk: np.ndarray) -> float:
    if outcome == "overall_survival":
        return harrell(time, status != 0, risk).c_index
    return wolbers(time, status, risk, cause=1).c_index


def discrimination_table(
    scores: pd.DataFrame,
    outcomes: dict[str, tuple[np.ndarray, np.ndarray]],
    higher_is_better: dict[str, bool],
    resamples: int,
    level: float,
    seed: int,
) -> pd.DataFrame:
    """One row per score and outcome, with percentile bootstrap intervals and n.

    ``outcomes`` maps an outcome name to (time, status): ``overall_survival`` gets Harrell's C (status 1 = died),
    any other name Wolbers' C for status 1 against the competing status 2 (0 = censored). Columns: score, outcome,
    c_index, ci_low, ci_high, n. Patients with a missing score are left out of that score's rows (n says how many
    remain)."""
    rows = []
    for score in scores.columns:
        value = scores[score].to_numpy(float)
        kept = np.flatnonzero(~np.isnan(value))
        risk = -value[kept] if higher_is_better.get(score, False) else value[kept]
        for outcome, (time, status) in outcomes.items():
            t = np.asarray(time, float)[kept]
            s = np.asarray(status, int)[kept]
            rng = np.random.default_rng(seed)
            replicates = []
            for _ in range(resamples):
                idx = rng.integers(0, len(kept), len(kept))
                replicates.append(_c_index(outcome, t[idx], s[idx], risk[idx]))
            low, high = percentile_interval(np.array(replicates, float), level)
            c = _c_index(outcome, t, s, risk)
            rows.append(
                {"score": score, "outcome": outcome, "c_index": c, "ci_low": low, "ci_high": high, "n": len(kept)}
            )
    return pd.DataFrame(rows, columns=["score", "outcome", "c_index", "ci_low", "ci_high", "n"])
