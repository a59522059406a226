"""A second centre's dialect of the same cohort (UTF-8, commas, ISO dates, English labels, other headers) runs
through the same workflow by changing only the config and the codebook, and gives the same analysis."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SKIP, SNAKEMAKE, run

from cleaning.codebook import Codebook, normalise_label
from raw_exports import read_raw_table
from synthetic_twin.dialects import DIALECTS, SECOND_CENTRE, english_labels, render
from synthetic_twin.generate import write_twin

SAME = [
    "results/numbers.json",
    "results/cleaning/analysis_table.tsv",
    "results/cleaning/flow.json",
    "results/analysis/hazard_models.tsv",
    "results/figures/cif_by_operation_method.png",
]


@pytest.fixture(scope="session")
def second_centre_run(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("second_centre") / "study"
    shutil.copytree(ROOT, project, ignore=SKIP)
    run(SNAKEMAKE + ["--cores", "2", "--configfile", "config/second_centre.yaml"], project)
    return project


def test_the_second_centre_writes_its_own_dialect(second_centre_run):
    raw = second_centre_run / "resources" / "raw" / "operations_export.csv"
    text = raw.read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header == ",".join(DIALECTS[SECOND_CENTRE]["headers"]["operations"].values())
    assert "intramedullary nailing" in text and "Femur" in text and "\r\n" not in text
    assert all(line.split(",")[1].count("-") == 2 for line in text.splitlines()[1:6])  # ISO dates


def test_same_analysis_as_the_herzen_dialect(second_centre_run, full_run):
    for path in SAME:
        assert (second_centre_run / path).read_bytes() == (full_run / path).read_bytes(), path


def test_codebook_knows_every_english_label():
    book = Codebook(ROOT / "config" / "codebook.yaml")
    known = set(book.primary_labels)
    for table in book.maps.values():
        known |= set(table)
    missing = [label for label in english_labels() if normalise_label(label) not in known]
    assert not missing, missing


def test_override_changes_only_how_exports_are_read():
    override = yaml.safe_load((ROOT / "config" / "second_centre.yaml").read_text(encoding="utf-8"))
    assert set(override) == {"raw_exports", "synthetic_twin"}
    assert set(override["synthetic_twin"]) == {"dialect"} and set(override["raw_exports"]) == {"tables"}


def test_render_keeps_the_defects(twin, tmp_path):
    rendered = render(twin.raw, SECOND_CENTRE)
    dates = rendered["operations"]["operation_date"]
    assert set(twin.defects.query("defect == 'unparseable_date'")["value_written"]) <= set(dates)
    paths = {name: tmp_path / f"{name}.csv" for name in twin.raw}
    write_twin(twin, paths, tmp_path / "synthetic", dialect=SECOND_CENTRE)
    fmt = DIALECTS[SECOND_CENTRE]
    spec = {"encoding": "utf-8", "separator": ",", "columns": fmt["headers"]["patients"]}
    patients = read_raw_table(paths["patients"], spec).data
    assert set(patients["sex"]) == {"F", "M"}
