"""Speed without changing a number: the light packages stay light at import (a heavy import is seconds of CPU in
every job that reaches it), and the array cores the bootstrap refits with give bit for bit what the full
estimators give."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from analysis import bootstrap, data, factors
from common.study import DAYS_PER_MONTH, REVISION
from competing_risks import aalen_johansen, fine_gray
from competing_risks._tables import record_kinds
from competing_risks.cif import cumulative_incidence_at
from competing_risks.fine_gray import fine_gray_coefficients

HEAVY = ["scipy.stats", "lifelines", "matplotlib", "tableone", "scipy.special"]
# Package modules that rules reading results (gather_bootstrap, collect_numbers, render_manuscript), resampling
# (bootstrap_shard) or describing (describe_cohort's Table 1, assess_prognostic_scores) import: none of them may pull
# in a heavy module.
LIGHT = [
    "analysis.data",
    "analysis.output",
    "analysis.selection",
    "analysis.bootstrap",
    "analysis.claims",
    "analysis.description",
    "analysis.prognostic_scores",
    "analysis.risk",
    "analysis.small_cells",
    "competing_risks",
    "manuscript.render",
    "common.rule_log",
    "common.kaplan_meier",
]


def _loaded_after(code: str) -> list[str]:
    """The heavy modules loaded after running `code` in a fresh interpreter with scripts/ on the path."""
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "scripts"), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


@pytest.mark.parametrize("module", LIGHT)
def test_light_packages_import_no_heavy_module(module):
    assert _loaded_after(f"import {module}") == []


@pytest.mark.parametrize("module", ["analysis.figures", "synthetic_twin.calibration", "cleaning.report"])
def test_drawing_modules_import_neither_lifelines_nor_scipy_stats(module):
    loaded = _loaded_after(f"import {module}")
    assert "lifelines" not in loaded and "scipy.stats" not in loaded


def test_the_cox_models_of_compare_factors_and_assess_recommendation_import_neither_lifelines_nor_scipy_stats():
    """Every Cox fit of the two rules (cause-specific models with their PH tests, the time split, the ridge model,
    the Schoenfeld residuals, the interaction tests, the Clopper-Pearson intervals) on the committed analysis
    table: lifelines and scipy.stats stay out, also when imported lazily."""
    table = ROOT / "tests" / "fixtures" / "analysis" / "analysis_table.tsv"
    names = ["osteosynthesis", "kidney_primary", "modified_bauer_score"]
    code = (
        "import pandas as pd\n"
        "from analysis import factors, recommendation\n"
        f"df = pd.read_csv({str(table)!r}, sep='\\t')\n"
        f"factors.cause_specific_cox(df, {names!r}, 0.05)\n"
        f"factors.time_split_cox(df, {names!r}, 'osteosynthesis', 182.625, 0.05)\n"
        f"factors.ridge_cox(df, {names!r}, 0.1, 0.05)\n"
        f"factors.schoenfeld_residuals(df, {names!r})\n"
        "recommendation.interactions(df)\n"
        "recommendation.clopper_pearson(3, 10, 0.95)"
    )
    loaded = _loaded_after(code)
    assert "lifelines" not in loaded and "scipy.stats" not in loaded


def test_a_bootstrap_shard_runs_without_heavy_modules(cohort, tmp_path):
    path = tmp_path / "analysis_table.tsv"
    cohort.analysis.to_csv(path, sep="\t", index=False)
    code = (
        "from analysis import bootstrap, data, selection\n"
        f"df = data.load({str(path)!r})\n"
        "covariates = selection.multivariable_covariates(df, ['osteosynthesis', 'kidney_primary'], 10)\n"
        "rows = bootstrap.run_shard(df, covariates, {'1y': 12, '2y': 24}, 5, range(3))\n"
        "assert len(rows) == 3 and rows['fg_osteosynthesis'].notna().all()"
    )
    assert _loaded_after(code) == []


def _cohorts():
    rng = np.random.default_rng(3)
    n = 120
    time = np.round(rng.exponential(400, n))  # rounded: many ties, a time 0 too
    time[0] = 0.0
    event = rng.choice([0, 1, 2], n, p=[0.3, 0.35, 0.35])
    x = np.column_stack([rng.integers(0, 2, n), rng.normal(0, 1, n)]).astype(float)
    separated = x.copy()
    separated[:, 0] = (event != 1).astype(float) * rng.integers(0, 2, n)  # no events of cause 1 at x0 = 1
    return [(time, event, x), (time, event, separated)]


@pytest.mark.parametrize("case", [0, 1])
def test_fine_gray_coefficients_are_those_of_fine_gray_bit_for_bit(case):
    time, event, x = _cohorts()[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = fine_gray(time, event, pd.DataFrame(x, columns=["a", "b"]), cause=1)
    lean = fine_gray_coefficients(time, record_kinds(event, 1), x, ["a", "b"])
    assert np.array_equal(lean, full.coef.to_numpy(), equal_nan=True)
    assert np.isnan(lean).any() == (not full.estimable.all())


def test_the_separated_cohort_diverges():
    time, event, x = _cohorts()[1]
    assert np.isnan(fine_gray_coefficients(time, record_kinds(event, 1), x, ["a", "b"])[0])


def test_fine_gray_coefficients_refuse_what_fine_gray_refuses():
    time, event, x = _cohorts()[0]
    constant = x.copy()
    constant[:, 1] = 1.0
    for design, kinds in ((constant, record_kinds(event, 1)), (x, np.zeros(time.size, dtype=int))):
        with pytest.raises(ValueError):
            fine_gray_coefficients(time, kinds, design, ["a", "b"])


def test_cumulative_incidence_at_is_aalen_johansen_bit_for_bit():
    time, event, _ = _cohorts()[0]
    read_at = np.array([0.0, 30.0, 365.25, 730.5, 1e6])
    for cause in (1, 2):
        full = aalen_johansen(time, event, cause=cause, times=read_at)["estimate"].to_numpy()
        lean = cumulative_incidence_at(time, record_kinds(event, cause), read_at)
        assert np.array_equal(lean, full, equal_nan=True)


def test_a_resample_is_what_the_full_estimators_give_on_it(cohort, tmp_path):
    path = tmp_path / "analysis_table.tsv"
    cohort.analysis.to_csv(path, sep="\t", index=False)
    df = data.load(path)
    covariates = ["osteosynthesis", "kidney_primary", "modified_bauer_score"]
    horizons = {"1y": 12, "2y": 24}
    row = bootstrap.Resampler(df, covariates, horizons)(20210630, 4)
    drawn = np.random.default_rng([20210630, 4]).integers(0, len(df), len(df))
    sample = df.iloc[drawn]
    days = [m * DAYS_PER_MONTH for m in horizons.values()]
    cif = aalen_johansen(sample["time_days"], sample["event"], cause=REVISION, times=days)
    assert [row["cif_1y"], row["cif_2y"]] == cif["estimate"].tolist()
    fitted = factors.model_data(sample, covariates)
    x = data.covariate_frame(fitted, covariates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fine_gray(fitted["time_days"].to_numpy(float), fitted["event"].to_numpy(int), x, cause=REVISION)
    assert [row[f"fg_{c}"] for c in covariates] == fit.coef.tolist()


def _km_cases():
    rng = np.random.default_rng(8)
    cases = []
    for n, death_share in ((1, 1.0), (5, 0.0), (40, 1.0), (60, 0.6), (247, 0.8)):
        time = np.round(rng.exponential(300, n))  # rounded: ties, and times 0
        cases.append((time, rng.random(n) < death_share))
    time, died = cases[-1]
    cases.append((time / 30.4375, died))  # months, as the twin's calibration reads them
    cases.append((time + 5.0, died))  # nobody at time 0
    return cases


@pytest.mark.parametrize("case", range(7))
@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_kaplan_meier_is_lifelines_bit_for_bit(case, alpha):
    import lifelines

    from common.kaplan_meier import KaplanMeier

    time, died = _km_cases()[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = lifelines.KaplanMeierFitter(alpha=alpha).fit(time, died)
        their_median = theirs.median_survival_time_
    ours = KaplanMeier(time, died, alpha=alpha)
    assert np.array_equal(ours.survival_function_.index.to_numpy(), theirs.survival_function_.index.to_numpy())
    assert np.array_equal(ours.survival_function_.to_numpy(), theirs.survival_function_.to_numpy())
    assert np.array_equal(
        ours.confidence_interval_survival_function_.to_numpy(),
        theirs.confidence_interval_survival_function_.to_numpy(),
    )
    assert ours.median_survival_time_ == their_median
    for t in (0.0, 10.0, 365.25, 1e9):
        assert ours.predict(t) == float(theirs.predict(t))


def test_pandera_and_natasha_s_package_are_not_imported_where_not_needed():
    """cleaning.schemas imports pandera only to validate a table its plain check fails; the scrubber's NER reads
    natasha's model files without importing natasha (whose __init__ loads its whole pipeline)."""
    probe = (
        "import sys\nimport cleaning.schemas\nfrom deidentify.scrub import ner_tagger\nner_tagger()\n"
        "print(' '.join(m for m in ('pandera', 'natasha') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "scripts"), "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == []
