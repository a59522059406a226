"""Shared fixtures. scripts/ goes on sys.path, as Snakemake puts it for rule scripts."""

from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from synthetic_twin.generate import generate, write_twin  # noqa: E402

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
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
    ".cluster-plugins",
)


# Rules call the environment's own tools (jupyter, papermill): put its bin/ first, as activating it would.
ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def run(args, cwd, check=True, env=None):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env or ENV)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="session")
def project(tmp_path_factory) -> Path:
    """A scratch copy of the project (code and config only), as a fresh clone has it."""
    where = tmp_path_factory.mktemp("project") / "study"
    shutil.copytree(ROOT, where, ignore=SKIP)
    return where


@pytest.fixture(scope="session")
def full_run(project) -> Path:
    run(SNAKEMAKE + ["--cores", "2"], project)
    return project


@pytest.fixture(scope="session")
def config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def twin(config):
    """The default twin (the paper's cohort size and seed), in memory."""
    return generate(config["synthetic_twin"]["cohort_size"], config["synthetic_twin"]["seed"])


@pytest.fixture(scope="session")
def twin_dir(twin, config, tmp_path_factory) -> Path:
    """The default twin written to disk: raw/ as the config names the files, synthetic/ for truth and manifests."""
    root = tmp_path_factory.mktemp("twin")
    tables = config["raw_exports"]["tables"]
    write_twin(twin, {name: root / "raw" / spec["file"] for name, spec in tables.items()}, root / "synthetic")
    return root


TEST_KEY = b"test key for the de-identification tests"


def read_raw(twin_dir: Path, config: dict) -> dict:
    from raw_exports import read_raw_table

    specs = config["raw_exports"]["tables"]
    return {name: read_raw_table(twin_dir / "raw" / spec["file"], spec) for name, spec in specs.items()}


@pytest.fixture(scope="session")
def scrubber(config):
    from deidentify.scrub import Scrubber

    settings = config["deidentification"]
    return Scrubber(settings["ner"], tuple(settings["kept_terms"]))


@pytest.fixture(scope="session")
def deidentified(twin_dir, config, scrubber):
    """The default twin de-identified with TEST_KEY, in memory."""
    return deidentify_twin(twin_dir, config, scrubber)


def coder_for(config: dict, review: bool = False, codebook_path: Path | None = None):
    """The raw-side coder the de-identification rule uses (codebook, review mode, the exports' headers)."""
    from cleaning.codebook import Codebook
    from deidentify.coding import Coder

    headers = export_headers(config)
    return Coder(Codebook(codebook_path or ROOT / config["cleaning"]["codebook"]), review, headers=headers)


def export_headers(config: dict) -> dict:
    """table -> canonical column -> header in the export (the first source of each table), as the rules pass it."""
    headers: dict = {}
    for name, spec in config["raw_exports"]["tables"].items():
        if spec is not None:
            headers.setdefault(spec.get("into", name), dict(spec.get("columns", {})))
    return headers


def deidentify_twin(twin_dir: Path, config: dict, scrubber, raw: dict | None = None, settings=None, coder=None):
    """De-identify raw tables (default: the twin's) as the rule does: coded on the raw side, numbers parsed."""
    from deidentify.tables import deidentify

    specs = config["raw_exports"]["tables"]
    return deidentify(
        raw if raw is not None else read_raw(twin_dir, config),
        specs,
        settings or config["deidentification"],
        TEST_KEY,
        scrubber,
        coder or coder_for(config),
        {name: spec.get("decimal", ".") for name, spec in specs.items() if spec is not None},
    )


CLEAN_TABLES = ("patients", "diagnoses", "operations", "follow_up")


@pytest.fixture(scope="session")
def deid_dir(deidentified, tmp_path_factory) -> Path:
    """The de-identified default twin written as the de-identification rule writes it."""
    where = tmp_path_factory.mktemp("deid")
    write_deidentified(deidentified, where)
    return where


def write_deidentified(deidentified, where: Path) -> None:
    """The tables as the rule writes them, and the raw side's locator beside them (as locator.tsv)."""
    for name, table in deidentified.tables.items():
        table.to_csv(where / f"{name}.tsv", sep="\t", index=False, lineterminator="\n")
    deidentified.locator.to_csv(where / "locator.tsv", sep="\t", index=False, lineterminator="\n")


def clean(deid_dir: Path, config: dict, settings: dict | None = None, codebook_path: Path | None = None):
    from cleaning.codebook import Codebook
    from cleaning.cohort import derive_cohort
    from cleaning.locate import Locator
    from cleaning.schemas import read_table

    paths = {name: deid_dir / f"{name}.tsv" for name in (*CLEAN_TABLES, "laboratory")}
    paths = {name: path for name, path in paths.items() if path.exists()}
    locator = Locator(deid_dir / "locator.tsv", export_headers(config))
    tables = {name: read_table(path, name, locator=locator) for name, path in paths.items()}
    codebook = Codebook(codebook_path or ROOT / config["cleaning"]["codebook"])
    return derive_cohort(tables, paths, codebook, settings or config["cleaning"], locator)


@pytest.fixture(scope="session")
def cohort(deid_dir, config):
    return clean(deid_dir, config)


# Tests that run Snakemake (or the whole pipeline) are marked `workflow`, so that `pytest -m "not workflow"` runs the
# unit tests alone. A test runs Snakemake if it uses a fixture that does (`project` is a copy made for running it,
# `full_run` a finished run), or if its own code, a fixture it uses, or a module-level helper it calls names
# SNAKEMAKE.
WORKFLOW_FIXTURES = {"project", "full_run"}


def _source(function) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def runs_snakemake(item) -> bool:
    if WORKFLOW_FIXTURES & set(item.fixturenames):
        return True
    functions = [item.function]
    for name in item.fixturenames:
        for definition in item._fixtureinfo.name2fixturedefs.get(name, ()):
            functions.append(definition.func)
    module = vars(item.module)
    for function in list(functions):
        source = _source(function)
        functions += [value for name, value in module.items() if inspect.isfunction(value) and f"{name}(" in source]
    return any("SNAKEMAKE" in _source(function) for function in functions)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if isinstance(item, pytest.Function) and runs_snakemake(item):
            item.add_marker(pytest.mark.workflow)
