"""One set of pins: requirements.txt (pip), environment.yml and workflow/envs/*.yaml (conda) agree."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pip_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, version = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==([\w.]+)", line).groups()
            pins[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version
    return pins


def conda_pins(path: Path) -> dict[str, str]:
    """Conda pins (name=version) and the pip section's pins (name==version) of a conda environment file."""
    pins = {}
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, dict):
            for line in dep["pip"]:
                name, version = line.split("==")
                pins[name.lower()] = version
        elif dep != "pip":
            name, version = dep.split("=", 1)
            pins[name.lower()] = version
    return pins


def test_requirements_are_exact_pins():
    assert pip_pins(), "requirements.txt has no pins"


def test_environment_yml_equals_requirements():
    conda = conda_pins(ROOT / "environment.yml")
    assert conda.pop("python") == "3.11"
    assert conda == pip_pins()


def test_rule_envs_pin_the_same_versions():
    pins = pip_pins()
    envs = sorted((ROOT / "workflow" / "envs").glob("*.yaml"))
    assert envs
    for env in envs:
        conda = conda_pins(env)
        assert conda.pop("python") == "3.11", env
        for name, version in conda.items():
            assert pins.get(name) == version, f"{env.name}: {name}={version}, requirements.txt: {pins.get(name)}"


def test_the_stack_the_study_asks_for():
    pins = pip_pins()
    assert pins["snakemake"].split(".")[0] == "9"
    assert pins["pandas"].split(".")[0] == "2"  # lifelines needs pandas < 3
    assert "lifelines" in pins and "matplotlib" in pins


def test_running_python_is_3_11():
    assert sys.version_info[:2] == (3, 11)


def test_installed_versions_are_the_pinned_ones():
    from importlib.metadata import version

    for name, pinned in pip_pins().items():
        assert version(name) == pinned, name
