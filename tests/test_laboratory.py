"""The pre-operative laboratory rule (cleaning.laboratory) on hand-made draws: the window's edges, the operation
day, post-operative and superseded draws, same-day conflicts, unit conversions checked by hand, and an unknown
unit stopping the run with the raw file, line and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cleaning.errors import CleaningError
from cleaning.laboratory import preoperative_panel
from cleaning.locate import Locator

PATH = Path("laboratory.tsv")


def draws(*rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["patient_id", "lab_day", "test", "value", "unit"])
    frame["entry"] = frame.groupby("patient_id").cumcount() + 1
    return frame


def panel(lab, index_days: dict, window=30):
    return preoperative_panel(lab, pd.Series(index_days, dtype=float), window, PATH, Locator())


def test_latest_draw_in_the_window_counts_and_the_operation_day_is_before():
    lab = draws(
        ("A", -40, "crp", 9.0, "mg_per_dl"),  # before the window
        ("A", -30, "crp", 1.0, "mg_per_dl"),  # on the window's edge: eligible, but superseded
        ("A", 0, "crp", 0.5, "mg_per_dl"),  # operation day: the one
        ("A", 1, "crp", 7.0, "mg_per_dl"),  # after the operation
        ("B", -31, "crp", 2.0, "mg_per_dl"),  # only outside the window: missing
        ("B", 3, "crp", 2.0, "mg_per_dl"),
    )
    values, counts = panel(lab, {"A": 0, "B": 0})
    assert values.loc["A", "crp_mg_dl"] == 0.5
    assert np.isnan(values.loc["B", "crp_mg_dl"])
    assert counts["after_the_operation"] == 2 and counts["before_the_window"] == 2
    assert counts["superseded_by_a_later_draw"] == 1 and counts["used"] == 1


def test_the_index_day_is_each_patients_own():
    lab = draws(("A", 100, "ldh", 300.0, "u_per_l"), ("A", 120, "ldh", 200.0, "u_per_l"))
    assert panel(lab, {"A": 110})[0].loc["A", "ldh_iu_l"] == 300.0
    assert panel(lab, {"A": 125})[0].loc["A", "ldh_iu_l"] == 200.0


def test_units_are_converted_to_the_katagiri_papers_units():
    lab = draws(
        ("A", 0, "crp", 4.0, "mg_per_l"),  # 4 mg/L = 0.4 mg/dL: exactly the abnormal threshold
        ("A", 0, "albumin", 37.0, "g_per_l"),  # 3.7 g/dL
        ("A", 0, "platelets", 99.0, "e9_per_l"),  # 99,000 per uL
        ("A", 0, "calcium", 2.5, "mmol_per_l"),  # 2.5 x 4.008 = 10.02 mg/dL
        ("A", 0, "bilirubin", 17.104, "umol_per_l"),  # 1 mg/dL
        ("A", 0, "haemoglobin", 120.0, "g_per_l"),
        ("A", 0, "lymphocytes", 1.2, "e9_per_l"),
        ("A", 0, "ldh", 250.0, "u_per_l"),
    )
    row = panel(lab, {"A": 0})[0].loc["A"]
    expected = {
        "crp_mg_dl": 0.4,
        "albumin_g_dl": 3.7,
        "platelets_per_ul": 99_000.0,
        "calcium_mg_dl": 10.02,
        "bilirubin_mg_dl": 1.0,
        "haemoglobin_g_dl": 12.0,
        "lymphocytes_per_ul": 1_200.0,
        "ldh_iu_l": 250.0,
    }
    for column, value in expected.items():
        assert row[column] == pytest.approx(value, rel=1e-12), column


def test_same_day_conflict_takes_the_later_entry_and_is_counted():
    lab = draws(("A", -2, "albumin", 3.1, "g_per_dl"), ("A", -2, "albumin", 3.9, "g_per_dl"))
    values, counts = panel(lab, {"A": 0})
    assert values.loc["A", "albumin_g_dl"] == 3.9
    assert counts["same_day_conflicts_resolved_by_the_later_entry"] == 1


def test_a_unit_without_a_conversion_stops_naming_the_row():
    lab = draws(("A", 0, "crp", 4.0, "mg_per_l"), ("A", 0, "calcium", 10.0, "g_per_l"))
    with pytest.raises(CleaningError, match="no stated conversion") as err:
        panel(lab, {"A": 0})
    assert err.value.column == "unit" and err.value.line == 3  # the second draw, header = line 1
