"""The Cox fit (scripts/competing_risks/cox.py) against R's survival::coxph with its default control, from the
fixtures of tests/r/cox_fixtures.R (a hand example with ties, survival::lung, lung split into counting-process rows,
the twin's multivariable model, its time-split model, a monotone likelihood and the ridge model), and against
partial likelihoods worked on paper."""

import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import factors
from analysis.data import covariate_frame
from analysis.selection import model_data
from competing_risks.cox import coxph

FIXTURES = Path(__file__).parent / "fixtures" / "cox"
ANALYSIS_TABLE = Path(__file__).parent / "fixtures" / "analysis" / "analysis_table.tsv"
R_SCRIPT = Path(__file__).parent / "r" / "cox_fixtures.R"
COEF_TOLERANCE = 1e-8
CASES = {
    "hand": ["x1", "x2"],
    "lung": ["age", "sex", "ph_ecog"],
    "lung_split": ["age", "sex_before", "sex_after"],
    "twin": ["osteosynthesis", "kidney_primary", "modified_bauer_score", "pathological_fracture"],
    "twin_split": [
        "kidney_primary",
        "modified_bauer_score",
        "pathological_fracture",
        "osteosynthesis_before",
        "osteosynthesis_after",
    ],
}
FOUR = CASES["twin"]


def _data(case: str, where: Path = FIXTURES) -> pd.DataFrame:
    return pd.read_csv(where / f"{case}_data.csv", na_values=["NA"])


def _fit(case: str, ties: str = "efron", where: Path = FIXTURES, **options):
    data = _data(case.replace("_monotone", "").replace("_ridge", ""), where)
    start = data["start"].to_numpy(float) if data["start"].notna().all() else None
    return coxph(data["stop"], data["event"], data[CASES.get(case, FOUR)], start=start, ties=ties, **options)


def _monotone_design(data: pd.DataFrame) -> pd.DataFrame:
    osteo = data["osteosynthesis"].astype(float)
    g2 = (data["group"] == "2").astype(float)
    g34 = (data["group"] == "3-4").astype(float)
    return pd.DataFrame(
        {"osteosynthesis": osteo, "group2": g2, "group3-4": g34, "o:g2": osteo * g2, "o:g34": osteo * g34}
    )


def _compare(fit, expected: pd.DataFrame) -> None:
    table = fit.table
    np.testing.assert_allclose(table["coef"], expected["coef"], rtol=0, atol=COEF_TOLERANCE)
    np.testing.assert_allclose(table["se"], expected["se"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fit.loglik, expected[["loglik0", "loglik"]].iloc[0], rtol=1e-12, atol=0)
    assert fit.iterations == int(expected["iter"].iloc[0])
    assert fit.converged


def _residuals(case: str, ties: str, where: Path = FIXTURES) -> pd.DataFrame:
    r = pd.read_csv(where / "residuals.csv")
    r = r[(r["case"] == case) & (r["ties"] == ties)]
    return r.pivot(index="event", columns="covariate", values="value")


@pytest.mark.parametrize(
    ("case", "ties"),
    [("hand", "efron"), ("hand", "breslow"), ("lung", "efron"), ("lung", "breslow"), ("lung_split", "efron")]
    + [("twin", "efron"), ("twin_split", "efron")],
)
def test_fit_equals_coxph(case, ties):
    fits = pd.read_csv(FIXTURES / "fits.csv")
    expected = fits[(fits["case"] == case) & (fits["ties"] == ties)]
    fit = _fit(case, ties)
    assert list(fit.table["covariate"]) == list(expected["covariate"])
    _compare(fit, expected)
    assert not fit.table["infinite"].any()


@pytest.mark.parametrize(
    ("case", "ties"), [("hand", "efron"), ("hand", "breslow"), ("lung", "efron"), ("twin", "efron")]
)
def test_scaled_schoenfeld_residuals_equal_r(case, ties):
    fit = _fit(case, ties)
    got = fit.scaled_schoenfeld()
    expected = _residuals(case, ties)[CASES[case]]
    times = pd.read_csv(FIXTURES / "residuals.csv").query("case == @case and ties == @ties").drop_duplicates("event")
    np.testing.assert_array_equal(got.index.to_numpy(), times["time"].to_numpy())
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-7, atol=1e-9)


def test_monotone_likelihood_stops_where_coxph_stops_and_is_flagged():
    fits = pd.read_csv(FIXTURES / "fits.csv")
    expected = fits[fits["case"] == "twin_monotone"]
    data = _data("twin")
    fit = coxph(data["stop"], data["event"], _monotone_design(data))
    assert expected["infinite_warning"].all()
    assert fit.table["infinite"].all()  # every coefficient moves with the diverging one
    assert fit.iterations == int(expected["iter"].iloc[0])
    np.testing.assert_allclose(fit.loglik, expected[["loglik0", "loglik"]].iloc[0], rtol=1e-12)
    # a diverging coefficient is only reproducible as far as the iterations agree: a few digits, not 1e-8
    np.testing.assert_allclose(fit.table["coef"], expected["coef"], rtol=1e-6)


def test_ridge_equals_coxph_ridge_scaled():
    fits = pd.read_csv(FIXTURES / "fits.csv")
    expected = fits[fits["case"] == "twin_ridge"]
    data = _data("twin")
    x = data[FOUR]
    theta = 0.1 * len(data) * x.var(ddof=1).to_numpy()  # ridge(..., theta = 0.1 n, scale = TRUE)
    fit = coxph(data["stop"], data["event"], x, penalty=theta)
    np.testing.assert_allclose(fit.table["coef"], expected["coef"], rtol=0, atol=COEF_TOLERANCE)
    np.testing.assert_allclose(fit.table["se"], expected["se"], rtol=1e-7)
    np.testing.assert_allclose(fit.loglik, expected[["loglik0", "loglik"]].iloc[0], rtol=1e-10)
    assert fit.iterations == int(expected["iter"].iloc[0])


def test_ridge_cox_of_the_analysis_is_r_ridge_with_theta_penalty_times_patients():
    table = pd.read_csv(ANALYSIS_TABLE, sep="\t")
    fits = pd.read_csv(FIXTURES / "fits.csv")
    expected = fits[fits["case"] == "twin_ridge"]
    got = factors.ridge_cox(table, FOUR, 0.1, 0.05)
    np.testing.assert_allclose(got["coef"], expected["coef"], rtol=0, atol=COEF_TOLERANCE)
    zq = 1.959963984540054
    np.testing.assert_allclose(got["upper"], np.exp(expected["coef"] + zq * expected["se"]), rtol=1e-7)


def test_the_analysis_builds_the_fixture_design():
    """factors' multivariable design on the analysis table is the twin case of the R script, row for row."""
    table = pd.read_csv(ANALYSIS_TABLE, sep="\t")
    d = model_data(table, FOUR)
    x = covariate_frame(d, FOUR)
    data = _data("twin")
    np.testing.assert_array_equal(x.to_numpy(), data[FOUR].to_numpy())
    np.testing.assert_array_equal(d["time_days"].to_numpy(float), data["stop"].to_numpy())


def test_time_split_cox_equals_coxph_on_the_split_episodes():
    table = pd.read_csv(ANALYSIS_TABLE, sep="\t")
    fits = pd.read_csv(FIXTURES / "fits.csv").set_index(["case", "covariate"]).sort_index()
    got = factors.time_split_cox(table, FOUR, "osteosynthesis", 6 * 30.4375, 0.05).set_index("period")
    for period in ("before", "after"):
        expected = fits.loc[("twin_split", f"osteosynthesis_{period}")]
        assert got.loc[period, "coef"] == pytest.approx(expected["coef"], abs=COEF_TOLERANCE)
        assert got.loc[period, "se"] == pytest.approx(expected["se"], rel=1e-8)


def test_three_patients_on_paper():
    """t = 1, 2, 3; events 1, 1, 0; x = 1, 0, 1. log L(b) = b - log(2e^b + 1) - log(e^b + 1); the score
    1/(2u + 1) - u/(1 + u) = 0 (u = e^b) gives 2u^2 = 1: b = -log(2)/2; I = 2u/(2u + 1)^2 + u/(1 + u)^2."""
    fit = coxph([1, 2, 3], [1, 1, 0], pd.DataFrame({"x": [1.0, 0.0, 1.0]}))
    u = 1 / math.sqrt(2)
    b = -math.log(2) / 2
    assert fit.coef["x"] == pytest.approx(b, abs=1e-12)
    assert fit.loglik[0] == pytest.approx(-math.log(6), abs=1e-14)
    assert fit.loglik[1] == pytest.approx(b - math.log(2 * u + 1) - math.log(u + 1), abs=1e-14)
    information = 2 * u / (2 * u + 1) ** 2 + u / (1 + u) ** 2
    assert fit.se["x"] == pytest.approx(1 / math.sqrt(information), rel=1e-10)
    assert fit.converged


def test_two_tied_events_on_paper_efron_and_breslow():
    """Events tied at t = 1 for x = 1 and x = 0, a censoring at t = 2 with x = 0 (u = e^b). Efron:
    log L = b - log(u + 2) - log((u + 3)/2), score 1 - u/(u + 2) - u/(u + 3) = 0, so u^2 = 6: b = log(6)/2.
    Breslow: log L = b - 2 log(u + 2), score 1 - 2u/(u + 2) = 0: u = 2, b = log 2."""
    time, event, x = [1, 1, 2], [1, 1, 0], pd.DataFrame({"x": [1.0, 0.0, 0.0]})
    efron = coxph(time, event, x, ties="efron")
    u = math.sqrt(6)
    assert efron.coef["x"] == pytest.approx(math.log(6) / 2, abs=1e-12)
    assert efron.loglik[1] == pytest.approx(math.log(u) - math.log(u + 2) - math.log((u + 3) / 2), abs=1e-14)
    breslow = coxph(time, event, x, ties="breslow")
    assert breslow.coef["x"] == pytest.approx(math.log(2), abs=1e-12)
    assert breslow.loglik[1] == pytest.approx(math.log(2) - 2 * math.log(4), abs=1e-14)
    # both give -log 6 at b = 0 (Efron) and -2 log 3 (Breslow)
    assert efron.loglik[0] == pytest.approx(-math.log(6), abs=1e-14)
    assert breslow.loglik[0] == pytest.approx(-2 * math.log(3), abs=1e-14)


def test_iteration_limit_reports_not_converged():
    data = _data("twin")
    fit = coxph(data["stop"], data["event"], _monotone_design(data), iter_max=3)
    assert not fit.converged
    assert fit.iterations == 3


def test_invalid_input_is_refused():
    with pytest.raises(ValueError, match="ties"):
        coxph([1, 2], [1, 0], [0.0, 1.0], ties="exact")
    with pytest.raises(ValueError, match="start < stop"):
        coxph([1, 2], [1, 0], [0.0, 1.0], start=[1, 0])
    with pytest.raises(ValueError, match="no events"):
        coxph([1, 2], [0, 0], [0.0, 1.0])


def test_a_single_record_per_risk_set_has_a_zero_log_likelihood_and_stops():
    """Each event alone in its risk set: every term is log(r_i / r_i) = 0 whatever beta; the fit stops at 0."""
    fit = coxph([1, 2], [0, 1], [0.0, 1.0])
    assert fit.loglik == (0.0, 0.0)
    assert fit.converged and fit.coef.iloc[0] == 0.0


def test_live_r_run_reproduces_the_fixtures(tmp_path):
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("Rscript not on PATH; the stored fixtures are still compared")
    subprocess.run([rscript, str(R_SCRIPT), str(tmp_path)], check=True, capture_output=True)
    for name in ("fits.csv", "residuals.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / name), pd.read_csv(FIXTURES / name))
