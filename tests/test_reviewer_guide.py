"""Every shell command the reviewer guide and the README's "Auditing a rule" section show runs under the pinned
Snakemake, in a finished run, as written."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import ENV, ROOT

FENCE = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Commands the test does not run, each with the reason; every one must still be in the documents.
INTERACTIVE = {
    "snakemake --cores 1 --edit-notebook results/paper/notebook_summary.json": (
        "starts a Jupyter server and waits for the reviewer to save the notebook and stop it"
    ),
}


def section(markdown: str, title: str) -> str:
    """The text of a "## title" section, up to the next heading of the same level."""
    start = markdown.index(f"## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else len(markdown)]


def shell_commands(markdown: str) -> list[str]:
    """The commands of every ```bash block, one a line, without trailing comments."""
    commands = []
    for block in FENCE.findall(markdown):
        for line in block.splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def documented_commands() -> list[str]:
    guide = (ROOT / "docs" / "reviewer-guide.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for command in shell_commands(section(readme, "Auditing a rule")) + shell_commands(guide):
        if command not in commands:  # the README's short list repeats some of the guide's: run each once
            commands.append(command)
    return commands


def test_the_documents_show_snakemake_commands_and_the_skipped_ones_are_there():
    commands = documented_commands()
    # Snakemake commands, and the project's own modules run as the guide shows them (provenance.verify).
    assert all(command.startswith(("snakemake ", "PYTHONPATH=scripts python -m ")) for command in commands), commands
    assert any(command.startswith("PYTHONPATH=scripts python -m provenance.verify") for command in commands)
    assert len(commands) >= 12, commands
    assert set(INTERACTIVE) <= set(commands), "a skipped command is no longer documented: drop it from INTERACTIVE"
    assert "snakemake -n -r" not in commands and "snakemake --list-changes params" not in commands


def test_shell_commands_exclude_comments():
    text = "```bash\nsnakemake -n   # why\n# a comment\n\nsnakemake --summary\n```\n```python\nprint(1)\n```\n"
    assert shell_commands(text) == ["snakemake -n", "snakemake --summary"]


@pytest.mark.workflow
def test_every_documented_command_runs_in_a_finished_run(full_run, tmp_path):
    # A copy, so that the forced reruns and the report leave the session's finished run as it was.
    where = tmp_path / "study"
    shutil.copytree(full_run, where, symlinks=True)
    ran = []
    for command in documented_commands():
        if command in INTERACTIVE:
            continue
        result = subprocess.run(command, shell=True, cwd=where, capture_output=True, text=True, env=ENV)
        assert result.returncode == 0, f"{command} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        ran.append(command)
    assert len(ran) == len(documented_commands()) - len(INTERACTIVE)
    # What the guide promises of these commands after a complete run.
    listed = subprocess.run(
        "snakemake --list-changes code", shell=True, cwd=where, capture_output=True, text=True, env=ENV
    )
    assert listed.stdout.strip() == "", listed.stdout
    plan = subprocess.run("snakemake -n", shell=True, cwd=where, capture_output=True, text=True, env=ENV)
    assert "Nothing to be done" in plan.stdout + plan.stderr
    assert (where / "results" / "report.html").stat().st_size > 0
    assert (where / "rulegraph.dot").read_text(encoding="utf-8").startswith("digraph")
