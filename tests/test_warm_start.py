"""Warm start (scripts/warm_start/): a rule script handed to the server runs in a fork exactly as it would in a fresh
interpreter (arguments, working folder, environment, streams, exit status, signals, the next sitecustomize), and
anything the server cannot take runs in its own interpreter. The workflow gives the same bytes with and without it."""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SKIP, SNAKEMAKE, run

PACKAGES = ROOT / "scripts"
HOOK = PACKAGES / "warm_start" / "hook"
THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")

# A stand-in for a script Snakemake generates: it reports who ran it and where, then does what its arguments say.
RULE_SCRIPT = r"""
import json, os, sys, time
print(json.dumps({"pid": os.getpid(), "ppid": os.getppid(), "argv": sys.argv, "cwd": os.getcwd(),
                  "marker": os.environ.get("WARM_TEST_MARKER"), "path0": sys.path[0],
                  "pandas_preloaded": "pandas" in sys.modules}), flush=True)
print("to stderr", file=sys.stderr, flush=True)
action = sys.argv[1] if len(sys.argv) > 1 else "exit0"
if action == "raise":
    raise RuntimeError("the script failed")
if action == "sleep":
    open(sys.argv[2], "w").write(str(os.getpid()))
    time.sleep(60)
sys.exit(int(action[4:]))
"""


@pytest.fixture
def warm(tmp_path):
    """A running warm-start server (owned by this test process) and a rule-script stand-in beside a project."""
    project = tmp_path / "project"
    scripts = project / ".snakemake" / "scripts"
    scripts.mkdir(parents=True)
    script = scripts / "tmpab12cd.some_rule.py"
    script.write_text(RULE_SCRIPT, encoding="utf-8")
    socket_path = tmp_path / "warm.sock"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HOOK), str(PACKAGES)]),
        "STUDY_WARM_SOCKET": str(socket_path),
        "WARM_TEST_MARKER": "from the job's environment",
        **dict.fromkeys(THREADS, "1"),
    }
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-P", "-m", "warm_start.server", str(socket_path), str(os.getpid())],
        env={**env, "STUDY_WARM_SERVER": "1"},
        stdout=subprocess.DEVNULL,
        stderr=log,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 60
    while not socket_path.exists():
        assert server.poll() is None, (tmp_path / "server.log").read_text()
        assert time.monotonic() < deadline, "the server did not start listening"
        time.sleep(0.05)
    yield {"project": project, "script": script, "env": env, "server": server, "log": tmp_path / "server.log"}
    server.terminate()
    server.wait(timeout=10)
    log.close()


def run_job(warm, *args, env=None, **kwargs):
    return subprocess.run(
        [sys.executable, str(warm["script"]), *args],
        cwd=warm["project"],
        env=env or warm["env"],
        capture_output=True,
        text=True,
        **kwargs,
    )


def report(result) -> dict:
    import json

    return json.loads(result.stdout.splitlines()[0])


def wait_until_all_preloaded(warm):
    deadline = time.monotonic() + 60
    while "preloaded" not in warm["log"].read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_a_rule_script_runs_in_a_fork_of_the_server_as_it_would_in_a_fresh_interpreter(warm):
    wait_until_all_preloaded(warm)
    result = run_job(warm, "exit7")
    seen = report(result)
    assert result.returncode == 7
    assert seen["ppid"] == warm["server"].pid  # forked by the server, not started by the shell
    assert seen["pandas_preloaded"]
    assert seen["argv"] == [str(warm["script"]), "exit7"]
    assert seen["cwd"] == str(warm["project"])
    assert seen["path0"] == str(warm["script"].parent)
    assert seen["marker"] == "from the job's environment"
    assert result.stderr == "to stderr\n"
    assert "some_rule started" in warm["log"].read_text()


def test_an_uncaught_exception_prints_its_traceback_and_exits_1(warm):
    result = run_job(warm, "raise")
    assert report(result)["ppid"] == warm["server"].pid
    assert result.returncode == 1
    assert "RuntimeError: the script failed" in result.stderr
    assert "Traceback" in result.stderr


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"WARM_TEST_MARKER": "another value"}, "environment differs in WARM_TEST_MARKER"),
        ({"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}, "OMP_NUM_THREADS, OPENBLAS_NUM_THREADS"),
    ],
)
def test_a_job_whose_environment_differs_runs_in_its_own_interpreter(warm, change, reason):
    result = run_job(warm, "exit0", env={**warm["env"], **change})
    seen = report(result)
    assert result.returncode == 0
    assert seen["ppid"] != warm["server"].pid
    assert seen["pid"] != warm["server"].pid
    assert reason in warm["log"].read_text()


def test_a_python_process_that_is_not_a_rule_script_is_not_handed_over(warm, tmp_path):
    other = tmp_path / "not_a_rule.py"
    other.write_text(RULE_SCRIPT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(other), "exit0"], env=warm["env"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0
    assert report(result)["ppid"] != warm["server"].pid


def test_without_a_server_the_script_runs_in_its_own_interpreter(warm, tmp_path):
    env = {**warm["env"], "STUDY_WARM_SOCKET": str(tmp_path / "no-such.sock")}
    result = run_job(warm, "exit5", env=env)
    assert result.returncode == 5
    assert report(result)["ppid"] != warm["server"].pid


def test_a_signal_to_the_job_reaches_the_script_and_the_job_ends_by_it(warm, tmp_path):
    pid_file = tmp_path / "child.pid"
    job = subprocess.Popen(
        [sys.executable, str(warm["script"]), "sleep", str(pid_file)],
        cwd=warm["project"],
        env=warm["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    child = wait_for_pid(pid_file)
    assert child != job.pid
    job.send_signal(signal.SIGTERM)
    assert job.wait(timeout=20) == -signal.SIGTERM
    assert_gone(child)


def test_a_job_killed_outright_does_not_leave_its_script_running(warm, tmp_path):
    pid_file = tmp_path / "child.pid"
    job = subprocess.Popen(
        [sys.executable, str(warm["script"]), "sleep", str(pid_file)],
        cwd=warm["project"],
        env=warm["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    child = wait_for_pid(pid_file)
    job.kill()  # SIGKILL cannot be forwarded: the server notices the closed connection
    job.wait(timeout=10)
    assert_gone(child)
    assert "its client is gone" in warm["log"].read_text()


def test_the_next_sitecustomize_on_the_path_runs_in_the_fork(warm, tmp_path):
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(
        "import os\nopen(os.environ['PROBE_OUT'], 'a').write(f'{os.getpid()}\\n')\n", encoding="utf-8"
    )
    out = tmp_path / "probe.txt"
    env = {**warm["env"], "PYTHONPATH": os.pathsep.join([warm["env"]["PYTHONPATH"], str(probe)])}
    # The server must have the job's environment: start a second one with the probe on its path.
    socket_path = tmp_path / "second.sock"
    env["STUDY_WARM_SOCKET"] = str(socket_path)
    env["PROBE_OUT"] = str(out)
    server = subprocess.Popen(
        [sys.executable, "-P", "-m", "warm_start.server", str(socket_path), str(os.getpid())],
        env={**env, "STUDY_WARM_SERVER": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not socket_path.exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        result = run_job(warm, "exit0", env=env)
        seen = report(result)
        assert seen["ppid"] == server.pid
        # Once, in the fork: not in the server (it leaves the chain to its forks), not in the client (it handed over
        # before the chain).
        assert out.read_text().split() == [str(seen["pid"])]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_server_stops_when_snakemake_is_gone(tmp_path):
    socket_path = tmp_path / "orphan.sock"
    # An owner that starts the server and leaves: the server is reparented and must notice.
    owner = (
        "import os, subprocess, sys, time\n"
        f"subprocess.Popen([sys.executable, '-P', '-m', 'warm_start.server', {str(socket_path)!r}, str(os.getpid())],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        f"while not os.path.exists({str(socket_path)!r}): time.sleep(0.05)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PACKAGES), "STUDY_WARM_SERVER": "1"}
    subprocess.run([sys.executable, "-c", owner], env=env, check=True, timeout=120)
    deadline = time.monotonic() + 20
    while socket_path.exists():
        assert time.monotonic() < deadline, "the server outlived its owner"
        time.sleep(0.1)


def wait_for_pid(pid_file: Path) -> int:
    deadline = time.monotonic() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return int(pid_file.read_text())


def assert_gone(pid: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"process {pid} still runs"
        time.sleep(0.05)


# The outputs of the chain synthesize -> intake -> de-identify -> clean -> estimate: the NER, pandas, SciPy and
# matplotlib (PNG and PDF figures) all run in forks in the full run.
COMPARED = (
    "results/deid",
    "results/cleaning",
    "results/analysis/revision_risk.tsv",
    "results/analysis/revision_curves.tsv",
    "results/analysis/overall_survival.tsv",
    "results/figures/km_versus_cumulative_incidence.png",
    "results/figures/km_versus_cumulative_incidence.pdf",
    "results/figures/overall_survival.png",
)


def test_the_workflow_gives_the_same_bytes_with_and_without_warm_start(full_run, tmp_path):
    server_log = (full_run / "logs" / "warm_start.log").read_text(encoding="utf-8")
    assert server_log.count(" started (pid ") >= 20, server_log
    assert "signal" not in server_log
    cold = tmp_path / "cold"
    shutil.copytree(ROOT, cold, ignore=SKIP)
    targets = [path for path in COMPARED if Path(full_run, path).is_file()]
    run(SNAKEMAKE + [*targets, "results/deid/audit.json", "--cores", "2", "--config", "warm_start=False"], cold)
    assert not (cold / "logs" / "warm_start.log").exists()
    compared = 0
    for path in COMPARED:
        warm_side, cold_side = full_run / path, cold / path
        if warm_side.is_dir():
            comparison = filecmp.dircmp(warm_side, cold_side)
            for name in comparison.common_files:
                assert filecmp.cmp(warm_side / name, cold_side / name, shallow=False), f"{path}/{name} differs"
                compared += 1
        else:
            assert filecmp.cmp(warm_side, cold_side, shallow=False), f"{path} differs"
            compared += 1
    assert compared >= 10
