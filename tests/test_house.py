"""The house in order: the checking tools are pinned like everything else, and the project's files for users and
catalogues (licence, changelog, workflow-catalogue entry, pre-commit hooks) exist and parse."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from test_environment import conda_pins, pip_pins

ROOT = Path(__file__).resolve().parents[1]
PIN_FILES = [ROOT / "environment.yml", ROOT / "workflow" / "envs" / "python.yaml"]


def test_ruff_and_mypy_are_pinned_identically_in_the_three_pin_files():
    pins = pip_pins()
    for tool in ("ruff", "mypy"):
        assert re.fullmatch(r"\d+(\.\d+)+", pins.get(tool, "")), f"requirements.txt does not pin {tool} exactly"
        for path in PIN_FILES:
            assert conda_pins(path).get(tool) == pins[tool], f"{path.name}: {tool} differs from requirements.txt"


def test_licence_is_mit_with_the_authors_copyright():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 The revision-study authors" in text


def test_changelog_keeps_a_changelog():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog") and "Keep a Changelog" in text
    sections = re.findall(r"^## \[([^\]]+)\]", text, flags=re.MULTILINE)
    assert sections[0] == "Unreleased" and "0.1.0" in sections


def test_workflow_catalog_entry_parses():
    entry = yaml.safe_load((ROOT / ".snakemake-workflow-catalog.yml").read_text(encoding="utf-8"))
    usage = entry["usage"]
    assert set(usage["mandatory-flags"]) == {"desc", "flags"}
    assert usage["software-stack-deployment"]["conda"] is True
    assert usage["report"] is True


def test_pre_commit_hooks_run_offline_with_the_pinned_tools():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hooks = [hook for repo in config["repos"] for hook in repo["hooks"]]
    assert {repo["repo"] for repo in config["repos"]} == {"local"}
    assert {hook["language"] for hook in hooks} == {"system"}
    entries = " ".join(hook["entry"] for hook in hooks)
    assert "ruff check" in entries and "ruff format" in entries and "snakefmt" in entries


def test_the_schema_names_the_roles_and_exclusion_rules_of_the_one_home():
    """The config schema cannot import scripts/common/study.py, so its enums restate the names: they must agree."""
    from common import study

    text = (ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text(encoding="utf-8")
    names = [{n.strip() for n in e.split(",")} for e in re.findall(r"enum: \[([^\]]*)\]", text, flags=re.S)]
    assert set(study.ROLES) in names
    assert set(study.EXCLUSION_RULES) in names
    # Every exclusion reason has its words in the paper: cleaning's rules and the intake's plausibility rules.
    assert set(study.EXCLUSION_LABELS) == set(study.EXCLUSION_RULES) | set(study.PLAUSIBILITY_RULES)
    assert study.PASSING_ROLES <= study.ROLES and "patient_id" not in study.DATA_ROLES


def test_the_study_constants_are_the_ones_everybody_uses():
    from analysis import data
    from cleaning import cohort
    from common import study

    assert data.DAYS_PER_MONTH is study.DAYS_PER_MONTH and study.DAYS_PER_MONTH * 12 == study.DAYS_PER_YEAR
    assert (study.CENSORED, study.REVISION, study.DEATH) == (0, 1, 2)
    assert cohort.EXCLUSION_RULES is study.EXCLUSION_RULES
    for figure in study.MANUSCRIPT_FIGURES:
        assert (ROOT / "workflow" / "report" / f"{Path(figure).stem}.rst").is_file(), figure
