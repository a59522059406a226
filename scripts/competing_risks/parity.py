"""Parity with R: compare this package with the reference values written by tests/r/competing_risks_fixtures.R.

    python -m competing_risks.parity [FIXTURE_DIR]      (default: tests/fixtures/competing_risks)

prints, per data set and quantity, the largest absolute and relative difference from R and the tolerance, and exits
non-zero if any tolerance is exceeded. The tests use the same functions on the stored fixtures and on a live R run.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .cif import aalen_johansen
from .fine_gray import FineGrayConvergenceWarning, fine_gray
from .gray import gray_test

DEFAULT_FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "competing_risks"

# Tolerances agreed for the package: (kind, bound). "abs" bounds |ours - R|, "rel" bounds |ours - R| / |R|.
TOLERANCES: dict[str, tuple[str, float]] = {
    "cif estimate": ("abs", 1e-10),
    "cif variance": ("abs", 1e-10),
    "cif lower/upper": ("abs", 1e-10),
    "cif rows undefined in one only": ("abs", 0.0),
    "gray statistic": ("rel", 1e-8),
    "gray p-value": ("abs", 1e-9),
    "crr coef": ("abs", 1e-6),
    "crr se": ("rel", 1e-5),
    "crr loglik": ("rel", 1e-9),
    "crr converged flag": ("abs", 0.0),
    "crr coef beside a diverging one": ("abs", 1e-6),
}


def datasets(fixture_dir: Path = DEFAULT_FIXTURES) -> list[str]:
    return sorted(path.name.removesuffix("_data.csv") for path in Path(fixture_dir).glob("*_data.csv"))


def read_data(fixture_dir: Path, name: str) -> pd.DataFrame:
    # Group and stratum labels stay text ("1" must not become the number 1 in one place and "1" in another).
    return pd.read_csv(Path(fixture_dir) / f"{name}_data.csv", dtype={"group": str, "strata": str})


def _row(dataset: str, quantity: str, ours: np.ndarray, reference: np.ndarray) -> dict:
    ours, reference = np.asarray(ours, dtype=float), np.asarray(reference, dtype=float)
    difference = np.abs(ours - reference)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(reference != 0, difference / np.abs(reference), np.where(difference == 0, 0.0, np.inf))
    kind, bound = TOLERANCES[quantity]
    measured = relative if kind == "rel" else difference
    worst = float(np.nanmax(measured)) if measured.size else 0.0
    if np.isnan(measured).any():
        worst = float("inf")
    return {
        "dataset": dataset,
        "quantity": quantity,
        "compared": int(ours.size),
        "max_abs_diff": float(np.max(difference)) if difference.size else 0.0,
        "max_rel_diff": float(np.max(relative)) if relative.size else 0.0,
        "tolerance": f"{kind} {bound:g}",
        "ok": bool(worst <= bound),
    }


def cuminc_rows(fixture_dir: Path, name: str) -> list[dict]:
    """cuminc read with timepoints() at every observed time, between them and beyond the last, per group and cause."""
    path = Path(fixture_dir) / f"{name}_cuminc.csv"
    data = read_data(fixture_dir, name)
    reference = pd.read_csv(path, dtype={"group": str, "grouping": str})
    ours_parts, reference_parts = [], []
    for (grouping, group, cause), expected in reference.groupby(["grouping", "group", "cause"], sort=True):
        subset = data if grouping == "none" else data[data[grouping] == group]
        ours_parts.append(
            aalen_johansen(subset["time"], subset["event"], int(cause), times=expected["time"].to_numpy())
        )
        reference_parts.append(expected)
    ours = pd.concat(ours_parts, ignore_index=True)
    expected = pd.concat(reference_parts, ignore_index=True)
    undefined_ours, undefined_r = ours["estimate"].isna().to_numpy(), expected["estimate"].isna().to_numpy()
    both = ~undefined_ours & ~undefined_r
    limits_ours = np.concatenate([ours["lower"].to_numpy()[both], ours["upper"].to_numpy()[both]])
    limits_r = np.concatenate([expected["lower"].to_numpy()[both], expected["upper"].to_numpy()[both]])
    return [
        _row(name, "cif estimate", ours["estimate"].to_numpy()[both], expected["estimate"].to_numpy()[both]),
        _row(name, "cif variance", ours["variance"].to_numpy()[both], expected["variance"].to_numpy()[both]),
        _row(name, "cif lower/upper", limits_ours, limits_r),
        _row(
            name,
            "cif rows undefined in one only",
            (undefined_ours != undefined_r).astype(float),
            np.zeros(undefined_r.size),
        ),
    ]


def gray_rows(fixture_dir: Path, name: str) -> list[dict]:
    path = Path(fixture_dir) / f"{name}_gray.csv"
    if not path.exists():
        return []
    data = read_data(fixture_dir, name)
    reference = pd.read_csv(path)
    statistics, p_values = [], []
    for test in reference.itertuples():
        result = gray_test(
            data["time"],
            data["event"],
            data["group"],
            cause=int(test.cause),
            rho=float(test.rho),
            strata=data["strata"] if test.test == "stratified" else None,
        )
        if result.df != test.df:
            raise AssertionError(f"{name}: df {result.df} != R's {test.df}")
        statistics.append(result.statistic)
        p_values.append(result.p_value)
    return [
        _row(name, "gray statistic", np.array(statistics), reference["statistic"].to_numpy()),
        _row(name, "gray p-value", np.array(p_values), reference["p_value"].to_numpy()),
    ]


def crr_rows(fixture_dir: Path, name: str) -> list[dict]:
    path = Path(fixture_dir) / f"{name}_crr.csv"
    if not path.exists():
        return []
    data = read_data(fixture_dir, name)
    reference = pd.read_csv(path)
    coefs, ses, logliks, reference_logliks = [], [], [], []
    for cause, expected in reference.groupby("cause", sort=True):
        terms = list(expected["term"])
        complete = data.dropna(subset=terms)  # the R script fits crr on the complete cases
        fit = fine_gray(complete["time"], complete["event"], complete[terms], cause=int(cause))
        if not fit.converged or fit.n != int(expected["n"].iloc[0]):
            raise AssertionError(f"{name} cause {cause}: converged={fit.converged}, n={fit.n}")
        coefs.append(fit.coef[terms].to_numpy())
        ses.append(fit.se[terms].to_numpy())
        logliks += [fit.loglik, fit.loglik_null]
        reference_logliks += [expected["loglik"].iloc[0], expected["loglik_null"].iloc[0]]
    return [
        _row(name, "crr coef", np.concatenate(coefs), reference["coef"].to_numpy()),
        _row(name, "crr se", np.concatenate(ses), reference["se"].to_numpy()),
        _row(name, "crr loglik", np.array(logliks), np.array(reference_logliks)),
    ]


def crr_convergence_rows(fixture_dir: Path, name: str) -> list[dict]:
    """Fits where a coefficient diverges (NAME_crr_convergence.csv): our converged flag against crr's.

    The flag is compared with crr's at its default settings (gtol 1e-6, maxiter 10), which reports non-convergence;
    with gtol 1e-12 crr's score criterion is met at a coefficient of ~-30 and it reports convergence, which is what
    fine_gray's divergence check corrects. The coefficients that stay estimable are compared with crr's strict fit.
    """
    path = Path(fixture_dir) / f"{name}_crr_convergence.csv"
    if not path.exists():
        return []
    data = read_data(fixture_dir, name)
    reference = pd.read_csv(path)
    flags, reference_flags, coefs, reference_coefs = [], [], [], []
    for (_model, cause), expected in reference.groupby(["model", "cause"], sort=True):
        terms = list(dict.fromkeys(expected["term"]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FineGrayConvergenceWarning)
            fit = fine_gray(data["time"], data["event"], data[terms], cause=int(cause))
        default = expected[expected["settings"] == "default"]
        flags.append(float(fit.converged))
        reference_flags.append(float(default["crr_converged"].iloc[0]))
        strict = expected[expected["settings"] == "strict"].set_index("term")
        for term in terms:
            if fit.estimable[term]:
                coefs.append(fit.coef[term])
                reference_coefs.append(strict.loc[term, "coef"])
    rows = [_row(name, "crr converged flag", np.array(flags), np.array(reference_flags))]
    if coefs:
        rows.append(_row(name, "crr coef beside a diverging one", np.array(coefs), np.array(reference_coefs)))
    return rows


def parity_table(fixture_dir: Path = DEFAULT_FIXTURES, names: list[str] | None = None) -> pd.DataFrame:
    rows = []
    for name in names or datasets(fixture_dir):
        rows += cuminc_rows(fixture_dir, name) + gray_rows(fixture_dir, name) + crr_rows(fixture_dir, name)
        rows += crr_convergence_rows(fixture_dir, name)
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    fixture_dir = Path(arguments[0]) if arguments else DEFAULT_FIXTURES
    versions = pd.read_csv(fixture_dir / "versions.csv")
    print("R reference:", ", ".join(f"{row.name} {row.version}" for row in versions.itertuples()))
    table = parity_table(fixture_dir)
    with pd.option_context("display.width", 160, "display.max_rows", 500):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    failed = int((~table["ok"]).sum())
    print(f"{len(table) - failed} comparisons within tolerance, {failed} outside")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
