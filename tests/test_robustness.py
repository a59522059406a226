"""Hardening: byte-identical results across runs and core counts, no network needed, and interrupted runs that
complete with the same results and no corrupted outputs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ENV, ROOT, SKIP, SNAKEMAKE, run

# Files under results/ that a run does not make (the report is built afterwards by `snakemake --report`).
NOT_FROM_THE_RUN = {"report.html"}


def results_of(project: Path) -> dict[str, bytes]:
    root = project / "results"
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in NOT_FROM_THE_RUN
    }


def fresh_copy(tmp_path_factory, name: str) -> Path:
    where = tmp_path_factory.mktemp(name) / "study"
    shutil.copytree(ROOT, where, ignore=SKIP)
    return where


@pytest.fixture(scope="session")
def offline_single_core_run(tmp_path_factory) -> Path:
    """A clean run on one core in a network namespace with nothing but a loopback interface (Jupyter's kernel
    talks to papermill over loopback; nothing may reach further)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.fail("the offline test needs unshare and ip (util-linux and iproute2, present on Debian)")
    project = fresh_copy(tmp_path_factory, "offline")
    command = " ".join(SNAKEMAKE + ["--cores", "1"])
    result = subprocess.run(
        ["unshare", "--net", "sh", "-c", f"ip link set lo up && {command}"],
        cwd=project,
        capture_output=True,
        text=True,
        env=ENV,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return project


def test_the_network_namespace_really_is_offline(tmp_path):
    probe = subprocess.run(
        ["unshare", "--net", "sh", "-c", "ip link set lo up && ip route"], capture_output=True, text=True
    )
    assert probe.returncode == 0 and "default" not in probe.stdout  # no route out


def test_offline_run_completes(offline_single_core_run):
    assert (offline_single_core_run / "results" / "paper" / "manuscript.html").exists()
    assert (offline_single_core_run / "results" / "leak_check.json").exists()


def test_one_core_and_two_cores_give_byte_identical_results(offline_single_core_run, full_run):
    """full_run ran on two cores, online; this run on one core, offline: the same bytes, logs aside."""
    one, two = results_of(offline_single_core_run), results_of(full_run)
    assert set(one) == set(two)
    differing = [name for name in one if one[name] != two[name]]
    assert not differing, differing


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 300) -> None:
    start = time.monotonic()
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before {path} appeared")
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{path} did not appear in {timeout} s")
        time.sleep(0.05)


def kill_when(project: Path, marker: str) -> None:
    """Start the workflow and kill it (SIGKILL, the whole process group) as soon as `marker` exists."""
    process = subprocess.Popen(
        SNAKEMAKE + ["--cores", "2", "--rerun-incomplete"],
        cwd=project,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(project / marker, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    run(SNAKEMAKE + ["--unlock"], project)


def test_interrupted_runs_complete_with_the_same_results(tmp_path_factory, full_run):
    project = fresh_copy(tmp_path_factory, "interrupted")
    for marker in (
        "resources/raw/patients.csv",
        "results/deid/audit.json",
        "results/cleaning/flow.json",
        "results/analysis/table1.tsv",
    ):
        kill_when(project, marker)
    result = run(SNAKEMAKE + ["--cores", "2", "--rerun-incomplete"], project)
    assert "Finished" in result.stdout + result.stderr
    assert "Nothing to be done" in run(SNAKEMAKE + ["-n"], project).stdout
    resumed, reference = results_of(project), results_of(full_run)
    assert set(resumed) == set(reference)
    assert [name for name in resumed if resumed[name] != reference[name]] == []
