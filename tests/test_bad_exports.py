"""Malformed exports (tests/bad_exports.py) through the real workflow: a named error or a logged exclusion, never a
traceback, never a partial output, never a silent drop."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from bad_exports import CASES, CP, context, first_row_of
from conftest import ENV, ROOT, SKIP, SNAKEMAKE

from common.study import PLAUSIBILITY_RULES

KEY = "a key for the bad-input tests, kept outside the repository"
TARGET = "results/cleaning/analysis_table.tsv"


@pytest.fixture(scope="session")
def corpus_base(full_run):
    raw = full_run / "resources" / "raw"
    with open(full_run / "resources" / "synthetic" / "truth.csv", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    ctx = context(truth, (raw / "operations.csv").read_bytes().decode(CP))
    flow = json.loads((full_run / "results" / "cleaning" / "flow.json").read_text())
    return {"raw": raw, "ctx": ctx, "flow": flow}


def run_case(case, base, tmp_path):
    project = tmp_path / "study"
    shutil.copytree(ROOT, project, ignore=SKIP)
    exports = tmp_path / "exports"
    shutil.copytree(base["raw"], exports)
    path = exports / case.file
    if case.mutate is None:
        path.unlink()
    elif case.binary:
        path.write_bytes(case.mutate(path.read_bytes(), base["ctx"]))
    else:
        encoding = "utf-8" if case.file == "notes.csv" else CP
        text = path.read_bytes().decode(encoding)
        path.write_bytes(case.mutate(text, base["ctx"]).encode(encoding))
    override = tmp_path / "bad.yaml"
    override.write_text(f"raw_exports:\n  source: real\n  directory: {exports}\ndeidentification:\n  ner: false\n")
    env = {**ENV, "STUDY_PSEUDONYM_KEY": KEY}
    import subprocess

    result = subprocess.run(
        SNAKEMAKE + ["--cores", "2", TARGET, "--configfile", str(override)],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
    )
    logs = (
        "\n".join(p.read_text(errors="replace") for p in sorted((project / "logs").glob("*.log")))
        if (project / "logs").exists()
        else ""
    )
    return project, result, logs


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_export(case, corpus_base, tmp_path):
    project, result, logs = run_case(case, corpus_base, tmp_path)
    said = result.stdout + result.stderr + logs
    assert "Traceback" not in logs, logs[-3000:]
    if case.expect == "error":
        assert result.returncode != 0, f"{case.id} ran through:\n{result.stdout[-2000:]}"
        for fragment in case.detail:
            assert fragment in said, f"{case.id}: {fragment!r} not in the error:\n{said[-3000:]}"
        assert not (project / TARGET).exists(), "a partial output was left behind"
        return
    assert result.returncode == 0, said[-3000:]
    flow = json.loads((project / "results" / "cleaning" / "flow.json").read_text())
    assert flow["patients_in_export"] == flow["patients_analysed"] + sum(flow["excluded"].values())
    if case.expect == "excluded":
        reason = case.detail[0]
        assert flow["excluded"][reason] > corpus_base["flow"]["excluded"].get(reason, 0), flow
        exclusions = (project / "results" / "cleaning" / "exclusions.tsv").read_text()
        assert reason in exclusions
        if reason in PLAUSIBILITY_RULES:
            # exactly the mutated patient, by pseudonym only; the raw details stay in the raw-side report
            assert flow["excluded"][reason] == 1, flow
            assert flow["patients_analysed"] == corpus_base["flow"]["patients_analysed"] - 1, flow
            crossing = (project / "results" / "deid" / "plausibility_exclusions.tsv").read_text().splitlines()
            assert len(crossing) == 2 and crossing[1].startswith("P") and crossing[1].endswith("\t" + reason)
            report = (project / "resources" / "intake" / "plausibility.tsv").read_text(encoding="utf-8")
            assert f"\t{case.file}\t" in report.replace(str(tmp_path / "exports") + "/", "\t"), report
    elif case.detail == ("unexpected_column",):
        audit = json.loads((project / "results" / "deid" / "audit.json").read_text())
        assert audit["tables"]["patients"]["unexpected_columns_dropped"] == 1
        written = (project / "results" / "deid" / "patients.tsv").read_text()
        assert "123-45-67" not in written and "9991234567" not in written.replace(" ", "")
        assert flow == corpus_base["flow"]
    else:
        assert flow == corpus_base["flow"]


def test_the_corpus_is_large_and_varied():
    assert len(CASES) >= 30
    assert {c.expect for c in CASES} == {"error", "excluded", "ok"}
    assert len({c.file for c in CASES}) == 5


def test_error_lines_point_at_the_raw_row(corpus_base):
    """The mutations edit the rows they mean to: the first row of a record is where the edit lands."""
    text = (corpus_base["raw"] / "operations.csv").read_bytes().decode(CP)
    assert first_row_of(text, corpus_base["ctx"]["any"]) > 1
