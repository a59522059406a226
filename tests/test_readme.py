"""The README's two commands are the ones CI and users run."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [next(line for line in b.splitlines() if line and not line.startswith("#")) for b in blocks]


def test_readme_has_the_two_commands():
    run_study, run_tests = readme_commands()
    assert "pip install -r requirements.txt" in run_study and run_study.endswith("snakemake --cores 2")
    assert "pip install -r requirements.txt" in run_tests and "pytest" in run_tests


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert readme_commands()[1] in ci.splitlines()
