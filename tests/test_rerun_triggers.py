"""Editing a project module reruns exactly the rules whose code imports it, no more and no fewer.

The expected rules are worked out here independently of workflow/rules/common.smk (which computes every rule's `code`
input): rule -> script from the rule files' text, script -> modules with the standard library's ModuleFinder.
"""

from __future__ import annotations

import json
import modulefinder
import re
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SNAKEMAKE, run

PACKAGES = "scripts"
RULE_HEADER = re.compile(r"^(?:local)?rule (\w+):", re.MULTILINE)
CODE_LINE = re.compile(r"^    (script|notebook):\s*\n\s+\"([^\"]+)\"", re.MULTILINE)
NOTEBOOK_INPUT = re.compile(r"^        notebook=\"(workflow/notebooks/[^\"]+\.ipynb)\",$", re.MULTILINE)
JOB_HEADER = re.compile(r"^(?:local)?rule (\w+):$")
EDIT = b"\n# edited by tests/test_rerun_triggers.py\n"


def rule_blocks(rules_dir: Path) -> dict[str, tuple[str, Path]]:
    """rule name -> (the text of its definition, rule file), for the rule files of rules_dir (not its edit/ folder,
    whose rule only `snakemake --edit-notebook` reads)."""
    found = {}
    for smk in sorted(rules_dir.glob("*.smk")):
        text = smk.read_text(encoding="utf-8")
        headers = list(RULE_HEADER.finditer(text))
        for header, following in zip(headers, [*headers[1:], None][: len(headers)], strict=True):
            found[header.group(1)] = (text[header.end() : following.start() if following else len(text)], smk)
    return found


def rules_and_code(rules_dir: Path) -> dict[str, tuple[str, Path, Path]]:
    """rule name -> (directive, script or notebook path, rule file), read from the text of the rule files."""
    found = {}
    for name, (block, smk) in rule_blocks(rules_dir).items():
        code = CODE_LINE.search(block)
        if code:
            found[name] = (code.group(1), (smk.parent / code.group(2)).resolve(), smk)
    return found


def notebooks_run(rules_dir: Path) -> dict[str, list[Path]]:
    """rule name -> the notebooks its script executes (a `notebook=` input naming a .ipynb): their code cells are
    the rule's code as much as the script is."""
    return {
        name: [rules_dir.parents[1] / path for path in NOTEBOOK_INPUT.findall(block)]
        for name, (block, _) in rule_blocks(rules_dir).items()
    }


# Rules that run only when asked for by name, never as part of the study's default target.
ON_DEMAND = {"preflight": "snakemake preflight: the report a new centre reads before its first run"}


def default_dag_rules(root: Path, rules: dict[str, tuple[str, Path, Path]]) -> set[str]:
    """Rules in the default DAG: the bootstrap's only with resamples, the twin's only on synthetic exports."""
    config = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))
    left_out = set()
    if config["bootstrap"]["resamples"] <= 0:
        left_out.add("bootstrap.smk")
    if config["raw_exports"]["source"] != "synthetic":
        left_out.add("synthetic_twin.smk")
    return {name for name, (_, _, smk) in rules.items() if smk.name not in left_out and name not in ON_DEMAND}


def python_source(path: Path, scratch: Path) -> Path:
    """The script itself, or a notebook's code cells written to a .py file."""
    if path.suffix != ".ipynb":
        return path
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
    # Cell magics and shell escapes are not Python; the notebook has none today, but they must not break the finder.
    code = "\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!")))
    target = scratch / f"{path.name.replace('.', '_')}.py"
    target.write_text(code, encoding="utf-8")
    return target


def modules_reached(script: Path, packages: Path) -> set[Path]:
    """Source files under packages/ that running `script` imports, directly or through other modules."""
    finder = modulefinder.ModuleFinder(path=[str(packages)])
    finder.run_script(str(script))
    files = {Path(module.__file__).resolve() for module in finder.modules.values() if module.__file__}
    return {path for path in files if path.is_relative_to(packages.resolve())}


def is_command_line_tool(path: Path) -> bool:
    return path.name == "__main__.py" or 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")


def project_modules(packages: Path) -> set[Path]:
    """Every module of the project's packages; top-level files of scripts/ that are command-line tools (the
    benchmarks) are not modules any rule could import."""
    top_level = {path for path in packages.glob("*.py") if not is_command_line_tool(path)}
    return {path.resolve() for path in packages.glob("*/**/*.py")} | {path.resolve() for path in top_level}


def unused_modules(packages: Path, reached: set[Path]) -> set[Path]:
    """Modules that no rule's code imports, leaving out the command-line entry points of packages
    (`python -m competing_risks.parity`), which are run by hand, not by rules."""
    return {path for path in project_modules(packages) - reached if not is_command_line_tool(path)}


def reach_by_rule(root: Path, scratch: Path) -> dict[str, set[str]]:
    rules = rules_and_code(root / "workflow" / "rules")
    notebooks = notebooks_run(root / "workflow" / "rules")
    packages = root / PACKAGES
    return {
        name: {
            path.relative_to(root).as_posix()
            for source in [code, *notebooks.get(name, [])]
            for path in modules_reached(python_source(source, scratch), packages)
        }
        for name, (_, code, _) in rules.items()
    }


def planned_jobs(output: str) -> dict[str, dict[str, str]]:
    """rule -> {"input": ..., "reason": ...} for every job a dry run plans."""
    jobs, current = {}, None
    for line in output.splitlines():
        header = JOB_HEADER.match(line)
        if header:
            current = jobs.setdefault(header.group(1), {"input": "", "reason": ""})
        elif current is not None and line.startswith("    ") and ": " in line:
            key, _, value = line.strip().partition(": ")
            if key in ("input", "reason"):
                current[key] = value
        elif not line.startswith("    "):
            current = None
    return jobs


def updated_inputs(reason: str) -> set[str]:
    """The files of the clause "Updated input files: a, b" of a job's reason."""
    for clause in reason.split("; "):
        if clause.startswith("Updated input files: "):
            return set(clause.removeprefix("Updated input files: ").split(", "))
    return set()


def test_every_rule_script_is_named_after_its_rule():
    rules = rules_and_code(ROOT / "workflow" / "rules")
    assert len(rules) >= 17, sorted(rules)
    for name, (directive, code, _) in rules.items():
        if directive == "script":
            assert code == (ROOT / "workflow" / "scripts" / f"{name}.py").resolve(), name
            assert code.is_file(), code
    assert {path.stem for path in (ROOT / "workflow" / "scripts").glob("*.py")} == {
        name for name, (directive, _, _) in rules.items() if directive == "script"
    }


def test_a_module_no_rule_imports_is_reported(tmp_path):
    packages = tmp_path / "scripts"
    (packages / "pkg").mkdir(parents=True)
    (packages / "pkg" / "__init__.py").write_text("")
    (packages / "pkg" / "used.py").write_text("from pkg import helper\n")
    (packages / "pkg" / "helper.py").write_text("")
    (packages / "pkg" / "orphan.py").write_text("VALUE = 1\n")
    (packages / "pkg" / "tool.py").write_text('if __name__ == "__main__":\n    print(1)\n')
    (packages / "benchmark.py").write_text('if __name__ == "__main__":\n    print(1)\n')
    script = tmp_path / "rule_script.py"
    script.write_text("import pkg.used\n")
    reached = modules_reached(script, packages)
    assert {path.name for path in reached} == {"__init__.py", "used.py", "helper.py"}
    assert unused_modules(packages, reached) == {(packages / "pkg" / "orphan.py").resolve()}


def parse_time_modules(root: Path, scratch: Path) -> set[Path]:
    """Modules the rule files themselves import while Snakemake parses the workflow (config resolution): they shape
    the DAG and the params, and are no rule's code."""
    lines = [
        line.strip()
        for smk in sorted((root / "workflow" / "rules").glob("*.smk"))
        for line in smk.read_text(encoding="utf-8").splitlines()
        if re.match(r"(from \S+ import |import )", line.strip())  # inside helper functions too
    ]
    script = scratch / "rule_file_imports.py"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return modules_reached(script, root / PACKAGES)


def process_start_modules(root: Path) -> set[Path]:
    """Modules of how a job's process begins, not of what it computes (scripts/warm_start/): the warm-start server,
    which the Snakefile's onstart runs as `python -m warm_start.server`, and the hook Python imports at the start of
    every job. They are no rule's code: results are byte-identical with and without them (tests/test_warm_start.py),
    so editing them must not rerun anything, and the editing test below checks that it does not."""
    packages = root / PACKAGES
    common = (root / "workflow" / "rules" / "common.smk").read_text(encoding="utf-8")
    assert '"warm_start.server"' in common and '"warm_start" / "hook"' in common  # what the Snakefile starts
    entry_points = [packages / "warm_start" / "server.py", packages / "warm_start" / "hook" / "sitecustomize.py"]
    return {path for entry in entry_points for path in modules_reached(entry, packages)} | {
        entry.resolve() for entry in entry_points
    }


def test_every_project_module_is_imported_by_some_rule(tmp_path):
    reached = {ROOT / path for paths in reach_by_rule(ROOT, tmp_path).values() for path in paths}
    reached |= parse_time_modules(ROOT, tmp_path)
    reached |= process_start_modules(ROOT)
    unused = unused_modules(ROOT / PACKAGES, {path.resolve() for path in reached})
    assert not unused, f"modules no rule imports: {sorted(str(p.relative_to(ROOT)) for p in unused)}"


@pytest.mark.workflow
def test_editing_a_module_reruns_exactly_the_rules_that_import_it(full_run, tmp_path):
    rules = rules_and_code(full_run / "workflow" / "rules")
    in_dag = default_dag_rules(full_run, rules)
    reach = reach_by_rule(full_run, tmp_path)
    modules = sorted(path.relative_to(full_run).as_posix() for path in project_modules(full_run / PACKAGES))
    assert len(modules) >= 40, modules
    assert "Nothing to be done" in run(SNAKEMAKE + ["-n"], full_run).stdout

    problems, started = [], time.monotonic()
    for module in modules:
        path = full_run / module
        original = path.read_bytes()
        path.write_bytes(original + EDIT)
        try:
            result = run(SNAKEMAKE + ["-n"], full_run)
        finally:
            path.write_bytes(original)
        output = result.stdout + result.stderr
        jobs = planned_jobs(output)
        expected = {name for name in in_dag if module in reach[name]}
        direct = {name for name, job in jobs.items() if module in updated_inputs(job["reason"])}
        listing_it = {name for name, job in jobs.items() if module in job["input"].split(", ")}
        if not expected:
            if jobs or "Nothing to be done" not in output:
                problems.append(f"{module}: imported by no rule, yet the dry run plans {sorted(jobs)}")
            continue
        if listing_it != expected:
            problems.append(f"{module}: code input of {sorted(listing_it)}, imported by {sorted(expected)}")
        if not direct or not direct <= expected:
            problems.append(f"{module}: reruns {sorted(direct)} for the edit, imported by {sorted(expected)}")
        # A job that already reruns because an upstream job does is reported with that reason only (Snakemake does
        # not look further), so an importing rule downstream of another one shows the upstream reason.
        for name in sorted(expected - direct):
            if name not in jobs or "Input files updated by another job" not in jobs[name]["reason"]:
                problems.append(f"{module}: {name} imports it but the dry run says {jobs.get(name)}")
    elapsed = time.monotonic() - started
    print(f"{len(modules)} module edits, {elapsed:.1f} s of dry runs", file=sys.stderr)
    assert not problems, "\n".join(problems)
    assert "Nothing to be done" in run(SNAKEMAKE + ["-n"], full_run).stdout
