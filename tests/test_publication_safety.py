"""Publication safety: small-cell protection of descriptive tables (analysis.small_cells) on hand-made tables, and
the gate of the report that `snakemake --report` builds after the run (python -m deidentify.leaks)."""

from __future__ import annotations

import base64
import json

import pandas as pd
import pytest
import yaml
from conftest import ROOT

from analysis import small_cells
from deidentify.leaks import main as gate_main
from deidentify.leaks import name_identifiers

TABLE_ONE = pd.DataFrame(
    {
        "variable": ["n", "Sex, n (%)", "Sex, n (%)", "Bone, n (%)", "Bone, n (%)", "Bone, n (%)", "Age, median"],
        "level": ["", "female", "male", "femur", "humerus", "ulna", ""],
        "Missing": ["", "", "", "", "", "", "0"],
        "Overall": ["20", "18 (90.0)", "2 (10.0)", "15 (75.0)", "4 (20.0)", "1 (5.0)", "62 [54,70]"],
    }
)


def test_table_one_small_counts_are_suppressed_with_a_second_cell_per_variable():
    out, n = small_cells.suppress_table_one(TABLE_ONE, 3)
    cells = dict(zip(out["level"], out["Overall"], strict=True))
    # Sex: 2 is hidden, and so is 18 (else 20 - 18 gives it back); Bone: 1 is hidden, and the next smallest, 4.
    assert cells["male"] == "<3" and cells["female"] == "<3"
    assert cells["ulna"] == "<3" and cells["humerus"] == "<3" and cells["femur"] == "15 (75.0)"
    assert n == 4
    assert out.loc[0, "Overall"] == "20" and out.iloc[-1]["Overall"] == "62 [54,70]"  # n and medians untouched


def test_zero_counts_and_counts_at_the_minimum_stay():
    table = TABLE_ONE.assign(Overall=["20", "17 (85.0)", "3 (15.0)", "20 (100.0)", "0 (0.0)", "0 (0.0)", "1 [1,1]"])
    out, n = small_cells.suppress_table_one(table, 3)
    assert n == 0 and out.equals(table)


def test_cross_tabulation_suppress_and_pool():
    df = pd.DataFrame(
        {
            "primary_group": ["breast"] * 5 + ["kidney"] * 3 + ["ewing_sarcoma"] + ["liver"],
            "bone": ["femur"] * 5 + ["humerus"] * 3 + ["tibia"] + ["femur"],
            "sex": ["female"] * 5 + ["male"] * 3 + ["male"] + ["female"],
            "age_band": ["60-69"] * 5 + ["50-59"] * 3 + ["10-19"] + ["90+"],
        }
    )
    table = small_cells.cross_tabulation(df, small_cells.CROSSTAB_KEYS)
    assert table["patients"].tolist() == [5, 1, 3, 1]
    settings = {"minimum": 3, "action": "suppress", "tables": ["cohort_crosstab"]}
    out, entry = small_cells.protect(table, "counts", settings, "cohort_crosstab")
    assert out["patients"].tolist() == [5, "<3", 3, "<3"]
    assert entry == {"table": "cohort_crosstab", "minimum": 3, "action": "suppress", "cells_suppressed": 2}
    out, entry = small_cells.protect(table, "counts", {**settings, "action": "pool"}, "cohort_crosstab")
    # The two rare rows pooled: 2 patients, still under the minimum and the only small cell, so the next smallest
    # (3) is hidden too.
    assert out["patients"].tolist() == [5, "<3", "<3"]
    assert out.iloc[-1]["primary_group"] == small_cells.POOLED
    assert entry["combinations_pooled"] == 2 and entry["cells_suppressed"] == 2


def test_a_single_small_cell_is_not_left_recoverable_from_the_total():
    table = pd.DataFrame({"primary_group": ["a", "b", "c"], "patients": [10, 2, 4]})
    out, n = small_cells.suppress_counts(table, "patients", 3)
    assert out["patients"].tolist() == [10, "<3", "<3"] and n == 2


def test_pool_rare_merges_rare_categories_and_says_which():
    df = pd.DataFrame({"primary_group": ["breast"] * 4 + ["liver", "thyroid"], "bone": ["femur"] * 6})
    out, pooled = small_cells.pool_rare(df, ["primary_group", "bone"], 3)
    assert pooled == {"primary_group": ["liver", "thyroid"]}
    assert out["primary_group"].tolist() == ["breast"] * 4 + [small_cells.POOLED] * 2


def test_age_bands_with_an_open_top_band():
    bands = small_cells.age_band(pd.Series([9, 50, 59, 89, 90, 104, None]), 10, 90)
    assert bands.tolist() == ["0-9", "50-59", "50-59", "80-89", "90+", "90+", None]


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="suppress"):
        small_cells.protect(TABLE_ONE, "table_one", {"minimum": 3, "action": "round"}, "table1")


def test_the_default_leaves_the_papers_tables_alone():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    settings = config["publication"]["small_cells"]
    assert settings["minimum"] == 3 and settings["action"] == "suppress"
    assert not {"table1_by_revision", "causes_by_primary"} & set(settings["tables"])


def report_with(tmp_path, name: str) -> None:
    (tmp_path / "results").mkdir()
    (tmp_path / "resources" / "deid").mkdir(parents=True)
    (tmp_path / "resources" / "deid" / "identifiers.json").write_text(
        json.dumps(sorted(name_identifiers([name]))), encoding="utf-8"
    )
    embedded = base64.b64encode(f"patient\tnote\nP1\tсо слов {name.split()[0]}ой\n".encode()).decode()
    (tmp_path / "results" / "report.html").write_text(
        f'<html><body><p>Results</p><a href="data:text/tab-separated-values;charset=utf8;base64,{embedded}">t</a>'
        "</body></html>\n",
        encoding="utf-8",
    )


def test_the_report_gate_catches_a_planted_name_and_never_prints_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    name = "Кукушкин Дарий Сергеевич"
    report_with(tmp_path, name)
    assert gate_main(["results/report.html"]) == 1
    err = capsys.readouterr().err
    log = (tmp_path / "logs" / "check_report_for_leaks.log").read_text(encoding="utf-8")
    assert "results/report.html" in err and "(identifier)" in log and "embedded data URI 1" in log
    assert "кукушкин" not in (err + log).casefold()
    assert not (tmp_path / "results" / "report.html").exists()
    assert (tmp_path / "resources" / "quarantine" / "results" / "report.html").exists()


def test_the_report_gate_passes_a_clean_report_and_asks_for_a_missing_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report_with(tmp_path, "Кукушкин Дарий Сергеевич")
    (tmp_path / "results" / "report.html").write_text("<html><body>247 patients</body></html>\n", encoding="utf-8")
    assert gate_main(["results/report.html"]) == 0
    assert json.loads((tmp_path / "results" / "report_leak_check.json").read_text())["findings"] == []
    (tmp_path / "results" / "report.html").unlink()
    assert gate_main(["results/report.html"]) == 2
