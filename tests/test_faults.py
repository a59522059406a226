"""Faults of the machine (issue 15): a full disk, a read-only or forbidden folder and a missing file end a rule
script with one sentence naming the path, never a traceback; the config is checked against the codebook, Python's
codecs and the exports' first dates before anything runs."""

from __future__ import annotations

import errno
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from common import config_checks
from common.rule_log import fault_sentence


def run_script(body: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """A rule-like script with the fault handler installed, as rule_log.to_log installs it."""
    script = tmp_path / "script.py"
    header = (
        f"import sys\nsys.path.insert(0, {str(ROOT / 'scripts')!r})\n"
        "from common.rule_log import install_fault_handler\n"
        "install_fault_handler('some_rule', ['results/x.tsv'])\n"
    )
    script.write_text(header + textwrap.dedent(body))
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path)


def test_disk_full_is_one_sentence(tmp_path):
    """ENOSPC, simulated: a write that fails on a full disk names no file itself, so the rule's outputs are named."""
    result = run_script(
        """
        import errno, os
        def full(*args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        import pandas as pd
        pd.DataFrame.to_csv = full
        pd.DataFrame({"a": [1]}).to_csv("results/x.tsv")
        """,
        tmp_path,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "some_rule: the disk is full: one of results/x.tsv; free some space and run again."
    )


def test_disk_full_on_a_named_file(monkeypatch):
    err = OSError(errno.ENOSPC, "No space left on device", "results/analysis/table1.tsv")
    assert fault_sentence("describe_cohort", err) == (
        "describe_cohort: the disk is full: results/analysis/table1.tsv; free some space and run again."
    )


def test_missing_file_is_one_sentence(tmp_path):
    result = run_script("open('results/cleaning/analysis_table.tsv').read()\n", tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "some_rule: the file does not exist: results/cleaning/analysis_table.tsv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_read_only_folder_is_one_sentence(tmp_path):
    """A real read-only file system (a read-only bind mount; needs the right to mount, else a simulated EROFS)."""
    folder = tmp_path / "results"
    folder.mkdir()
    mounted = (
        subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True).returncode == 0
    )
    try:
        body = (
            "open('results/x.tsv', 'w').write('x')\n"
            if mounted
            else "import errno\nraise OSError(errno.EROFS, 'Read-only file system', 'results/x.tsv')\n"
        )
        result = run_script(body, tmp_path)
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "some_rule: the folder is on a read-only file system: results/x.tsv; make the folder writable and run again."
    )


def test_permission_denied_names_the_path():
    err = PermissionError(errno.EACCES, "Permission denied", "/data/results/numbers.json")
    assert "permission denied: " in fault_sentence("collect_numbers", err)


def test_other_errors_keep_their_traceback(tmp_path):
    """A bug must show where it is: only the machine's faults become a sentence."""
    result = run_script("raise KeyError('primary_group')\n", tmp_path)
    assert result.returncode == 1 and "Traceback" in result.stderr and "KeyError" in result.stderr


@pytest.fixture(scope="module")
def codebook():
    return yaml.safe_load((ROOT / "config" / "codebook.yaml").read_text(encoding="utf-8"))


def test_the_default_config_passes(config, codebook):
    assert config_checks.codebook_enumerations(config, codebook, "config/codebook.yaml") == []
    assert config_checks.encodings(config["raw_exports"]["tables"]) == []


def test_a_typo_in_a_primary_group_stops_the_run(config, codebook):
    """Before issue 15 "kidny" silently pooled kidney into "other"."""
    config = {**config, "analysis": {**config["analysis"], "primary_groups_shown": ["breast", "kidny"]}}
    (problem,) = config_checks.codebook_enumerations(config, codebook, "config/codebook.yaml")
    assert problem.startswith("analysis.primary_groups_shown names 'kidny', which the codebook")
    assert "valid values: breast, kidney, lung" in problem


@pytest.mark.parametrize("key", ["revision_causes", "sensitivity.excluded_causes"])
def test_a_typo_in_a_cause_stops_the_run(config, codebook, key):
    analysis = yaml.safe_load(yaml.safe_dump(config["analysis"]))
    where = analysis["sensitivity"] if key.startswith("sensitivity") else analysis
    where[key.split(".")[-1]] = ["postoperative_infektion"]
    (problem,) = config_checks.codebook_enumerations({**config, "analysis": analysis}, codebook, "cb.yaml")
    assert problem.startswith(f"analysis.{key} names 'postoperative_infektion'")
    assert "endoprosthesis_dislocation" in problem


def test_an_unknown_encoding_stops_the_run(config):
    tables = {**config["raw_exports"]["tables"], "patients": {"file": "p.csv", "encoding": "cp1215", "columns": {}}}
    (problem,) = config_checks.encodings(tables)
    assert problem.startswith("raw_exports.tables.patients.encoding is 'cp1215', which Python does not know")


def test_a_wrong_date_format_stops_the_run(tmp_path):
    (tmp_path / "ops.csv").write_bytes(
        "№ ИБ;Дата операции\r\nИБ-1;12.03.2011\r\nИБ-2;xx.03.2011\r\nИБ-3;\r\n".encode("cp1251")
    )
    spec = {
        "file": "ops.csv",
        "encoding": "cp1251",
        "separator": ";",
        "date_format": "%Y-%m-%d",
        "columns": {"record_number": "№ ИБ", "operation_date": "Дата операции"},
    }
    (problem,) = config_checks.date_formats({"operations": spec}, str(tmp_path), {"operation_date"})
    assert problem.startswith("raw_exports.tables.operations.date_format %Y-%m-%d reads none of the first 2 dates")
    assert "'Дата операции'" in problem and "'12.03.2011'" in problem
    # The right format reads the first date: one unparseable date is a finding of the run, not a wrong format.
    assert (
        config_checks.date_formats(
            {"operations": {**spec, "date_format": "%d.%m.%Y"}}, str(tmp_path), {"operation_date"}
        )
        == []
    )


@pytest.mark.parametrize(
    "override, says",
    [
        (
            "analysis:\n  primary_groups_shown: [breast, kidny, lung, prostate]\n",
            "analysis.primary_groups_shown names 'kidny', which the codebook",
        ),
        (
            "raw_exports:\n  tables:\n    follow_up:\n      file: follow_up.csv\n      encoding: cp1521\n"
            "      columns: {record_number: '№ ИБ'}\n",
            "raw_exports.tables.follow_up.encoding is 'cp1521', which Python does not know",
        ),
    ],
    ids=["primary_group_typo", "unknown_encoding"],
)
def test_config_problems_stop_before_anything_runs(project, tmp_path, override, says):
    """Through Snakemake (a dry run: the check runs when the workflow is read, before any job)."""
    from conftest import ENV, SNAKEMAKE

    path = tmp_path / "override.yaml"
    path.write_text(override, encoding="utf-8")
    result = subprocess.run(
        SNAKEMAKE + ["-n", "--configfile", str(path)], cwd=project, capture_output=True, text=True, env=ENV
    )
    assert result.returncode != 0
    assert says in result.stdout + result.stderr, (result.stdout + result.stderr)[-2000:]
    assert "Traceback (most recent call last)" not in result.stdout + result.stderr
