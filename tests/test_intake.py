"""The intake: three export shapes built from the twin by transformation (tests/intake_shapes.py) run through the
intake, de-identification and cleaning on their config alone (tests/fixtures/intake/<shape>.yaml) and give exactly
the default run's flow and analysis table; readers, dates and override semantics on their own."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT, TEST_KEY
from intake_shapes import excel_registry, hospital_system, legacy_dump

from cleaning.codebook import Codebook, normalise_label
from cleaning.cohort import SCORE_INPUTS
from cleaning.laboratory import LABORATORY_COLUMNS
from intake.build import canonical_dates, intake, read_canonical, write_canonical
from intake.canonical import canonical_specs, read_canonical_tables
from intake.overrides import resolve_tables
from raw_exports import RawExportError

FIXTURES = ROOT / "tests" / "fixtures" / "intake"
SHAPES = {"hospital_system": hospital_system, "legacy_dump": legacy_dump, "excel_registry": excel_registry}


def merged_config(config: dict, override_path: Path) -> dict:
    """The config as Snakemake gives it to the workflow: the override merged in recursively, then the tables an
    override declares replaced whole (what workflow/rules/common.smk does)."""
    from snakemake.utils import update_config

    merged = copy.deepcopy(config)
    update_config(merged, yaml.safe_load(override_path.read_text(encoding="utf-8")))
    merged["raw_exports"]["tables"] = resolve_tables(merged["raw_exports"]["tables"], [override_path])
    return merged


def decimals_of(tables: dict) -> dict:
    out = {}
    for name, spec in tables.items():
        if spec is not None:
            out.setdefault(spec.get("into", name), spec.get("decimal", "."))
    return out


def through_the_study(tables: dict, directory: Path, config: dict, scrubber, work: Path):
    """Intake -> canonical files -> de-identification -> cleaning, as the rules chain them."""
    from conftest import coder_for

    from cleaning.cohort import derive_cohort
    from cleaning.locate import Locator
    from cleaning.schemas import read_table
    from deidentify.tables import deidentify

    result = intake(tables, directory)
    paths = {name: work / f"{name}.tsv" for name in result.tables}
    for name, table in result.tables.items():
        write_canonical(table, paths[name])
    summary = work / "intake.json"
    import json

    summary.write_text(json.dumps(result.summary, ensure_ascii=False), encoding="utf-8")
    raw = read_canonical_tables(paths, summary)
    files = {name: list(table["source_file"]) for name, table in result.tables.items()}
    decimals = decimals_of(tables)
    deid = deidentify(
        raw, canonical_specs(), config["deidentification"], TEST_KEY, scrubber, coder_for(config), decimals, files
    )
    deid_paths = {}
    for name, table in deid.tables.items():
        deid_paths[name] = work / f"deid_{name}.tsv"
        table.to_csv(deid_paths[name], sep="\t", index=False, lineterminator="\n")
    clean_tables = ("patients", "diagnoses", "operations", "follow_up")
    locator = Locator()
    locator.rows = {(t, p, int(e)): (f, int(n)) for t, p, e, f, n in deid.locator.itertuples(index=False, name=None)}
    frames = {name: read_table(deid_paths[name], name, locator=locator) for name in clean_tables}
    codebook = Codebook(ROOT / config["cleaning"]["codebook"])
    cohort = derive_cohort(frames, {n: deid_paths[n] for n in clean_tables}, codebook, config["cleaning"], locator)
    return result, cohort


@pytest.fixture(scope="session")
def book():
    return Codebook(ROOT / "config" / "codebook.yaml")


@pytest.fixture(scope="session")
def shape_runs(twin_dir, config, book, scrubber, tmp_path_factory):
    """Each shape built, mapped by its fixture config, and taken through intake, de-identification and cleaning."""
    runs = {}
    for shape, build in SHAPES.items():
        where = tmp_path_factory.mktemp(shape)
        build(twin_dir, config, book, where / "exports")
        merged = merged_config(config, FIXTURES / f"{shape}.yaml")
        work = where / "work"
        work.mkdir()
        runs[shape] = (
            where,
            *through_the_study(merged["raw_exports"]["tables"], where / "exports", merged, scrubber, work),
        )
    return runs


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_shape_gives_exactly_the_default_cohort(shape, shape_runs, cohort):
    """The paper's columns are the default cohort's exactly; these centres record no prognostic-score inputs and
    no laboratory (their configs declare none), so those columns are missing for everyone, never invented."""
    _, _, got = shape_runs[shape]
    assert got.flow == cohort.flow
    recorded_elsewhere = [*SCORE_INPUTS, *LABORATORY_COLUMNS]
    pd.testing.assert_frame_equal(
        got.analysis.drop(columns=recorded_elsewhere), cohort.analysis.drop(columns=recorded_elsewhere)
    )
    assert got.analysis[recorded_elsewhere].isna().all().all()


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_shape_counts_the_truth(shape, shape_runs, twin):
    _, result, _ = shape_runs[shape]
    truth = twin.truth
    assert result.summary["operations"]["rows"] == len(twin.raw["operations"])
    assert result.summary["patients"]["patients"] == twin.raw["patients"]["record_number"].nunique()
    assert len(truth) == 247


def test_hospital_system_reads_datetimes_by_rule(shape_runs, book, twin_dir, config):
    from intake_shapes import is_revision, twin_exports

    where, result, _ = shape_runs["hospital_system"]
    revised_rows = sum(is_revision(book, f) for f in twin_exports(twin_dir, config)["operations"]["is_revision"])
    info = result.summary["operations"]["sources"][0]["files"][0]
    assert info["dates"]["operation_date"]["with_time_of_day"] > 100
    assert (where / "exports" / "persons.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    revisions = result.summary["operations"]["sources"][1]
    assert revisions["entry"] == "revisions" and revisions["files"][0]["rows_kept"] == revised_rows
    assert "\n" in "".join(result.tables["operations"]["revision_reason"])  # quoted multi-line field kept


def test_legacy_dump_pivots_the_century(shape_runs, twin):
    _, result, _ = shape_runs["legacy_dump"]
    born = pd.to_datetime(result.tables["patients"]["birth_date"], format="%d.%m.%Y", errors="coerce").dropna()
    assert born.dt.year.max() < 2000 and born.dt.year.min() > 1900
    expected = twin.raw["patients"]["birth_date"].str.strip()
    assert (result.tables["patients"]["birth_date"].to_numpy() == expected.to_numpy()).all()


def test_excel_registry_skips_titles_sections_and_totals(shape_runs):
    _, result, _ = shape_runs["excel_registry"]
    info = result.summary["patients"]["sources"][0]["files"][0]
    assert info["rows_skipped"]["matching skip_rows_matching"] > 10
    assert info["header"][:2] == ["Пациент / № ИБ", "Пациент / ФИО"]
    dates = result.summary["operations"]["sources"][0]["files"][0]["dates"]["operation_date"]
    assert dates["excel_serials"] > 0 and dates["spreadsheet_dates"] > 0 and dates["parsed"] > 0


def registry_as(path: Path, where: Path) -> Path:
    """The Excel registry re-written by another writer: `.xls` (BIFF, through xlwt) with its merged cells, dates
    and numbers as cells of those types; or `.csv` (cp1251, `;`) as a spreadsheet saves it, merged header cells
    left blank beside their first column, dates as DD.MM.YYYY text and numbers with a decimal comma."""
    from openpyxl import load_workbook

    sheet = load_workbook(where / "exports" / "registry.xlsx").active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    if path.suffix == ".xls":
        import xlwt

        book = xlwt.Workbook(encoding="utf-8")
        out = book.add_sheet("Реестр")
        as_date = xlwt.easyxf(num_format_str="DD.MM.YYYY")
        merged = {(r.min_row - 1, r.min_col - 1): r for r in sheet.merged_cells.ranges}
        covered = {(row - 1, col - 1) for r in merged.values() for row, col in r.cells} - set(merged)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                if (i, j) in covered:
                    continue
                style = as_date if isinstance(value, dt.datetime) else xlwt.Style.default_style
                if (i, j) in merged:
                    r = merged[(i, j)]
                    out.write_merge(i, r.max_row - 1, j, r.max_col - 1, value, style)
                elif value is not None:
                    out.write(i, j, value, style)
        book.save(str(path))
        return path

    def text(value) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return value.strftime("%d.%m.%Y")
        if isinstance(value, int) and 1000 < value < 10000:
            # A four-digit serial (a day before 1927) reads like a year, so the intake never takes one for a serial;
            # the registry's keeper would have typed such a date as text.
            return (dt.date(1899, 12, 30) + dt.timedelta(days=value)).strftime("%d.%m.%Y")
        if isinstance(value, float):
            return f"{value:g}".replace(".", ",")
        return str(value)

    lines = [";".join(text(v).replace(";", ",") for v in row) for row in rows]
    path.write_bytes("\r\n".join(lines).encode("cp1251") + b"\r\n")
    return path


@pytest.mark.parametrize("kind", ["xls", "csv"])
def test_the_registry_reads_the_same_from_xls_and_from_csv_with_two_header_rows(kind, shape_runs, config, tmp_path):
    """The same registry saved as legacy `.xls`, or as a CSV whose header is two rows (the upper one merged),
    gives the very canonical tables the `.xlsx` gave: only the file name differs."""
    where, from_xlsx, _ = shape_runs["excel_registry"]
    exports = tmp_path / "exports"
    exports.mkdir()
    saved = registry_as(exports / f"registry.{kind}", where)
    tables = merged_config(config, FIXTURES / "excel_registry.yaml")["raw_exports"]["tables"]
    for spec in tables.values():
        if spec is None:
            continue
        spec["file"] = saved.name
        spec["format"] = kind
        if kind == "csv":
            spec.pop("sheet", None)
            spec.update(encoding="cp1251", separator=";", decimal=",", excel_serials=True)
    got = intake(tables, exports)
    assert got.summary["patients"]["sources"][0]["files"][0]["header"][:2] == ["Пациент / № ИБ", "Пациент / ФИО"]
    assert set(got.tables) == set(from_xlsx.tables)
    assert min(len(from_xlsx.tables[t]) for t in ("patients", "diagnoses", "operations", "follow_up")) > 200
    for name, table in from_xlsx.tables.items():
        read, table = got.tables[name], table.drop(columns="source_file")
        assert set(read.pop("source_file").map(lambda f: Path(f).name)) <= {saved.name}
        if name == "diagnoses":  # numbers keep the text as written: the CSV's decimal comma (declared) is its own
            read["lesion_size_cm"] = read["lesion_size_cm"].str.replace(",", ".")
            table["lesion_size_cm"] = table["lesion_size_cm"].str.replace(",", ".")
        pd.testing.assert_frame_equal(read, table, obj=f"{kind}: {name}")


def test_abbreviations_in_capitals_are_not_cut_at_the_full_stop():
    assert normalise_label("ПРОКС. ОТДЕЛ") == "прокс. отдел"
    assert normalise_label("Вывих ЭП. Осмотр [ДАТА +24], хирург [ФИО]") == "вывих эп"


def test_dates_rule():
    cells = [
        "01.02.2015",
        "2015-02-01 23:59",
        "31.02.2014",
        "",
        None,
        42036,
        dt.datetime(2015, 2, 1, 23, 0),
        "05.03.32",
    ]
    out, counts = canonical_dates(cells, ["%Y-%m-%d %H:%M", "%d.%m.%Y", "%d.%m.%y"], 25, spreadsheet=True)
    assert out == ["01.02.2015", "01.02.2015", "31.02.2014", "", "", "01.02.2015", "01.02.2015", "05.03.1932"]
    assert counts["unparseable"] == 1 and counts["excel_serials"] == 1
    # A value that matches no declared format but would read as a canonical date is marked, not guessed.
    out, _ = canonical_dates(["12.05.2011"], ["%Y-%m-%d"], None, spreadsheet=False)
    assert out == ["?12.05.2011"]


def test_canonical_files_round_trip_text_exactly(tmp_path):
    frame = pd.DataFrame({"a": ['x\r\ny "q"', " lead", "\ttab"], "b": ["1", "", "3"]}, dtype=object)
    write_canonical(frame, tmp_path / "t.tsv")
    assert read_canonical(tmp_path / "t.tsv").equals(frame)


def test_an_override_replaces_a_table_whole(config, tmp_path):
    override = tmp_path / "o.yaml"
    override.write_text(
        "raw_exports:\n  tables:\n    operations:\n      file: ops.csv\n      columns:\n        record_number: MRN\n"
        "        operation_date: Date\n    notes: null\n",
        encoding="utf-8",
    )
    merged = merged_config(config, override)
    tables = merged["raw_exports"]["tables"]
    assert tables["operations"] == {"file": "ops.csv", "columns": {"record_number": "MRN", "operation_date": "Date"}}
    assert tables["notes"] is None
    assert tables["patients"] == config["raw_exports"]["tables"]["patients"]  # not mentioned: the default's


def test_a_workbook_declared_as_csv_is_recognised(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["№ ИБ"])
    wb.save(tmp_path / "patients.csv")
    spec = {"file": "patients.csv", "encoding": "cp1251", "separator": ";", "columns": {"record_number": "№ ИБ"}}
    with pytest.raises(RawExportError, match="this is an Excel workbook; declare format: xlsx"):
        intake({"patients": spec}, tmp_path)


def test_errors_name_the_spreadsheet_row_and_column(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Title"])
    wb.active.append(["MRN", "Name"])
    wb.save(tmp_path / "r.xlsx")
    spec = {"file": "r.xlsx", "format": "xlsx", "header_row": 2, "columns": {"record_number": "MRN", "sex": "Sex"}}
    with pytest.raises(RawExportError) as err:
        intake({"patients": spec}, tmp_path)
    assert "r.xlsx, row 2, column 'Sex'" in str(err.value)


def test_preflight_lists_every_problem_at_once(twin_dir, config, book, tmp_path):
    from intake.preflight import preflight

    legacy_dump(twin_dir, config, book, tmp_path)
    tables = merged_config(config, FIXTURES / "legacy_dump.yaml")["raw_exports"]["tables"]
    fine = preflight(tables, tmp_path, ROOT / "config" / "codebook.yaml", today=dt.date(2026, 1, 1))
    assert "None: every label maps to a category." in fine
    assert "| patients | 286 | 278 |" in fine and "33 revisions" in fine
    # Without the century pivot, birth years 16-68 become 2016-2068; with labels the codebook does not know.
    broken = copy.deepcopy(tables)
    broken["patients"]["columns"]["birth_date"] = "DR"
    text = (tmp_path / "OPER.TXT").read_bytes().decode("cp866").replace("ПРОКС. ОТДЕЛ", "ПРКС ОТД")
    (tmp_path / "OPER.TXT").write_bytes(text.encode("cp866"))
    report = preflight(broken, tmp_path, ROOT / "config" / "codebook.yaml", today=dt.date(2026, 1, 1))
    assert "`ПРКС ОТД` x " in report
    assert "dates in the future" in report and "age at the first operation below 0" in report
    broken["follow_up"]["columns"]["vital_status"] = "STATUS2"
    report = preflight(broken, tmp_path, ROOT / "config" / "codebook.yaml")
    assert "**Cannot be read:**" in report and "STATUS2" in report and "`ПРКС ОТД` x " in report


def test_the_starter_places_the_headers_of_each_shape(twin_dir, config, book, tmp_path):
    from intake.starter import skeleton

    legacy_dump(twin_dir, config, book, tmp_path / "legacy")
    text = skeleton(sorted((tmp_path / "legacy").iterdir()))
    tables = yaml.safe_load(text)["raw_exports"]["tables"]
    assert tables["patients"]["encoding"] == "cp866" and tables["patients"]["separator"] == "\t"
    assert tables["follow_up"]["columns"] == {
        "record_number": "NIB",
        "last_contact_date": "DKONT",
        "vital_status": "STATUS",
        "death_date": "DSMERT",
    }
    assert tables["operations"]["date_format"] == "%d.%m.%y"
    hospital_system(twin_dir, config, book, tmp_path / "hospital")
    text = skeleton(sorted((tmp_path / "hospital").iterdir()))
    tables = yaml.safe_load(text)["raw_exports"]["tables"]
    assert tables["patients"]["columns"]["full_name"] == {"headers": ["Last name", "First name", "Middle name"]}
    assert tables["revisions"]["into"] == "operations"
    assert "could not place (declare them if the export has them): oms_policy, address" in text
    excel_registry(twin_dir, config, book, tmp_path / "registry")
    tables = yaml.safe_load(skeleton([tmp_path / "registry" / "registry.xlsx"]))["raw_exports"]["tables"]
    assert tables["revisions"]["columns"]["operation_date"] == "Ревизия / Дата"
    assert tables["revisions"]["columns"]["is_revision"] == {"value": "да"}
    assert tables["operations"]["header_rows"] == 2 and tables["follow_up"]["fill_down"] == ["record_number"]


SAME = [
    "results/numbers.json",
    "results/cleaning/flow.json",
    "results/analysis/hazard_models.tsv",
]


@pytest.mark.workflow
@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_shape_runs_the_whole_workflow_on_its_config(shape, full_run, config, book, tmp_path):
    """The real workflow, on the shape's exports and its fixture config only (directory and key set here)."""
    import shutil

    from conftest import ENV, SKIP, SNAKEMAKE, run

    project = tmp_path / "study"
    shutil.copytree(ROOT, project, ignore=SKIP)
    SHAPES[shape](full_run / "resources", config, book, tmp_path / "exports")
    key = tmp_path / "study.key"  # the twin's demo key, so that pseudonyms are those of the default run
    shutil.copy(full_run / "resources" / "synthetic" / "demo_pseudonym.key", key)
    override = yaml.safe_load((FIXTURES / f"{shape}.yaml").read_text(encoding="utf-8"))
    override["raw_exports"]["directory"] = str(tmp_path / "exports")
    override["deidentification"] = {"key": {"file": str(key)}}
    (tmp_path / "shape.yaml").write_text(yaml.safe_dump(override, allow_unicode=True), encoding="utf-8")
    env_key = {k: v for k, v in ENV.items() if k != "STUDY_PSEUDONYM_KEY"}
    result = __import__("subprocess").run(
        SNAKEMAKE + ["--cores", "2", "--configfile", str(tmp_path / "shape.yaml")],
        cwd=project,
        capture_output=True,
        text=True,
        env=env_key,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    for path in SAME:
        assert (project / path).read_bytes() == (full_run / path).read_bytes(), path
    # The analysis table: the paper's columns identical; these centres record no prognostic-score inputs and no
    # laboratory, so those columns are empty for everyone, never invented.
    table = "results/cleaning/analysis_table.tsv"
    got, default = (
        pd.read_csv(root / table, sep="\t", dtype=str, keep_default_na=False) for root in (project, full_run)
    )
    recorded_elsewhere = [*SCORE_INPUTS, *LABORATORY_COLUMNS]
    pd.testing.assert_frame_equal(got.drop(columns=recorded_elsewhere), default.drop(columns=recorded_elsewhere))
    assert (got[recorded_elsewhere] == "").all().all()
    run(SNAKEMAKE + ["--cores", "1", "preflight", "--configfile", str(tmp_path / "shape.yaml")], project)
    assert "None: every label maps to a category." in (project / "resources/preflight/report.md").read_text()


def test_headers_match_despite_case_spacing_and_non_breaking_spaces(tmp_path):
    """Exports change the look of a header between versions: another case, doubled or non-breaking spaces, ё for е.
    A declared header matches the one header of the same normalised form; two such headers are ambiguous and stop
    the run naming the declared one."""
    text = "№ иб ;ДАТА\u00a0ОПЕРАЦИИ;Отдёл\r\nИБ-1;01.02.2019;прокс\r\n"
    (tmp_path / "ops.csv").write_bytes(text.encode("cp1251"))
    columns = {"record_number": "№ ИБ", "operation_date": "Дата  операции", "segment": "Отдел"}
    result = intake({"operations": {"file": "ops.csv", "encoding": "cp1251", "columns": columns}}, tmp_path)
    ops = result.tables["operations"]
    assert (ops["record_number"].tolist(), ops["operation_date"].tolist()) == (["ИБ-1"], ["01.02.2019"])
    assert ops["segment"].tolist() == ["прокс"]
    loose = result.summary["operations"]["sources"][0]["files"][0]["headers_matched_loosely"]
    assert loose == {"№ ИБ": "№ иб", "Дата  операции": "ДАТА\u00a0ОПЕРАЦИИ", "Отдел": "Отдёл"}
    assert result.summary["operations"]["sources"][0]["unexpected_columns"] == []

    (tmp_path / "twice.csv").write_bytes("№ ИБ;Дата операции;дата ОПЕРАЦИИ\r\nИБ-1;01.02.2019;\r\n".encode("cp1251"))
    twice = {"record_number": "№ ИБ", "operation_date": "Дата Операции"}
    with pytest.raises(RawExportError, match="Дата Операции"):
        intake({"operations": {"file": "twice.csv", "encoding": "cp1251", "columns": twice}}, tmp_path)


def test_trailing_separators_rows_of_separators_and_year_markers(tmp_path):
    """A separator at the end of each data line (not the header's), a line of separators only, and the year marker
    Russian records write after a date ("г.", "года") are read, not stopped on; a short row still stops the run."""
    text = "№ ИБ;Дата операции\r\nИБ-1;01.02.2019 г.;\r\n;;;\r\nИБ-2;05.03.2019г;\r\nИБ-3;7.3.2019 года\r\n"
    (tmp_path / "ops.csv").write_bytes(text.encode("cp1251"))
    columns = {"record_number": "№ ИБ", "operation_date": "Дата операции"}
    result = intake({"operations": {"file": "ops.csv", "encoding": "cp1251", "columns": columns}}, tmp_path)
    ops = result.tables["operations"]
    assert ops["operation_date"].tolist() == ["01.02.2019", "05.03.2019", "07.03.2019"]
    assert ops["source_line"].tolist() == [2, 4, 5]
    info = result.summary["operations"]["sources"][0]["files"][0]
    assert info["rows_skipped"] == {"blank": 1} and info["dates"]["operation_date"]["unparseable"] == 0
    (tmp_path / "short.csv").write_bytes("№ ИБ;Дата операции\r\nИБ-1;01.02.2019\r\nИБ-2\r\n".encode("cp1251"))
    with pytest.raises(RawExportError, match="line 3.*truncated"):
        intake({"operations": {"file": "short.csv", "encoding": "cp1251", "columns": columns}}, tmp_path)


def test_a_time_of_day_after_a_date_is_dropped_by_rule(tmp_path):
    """A system that writes datetimes as text although the declared format has no time: the date is the day it
    falls on (counted as with a time of day); text that is no date keeps being a finding."""
    rows = ["№ ИБ;Дата операции", "ИБ-1;05.03.2019 14:30", "ИБ-2;06.03.2019 9:05:33", "ИБ-3;2019-03-08T10:00"]
    text = "\r\n".join([*rows, "ИБ-4;xx 10:00", ""])
    (tmp_path / "ops.csv").write_bytes(text.encode("cp1251"))
    columns = {"record_number": "№ ИБ", "operation_date": "Дата операции"}
    spec = {"file": "ops.csv", "encoding": "cp1251", "date_format": ["%d.%m.%Y", "%Y-%m-%d"], "columns": columns}
    result = intake({"operations": spec}, tmp_path)
    assert result.tables["operations"]["operation_date"].tolist() == [
        "05.03.2019",
        "06.03.2019",
        "08.03.2019",
        "xx 10:00",
    ]
    dates = result.summary["operations"]["sources"][0]["files"][0]["dates"]["operation_date"]
    assert dates["with_time_of_day"] == 3 and dates["unparseable"] == 1


def test_several_files_per_table_and_an_ods_sheet(tmp_path):
    """A glob reads every matching file into one table; an OpenDocument sheet reads like a workbook."""
    for year, rows in (("2019", [["ИБ-1", "01.02.2019"]]), ("2020", [["ИБ-2", "03.04.2020"], ["ИБ-3", ""]])):
        text = "№ ИБ;Дата операции\r\n" + "".join(";".join(r) + "\r\n" for r in rows)
        (tmp_path / f"operations_{year}.csv").write_bytes(text.encode("cp1251"))
    frame = pd.DataFrame({"MRN": ["ИБ-1", "ИБ-2"], "Died": [dt.datetime(2021, 5, 6, 22, 30), "07.08.2021"]})
    frame.to_excel(tmp_path / "outcomes.ods", engine="odf", index=False, sheet_name="Исходы")
    tables = {
        "operations": {
            "file": "operations_*.csv",
            "encoding": "cp1251",
            "columns": {"record_number": "№ ИБ", "operation_date": "Дата операции"},
        },
        "follow_up": {
            "file": "outcomes.ods",
            "format": "ods",
            "sheet": "Исходы",
            "columns": {"record_number": "MRN", "death_date": "Died"},
        },
    }
    result = intake(tables, tmp_path)
    ops = result.tables["operations"]
    assert list(ops["record_number"]) == ["ИБ-1", "ИБ-2", "ИБ-3"]
    assert list(ops["source_line"]) == [2, 2, 3] and ops["source_file"].str.endswith("2020.csv").sum() == 2
    assert list(result.tables["follow_up"]["death_date"]) == ["06.05.2021", "07.08.2021"]
    assert list(result.tables["follow_up"]["source_line"]) == [2, 3]
