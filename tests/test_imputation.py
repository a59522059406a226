"""Multiple imputation of the score inputs (analysis.imputation) and Rubin's rules, on small hand-made cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.imputation import LABORATORY, impute, rubin
from analysis.prognostic_scores import per_patient


def cohort(n: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "patient_id": [f"P{i:016x}" for i in range(n)],
            "primary_group": rng.choice(["breast", "lung", "kidney", "prostate"], n),
            "visceral_metastases": rng.random(n) < 0.5,
            "solitary_bone_metastasis": rng.random(n) < 0.3,
            "chemotherapy_before_surgery": rng.random(n) < 0.5,
            "pathological_fracture": rng.random(n) < 0.5,
            "ecog": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "survival_days": rng.integers(10, 2000, n),
            "died": rng.random(n) < 0.8,
            "event": rng.integers(0, 3, n),
            "time_days": rng.integers(5, 1000, n),
        }
    )
    frame["hormone_dependent"] = pd.array(
        np.where(frame["primary_group"].isin(["breast", "prostate"]), rng.random(n) < 0.6, None), dtype="boolean"
    )
    frame["targeted_therapy"] = pd.array(
        np.where(frame["primary_group"] == "lung", rng.random(n) < 0.3, None), dtype="boolean"
    )
    frame["visceral_spread"] = np.where(
        frame["visceral_metastases"], rng.choice(["nodular", "disseminated"], n), "none"
    ).astype(object)
    frame["cerebral_metastases"] = pd.array(frame["visceral_metastases"] & (rng.random(n) < 0.2), dtype="boolean")
    for name in LABORATORY:
        frame[name] = rng.lognormal(0, 0.5, n) * 10
    return frame


def test_rubins_rules_by_hand():
    # m = 3 estimates 1, 2, 3 with within variances 0.1, 0.2, 0.3: W = 0.2, B = 1, T = 0.2 + 4/3.
    estimate, total, dof = rubin(np.array([1.0, 2.0, 3.0]), np.array([0.1, 0.2, 0.3]))
    assert estimate == 2.0
    assert total == pytest.approx(0.2 + 4 / 3, abs=1e-15)
    assert dof == pytest.approx(2 * (1 + 0.2 / (4 / 3)) ** 2, abs=1e-12)
    assert rubin(np.array([1.0, 1.0]), np.array([0.1, 0.1]))[2] == float("inf")


def test_nothing_missing_gives_the_data_back():
    df = cohort()
    for completed in impute(df, imputations=2, iterations=2, donors=5, seed=1):
        pd.testing.assert_frame_equal(completed, df)


def test_imputed_values_are_observed_values_and_only_where_missing():
    df = cohort()
    holes = df.copy()
    rng = np.random.default_rng(4)
    gone = rng.random(len(df)) < 0.2
    holes.loc[gone, "crp_mg_dl"] = np.nan
    holes["ecog"] = holes["ecog"].mask(pd.Series(rng.random(len(df)) < 0.2))
    first, second = impute(holes, imputations=2, iterations=3, donors=5, seed=7)
    again = impute(holes, imputations=2, iterations=3, donors=5, seed=7)[0]
    pd.testing.assert_frame_equal(first, again)  # deterministic for a seed
    assert first["crp_mg_dl"].notna().all() and first["ecog"].notna().all()
    observed = set(np.round(holes["crp_mg_dl"].dropna(), 9))
    assert set(np.round(first.loc[gone, "crp_mg_dl"], 9)) <= observed  # predictive mean matching draws donors
    assert set(first["ecog"].astype(int)) <= {0, 1, 2, 3, 4}
    kept = ~gone
    assert (first.loc[kept, "crp_mg_dl"] == holes.loc[kept, "crp_mg_dl"]).all()
    assert not first["crp_mg_dl"].equals(second["crp_mg_dl"])  # the imputations differ


def test_variables_apply_only_where_they_apply():
    df = cohort()
    df.loc[df["primary_group"] == "breast", "hormone_dependent"] = pd.NA
    completed = impute(df, imputations=1, iterations=2, donors=3, seed=2)[0]
    breast = completed["primary_group"] == "breast"
    assert completed.loc[breast, "hormone_dependent"].notna().all()
    assert completed.loc[completed["primary_group"] == "kidney", "hormone_dependent"].isna().all()


def test_a_variable_never_recorded_stays_missing_and_so_does_the_score():
    df = cohort()
    df[LABORATORY] = np.nan
    completed = impute(df, imputations=1, iterations=2, donors=3, seed=2)[0]
    assert completed[LABORATORY].isna().all().all()
    scores = per_patient(completed)
    assert scores["katagiri_new"].isna().all() and scores["bauer"].notna().all()


def _kth_distance(missing: np.ndarray, observed: np.ndarray, k: int) -> np.ndarray:
    """Brute force: the k-th smallest |missing_i - observed_j| for every i."""
    return np.sort(np.abs(missing[:, None] - observed[None, :]), axis=1)[:, k - 1]


@pytest.mark.parametrize("seed", range(6))
def test_sorted_search_finds_a_true_set_of_k_nearest_donors(seed):
    """The O(n log n) donor search returns, for every missing case, k distinct donors whose distances are exactly
    the k smallest of all donors (brute force), also with many tied predicted means and at the ends of the range."""
    from analysis.imputation import _nearest_donors

    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 300)), int(rng.integers(1, 200))
    # Half the seeds with heavy ties (few distinct means, as with categorical predictors), half continuous.
    observed = rng.integers(0, 6, n).astype(float) if seed % 2 else rng.normal(size=n)
    missing = np.r_[rng.integers(-2, 8, m).astype(float) if seed % 2 else rng.normal(size=m) * 2, -1e9, 1e9]
    for k in (1, 3, 5, 10):
        if k > n:
            continue
        nearest = _nearest_donors(missing, observed, k)
        assert nearest.shape == (len(missing), k)
        assert all(len(set(row)) == k for row in nearest.tolist())
        distance = np.abs(missing[:, None] - observed[nearest])
        brute = np.sort(np.abs(missing[:, None] - observed[None, :]), axis=1)[:, :k]
        np.testing.assert_array_equal(np.sort(distance, axis=1), brute)
        assert (np.diff(distance, axis=1) >= 0).all()  # in increasing distance


def test_sorted_search_breaks_ties_by_the_lower_mean_then_the_lower_index():
    from analysis.imputation import _nearest_donors

    observed = np.array([3.0, 1.0, 1.0, 5.0, 3.0])
    # 2 is as far from 1 as from 3: the lower mean (1, cases 1 then 2) wins; then 3 (case 0 before case 4).
    assert _nearest_donors(np.array([2.0]), observed, 3).tolist() == [[1, 2, 0]]
    assert _nearest_donors(np.array([4.0]), observed, 3).tolist() == [[0, 4, 3]]


def _large_draw(seed: int, n: int = 400, donors: int = 5):
    from analysis import imputation

    rng = np.random.default_rng(99)
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 2)), rng.integers(0, 3, n)])
    y = np.round(x @ [1.0, 0.5, -0.3, 0.8] + rng.normal(size=n), 1)
    observed = rng.random(n) < 0.6
    return imputation._pmm_draw(np.random.default_rng(seed), x, y, observed, donors), x, y, observed


def test_large_pmm_draws_among_the_k_nearest_deterministically_and_uniformly(monkeypatch):
    """Above PMM_MATRIX_MAX (lowered here) _pmm_draw takes the sorted search: the same seed gives the same values,
    every imputed value is the value of one of the k nearest donors, and each of the k is drawn about equally often
    (chi-square over 4,000 draws for one missing case, fixed seed)."""
    from analysis import imputation

    monkeypatch.setattr(imputation, "PMM_MATRIX_MAX", 0)
    first, x, y, observed = _large_draw(7)
    again, *_ = _large_draw(7)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, _large_draw(8)[0])
    # Replay the rng to find the donor pools the draw used, and check each value against the brute-force pools.
    rng = np.random.default_rng(7)
    varying = np.r_[True, x[observed][:, 1:].std(axis=0) > 0]
    xo, yo = x[observed][:, varying], y[observed]
    xtx = xo.T @ xo
    xtx += 1e-5 * np.diag(np.diag(xtx))
    beta_hat = np.linalg.solve(xtx, xo.T @ yo)
    residual = yo - xo @ beta_hat
    sigma2 = float(residual @ residual) / rng.chisquare(max(len(yo) - xo.shape[1], 1))
    inverse = np.linalg.inv(xtx)
    beta = beta_hat + np.sqrt(sigma2) * np.linalg.cholesky((inverse + inverse.T) / 2) @ rng.standard_normal(xo.shape[1])
    pm, po = x[~observed][:, varying] @ beta, xo @ beta_hat
    kth = _kth_distance(pm, po, 5)
    for i, value in enumerate(first):
        pool = np.abs(pm[i] - po) <= kth[i]
        assert value in set(yo[pool].tolist())

    # Uniform among the k: one missing case, five donors with distinct values, many draws.
    n_obs = 50
    xs = np.column_stack([np.ones(n_obs + 1), np.arange(n_obs + 1, dtype=float)])
    ys = np.arange(n_obs + 1, dtype=float) * 10
    obs = np.ones(n_obs + 1, bool)
    obs[25] = False
    xs[25, 1] = 25.2  # nearest donors 26, 24, 27, 23, 28 (predicted 252; the sixth, 22, is 4 farther than the fifth)
    counts: dict[float, int] = {}
    rng = np.random.default_rng(2024)
    for _ in range(4000):
        value = float(imputation._pmm_draw(rng, xs, ys, obs, 5)[0])
        counts[value] = counts.get(value, 0) + 1
    assert set(counts) == {230.0, 240.0, 260.0, 270.0, 280.0}
    expected = 4000 / 5
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 13.28  # chi-square, 4 df, p = 0.01


def test_pmm_keeps_the_matrix_below_the_threshold(monkeypatch):
    """Up to PMM_MATRIX_MAX cells the donors come from the dense matrix, as in every run up to 10,000 patients (so
    those runs keep their values byte for byte); the sorted search is used only above it."""
    from analysis import imputation

    assert imputation.PMM_MATRIX_MAX >= 5_000 * 5_000  # at most n^2/4 cells: 10,000 patients never leave the matrix
    calls = []
    search = imputation._nearest_donors
    monkeypatch.setattr(imputation, "_nearest_donors", lambda *a: calls.append(1) or search(*a))
    small, *_ = _large_draw(3)
    assert calls == []
    monkeypatch.setattr(imputation, "PMM_MATRIX_MAX", 0)
    large, *_ = _large_draw(3)
    assert calls == [1] and small.shape == large.shape
