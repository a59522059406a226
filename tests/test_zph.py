"""cox.zph's score test (scripts/competing_risks/zph.py) against R's survival::cox.zph (survival >= 3.0), from the
fixtures of tests/r/zph_fixtures.R: Cox fits (Efron and Breslow ties, case weights, counting-process data) and the
weighted coxph fits that reproduce crr (Fine-Gray), transforms km, rank and identity."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter

from analysis.data import covariate_frame
from competing_risks import fine_gray
from competing_risks.zph import TRANSFORMS, cox_zph, fine_gray_zph

FIXTURES = Path(__file__).parent / "fixtures" / "zph"
ANALYSIS_TABLE = Path(__file__).parent / "fixtures" / "analysis" / "analysis_table.tsv"
MELANOMA = Path(__file__).parent / "fixtures" / "competing_risks" / "melanoma_data.csv"
TOLERANCE = 1e-8


def _reference(name: str) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / name)


def _assert_matches(result, expected: pd.DataFrame) -> None:
    table = result.table
    assert list(table.index) == list(expected["term"])
    np.testing.assert_allclose(table["chisq"].to_numpy(), expected["chisq"].to_numpy(), rtol=TOLERANCE, atol=1e-12)
    np.testing.assert_allclose(table["p"].to_numpy(), expected["p"].to_numpy(), rtol=TOLERANCE, atol=1e-12)
    assert table["df"].tolist() == expected["df"].tolist()


def _hand_split(hand: pd.DataFrame, cut: float) -> pd.DataFrame:
    """survSplit at `cut`: (0, min(t, cut)] and (cut, t] for follow-up beyond it."""
    early = hand.assign(start=0.0, stop=np.minimum(hand["time"], cut))
    early["status"] = np.where(hand["time"] <= cut, hand["status"], 0)
    late = hand[hand["time"] > cut].assign(start=cut, stop=lambda f: f["time"])
    return pd.concat([early, late], ignore_index=True)


HAND_CASES = [
    (ties, weighted, counting)
    for ties in ("efron", "breslow")
    for weighted in (False, True)
    for counting in (False, True)
]


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize(("ties", "weighted", "counting"), HAND_CASES)
def test_hand_data_matches_cox_zph(ties, weighted, counting, transform):
    hand = pd.read_csv(FIXTURES / "hand_data.csv")
    expected = _reference("zph_cox.csv")
    expected = expected[
        (expected["dataset"] == "hand")
        & (expected["ties"] == ties)
        & (expected["weighted"] == weighted)
        & (expected["counting"] == counting)
        & (expected["transform"] == transform)
    ]
    assert len(expected) == 3
    data = _hand_split(hand, 6.0) if counting else hand.assign(stop=hand["time"], start=np.nan)
    result = cox_zph(
        data["stop"],
        data["status"],
        data[["x1", "x2"]],
        beta=np.zeros(2),  # polished to the maximum: a start far from it is reached all the same
        start=data["start"] if counting else None,
        weights=data["w"] if weighted else None,
        ties=ties,
        transform=transform,
    )
    _assert_matches(result, expected)


TWIN_MODELS = {
    "univariable: osteosynthesis": ["osteosynthesis"],
    "univariable: kidney_primary": ["kidney_primary"],
    "univariable: modified_bauer_score": ["modified_bauer_score"],
    "univariable: pathological_fracture": ["pathological_fracture"],
    "multivariable": ["osteosynthesis", "kidney_primary", "modified_bauer_score"],
}


def _twin() -> pd.DataFrame:
    from analysis import data

    return data.load(ANALYSIS_TABLE)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("model", list(TWIN_MODELS))
def test_twin_cause_specific_models_match_cox_zph(model, ties):
    from analysis.factors import model_data

    names = TWIN_MODELS[model]
    df = model_data(_twin(), names)
    x = covariate_frame(df, names)
    revision = (df["event"] == 1).astype(int).to_numpy()
    # The starting coefficients as the project's fit gives them (lifelines), polished inside cox_zph.
    fitter = CoxPHFitter().fit(x.assign(t=df["time_days"].to_numpy(float), e=revision), "t", "e")
    expected = _reference("zph_cox.csv")
    for transform in TRANSFORMS:
        rows = expected[
            (expected["dataset"] == "twin")
            & (expected["model"] == model)
            & (expected["ties"] == ties)
            & (expected["transform"] == transform)
        ]
        assert len(rows) == len(names) + 1
        result = cox_zph(df["time_days"], revision, x, fitter.params_[names].to_numpy(), ties=ties, transform=transform)
        _assert_matches(result, rows)


FINE_GRAY_CASES = {
    ("twin", "univariable: osteosynthesis"): ["osteosynthesis"],
    ("twin", "univariable: modified_bauer_score"): ["modified_bauer_score"],
    ("twin", "multivariable"): ["osteosynthesis", "kidney_primary", "modified_bauer_score"],
    ("melanoma", "sex + age + thickness + ulcer"): ["sex", "age", "thickness", "ulcer"],
    ("hand_fg", "x1 + x2"): ["x1", "x2"],
}


def _fine_gray_data(dataset: str, names: list[str]) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    if dataset == "twin":
        from analysis.factors import model_data

        df = model_data(_twin(), names)
        return df["time_days"].to_numpy(float), df["event"].to_numpy(int), covariate_frame(df, names)
    frame = pd.read_csv(MELANOMA if dataset == "melanoma" else FIXTURES / "hand_fg_data.csv")
    return frame["time"].to_numpy(float), frame["event"].to_numpy(int), frame[names].astype(float)


@pytest.mark.parametrize(("dataset", "model"), list(FINE_GRAY_CASES))
def test_fine_gray_matches_cox_zph_on_crr_equivalent_fit(dataset, model):
    names = FINE_GRAY_CASES[(dataset, model)]
    time, event, x = _fine_gray_data(dataset, names)
    fit = fine_gray(time, event, x, cause=1)
    expected = _reference("zph_fine_gray.csv")
    for transform in ("km", "identity"):
        rows = expected[
            (expected["dataset"] == dataset) & (expected["model"] == model) & (expected["transform"] == transform)
        ]
        assert len(rows) == len(names) + 1
        _assert_matches(fine_gray_zph(time, event, x, fit, cause=1, transform=transform), rows)


@pytest.mark.parametrize("model", ["univariable: osteosynthesis", "univariable: modified_bauer_score", "multivariable"])
def test_compare_factors_models_report_r_cox_zph(model):
    """The tests compare_factors writes (proportional_hazards_checks.tsv) are R's: cause-specific Cox with Efron ties
    against rank-transformed time, Fine-Gray against Kaplan-Meier-transformed time."""
    from analysis import factors

    names = TWIN_MODELS[model]
    df = _twin()
    assert factors.PH_TRANSFORMS == {"cause-specific Cox": "rank", "Fine-Gray": "km"}
    cox_reference = _reference("zph_cox.csv")
    fg_reference = _reference("zph_fine_gray.csv")
    _, cs_ph = factors.cause_specific_cox(df, names, 0.05)
    _, fg_ph = factors.fine_gray_model(df, names, 0.05)
    for ph, reference in (
        (
            cs_ph,
            cox_reference[
                (cox_reference["dataset"] == "twin")
                & (cox_reference["model"] == model)
                & (cox_reference["ties"] == "efron")
                & (cox_reference["transform"] == "rank")
            ],
        ),
        (fg_ph, fg_reference[(fg_reference["model"] == model) & (fg_reference["transform"] == "km")]),
    ):
        expected = reference.set_index("term").loc[names]
        assert ph["covariate"].tolist() == names
        np.testing.assert_allclose(ph["statistic"], expected["chisq"], rtol=TOLERANCE)
        np.testing.assert_allclose(ph["p_value"], expected["p"], rtol=TOLERANCE)


def test_time_split_follows_only_the_cause_specific_tests():
    """A Fine-Gray rejection does not ask for a cause-specific time split; a cause-specific one does."""
    from analysis import factors

    df = _twin()
    ph = pd.DataFrame(
        {
            "covariate": ["osteosynthesis", "osteosynthesis"],
            "statistic": [9.0, 1.0],
            "p_value": [0.001, 0.5],
            "model": ["univariable: osteosynthesis"] * 2,
            "kind": ["Fine-Gray", "cause-specific Cox"],
        }
    )
    covariates = {"univariable: osteosynthesis": ["osteosynthesis"]}
    time_split, _ = factors.proportionality(df, ph, covariates, 180.0, 0.05)
    assert time_split.empty
    ph["kind"] = ["cause-specific Cox", "Fine-Gray"]
    time_split, _ = factors.proportionality(df, ph, covariates, 180.0, 0.05)
    assert set(time_split["period"]) == {"before", "after"}
    assert (time_split["ph_p_value"] == 0.001).all()


def test_monotone_likelihood_and_rank_for_fine_gray_are_refused():
    hand = pd.read_csv(FIXTURES / "hand_data.csv")
    # x1 = 1 for exactly the subjects without an event: its coefficient diverges to -infinity.
    no_event_arm = (hand["status"] == 0).astype(float)
    with pytest.raises(ValueError, match="no finite maximum"):
        cox_zph(hand["time"], hand["status"], pd.DataFrame({"a": no_event_arm, "x2": hand["x2"]}), np.zeros(2))
    frame = pd.read_csv(FIXTURES / "hand_fg_data.csv")
    fit = fine_gray(frame["time"], frame["event"], frame[["x1", "x2"]])
    with pytest.raises(ValueError, match="rank"):
        fine_gray_zph(frame["time"], frame["event"], frame[["x1", "x2"]], fit, transform="rank")


def test_the_exact_test_differs_from_the_constant_variance_approximation():
    """What changed: lifelines' proportional_hazard_test (Grambsch & Therneau's approximation, V(t) constant) and
    the exact score test give different statistics on the twin's multivariable model, with the same transform; the
    exact one is R's (test above)."""
    from lifelines.statistics import proportional_hazard_test

    from analysis.factors import model_data

    names = TWIN_MODELS["multivariable"]
    df = model_data(_twin(), names)
    x = covariate_frame(df, names)
    revision = (df["event"] == 1).astype(int).to_numpy()
    data = x.assign(t=df["time_days"].to_numpy(float), e=revision)
    fitter = CoxPHFitter().fit(data, "t", "e")
    approximate = proportional_hazard_test(fitter, data, time_transform="km").summary["test_statistic"]
    exact = cox_zph(df["time_days"], revision, x, fitter.params_[names].to_numpy(), transform="km").table["chisq"]
    assert np.max(np.abs(approximate.loc[names].to_numpy() - exact.loc[names].to_numpy())) > 1e-3


def test_the_committed_fixtures_are_what_the_r_script_writes(tmp_path):
    """tests/r/zph_fixtures.R, run now, writes the committed reference values (R with survival and cmprsk is part of
    the project's test environment: see tests/r/README.md)."""
    import shutil
    import subprocess

    rscript = shutil.which("Rscript")
    assert rscript is not None, "Rscript is not on PATH: install r-base-core r-cran-survival r-cran-cmprsk"
    script = Path(__file__).parent / "r" / "zph_fixtures.R"
    done = subprocess.run([rscript, str(script), str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("zph_cox.csv", "zph_fine_gray.csv", "hand_data.csv", "hand_fg_data.csv"):
        committed, live = pd.read_csv(FIXTURES / name), pd.read_csv(tmp_path / name)
        pd.testing.assert_frame_equal(live, committed, check_exact=False, rtol=1e-12)
