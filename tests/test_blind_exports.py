"""Issue 13's acceptance test on unseen exports: three export shapes built from the twin by tests/blind_exports.py,
mapped by configs written from the documentation alone (tests/fixtures/blind/), give exactly the default run's flow
and analysis table, and (the Excel registry, run whole) its results/numbers.json.

Each shape runs in its own scratch copy of the project with `source: real`, the exports under resources/blind/ and
the twin's demo key as STUDY_PSEUDONYM_KEY (so that the pseudonyms, and with them the analysis table, are the
default run's). These tests run Snakemake: conftest marks them `workflow`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from blind_exports import SHAPES, UTF16_SAMPLE, build, legacy_codebook
from conftest import ENV, ROOT, SKIP, SNAKEMAKE, run

FIXTURES = ROOT / "tests" / "fixtures" / "blind"
CLEANING = ("results/cleaning/analysis_table.tsv", "results/cleaning/flow.json")


def scratch_project(where: Path, shape: str, raw: Path) -> Path:
    """A copy of the project with the shape's exports where its config points, as a centre's user would set it up."""
    project = where / "study"
    shutil.copytree(ROOT, project, ignore=SKIP)
    build(shape, raw, project / "resources" / "blind" / shape)
    shutil.copy(FIXTURES / f"{shape}.yaml", project / f"{shape}.yaml")
    if shape == "legacy_dump":  # the dump's local labels, added to the codebook as config/README.md says
        legacy_codebook(project / "config" / "codebook.yaml")
    return project


def run_shape(project: Path, shape: str, key: str, targets: tuple[str, ...] = ()) -> None:
    env = {**ENV, "STUDY_PSEUDONYM_KEY": key}
    # Targets before --configfile, which takes every argument after it for a config file.
    run(SNAKEMAKE + ["--cores", "2", *targets, "--configfile", f"{shape}.yaml"], project, env=env)


def demo_key(full_run: Path) -> str:
    return (full_run / "resources" / "synthetic" / "demo_pseudonym.key").read_text(encoding="utf-8").strip()


@pytest.mark.parametrize("shape", [s for s in SHAPES if s != "excel_registry"])
def test_an_unseen_shape_gives_the_default_runs_flow_and_analysis_table(shape, full_run, tmp_path):
    project = scratch_project(tmp_path, shape, full_run / "resources" / "raw")
    run_shape(project, shape, demo_key(full_run), CLEANING)
    for name in CLEANING:
        assert (project / name).read_bytes() == (full_run / name).read_bytes(), f"{shape}: {name} differs"


def test_the_unseen_excel_registry_runs_the_whole_study_to_the_default_runs_numbers(full_run, tmp_path):
    project = scratch_project(tmp_path, "excel_registry", full_run / "resources" / "raw")
    run_shape(project, "excel_registry", demo_key(full_run))
    for name in (*CLEANING, "results/numbers.json"):
        assert (project / name).read_bytes() == (full_run / name).read_bytes(), f"excel_registry: {name} differs"


def test_a_utf16_export_is_read_when_declared_and_named_when_not(tmp_path):
    """A hospital system's "Unicode text" export (UTF-16, a byte-order mark, NUL bytes in every ASCII character)
    used to be refused as a binary file whatever encoding was declared."""
    from intake.read import read_grid, sniff_binary
    from intake.starter import guess_encoding
    from raw_exports import RawExportError

    path = tmp_path / "PAT.tsv"
    path.write_text(UTF16_SAMPLE, encoding="utf-16")
    grid = read_grid(path, {"encoding": "utf-16", "separator": "\t"})
    assert grid.header == ["PatientID", "Surname", "DOB"]
    assert grid.rows == [["ИБ-0000001", "Дорофеева", "1932-09-20T00:00:00"]]
    assert guess_encoding(path.read_bytes()) == "utf-16"
    assert "declare encoding: utf-16" in sniff_binary(path, path.read_bytes())
    with pytest.raises(RawExportError, match="declare encoding: utf-16"):
        read_grid(path, {"encoding": "utf-8", "separator": "\t"})
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02 not text")
    assert "binary file" in sniff_binary(binary, binary.read_bytes(), "cp1251")


def test_missing_value_markers_are_read_as_empty_per_source_and_per_column(tmp_path):
    """A dump writes "-" for a missing date, but "-" is also a label ("no") in its yes/no columns: the source's
    missing_values blank the markers, a column's own list (here []) overrides it."""
    from intake.build import read_source

    dump = "NOMER_IB|DATA_SM|PRIZNAK\r\nИБ-1|-|-\r\nИБ-2|08/04/14|N/A\r\n"
    (tmp_path / "KATAMNEZ.DAT").write_bytes(dump.encode("cp866"))
    spec = {
        "file": "KATAMNEZ.DAT",
        "into": "follow_up",
        "encoding": "cp866",
        "separator": "|",
        "quote": "",
        "date_format": "%d/%m/%y",
        "missing_values": ["-", "N/A"],
        "columns": {
            "record_number": "NOMER_IB",
            "death_date": "DATA_SM",
            "vital_status": {"header": "PRIZNAK", "missing_values": []},
        },
    }
    data = read_source("follow_up", spec, tmp_path).data
    assert data["death_date"].tolist() == ["", "08.04.2014"]
    assert data["vital_status"].tolist() == ["-", "N/A"]
    spec["columns"]["vital_status"] = "PRIZNAK"
    assert read_source("follow_up", spec, tmp_path).data["vital_status"].tolist() == ["", ""]


def test_a_declared_export_that_is_not_there_is_named_with_its_key(tmp_path):
    """An override that does not mention `laboratory` keeps the default's laboratory.csv: the run used to stop with
    Snakemake's "Missing input files" and no word of the config."""
    from common.config_checks import export_files

    (tmp_path / "PAT_20210630.tsv").write_text("x\n")
    tables = {
        "patients": {"file": "PAT_*.tsv", "columns": {}},
        "follow_up": {"file": "VITAL_*.tsv", "columns": {}},
        "laboratory": {"file": "laboratory.csv", "columns": {}},
        "notes": None,
    }
    problems = export_files(tables, str(tmp_path))
    assert len(problems) == 2
    assert problems[0].startswith("raw_exports.tables.follow_up.file 'VITAL_*.tsv' matches no file in")
    assert "laboratory.csv" in problems[1] and "`laboratory: null`" in problems[1]
    assert "no such folder" in export_files(tables, str(tmp_path / "absent"))[0]


def test_the_starter_reads_every_sheet_and_knows_the_laboratory_table(tmp_path):
    """A workbook with a table per sheet: the starter used to read the first sheet only, and never placed the
    laboratory table's headers (the twin's own laboratory.csv became a second patients source)."""
    from openpyxl import Workbook

    from intake.starter import skeleton

    book = Workbook()
    patients = book.active
    patients.title = "Patients"
    patients.append(["Registry of bone metastases"])
    patients.append([])
    patients.append(["MRN", "Surname", "First name", "Date of birth", "Sex"])
    patients.append(["ИБ-1", "Дорофеева", "Татьяна", "1932-09-20T00:00:00", "F"])
    labs = book.create_sheet("Labs")
    labs.append(["MRN", "Collected at", "Test", "Result", "Unit"])
    labs.append(["ИБ-1", "2013-08-20T09:15:00", "CRP", 1.3, "mg/L"])
    book.save(tmp_path / "registry.xlsx")
    text = skeleton([tmp_path / "registry.xlsx"])
    assert 'sheet: "Patients"' in text and "header_row: 3" in text
    assert 'sheet: "Labs"' in text and "\n    laboratory:\n" in text
    for line in ('lab_date: "Collected at"', 'test: "Test"', 'value: "Result"', 'unit: "Unit"'):
        assert line in text
    assert 'date_format: "%Y-%m-%dT%H:%M:%S"' in text
