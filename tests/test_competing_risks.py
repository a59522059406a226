"""Parity of scripts/competing_risks with R's cmprsk: stored fixtures always, and a live R run where R is installed.

The fixtures in tests/fixtures/competing_risks/ are written by tests/r/competing_risks_fixtures.R (cmprsk cuminc,
Gray's test and crr with gtol 1e-12) on the BMT data of Scrucca et al. 2007, survival's mgus2, MASS's Melanoma, a
synthetic data set with heavy ties and events at time 0, and the hand-worked examples. Tolerances: estimates and
variances 1e-10 absolute, Gray's statistic 1e-8 relative, Fine-Gray coefficients 1e-6, standard errors 1e-5 relative
(competing_risks.parity.TOLERANCES).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from competing_risks import FineGrayConvergenceWarning, aalen_johansen, fine_gray
from competing_risks.parity import (
    crr_convergence_rows,
    crr_rows,
    cuminc_rows,
    datasets,
    gray_rows,
    parity_table,
    read_data,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "competing_risks"
R_SCRIPT = ROOT / "tests" / "r" / "competing_risks_fixtures.R"
EXPECTED_DATASETS = [
    "bmt",
    "gray_cif_one",
    "hand_cif",
    "hand_fg",
    "hand_fg_censored",
    "hand_gray",
    "joint_monotone_fg",
    "melanoma",
    "mgus2",
    "monotone_fg",
    "synthetic",
]
R_PACKAGES = "r-base-core r-cran-survival r-cran-cmprsk r-cran-mass"


def assert_within_tolerance(rows: list[dict]) -> None:
    table = pd.DataFrame(rows)
    failed = table[~table["ok"]]
    assert failed.empty, "outside tolerance:\n" + failed.to_string(index=False)


def test_fixtures_cover_every_data_set():
    assert datasets(FIXTURES) == EXPECTED_DATASETS
    for name in ["bmt", "melanoma", "mgus2", "synthetic"]:
        for kind in ["cuminc", "gray", "crr"]:
            assert (FIXTURES / f"{name}_{kind}.csv").is_file(), f"{name}_{kind}.csv"


def test_fixtures_record_the_r_versions():
    versions = dict(pd.read_csv(FIXTURES / "versions.csv").itertuples(index=False))
    for package in ["R", "survival", "cmprsk", "MASS", "debian:r-cran-cmprsk"]:
        assert isinstance(versions.get(package), str) and versions[package][0].isdigit(), package


@pytest.mark.parametrize("name", EXPECTED_DATASETS)
def test_cumulative_incidence_matches_cuminc(name):
    """Estimate, variance and CI at every observed time, between times and beyond the last, per group and cause."""
    assert_within_tolerance(cuminc_rows(FIXTURES, name))


@pytest.mark.parametrize("name", ["bmt", "gray_cif_one", "hand_gray", "melanoma", "mgus2", "monotone_fg", "synthetic"])
def test_gray_test_matches_cuminc(name):
    """Unstratified and stratified, rho 0, 0.5 and 1, both causes."""
    assert_within_tolerance(gray_rows(FIXTURES, name))


@pytest.mark.parametrize(
    "name", ["bmt", "hand_fg", "hand_fg_censored", "melanoma", "mgus2", "monotone_fg", "synthetic"]
)
def test_fine_gray_matches_crr(name):
    assert_within_tolerance(crr_rows(FIXTURES, name))


def pooled_incidence_before(data: pd.DataFrame, cause: int = 1) -> list[float]:
    """Gray's pooled F(t-) at each event time, F(t) = F(t-) + D1 / sum_k n_k / S_k(t-), written out plainly."""
    survival = dict.fromkeys(data["group"].unique(), 1.0)
    pooled, before = 0.0, []
    for t in sorted(data.loc[data["event"] > 0, "time"].unique()):
        at_risk = data[data["time"] >= t]
        h_total = sum(len(part) / survival[g] for g, part in at_risk.groupby("group"))
        before.append(pooled)
        pooled += ((data["time"] == t) & (data["event"] == cause)).sum() / h_total
        for g, part in at_risk.groupby("group"):
            survival[g] *= 1 - ((part["time"] == t) & (part["event"] > 0)).sum() / len(part)
    return before


def test_gray_cif_one_data_reach_a_pooled_incidence_of_one():
    """The fixture exercises the case of issue 16: unstratified F(t-) passes 1; in stratum s2 it is exactly 1."""
    data = read_data(FIXTURES, "gray_cif_one")
    assert max(pooled_incidence_before(data)) > 1
    assert 1.0 in pooled_incidence_before(data[data["strata"] == "s2"])
    assert pd.read_csv(FIXTURES / "gray_cif_one_gray.csv")["statistic"].notna().all()  # cuminc's are finite


def test_fine_gray_convergence_flag_matches_crr_on_a_monotone_likelihood():
    """Arm 1 has no events of cause 1: crr (defaults) reports converged FALSE and so do we, with arm not estimable.

    crr with gtol 1e-12 meets its score criterion at arm ~ -30.7 and says TRUE (recorded in the fixture); that fit
    is the false convergence the divergence check catches. The age coefficient beside it equals crr's.
    """
    assert_within_tolerance(crr_convergence_rows(FIXTURES, "monotone_fg"))
    reference = pd.read_csv(FIXTURES / "monotone_fg_crr_convergence.csv")
    assert not reference[reference["settings"] == "default"]["crr_converged"].any()
    assert reference[reference["settings"] == "strict"]["crr_converged"].all()
    assert (reference.loc[reference["term"] == "arm", "coef"] < -10).all()
    data = read_data(FIXTURES, "monotone_fg")
    with pytest.warns(FineGrayConvergenceWarning, match="'arm'"):
        fit = fine_gray(data["time"], data["event"], data[["arm", "age"]], cause=1)
    assert not fit.converged and fit.estimable.to_dict() == {"arm": False, "age": True}
    assert fit.summary.loc["arm"].isna().all()


def test_fine_gray_flags_coefficients_that_diverge_together_where_crr_does_not_converge():
    """No event of cause 1 in the cell a = 0, b = 0 of two factors with their product: crr (defaults) reports
    converged FALSE with a, b and a_x_b growing together (+, +, -); with gtol 1e-12 it stops at |coef| ~ 29 and says
    TRUE. We report not converged and all three not estimable (the check through the information's flat direction:
    pushed one at a time, none of them raises the likelihood)."""
    reference = pd.read_csv(FIXTURES / "joint_monotone_fg_crr_convergence.csv").set_index(["settings", "term"])
    assert not reference.loc["default", "crr_converged"].any() and reference.loc["strict", "crr_converged"].all()
    strict = reference.loc["strict", "coef"]
    assert strict["a"] > 10 and strict["b"] > 10 and strict["a_x_b"] < -10
    data = read_data(FIXTURES, "joint_monotone_fg")
    with pytest.warns(FineGrayConvergenceWarning, match="'a_x_b' \\(towards -infinity"):
        fit = fine_gray(data["time"], data["event"], data[["a", "b", "a_x_b"]], cause=1)
    assert not fit.converged and not fit.estimable.any() and fit.summary.isna().all().all()


def test_default_rows_are_the_distinct_observed_times():
    """Without ``times`` the rows are the distinct observed times; they equal cuminc read at those times."""
    data = pd.read_csv(FIXTURES / "mgus2_data.csv")
    reference = pd.read_csv(FIXTURES / "mgus2_cuminc.csv", dtype={"group": str})
    reference = reference[(reference["grouping"] == "none") & (reference["cause"] == 1)].set_index("time")
    ours = aalen_johansen(data["time"], data["event"], cause=1)
    assert ours["time"].tolist() == sorted(data["time"].unique().tolist())
    expected = reference.loc[ours["time"]]
    np.testing.assert_allclose(ours["estimate"], expected["estimate"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours["variance"], expected["variance"], rtol=0, atol=1e-10)


def test_bmt_published_cumulative_incidence_at_72_months():
    """Scrucca et al. 2007: CIF at 72 months 0.27283899 (cause 1) and 0.48126955 (cause 2); two events at t = 0."""
    data = pd.read_csv(FIXTURES / "bmt_data.csv")
    assert len(data) == 35 and ((data["time"] == 0) & (data["event"] > 0)).sum() == 2
    cause1 = aalen_johansen(data["time"], data["event"], cause=1, times=[72.0])
    cause2 = aalen_johansen(data["time"], data["event"], cause=2, times=[72.0])
    assert cause1["estimate"].iloc[0] == pytest.approx(0.27283899, abs=5e-9)
    assert cause2["estimate"].iloc[0] == pytest.approx(0.48126955, abs=5e-9)
    # The events at time 0 count: the curve jumps at 0 (lifelines drops such an event).
    assert aalen_johansen(data["time"], data["event"], cause=1)["estimate"].iloc[0] == pytest.approx(1 / 35)


def test_lifelines_jitter_misses_the_exact_value_ours_does_not():
    """lifelines' AalenJohansenFitter breaks ties by random jitter: its 72-month CIF on BMT depends on the seed.

    Ours is exact and equals R's cuminc (the fixture); lifelines' differs by more than 1e-6 for some seed.
    """
    lifelines = pytest.importorskip("lifelines")
    data = pd.read_csv(FIXTURES / "bmt_data.csv")
    reference = pd.read_csv(FIXTURES / "bmt_cuminc.csv", dtype={"group": str})
    exact = reference[(reference["grouping"] == "none") & (reference["cause"] == 1) & (reference["time"] == 72)][
        "estimate"
    ].iloc[0]
    ours = aalen_johansen(data["time"], data["event"], cause=1, times=[72.0])["estimate"].iloc[0]
    assert abs(ours - exact) <= 1e-10

    state = np.random.get_state()  # lifelines reseeds numpy's global generator
    try:
        lifelines_values = []
        for seed in range(5):
            with pytest.warns(Warning):  # it warns that it is jittering tied times
                fitter = lifelines.AalenJohansenFitter(calculate_variance=True, seed=seed)
                fitter.fit(data["time"], data["event"], event_of_interest=1)
            lifelines_values.append(float(fitter.cumulative_density_.loc[:72.0].iloc[-1, 0]))
    finally:
        np.random.set_state(state)
    distances = np.abs(np.array(lifelines_values) - exact)
    assert distances.max() > 1e-6, lifelines_values
    assert len(set(np.round(lifelines_values, 12))) > 1, "lifelines' answer should depend on the jitter seed"


def test_live_r_run_reproduces_the_fixtures(tmp_path):
    """Re-run the R script into a temporary folder and compare the package with that live output.

    Runs wherever Rscript is on PATH. Without R: fails when CI is set (CI installs R from Debian), else skips.
    """
    rscript = shutil.which("Rscript")
    if rscript is None:
        if os.environ.get("CI"):
            pytest.fail(f"Rscript is not on PATH but CI is set: CI installs R ({R_PACKAGES}) for this test")
        pytest.skip(f"Rscript not on PATH (apt-get install {R_PACKAGES}); the stored fixtures are still compared")
    completed = subprocess.run([rscript, str(R_SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "cmprsk" in completed.stdout and "R version" in completed.stdout  # the script prints its versions

    assert datasets(tmp_path) == EXPECTED_DATASETS
    table = parity_table(tmp_path)
    failed = table[~table["ok"]]
    assert failed.empty, "live R run, outside tolerance:\n" + failed.to_string(index=False)

    # With the same R and packages the stored fixtures must be what the script writes now (they are not stale).
    stored_versions = pd.read_csv(FIXTURES / "versions.csv")
    live_versions = pd.read_csv(tmp_path / "versions.csv")
    if stored_versions.equals(live_versions):
        for path in sorted(FIXTURES.glob("*.csv")):
            stored, live = pd.read_csv(path), pd.read_csv(tmp_path / path.name)
            pd.testing.assert_frame_equal(stored, live, check_exact=False, rtol=1e-12, atol=1e-15, obj=path.name)
