"""Hand-worked examples (the arithmetic is in each docstring, to check on paper) and the input checks.

The same small data sets are in the R fixtures (hand_cif, hand_gray, hand_fg, hand_fg_censored), so the paper
arithmetic is also checked against cmprsk by tests/test_competing_risks.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from competing_risks import FineGrayConvergenceWarning, aalen_johansen, fine_gray, gray_test

# ---------------------------------------------------------------------------------------------------------------
# Cumulative incidence

HAND_TIME = [1.0, 2.0, 3.0, 4.0]
HAND_EVENT = [1, 2, 0, 1]


def test_hand_cumulative_incidence_cause_1():
    """Times 1 (cause 1), 2 (cause 2), 3 (censored), 4 (cause 1).

    t=1: n=4, d1=1. S- = 1, F = 0 + 1*1/4 = 1/4, S = 3/4.
         t6 = 1^2 * 1 * 1/16 = 1/16, t3 = 1/S = 4/3, t4 = 1 + t3 F = 4/3.
         v1 = t6 t4^2 = 1/9, v2 = t6 t3 t4 = 1/9, v3 = t6 t3^2 = 1/9.
         Var = v1 + F^2 v3 - 2 F v2 = 1/9 (1 + 1/16 - 1/2) = 1/16.
    t=2: n=3, d2=1 (other cause). S- = 3/4, S = 1/2, F stays 1/4.
         t6 = (9/16) * 1/9 = 1/16, t3 = 2, t4 = t3 F = 1/2.
         v1 += 1/64, v2 += 1/16, v3 += 1/4. The variance is not reported here: it stays 1/16.
    t=3: censored, nothing changes: F = 1/4, Var = 1/16.
    t=4: n=1, d1=1. S- = 1/2, F = 1/4 + 1/2 = 3/4, S = 0, so t3 = 0, t4 = 1, t6 = (1/4) * 1/1 = 1/4.
         v1 = 1/9 + 1/64 + 1/4 = 217/576, v2 = 1/9 + 1/16 = 100/576, v3 = 1/9 + 1/4 = 208/576.
         Var = 217/576 + (9/16)(208/576) - (3/2)(100/576) = (217 + 117 - 150)/576 = 184/576 = 23/72.
    """
    result = aalen_johansen(HAND_TIME, HAND_EVENT, cause=1)
    assert list(result.columns) == ["time", "estimate", "variance", "lower", "upper"]
    np.testing.assert_allclose(result["time"], [1, 2, 3, 4])
    np.testing.assert_allclose(result["estimate"], [1 / 4, 1 / 4, 1 / 4, 3 / 4], rtol=0, atol=1e-15)
    np.testing.assert_allclose(result["variance"], [1 / 16, 1 / 16, 1 / 16, 23 / 72], rtol=0, atol=1e-15)


def test_hand_cumulative_incidence_cause_2():
    """Same data, cause 2 of interest (cause 1 now competes).

    t=1: n=4, the other cause. F = 0, S = 3/4; t6 = 1/16, t3 = 4/3, t4 = t3 F = 0: v3 += (1/16)(16/9) = 1/9.
    t=2: n=3, d1=1. S- = 3/4, F = (3/4)(1/3) = 1/4, S = 1/2; t6 = (9/16)/9 = 1/16, t3 = 2, t4 = 1 + 2/4 = 3/2:
         v1 = (1/16)(9/4) = 9/64, v2 = (1/16)(2)(3/2) = 3/16, v3 = 1/9 + 1/4 = 13/36.
         Var = 9/64 + (1/16)(13/36) - 2 (1/4)(3/16) = (81 + 13 - 54)/576 = 40/576 = 5/72.
    """
    result = aalen_johansen(HAND_TIME, HAND_EVENT, cause=2)
    np.testing.assert_allclose(result["estimate"], [0, 1 / 4, 1 / 4, 1 / 4], rtol=0, atol=1e-15)
    np.testing.assert_allclose(result["variance"], [0, 5 / 72, 5 / 72, 5 / 72], rtol=0, atol=1e-15)


def test_hand_log_log_interval():
    """F = 1/4, Var = 1/16, z = 1.959964: scale = sqrt(V)/(F log F) = 0.25/(0.25 log 0.25) = -1/log 4 = -0.7213.

    lower = F^exp(-z scale) = 0.25^exp(1.41382) = 0.25^4.11161 = exp(-1.386294 * 4.11161) = 0.0033463 and
    upper = F^exp(z scale) = 0.25^exp(-1.41382) = 0.25^0.243214 = exp(-0.337164) = 0.71379. Where F is 0 (or 1)
    both limits equal F.
    """
    result = aalen_johansen(HAND_TIME, HAND_EVENT, cause=1, times=[0.5, 1.0])
    z = 1.959963984540054
    scale = -1 / math.log(4)
    assert result["lower"].iloc[1] == pytest.approx(0.25 ** math.exp(-z * scale), rel=1e-14)
    assert result["upper"].iloc[1] == pytest.approx(0.25 ** math.exp(z * scale), rel=1e-14)
    assert result["lower"].iloc[1] == pytest.approx(0.0033463, abs=1e-7)
    assert result["upper"].iloc[1] == pytest.approx(0.71379, abs=1e-5)
    assert result.iloc[0][["estimate", "variance", "lower", "upper"]].tolist() == [0.0, 0.0, 0.0, 0.0]
    wider = aalen_johansen(HAND_TIME, HAND_EVENT, cause=1, times=[1.0], conf_level=0.99)
    assert wider["lower"].iloc[0] < result["lower"].iloc[1] and wider["upper"].iloc[0] > result["upper"].iloc[1]


def test_reading_at_times_is_the_step_function():
    """Value at the last time <= t: 0 before the first time, the jump counts at its own time, NaN after the end."""
    result = aalen_johansen(HAND_TIME, HAND_EVENT, cause=1, times=[0.0, 0.999, 1.0, 3.999, 4.0, 4.001])
    np.testing.assert_allclose(result["estimate"], [0, 0, 0.25, 0.25, 0.75, np.nan], atol=1e-15)
    np.testing.assert_allclose(result["variance"], [0, 0, 1 / 16, 1 / 16, 23 / 72, np.nan], atol=1e-15)
    np.testing.assert_allclose(result["time"], [0.0, 0.999, 1.0, 3.999, 4.0, 4.001])


def test_ties_events_before_censorings_and_events_at_time_zero():
    """At a tied time the events come first: a censoring at t is still at risk at t.

    Times 0 (cause 1), 2 (cause 1), 2 (censored), 2 (cause 2), 5 (cause 1).
    t=0: n=5, d1=1: F = 1/5, S = 4/5.  t=2: n=4 (the censoring at 2 is at risk), d1=1, d2=1:
    F = 1/5 + (4/5)(1/4) = 2/5, S = (4/5)(2/4) = 2/5.  t=5: n=1: F = 2/5 + 2/5 = 4/5.
    If the censoring at 2 were removed before the events (n=3 at t=2), F(2) would be 1/5 + (4/5)/3 = 7/15.
    """
    result = aalen_johansen([0, 2, 2, 2, 5], [1, 1, 0, 2, 1], cause=1)
    np.testing.assert_allclose(result["time"], [0, 2, 5])
    np.testing.assert_allclose(result["estimate"], [1 / 5, 2 / 5, 4 / 5], rtol=0, atol=1e-15)
    # The order of the records does not matter.
    shuffled = aalen_johansen([2, 5, 2, 0, 2], [0, 1, 2, 1, 1], cause=1)
    pd.testing.assert_frame_equal(result, shuffled)


def test_tie_factor_of_the_variance():
    """Two cause-1 events tied at t=1 among n=2: the tie factor t5 = 1 - (2-1)/(2-1) = 0 makes Var = 0.

    (F = 1, S = 0: t3 = 0, t4 = 1, t6 = 1 * 0 * 2/4 = 0.) Without the factor the variance would be 1/2.
    """
    result = aalen_johansen([1, 1], [1, 1], cause=1)
    assert result["estimate"].tolist() == [1.0]
    assert result["variance"].tolist() == [0.0]


def test_cause_without_events_gives_zero_incidence():
    result = aalen_johansen([1, 2, 3], [2, 0, 2], cause=1)
    assert (result["estimate"] == 0).all() and (result["variance"] == 0).all()


# ---------------------------------------------------------------------------------------------------------------
# Gray's test


def test_hand_gray_score():
    """Group a: 1 (cause 1), 2 (censored), 3 (cause 1); group b: 1 (cause 2), 2 (cause 1), 3 (censored). rho = 0.

    Score for group a: s = sum_t (d1_a - D1 R_a / (R_a + R_b)), R_k = n_k (1 - F_k(t-)) / S_k(t-).
    t=1: n = 3, 3; S- = 1, 1; F- = 0, 0: R = 3, 3. d1_a = 1, D1 = 1: s += 1 - 3/6 = 1/2.
         After: S_a = 2/3, F_a = 1/3; S_b = 2/3 (its cause 2 event), F_b = 0.
    t=2: n = 2, 2: R_a = 2 (1 - 1/3)/(2/3) = 2, R_b = 2/(2/3) = 3. d1_b = 1: s += 0 - 2/5 = -2/5.
         After: S_a = 2/3 (a censoring), F_a = 1/3; S_b = (2/3)(1/2) = 1/3, F_b = (2/3)(1/2) = 1/3.
    t=3: n = 1, 1: R_a = (2/3)/(2/3) = 1, R_b = (2/3)/(1/3) = 2. d1_a = 1: s += 1 - 1/3 = 2/3.
    s = 1/2 - 2/5 + 2/3 = 23/30. With two groups the statistic is s^2 / V on 1 degree of freedom; V (cmprsk's
    variance, in the R fixture hand_gray) is checked by tests/test_competing_risks.py.
    """
    result = gray_test([1, 2, 3, 1, 2, 3], [1, 0, 1, 2, 1, 0], ["a", "a", "a", "b", "b", "b"], cause=1)
    assert result.score.tolist() == pytest.approx([23 / 30], abs=1e-15)
    assert result.df == 1 and result.groups == ("a", "b")
    assert result.statistic == pytest.approx(result.score[0] ** 2 / result.variance[0, 0], rel=1e-14)
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(result.statistic / 2)), rel=1e-12)


def test_gray_test_does_not_depend_on_group_labels_or_order():
    rng = np.random.default_rng(3)
    n = 300
    time = rng.integers(0, 20, n).astype(float)
    event = rng.integers(0, 3, n)
    group = rng.choice(["x", "y", "z"], n)
    base = gray_test(time, event, group)
    relabelled = gray_test(time, event, pd.Series(group).map({"x": "c", "y": "a", "z": "b"}))
    order = rng.permutation(n)
    permuted = gray_test(time[order], event[order], group[order])
    assert relabelled.statistic == pytest.approx(base.statistic, rel=1e-10)
    assert permuted.statistic == pytest.approx(base.statistic, rel=1e-10)
    assert base.df == 2


def test_gray_strata_add_up():
    """With strata, scores and variances are the sums of the per-stratum ones."""
    rng = np.random.default_rng(5)
    n = 200
    time = rng.integers(0, 15, n).astype(float)
    event = rng.integers(0, 3, n)
    group = rng.choice(["a", "b"], n)
    strata = rng.choice(["s", "t"], n)
    stratified = gray_test(time, event, group, strata=strata)
    parts = [gray_test(time[strata == s], event[strata == s], group[strata == s]) for s in ["s", "t"]]
    assert stratified.score[0] == pytest.approx(sum(part.score[0] for part in parts), rel=1e-12)
    assert stratified.variance[0, 0] == pytest.approx(sum(part.variance[0, 0] for part in parts), rel=1e-12)
    assert stratified.n_strata == 2


# ---------------------------------------------------------------------------------------------------------------
# Fine-Gray


def test_hand_fine_gray_no_censoring():
    """Records (time, event, x): (1, 1, 1), (1.5, 2, 1), (2, 1, 0), (3, 1, 1). No censoring, so G = 1, psi = 0.

    With y = exp(beta), the subject failing from cause 2 at 1.5 stays in the risk sets after 1.5 with weight 1:
      t=1: S0 = 3y + 1 (all four), x_bar = p1 = 3y/(3y + 1);
      t=2: S0 = 2y + 1 (x=0 at 2, x=1 at 3, the cause-2 subject), x_bar = p2 = 2y/(2y + 1);
      t=3: S0 = 2y, x_bar = 1.
    Score: U = (1 + 0 + 1) - (p1 + p2 + 1) = 1 - p1 - p2 = 0  <=>  (3y+1)(2y+1) = 3y(2y+1) + 2y(3y+1)  <=>
    6y^2 + 5y + 1 = 12y^2 + 5y  <=>  y^2 = 1/6:  beta = -log(6)/2 = -0.895880.
    Information: I = p1(1 - p1) + p2(1 - p2) + 0 = 2 p1 p2 (as p2 = 1 - p1) = 2/(6y^2 + 5y + 1) = 2/(2 + 5y).
    Sandwich: eta_1 = (1 - p1)(1 - y/(3y+1)) = (1 - p1)(2y+1)/(3y+1), eta_3 = -p2 + p1/(3y+1) + p2/(2y+1),
    eta_2 = eta_4 = -y [(1 - p1)/(3y+1) + (1 - p2)/(2y+1)];  Var = sum eta_i^2 / I^2, se = 0.951622.
    """
    time, event, x = [1, 1.5, 2, 3], [1, 2, 1, 1], [1.0, 1.0, 0.0, 1.0]
    fit = fine_gray(time, event, x)
    y = 1 / math.sqrt(6)
    p1, p2 = 3 * y / (3 * y + 1), 2 * y / (2 * y + 1)
    information = 2 / (2 + 5 * y)
    eta = [
        (1 - p1) * (2 * y + 1) / (3 * y + 1),
        -y * ((1 - p1) / (3 * y + 1) + (1 - p2) / (2 * y + 1)),
        -p2 + p1 / (3 * y + 1) + p2 / (2 * y + 1),
        -y * ((1 - p1) / (3 * y + 1) + (1 - p2) / (2 * y + 1)),
    ]
    # Converged to crr's criterion |U| < 1e-12 |loglik| (the R fixture has the same -0.89587973461784).
    assert fit.coef["x1"] == pytest.approx(-math.log(6) / 2, abs=1e-10)
    assert fit.information.iloc[0, 0] == pytest.approx(information, rel=1e-10)
    assert fit.se["x1"] == pytest.approx(math.sqrt(sum(e * e for e in eta)) / information, rel=1e-10)
    assert fit.se["x1"] == pytest.approx(0.951622, abs=1e-6)
    assert fit.converged and fit.n == 4 and fit.n_events == 3


def test_hand_fine_gray_with_censoring_weights():
    """Add a censoring at 2.5 (x = 0): G(t-) = 1 up to 2.5 and G(3-) = 1 - 1/2 = 1/2 (two at risk at 2.5).

    At t=3 the cause-2 subject (failed at 1.5) carries weight G(3-)/G(1.5-) = 1/2: S0 = y + y/2 = 3y/2, x_bar = 1.
    At t=1 S0 = 3y + 2 (five subjects, two with x = 0), at t=2 S0 = 2y + 2. Score:
    U = 2 - 3y/(3y+2) - 2y/(2y+2) - 1 = 0  <=>  (3y+2)(2y+2) = 3y(2y+2) + 2y(3y+2)  <=>  6y^2 = 4:
    y^2 = 2/3, beta = log(2/3)/2 = -0.202733 (crr: -0.20273255, the hand_fg_censored fixture).
    """
    fit = fine_gray([1, 1.5, 2, 3, 2.5], [1, 2, 1, 1, 0], pd.DataFrame({"x": [1.0, 1.0, 0.0, 1.0, 0.0]}))
    assert fit.coef["x"] == pytest.approx(math.log(2 / 3) / 2, abs=1e-10)
    assert list(fit.summary.index) == ["x"]


def test_fine_gray_summary_columns():
    fit = fine_gray([1, 1.5, 2, 3, 2.5], [1, 2, 1, 1, 0], pd.DataFrame({"x": [1.0, 1.0, 0.0, 1.0, 0.0]}))
    row = fit.summary.loc["x"]
    assert list(fit.summary.columns) == [
        "coef",
        "exp(coef)",
        "se(coef)",
        "z",
        "p",
        "coef lower 95%",
        "coef upper 95%",
        "exp(coef) lower 95%",
        "exp(coef) upper 95%",
    ]
    assert row["exp(coef)"] == pytest.approx(math.exp(row["coef"]))
    assert row["z"] == pytest.approx(row["coef"] / row["se(coef)"])
    assert row["p"] == pytest.approx(math.erfc(abs(row["z"]) / math.sqrt(2)))
    assert row["exp(coef) lower 95%"] == pytest.approx(math.exp(row["coef"] - 1.959963984540054 * row["se(coef)"]))


def test_fine_gray_is_invariant_to_covariate_shift_and_record_order():
    rng = np.random.default_rng(11)
    n = 400
    x = rng.normal(size=(n, 2))
    time = rng.integers(0, 30, n).astype(float)
    event = rng.integers(0, 3, n)
    base = fine_gray(time, event, x)
    shifted = fine_gray(time, event, x + [100.0, -50.0])
    order = rng.permutation(n)
    permuted = fine_gray(time[order], event[order], x[order])
    np.testing.assert_allclose(shifted.coef, base.coef, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(shifted.se, base.se, rtol=1e-9)
    np.testing.assert_allclose(permuted.coef, base.coef, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(permuted.se, base.se, rtol=1e-10)
    assert shifted.loglik == pytest.approx(base.loglik, rel=1e-10)


def test_fine_gray_monotone_likelihood_warns():
    """All cause-1 events in the x = 1 group before any x = 0 subject fails: beta -> infinity, no convergence."""
    time = [1, 2, 3, 4, 5, 6, 7, 8]
    event = [1, 1, 1, 0, 0, 2, 0, 0]
    x = [1, 1, 1, 0, 0, 0, 0, 1]
    with pytest.warns(FineGrayConvergenceWarning):
        fit = fine_gray(time, event, x, max_iter=15)
    assert not fit.converged


def test_fine_gray_arm_without_events_is_not_estimable():
    """Arm 1 has no events of cause 1 (only competing events and censorings): beta_arm -> -infinity.

    crr's score criterion alone is met at beta ~ -30 (HR 1e-13, p = 0); the fit must instead say that it did not
    converge, name the covariate, and report the coefficient as not estimable (NaN HR, CI and p). The other
    covariate stays estimable, with a finite standard error.
    """
    rng = np.random.default_rng(16)
    n = 120
    arm = np.repeat([0.0, 1.0], n // 2)
    age = rng.normal(size=n).round(1)
    time = rng.integers(1, 40, n).astype(float)
    event = rng.choice([0, 1, 1, 2], n)
    event[(arm == 1) & (event == 1)] = 2
    covariates = pd.DataFrame({"arm": arm, "age": age})
    with pytest.warns(FineGrayConvergenceWarning, match=r"'arm' \(towards -infinity") as caught:
        fit = fine_gray(time, event, covariates)
    assert "age" not in str(caught[0].message)
    assert not fit.converged
    assert fit.estimable.to_dict() == {"arm": False, "age": True}
    assert fit.summary.loc["arm"].isna().all()
    assert np.isnan(fit.coef["arm"]) and np.isnan(fit.se["arm"]) and fit.variance.loc["arm"].isna().all()
    assert np.isfinite(fit.summary.loc["age"]).all() and fit.se["age"] > 0
    with pytest.warns(FineGrayConvergenceWarning, match="'x1'"):
        single = fine_gray(time, event, arm)  # array input: named x1
    assert np.isnan(single.coef.iloc[0])


def two_factor_cells(events_in_reference_cell: int):
    """Two binary factors and their product, 12 subjects per cell, times 1..12 in each. Every cell but the
    reference (a = 0, b = 0) has cause-1 events (times 2, 5, 8, 11) and competing events (3, 9); the reference cell
    has `events_in_reference_cell` cause-1 events at its earliest times and competing events otherwise."""
    rows = []
    for a in (0, 1):
        for b in (0, 1):
            for t in range(1, 13):
                if (a, b) == (0, 0):
                    event = 1 if t <= events_in_reference_cell else (2 if t % 3 == 0 else 0)
                else:
                    event = 1 if t % 3 == 2 else (2 if t % 6 == 3 else 0)
                rows.append((float(t) + 0.1 * (2 * a + b), event, a, b))
    frame = pd.DataFrame(rows, columns=["time", "event", "a", "b"])
    covariates = frame[["a", "b"]].assign(a_x_b=frame["a"] * frame["b"]).astype(float)
    return frame["time"].to_numpy(), frame["event"].to_numpy(), covariates


def test_fine_gray_detects_coefficients_that_diverge_together():
    """A cell of two factors without events: a, b go to +infinity and a x b to -infinity together, so that the
    other three cells stay finite against each other. No coefficient diverges alone (pushing one lowers the
    likelihood), yet the fit is not finite: converged is False, a warning names them, and they are NaN."""
    time, event, covariates = two_factor_cells(events_in_reference_cell=0)
    with pytest.warns(FineGrayConvergenceWarning, match="'a_x_b' \\(towards -infinity"):
        fit = fine_gray(time, event, covariates)
    assert not fit.converged
    assert not fit.estimable.any()
    assert fit.coef.isna().all() and fit.se.isna().all()


def test_fine_gray_two_factors_with_events_in_every_cell_converge():
    """The same design with one event in the reference cell has a finite maximum: nothing is called divergent."""
    time, event, covariates = two_factor_cells(events_in_reference_cell=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FineGrayConvergenceWarning)
        fit = fine_gray(time, event, covariates)
    assert fit.converged and fit.estimable.all()
    assert np.isfinite(fit.se).all() and fit.coef["a"] > 0.5


def test_fine_gray_large_finite_effect_is_not_called_divergent():
    """A strong but finite effect of a covariate with a wide range (|beta| range(x) > 10) converges normally."""
    rng = np.random.default_rng(4)
    n = 400
    dose = rng.uniform(0, 10, n)
    cause_1 = rng.exponential(1 / (0.1 * np.exp(1.5 * dose)))
    cause_2, censoring = rng.exponential(10, n), rng.uniform(0, 20, n)
    time = np.minimum(np.minimum(cause_1, cause_2), censoring)
    event = np.where(censoring == time, 0, np.where(cause_1 == time, 1, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FineGrayConvergenceWarning)
        fit = fine_gray(time, event, pd.DataFrame({"dose": dose}))
    assert fit.converged and fit.estimable["dose"]
    assert abs(fit.coef["dose"]) * (dose.max() - dose.min()) > 10  # the divergence check did run


# ---------------------------------------------------------------------------------------------------------------
# Input checks


@pytest.mark.parametrize(
    ("time", "event", "message"),
    [
        ([1.0, -2.0, 3.0], [1, 0, 2], "negative"),
        ([1.0, np.nan, 3.0], [1, 0, 2], "missing"),
        ([1.0, np.inf, 3.0], [1, 0, 2], "infinite"),
        ([1.0, 2.0, 3.0], [1, np.nan, 2], "missing"),
        ([1.0, 2.0, 3.0], [1, -1, 2], "unknown code"),
        ([1.0, 2.0, 3.0], [1, 1.5, 2], "unknown code"),
        ([1.0, 2.0, 3.0], [1, 0], "different lengths"),
        ([], [], "empty"),
        (["a", "b"], [1, 0], "numeric"),
        (pd.Series([1.0, None, 2.0]), [1, 0, 1], "missing"),
    ],
)
def test_invalid_time_and_event_are_rejected(time, event, message):
    for call in (
        lambda: aalen_johansen(time, event),
        lambda: gray_test(time, event, ["a", "b", "a"][: len(event)] if len(event) else []),
        lambda: fine_gray(time, event, np.arange(len(event), dtype=float)),
    ):
        with pytest.raises(ValueError, match=message):
            call()


@pytest.mark.parametrize("cause", [0, -1, 1.5, "1", True])
def test_invalid_cause_is_rejected(cause):
    with pytest.raises(ValueError, match="cause must be a positive integer"):
        aalen_johansen([1, 2], [1, 0], cause=cause)


def test_invalid_times_to_read_are_rejected():
    with pytest.raises(ValueError, match="times has 1 negative"):
        aalen_johansen([1, 2], [1, 0], times=[-1.0, 2.0])
    with pytest.raises(ValueError, match="times has 1 missing"):
        aalen_johansen([1, 2], [1, 0], times=[np.nan])


def test_gray_input_checks():
    with pytest.raises(ValueError, match="at least two groups"):
        gray_test([1, 2, 3], [1, 0, 2], ["a", "a", "a"])
    with pytest.raises(ValueError, match="group has 1 missing"):
        gray_test([1, 2, 3], [1, 0, 2], ["a", None, "b"])
    with pytest.raises(ValueError, match="different lengths"):
        gray_test([1, 2, 3], [1, 0, 2], ["a", "b"])
    with pytest.raises(ValueError, match="strata has 1 missing"):
        gray_test([1, 2, 3], [1, 0, 2], ["a", "b", "a"], strata=["s", np.nan, "s"])


def test_fine_gray_input_checks():
    time, event = [1, 2, 3, 4, 5, 6], [1, 2, 1, 0, 1, 2]
    with pytest.raises(ValueError, match="singular design.*constant"):
        fine_gray(time, event, np.column_stack([np.arange(6.0), np.ones(6)]))
    with pytest.raises(ValueError, match="singular design.*collinear"):
        fine_gray(time, event, np.column_stack([np.arange(6.0), 2 * np.arange(6.0) + 1]))
    with pytest.raises(ValueError, match="no events of cause 3"):
        fine_gray(time, event, np.arange(6.0), cause=3)
    with pytest.raises(ValueError, match="too few events of cause 1: 3 for 3 covariate"):
        fine_gray(time, event, np.random.default_rng(0).normal(size=(6, 3)))
    with pytest.raises(ValueError, match="covariates have 1 missing"):
        fine_gray(time, event, pd.DataFrame({"age": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0]}))
    with pytest.raises(ValueError, match="non-numeric column"):
        fine_gray(time, event, pd.DataFrame({"sex": list("mfmfmf")}))
    with pytest.raises(ValueError, match="different lengths"):
        fine_gray(time, event, np.arange(5.0))
