"""Concordance of prognostic scores: Harrell's C against R's survival::concordance (fixtures written by
tests/r/concordance_fixtures.R), against a literal pair-by-pair count, and on a hand-worked example; Wolbers' C
against a literal count of its own pair definition."""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.discrimination import (
    discrimination_table,
    harrell,
    harrell_resampled,
    percentile_interval,
    time_dependent_auc,
    time_dependent_auc_resampled,
    wolbers,
    wolbers_resampled,
)

FIXTURES = Path(__file__).parent / "fixtures" / "concordance"
R_SCRIPT = Path(__file__).parent / "r" / "concordance_fixtures.R"


def literal_harrell(time, event, risk):
    """Every pair looked at once, by the definition in analysis.discrimination's docstring."""
    concordant = discordant = tied_risk = tied_time = 0
    for i, j in itertools.combinations(range(len(time)), 2):
        if time[j] < time[i] or (time[i] == time[j] and event[j] and not event[i]):
            i, j = j, i  # i is the earlier (or the event at a shared time)
        if not event[i]:
            continue
        if time[i] == time[j] and event[j]:
            tied_time += 1
            continue
        if risk[i] > risk[j]:
            concordant += 1
        elif risk[i] < risk[j]:
            discordant += 1
        else:
            tied_risk += 1
    return concordant, discordant, tied_risk, tied_time


def literal_wolbers(time, status, risk, cause=1):
    """Wolbers et al. 2009 (Epidemiology 20:555), pairs read straight from the paper: i had the event of interest;
    j is comparable if j's observed time is later (or equal and censored), or if j had a competing event at any
    time. Concordant when i's risk is the higher."""
    concordant = discordant = tied_risk = 0
    n = len(time)
    for i in range(n):
        if status[i] != cause:
            continue
        for j in range(n):
            if j == i:
                continue
            competing = status[j] not in (0, cause)
            later = time[j] > time[i] or (time[j] == time[i] and status[j] == 0)
            if not (competing or later):
                continue
            if risk[i] > risk[j]:
                concordant += 1
            elif risk[i] < risk[j]:
                discordant += 1
            else:
                tied_risk += 1
    return concordant, discordant, tied_risk


def test_hand_worked_example():
    # Times 1..5; the event at 2 (risk 3) and the censoring at 2 (risk 4) are comparable and discordant; the two
    # pairs with equal risks (3 at times 2 and 3; 2 at times 4 and 4) are ties; the other 13 comparable pairs are
    # concordant. C = (13 + 2/2) / (13 + 1 + 2) = 14/16.
    counts = harrell([1, 2, 2, 3, 4, 4, 5], [1, 1, 0, 1, 0, 1, 1], [5, 3, 4, 3, 2, 2, 1])
    assert (counts.concordant, counts.discordant, counts.tied_risk, counts.tied_time) == (13, 1, 2, 0)
    assert counts.c_index == 14 / 16


def test_perfect_and_reversed_orderings():
    time = [1, 2, 3, 4, 5]
    assert harrell(time, [1] * 5, [5, 4, 3, 2, 1]).c_index == 1.0
    assert harrell(time, [1] * 5, [1, 2, 3, 4, 5]).c_index == 0.0
    assert harrell(time, [1] * 5, [7] * 5).c_index == 0.5
    assert np.isnan(harrell([1, 2], [0, 0], [1, 2]).c_index)  # no event: no comparable pair


@pytest.mark.parametrize("name", ["hand", "lung_ecog", "twin_modified_bauer", "twin_bauer", "heavy_ties"])
def test_harrell_equals_r_concordance(name):
    reference = pd.read_csv(FIXTURES / "concordance.csv").set_index("name").loc[name]
    data = pd.read_csv(FIXTURES / f"{name}_data.csv")
    counts = harrell(data["time"], data["event"], data["risk"])
    assert counts == harrell(data["time"], data["event"], data["risk"], method="tree")
    assert counts == harrell(data["time"], data["event"], data["risk"], method="pairs")
    assert counts == harrell(data["time"], data["event"], data["risk"], method="levels")
    assert counts.concordant == reference["concordant"]
    assert counts.discordant == reference["discordant"]
    assert counts.tied_risk == reference["tied_x"]
    assert counts.tied_time == reference["tied_y"] + reference["tied_xy"]
    assert abs(counts.c_index - reference["concordance"]) < 1e-12


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed (apt: r-cran-survival)")
def test_committed_fixtures_are_what_the_r_script_writes(tmp_path):
    subprocess.run(["Rscript", str(R_SCRIPT), str(tmp_path)], check=True, capture_output=True)
    fresh = pd.read_csv(tmp_path / "concordance.csv")
    pd.testing.assert_frame_equal(fresh, pd.read_csv(FIXTURES / "concordance.csv"))


small_cohorts = st.integers(2, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(1, 8), min_size=n, max_size=n),
        st.lists(st.integers(0, 2), min_size=n, max_size=n),
        st.lists(st.integers(0, 4), min_size=n, max_size=n),
    )
)


@settings(max_examples=200, deadline=None)
@given(small_cohorts)
def test_harrell_equals_the_literal_pair_count(cohort):
    time, status, risk = cohort
    event = [s > 0 for s in status]
    for method in ("pairs", "tree", "levels"):
        counts = harrell(time, event, risk, method=method)
        assert (counts.concordant, counts.discordant, counts.tied_risk, counts.tied_time) == literal_harrell(
            time, event, risk
        )


@settings(max_examples=200, deadline=None)
@given(small_cohorts)
def test_wolbers_equals_the_literal_pair_count(cohort):
    time, status, risk = cohort
    counts = wolbers(time, status, risk, cause=1)
    assert (counts.concordant, counts.discordant, counts.tied_risk) == literal_wolbers(time, status, risk)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_large_cohorts_count_the_same_by_levels_and_by_tree(seed):
    """Above PAIRWISE_MAX an integer score is counted level by level ("levels", numpy) and a continuous one in the
    Fenwick tree: the same counts, ties in time and risk, duplicated patients (a resample) and the infinite times of
    Wolbers' C included."""
    import analysis.discrimination as discrimination

    rng = np.random.default_rng(seed)
    n = discrimination.PAIRWISE_MAX + 1500
    time = rng.integers(1, 400, n).astype(float)
    status = rng.choice([0, 1, 2], size=n, p=[0.3, 0.2, 0.5])
    score = rng.integers(0, 11, n).astype(float)
    draw = rng.integers(0, n, n)
    for t, s, x in ((time, status, score), (time[draw], status[draw], score[draw])):
        by_tree = harrell(t, s > 0, x, method="tree")
        assert harrell(t, s > 0, x, method="levels") == by_tree == harrell(t, s > 0, x)
        competing = np.where(s == 2, np.inf, t)
        assert harrell(competing, s == 1, x, method="levels") == harrell(competing, s == 1, x, method="tree")
        assert wolbers(t, s, x) == harrell(competing, s == 1, x, method="tree")
    continuous = score + rng.random(n)  # more distinct values than LEVELS_MAX: auto counts in the tree
    assert harrell(time, status > 0, continuous) == harrell(time, status > 0, continuous, method="levels")
    with pytest.raises(ValueError, match="unknown method"):
        harrell(time, status > 0, score, method="fast")


def test_wolbers_compares_a_revision_with_an_earlier_death():
    # Patient 0 died (competing) at 1 with low risk; patient 1 was revised at 3 with high risk. Harrell on revision
    # alone (deaths censored) has no comparable pair; Wolbers has one, concordant.
    assert harrell([1, 3], [0, 1], [0, 1]).comparable == 0
    counts = wolbers([1, 3], [2, 1], [0, 1])
    assert (counts.concordant, counts.comparable) == (1, 1)


def test_missing_values_are_refused():
    with pytest.raises(ValueError, match="missing"):
        harrell([1, 2], [1, 1], [1, np.nan])


def test_percentile_interval_drops_resamples_without_pairs():
    replicates = np.array([np.nan, *np.linspace(0.0, 1.0, 101)])
    low, high = percentile_interval(replicates, 0.90)
    assert (round(low, 12), round(high, 12)) == (0.05, 0.95)
    assert all(np.isnan(percentile_interval(np.array([np.nan]), 0.95)))


def test_discrimination_table_orients_scores_and_counts_patients():
    rng = np.random.default_rng(3)
    n = 120
    good = rng.integers(0, 5, n)  # a "higher is better" score that works
    time = rng.exponential(1 + good)
    died = rng.random(n) < 0.7
    status = np.where(rng.random(n) < 0.3, 1, np.where(died, 2, 0))
    scores = pd.DataFrame({"bauer_like": good.astype(float)})
    scores.loc[:9, "bauer_like"] = np.nan
    outcomes = {"overall_survival": (time, died.astype(int)), "revision": (time, status)}
    table = discrimination_table(scores, outcomes, {"bauer_like": True}, 50, 0.95, seed=2)
    again = discrimination_table(scores, outcomes, {"bauer_like": True}, 50, 0.95, seed=2)
    pd.testing.assert_frame_equal(table, again)
    assert list(table.columns) == ["score", "outcome", "c_index", "ci_low", "ci_high", "n"]
    survival = table.set_index("outcome").loc["overall_survival"]
    assert survival["n"] == n - 10
    assert survival["c_index"] > 0.5  # negated: a higher Bauer-like score means longer survival
    assert survival["ci_low"] < survival["c_index"] < survival["ci_high"]
    flipped = discrimination_table(scores, outcomes, {}, 50, 0.95, seed=2).set_index("outcome")
    assert abs(flipped.loc["overall_survival", "c_index"] + survival["c_index"] - 1) < 1e-12


def test_time_dependent_auc_by_hand():
    # Horizon 3: cases are the events at 1 and 2 (risks 4 and 2), controls the patients beyond 3 (risks 3, 1, 2).
    # No censoring before 2, so both weights are 1. Case risk 4 beats all 3 controls; case risk 2 beats one (1),
    # ties one (2): (3 + 1 + 0.5) / (2 * 3).
    auc = time_dependent_auc([1, 2, 4, 5, 6], [1, 1, 1, 0, 1], [4, 2, 3, 1, 2], horizon=3)
    assert auc == pytest.approx(4.5 / 6, abs=1e-15)
    assert np.isnan(time_dependent_auc([1, 2], [0, 0], [1, 2], horizon=1.5))  # no case


@pytest.mark.parametrize("seed", range(6))
def test_time_dependent_auc_equals_scikit_survival(seed):
    from sksurv.metrics import cumulative_dynamic_auc
    from sksurv.util import Surv

    rng = np.random.default_rng(seed)
    n = 150
    time = rng.integers(1, 40, n).astype(float)  # heavy ties in time
    event = rng.random(n) < 0.7
    risk = rng.integers(0, 6, n).astype(float)  # and in the score
    time[0], event[0] = 50.0, True  # scikit-survival needs the censoring distribution above zero at the end
    y = Surv.from_arrays(event=event, time=time)
    for horizon in (5.0, 12.0, 25.0):
        reference = cumulative_dynamic_auc(y, y, risk, [horizon])[0][0]
        assert time_dependent_auc(time, event, risk, horizon) == pytest.approx(reference, abs=1e-12)


def same_floats(a, b) -> bool:
    """Equal bit for bit, NaN equal to NaN."""
    return np.array_equal(np.asarray(a, float), np.asarray(b, float), equal_nan=True)


@settings(max_examples=150, deadline=None)
@given(small_cohorts, st.integers(0, 2**32 - 1))
def test_resampled_counts_and_auc_equal_the_resample_by_resample_loop(cohort, seed):
    time, status, risk = (np.asarray(v, float) for v in cohort)
    status = status.astype(int)
    died = status > 0
    rng = np.random.default_rng(seed)
    draws = [rng.integers(0, len(time), len(time)) for _ in range(12)]
    assert harrell_resampled(time, died, risk, draws) == [harrell(time[i], died[i], risk[i]) for i in draws]
    assert wolbers_resampled(time, status, risk, draws) == [wolbers(time[i], status[i], risk[i]) for i in draws]
    for horizon in (2.5, 4.0, 7.0):
        loop = [time_dependent_auc(time[i], died[i], risk[i], horizon) for i in draws]
        assert same_floats(time_dependent_auc_resampled(time, died, risk, horizon, draws), loop)


def test_large_cohorts_are_resampled_one_resample_at_a_time(monkeypatch):
    import analysis.discrimination as discrimination

    rng = np.random.default_rng(5)
    time, died, risk = rng.integers(1, 30, 40).astype(float), rng.random(40) < 0.6, rng.integers(0, 4, 40).astype(float)
    draws = [rng.integers(0, 40, 40) for _ in range(5)]
    at_once = harrell_resampled(time, died, risk, draws), time_dependent_auc_resampled(time, died, risk, 9.0, draws)
    monkeypatch.setattr(discrimination, "PAIRWISE_MAX", 10)  # the n x n matrices are not built above this n
    one_by_one = harrell_resampled(time, died, risk, draws), time_dependent_auc_resampled(time, died, risk, 9.0, draws)
    assert at_once[0] == one_by_one[0] and same_floats(at_once[1], one_by_one[1])


def test_resampled_estimates_equal_estimates_per_resample():
    from analysis.prognostic_scores import _Outcomes, estimates, resampled_estimates

    rng = np.random.default_rng(11)
    n = 90
    frame = pd.DataFrame(
        {
            "survival_days": rng.integers(5, 900, n).astype(float),  # ties in time
            "died": rng.random(n) < 0.75,
            "time_days": rng.integers(5, 900, n).astype(float),
            "event": rng.integers(0, 3, n),
        }
    )
    risk = rng.integers(0, 6, n).astype(float)  # and in the score
    risk[:7] = np.nan
    known = np.flatnonzero(np.isfinite(risk))
    draws = [rng.integers(0, len(known), len(known)) for _ in range(40)]
    outcomes, horizons = _Outcomes.of(frame), {"3m": 3, "6m": 6, "12m": 12}
    fast = resampled_estimates(outcomes, risk, known, draws, horizons)
    slow = [estimates(outcomes, risk, known[idx], horizons) for idx in draws]
    assert list(fast) == list(slow[0])
    for measure, values in fast.items():
        assert same_floats(values, [rep[measure] for rep in slow]), measure
