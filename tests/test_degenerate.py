"""Degenerate cohorts through the real workflow (issue 15): exports of another shape than the twin's cohort
(tests/degenerate_cohorts.py), read as real exports. Each either runs, with what it cannot estimate marked so in the
manuscript, or stops with one sentence that says why; never a traceback. And after a failed run, no output of an
earlier run that depends on the failed job is left looking current."""

from __future__ import annotations

import csv
import shutil
import subprocess

import pytest
from conftest import ENV, ROOT, SKIP, SNAKEMAKE
from degenerate_cohorts import CASES, edit

KEY = "a key for the degenerate-cohort tests, kept outside the repository"
TARGET = "results/paper/manuscript.md"


def setup(tmp_path, twin_dir, make=None):
    project = tmp_path / "study"
    shutil.copytree(ROOT, project, ignore=SKIP)
    exports = tmp_path / "exports"
    shutil.copytree(twin_dir / "raw", exports)
    if make is not None:
        with open(twin_dir / "synthetic" / "truth.csv", encoding="utf-8") as f:
            make(exports, list(csv.DictReader(f)))
    override = tmp_path / "degenerate.yaml"
    # NER off for speed; the scrubber's measured recall without it is lower than the default minimum.
    override.write_text(
        f"raw_exports:\n  source: real\n  directory: {exports}\n"
        "deidentification:\n  ner: false\n  recall:\n    minimum_overall: 0.9\n"
    )
    return project, exports, override


def snakemake(project, override, target=TARGET):
    result = subprocess.run(
        SNAKEMAKE + ["--cores", "2", target, "--configfile", str(override)],
        cwd=project,
        capture_output=True,
        text=True,
        env={**ENV, "STUDY_PSEUDONYM_KEY": KEY},
    )
    logs = "\n".join(p.read_text(errors="replace") for p in sorted((project / "logs").glob("*.log")))
    return result, logs


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_degenerate_cohort(case, twin_dir, tmp_path):
    project, _, override = setup(tmp_path, twin_dir, case.make)
    result, logs = snakemake(project, override)
    said = result.stdout + result.stderr + logs
    assert "Traceback" not in logs, logs[-3000:]
    if case.expect == "error":
        assert result.returncode != 0, f"{case.id} ran through:\n{result.stdout[-2000:]}"
        for fragment in case.says:
            assert fragment in said, f"{case.id}: {fragment!r} not in:\n{said[-3000:]}"
        assert not (project / "results" / "numbers.json").exists()
        return
    assert result.returncode == 0, said[-4000:]
    manuscript = (project / TARGET).read_text(encoding="utf-8")
    for fragment in case.says:
        assert fragment in manuscript, f"{case.id}: {fragment!r} not in the manuscript"


def test_a_failed_run_leaves_no_stale_results(twin_dir, tmp_path):
    """Run to the manuscript, then break an export so that de-identification fails: the numbers and the manuscript
    of the first run depend on it and must be gone; what is upstream of the failure (the intake) stays."""
    project, exports, override = setup(tmp_path, twin_dir)
    result, logs = snakemake(project, override)
    assert result.returncode == 0, (result.stdout + result.stderr + logs)[-3000:]
    stale = [
        "results/numbers.json",
        "results/paper/manuscript.md",
        "results/analysis/table1.tsv",
        "results/figures/revision_causes_by_primary.png",
    ]
    assert all((project / path).exists() for path in stale)
    # A bone the codebook does not know: de-identification, which codes labels on the raw side, stops
    # (cleaning.unknown_labels: error); everything after it is downstream.
    edit(
        exports / "operations.csv",
        lambda rows: [{**r, "Кость": "Кость неизвестная"} if i == 0 else r for i, r in enumerate(rows)],
    )
    result, logs = snakemake(project, override)
    said = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Error in rule deidentify_exports" in said, said[-3000:]
    assert "removed" in said and "results/numbers.json" in said
    left = [path for path in stale if (project / path).exists()]
    assert not left, f"outputs of the earlier run left looking current: {left}"
    assert (project / "resources" / "intake" / "intake.json").exists(), "an output upstream of the failure was removed"
