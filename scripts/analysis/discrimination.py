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


def harrell(time, event, risk) -> Concordance:
    """Harrell's pair counts for a risk score (higher = earlier event), as R's
    ``concordance(Surv(time, event) ~ risk, reverse = TRUE)``.

    Patients are taken in decreasing time; a Fenwick tree over the ranks of the risk holds everyone known to
    outlive the current time, so each event is compared with all of them in O(log n)."""
    t, d, x = _as_arrays(time, event, risk)
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


def wolbers(time, status, risk, cause: int = 1) -> Concordance:
    """Wolbers' pair counts for the cumulative incidence of ``cause`` (status 0 = censored, ``cause`` = the event
    of interest, any other value = a competing event): Harrell's counts with competing events' times set to
    infinity (see the module docstring)."""
    t = np.asarray(time, float).copy()
    s = np.asarray(status)
    competing = (s != 0) & (s != cause)
    t[competing] = np.inf
    return harrell(t, s == cause, risk)


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
