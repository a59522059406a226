"""Counting-process tables: the sufficient statistics of every estimator here, built with one sort.

All estimators in this package are sums over the distinct observed times. Building the table of (distinct time,
group, kind of record) counts costs one O(n log n) sort (inside ``np.unique``); everything after it is a cumulative
sum over the distinct times, so ties are handled exactly: every record at a tied time is in the risk set at that
time, and events at the time are counted before the censorings at it (a censoring at t leaves the risk set after t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Kinds of record, the coding of cmprsk's Fortran interface: 0 censored, 1 cause of interest, 2 any other cause.
CENSORED, CAUSE, OTHER = 0, 1, 2
N_KINDS = 3


def record_kinds(event: np.ndarray, cause: int) -> np.ndarray:
    """0 censored, 1 the cause of interest, 2 a competing cause, from event codes (0 = censored)."""
    kinds = np.where(event == cause, CAUSE, OTHER)
    kinds[event == 0] = CENSORED
    return kinds


@dataclass(frozen=True)
class CountTable:
    """Counts at each distinct time: ``counts[t, g, kind]`` and ``at_risk[t, g]`` (records with time >= time[t])."""

    time: np.ndarray
    counts: np.ndarray
    at_risk: np.ndarray


def count_table(time: np.ndarray, kinds: np.ndarray, groups: np.ndarray | None = None, n_groups: int = 1) -> CountTable:
    distinct, position = np.unique(time, return_inverse=True)
    cell = position * N_KINDS if groups is None else (position * n_groups + groups) * N_KINDS
    counts = np.bincount(cell + kinds, minlength=distinct.size * n_groups * N_KINDS)
    counts = counts.reshape(distinct.size, n_groups, N_KINDS).astype(np.float64)
    leaving = counts.sum(axis=2)
    # At risk at t: everyone whose time is >= t, i.e. the reverse cumulative sum of those leaving.
    at_risk = np.cumsum(leaving[::-1], axis=0)[::-1]
    return CountTable(time=distinct, counts=counts, at_risk=at_risk)


def shift_down(values: np.ndarray, first: float) -> np.ndarray:
    """The left limit of a right-continuous step function stored at the distinct times: value at the previous time."""
    shifted = np.empty_like(values)
    shifted[0] = first
    shifted[1:] = values[:-1]
    return shifted
