"""Benchmark of the whole DAG: cold and no-op runs of the default study, Snakemake's own floors, and the synthetic
twin scaled to registry size. Prints the figures and their ratios to the targets; asserts nothing.

    python scripts/benchmark_workflow.py                 # default run, no-op, floor, 10,000 and 100,000 patients
    python scripts/benchmark_workflow.py --sizes 10000   # fewer scaled runs
    python scripts/benchmark_workflow.py --sizes 100000 1000000   # registry scale (issue 19; not a CI test)

Each measurement runs in a fresh copy of the project (code and config only) in a temporary folder, on 2 cores.
Peak memory is the largest resident set of any single process of the run (the biggest rule job). Every run is also
broken down by stage (rule): wall and CPU time and peak memory of its jobs, recorded by a probe on PYTHONPATH
(STAGE_PROBE), and for the two largest sizes the ratio of each stage's time.

The chain floors put the cold run in context: the study's rule graph has a longest path of N rules that must run
one after another; a chain of N Python-script jobs that do nothing (or only import pandas, as nearly every rule
does) is what that shape costs on this machine before any work.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(
    ".git",
    ".snakemake",
    "results",
    "resources",
    "logs",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    "benchmarks",
    "tests",
    ".cluster-plugins",
)
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
TARGETS = {"cold_default_s": 20.0, "noop_s": 2.0}
# time(10 n) / time(n) for a tenfold cohort: issue 19 asks 11 from 100,000 to 1,000,000; 12 from 10,000 to 100,000.
SCALE_RATIO_TARGETS = {(10_000, 100_000): 12.0, (100_000, 1_000_000): 11.0}
# Put first on PYTHONPATH (common.smk keeps what is there), this records every Python process of a run - each rule's
# script, the notebook's kernel, Snakemake itself - as one JSON line: its own CPU and children's CPU, wall time and
# peak resident memory, named after the rule whose generated script it runs.
STAGE_PROBE = """
import atexit, json, os, resource, sys, time
_started = time.perf_counter()
def _record():
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    argv = " ".join(sys.argv)
    stage = "snakemake" if "snakemake" in sys.argv[0] else "other python"
    for word in sys.argv:
        if ".snakemake/scripts/" in word:
            stage = os.path.basename(word).split(".")[1]
    if "ipykernel" in argv or "papermill" in argv:
        stage = "notebook (papermill and kernel)"
    with open(os.environ["BENCHMARK_STAGE_LOG"], "a") as log:
        log.write(json.dumps({"stage": stage, "wall": time.perf_counter() - _started,
                              "cpu": me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime,
                              "peak_mib": me.ru_maxrss / 1024}) + "\\n")
atexit.register(_record)
"""


def stage_table(log: Path) -> dict[str, dict[str, float]]:
    """Per stage (rule) of a run recorded by STAGE_PROBE: wall and CPU seconds summed over its jobs, and the peak
    memory of its largest job."""
    stages: dict[str, dict[str, float]] = {}
    for line in log.read_text().splitlines():
        job = json.loads(line)
        stage = stages.setdefault(job["stage"], {"wall": 0.0, "cpu": 0.0, "peak_mib": 0.0, "jobs": 0})
        stage["wall"] += job["wall"]
        stage["cpu"] += job["cpu"]
        stage["peak_mib"] = max(stage["peak_mib"], job["peak_mib"])
        stage["jobs"] += 1
    return stages


def measure_stages(args: list[str], cwd: Path) -> tuple[float, float, dict[str, dict[str, float]]]:
    """measure(), with every Python process of the run recorded by STAGE_PROBE: (seconds, peak MiB, stages)."""
    probe = cwd.parent / f"{cwd.name}-probe"
    probe.mkdir(exist_ok=True)
    (probe / "sitecustomize.py").write_text(STAGE_PROBE)
    log = probe / "stages.jsonl"
    env = {**ENV, "PYTHONPATH": os.pathsep.join(filter(None, [str(probe), ENV.get("PYTHONPATH")]))}
    seconds, memory = measure(args, cwd, {**env, "BENCHMARK_STAGE_LOG": str(log)})
    return seconds, memory, stage_table(log)


def print_stages(title: str, stages: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}: per stage (wall and CPU summed over the stage's jobs; peak of its largest job)")
    print(f"{'stage':<40}{'jobs':>6}{'wall s':>10}{'CPU s':>10}{'peak MiB':>10}")
    for name, stage in sorted(stages.items(), key=lambda item: -item[1]["wall"]):
        print(f"{name:<40}{stage['jobs']:>6}{stage['wall']:10.2f}{stage['cpu']:10.2f}{stage['peak_mib']:10.0f}")


def measure(args: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float]:
    """Wall time (s) and peak memory (MiB) of the largest process of one command, run in its own helper process
    so that the memory reading covers this command only."""
    probe = (
        "import json, resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True); "
        "print(json.dumps({'seconds': time.perf_counter() - t, 'returncode': r.returncode, "
        "'maxrss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, 'stderr': r.stderr[-2000:]}))"
    )
    out = subprocess.run([sys.executable, "-c", probe, *args], cwd=cwd, capture_output=True, text=True, env=env or ENV)
    result = json.loads(out.stdout)
    if result["returncode"] != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{result['stderr']}")
    return result["seconds"], result["maxrss_kib"] / 1024


def fresh_project(where: Path, cohort_size: int | None = None) -> Path:
    project = where / "study"
    shutil.copytree(ROOT, project, ignore=SKIP)
    if cohort_size:
        (project / "scaled.yaml").write_text(f"synthetic_twin:\n  cohort_size: {cohort_size}\n")
    return project


def snakemake_floor(where: Path) -> float:
    """A no-op run of a one-rule workflow: what Snakemake itself costs here."""
    floor = where / "floor"
    floor.mkdir()
    (floor / "Snakefile").write_text('rule all:\n    output: "done.txt"\n    shell: "touch {output}"\n')
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "2", "--quiet"]
    measure(snakemake, floor)
    return measure(snakemake, floor)[0]


def longest_rule_chain(project: Path) -> int:
    """The number of rules on the longest path of the study's rule graph (`snakemake --rulegraph`): jobs that must
    run one after another, whatever the number of cores."""
    dot = subprocess.run(
        [sys.executable, "-m", "snakemake", "--rulegraph", "--quiet"],
        cwd=project,
        capture_output=True,
        text=True,
        env=ENV,
        check=True,
    ).stdout
    edges = [line.split("->") for line in dot.splitlines() if "->" in line]
    upstream: dict[str, set[str]] = {}
    for a, b in edges:
        upstream.setdefault(b.strip().split()[0], set()).add(a.strip())
    depth: dict[str, int] = {}

    def length(node: str) -> int:
        if node not in depth:
            depth[node] = 1 + max((length(a) for a in upstream.get(node, ())), default=0)
        return depth[node]

    return max(length(node) for node in upstream)


def chain_floor(where: Path, jobs: int, imports: str) -> float:
    """Cold run of `jobs` Python-script jobs chained one after another, each doing nothing but `imports`: what
    Snakemake's start, its per-job overhead (scheduling, the script's preamble, metadata) and the interpreter cost
    a DAG whose longest path has that many rules, before any work."""
    chain = where / f"chain-{imports.replace(' ', '-') or 'bare'}"
    chain.mkdir()
    (chain / "job.py").write_text(f"{imports}\nopen(snakemake.output[0], 'w').close()\n")
    (chain / "Snakefile").write_text(
        f'rule all:\n    input: "step{jobs}.txt"\n'
        'rule first:\n    output: "step1.txt"\n    script: "job.py"\n'
        'rule next:\n    input: lambda w: f"step{int(w.i) - 1}.txt"\n    output: "step{i,[0-9]+}.txt"\n'
        '    script: "job.py"\n'
    )
    return measure([sys.executable, "-m", "snakemake", "--cores", "2", "--quiet", "--scheduler", "greedy"], chain)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "2", "--quiet"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        floor = snakemake_floor(tmp)
        rows.append(("Snakemake floor (no-op, one rule)", floor, None, None))
        project = fresh_project(tmp / "default")
        chain = longest_rule_chain(project)
        rows.append((f"chain floor: {chain} empty jobs", chain_floor(tmp, chain, ""), None, None))
        rows.append(
            (f"chain floor: {chain} jobs importing pandas", chain_floor(tmp, chain, "import pandas"), None, None)
        )
        stages: dict[int, dict] = {}
        cold, memory, stages[247] = measure_stages(snakemake, project)
        rows.append(("cold default run (247 patients)", cold, memory, TARGETS["cold_default_s"]))
        noop, _ = measure(snakemake, project)
        rows.append(("no-op rerun", noop, None, TARGETS["noop_s"]))
        scaled = {}
        for size in args.sizes:
            project = fresh_project(tmp / f"n{size}", size)
            seconds, memory, stages[size] = measure_stages(snakemake + ["--configfile", "scaled.yaml"], project)
            scaled[size] = seconds
            rows.append((f"end to end, {size:,} patients", seconds, memory, None))
            shutil.rmtree(project)
    print(f"{'measurement':<40}{'seconds':>10}{'peak MiB':>10}{'target':>10}{'ratio':>8}  met")
    for name, seconds, memory, target in rows:
        mem = f"{memory:10.0f}" if memory is not None else f"{'':>10}"
        if target:
            print(
                f"{name:<40}{seconds:10.2f}{mem}{target:10.1f}{seconds / target:8.2f}  "
                f"{'yes' if seconds <= target else 'NO'}"
            )
        else:
            print(f"{name:<40}{seconds:10.2f}{mem}")
    print(f"{'no-op rerun / Snakemake floor':<40}{noop / floor:10.2f}")
    for (small, large), target in SCALE_RATIO_TARGETS.items():
        if small in scaled and large in scaled:
            ratio = scaled[large] / scaled[small]
            print(
                f"{f'time({large:,}) / time({small:,})':<40}{ratio:10.2f}{'':>10}{target:10.1f}{ratio / target:8.2f}  "
                f"{'yes' if ratio <= target else 'NO'}"
            )
    for size, table in stages.items():
        print_stages(f"{size:,} patients", table)
    sizes = sorted(stages)
    if len(sizes) > 1:
        small, large = sizes[-2], sizes[-1]
        print(f"\nper stage, time({large:,}) / time({small:,}):")
        for name, stage in sorted(stages[large].items(), key=lambda item: -item[1]["wall"]):
            before = stages[small].get(name, {}).get("wall")
            if before:
                print(f"{name:<40}{stage['wall'] / before:10.2f}")


if __name__ == "__main__":
    main()
