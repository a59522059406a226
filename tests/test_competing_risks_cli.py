"""The command line (python -m competing_risks ...), the parity report and a smoke run of the benchmark script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
BMT = ROOT / "tests" / "fixtures" / "competing_risks" / "bmt_data.csv"


def run_module(*arguments: str, cwd: Path = SCRIPTS, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *arguments], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def test_cif_command_prints_the_curve_as_json():
    completed = run_module(
        "competing_risks", "cif", str(BMT), "--time", "time", "--event", "event", "--times", "0,72,100"
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    assert output["cause"] == 1 and output["n"] == 35 and output["interval"] == "log(-log)"
    estimates = [row["estimate"] for row in output["curve"]]
    assert estimates[0] == pytest.approx(1 / 35)
    assert estimates[1] == pytest.approx(0.27283899, abs=5e-9)
    assert estimates[2] is None  # beyond the follow-up: undefined, strict JSON null


def test_cif_command_by_group_from_pythonpath(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
    completed = run_module(
        "competing_risks",
        "cif",
        str(BMT),
        "--time",
        "time",
        "--event",
        "event",
        "--group",
        "group",
        "--cause",
        "2",
        cwd=tmp_path,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    assert sorted(output["groups"]) == ["ALL", "AML"]
    assert {"time", "estimate", "variance", "lower", "upper"} == set(output["groups"]["ALL"][0])


def test_gray_command():
    completed = run_module(
        "competing_risks", "gray", str(BMT), "--time", "time", "--event", "event", "--group", "group", "--cause", "2"
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    reference = pd.read_csv(BMT.with_name("bmt_gray.csv")).set_index("cause")
    assert output["df"] == 1
    assert output["statistic"] == pytest.approx(reference.loc[2, "statistic"], rel=1e-8)


def test_finegray_command():
    completed = run_module(
        "competing_risks",
        "finegray",
        str(BMT),
        "--time",
        "time",
        "--event",
        "event",
        "--covariates",
        "aml",
        "--cause",
        "2",
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    reference = pd.read_csv(BMT.with_name("bmt_crr.csv")).set_index("cause")
    assert output["converged"] is True
    assert output["coef"]["aml"] == pytest.approx(reference.loc[2, "coef"], abs=1e-6)
    assert output["se"]["aml"] == pytest.approx(reference.loc[2, "se"], rel=1e-5)
    assert output["summary"][0]["covariate"] == "aml"


def test_command_errors_are_clear(tmp_path):
    missing_column = run_module(
        "competing_risks", "finegray", str(BMT), "--time", "time", "--event", "event", "--covariates", "age"
    )
    assert missing_column.returncode == 2
    assert "column(s) ['age'] not in the data" in missing_column.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("t,e\n1,1\n-2,0\n")
    negative = run_module("competing_risks", "cif", str(bad), "--time", "t", "--event", "e")
    assert negative.returncode == 2 and "negative" in negative.stderr


def write_with_missing(tmp_path: Path) -> Path:
    """BMT with the group missing on data rows 3 and 7 (file lines 4 and 8) and the covariate missing on row 5."""
    data = pd.read_csv(BMT)
    data["strata"] = ["s1", "s2"] * 17 + ["s1"]
    data.loc[[2, 6], "group"] = None
    data.loc[[4], "aml"] = None
    path = tmp_path / "missing.csv"
    data.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("command", "options", "column", "lines"),
    [
        ("cif", ["--group", "group"], "group", "4, 8"),
        ("gray", ["--group", "group"], "group", "4, 8"),
        ("gray", ["--group", "strata", "--strata", "group"], "group", "4, 8"),
        ("finegray", ["--covariates", "aml"], "aml", "6"),
    ],
)
def test_missing_values_are_an_error_naming_the_lines_in_every_command(tmp_path, command, options, column, lines):
    """No command drops rows silently (cif --group used to leave out the rows with a missing group)."""
    path = write_with_missing(tmp_path)
    completed = run_module("competing_risks", command, str(path), "--time", "time", "--event", "event", *options)
    assert completed.returncode == 2 and completed.stdout == ""
    assert f"column {column!r} has {len(lines.split(','))} missing value(s), at line(s) {lines} of" in completed.stderr
    assert "the header is line 1" in completed.stderr


def test_cif_without_the_group_column_ignores_missing_groups(tmp_path):
    """Only the columns a command uses are checked: the overall curve does not need the group."""
    path = write_with_missing(tmp_path)
    completed = run_module("competing_risks", "cif", str(path), "--time", "time", "--event", "event")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["n"] == 35


def test_finegray_command_reports_a_diverging_coefficient(tmp_path):
    """An arm without events of cause 1: converged false, the coefficient null (not estimable), a warning."""
    data = pd.DataFrame(
        {
            "time": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
            "event": [1, 1, 2, 1, 0, 1, 2, 0, 2, 0, 2, 0],
            "arm": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
        }
    )
    path = tmp_path / "monotone.csv"
    data.to_csv(path, index=False)
    completed = run_module(
        "competing_risks", "finegray", str(path), "--time", "time", "--event", "event", "--covariates", "arm"
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    assert output["converged"] is False and output["estimable"] == {"arm": False}
    assert output["coef"]["arm"] is None and output["summary"][0]["exp(coef)"] is None
    assert "FineGrayConvergenceWarning" in completed.stderr and "'arm'" in completed.stderr


def test_parity_report_runs_and_passes():
    completed = run_module("competing_risks.parity")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 outside" in completed.stdout and "cmprsk 2." in completed.stdout


def test_benchmark_script_runs_small():
    """Smoke run at small sizes without the references: the script works; nothing here is about speed."""
    completed = subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "benchmark_competing_risks.py"),
            "--n",
            "3000",
            "--n-fine-gray",
            "500",
            "--n-fine-gray-large",
            "1000",
            "--repeats",
            "1",
            "--skip-r",
            "--skip-lifelines",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert "aalen_johansen" in completed.stdout and "fine_gray 3 covariates, n=1,000" in completed.stdout
