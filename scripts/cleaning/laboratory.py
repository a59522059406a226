"""The pre-operative laboratory panel of each patient, from the laboratory export (one row per test drawn).

The rule (stated in config `cleaning.laboratory` and the methods): for each patient and test, the value of the
latest draw on or before the day of the index operation, and no more than `window_days` before it. A draw on the
operation day counts as pre-operative (blood is drawn before the incision). Two draws of one test on that same
latest day with different values: the later entry of the export wins, and the conflict is counted. Draws after the
operation, or before the window, are passed over and counted; a test with no draw in the window is missing (the
analysis imputes it).

Values are converted to the units the Katagiri paper states its thresholds in (Katagiri et al. 2014, Cancer Med
3:1359): CRP mg/dL, LDH IU/L, albumin g/dL, platelets per uL, calcium mg/dL, total bilirubin mg/dL; haemoglobin
g/dL and lymphocytes per uL for the SPRING / PATHFx-type inputs. Factors (SI conversion, e.g. the AMA Manual of
Style's SI conversion table; molar masses: calcium 40.08 g/mol, bilirubin 584.66 g/mol):

- mg/L -> mg/dL: / 10; g/L -> g/dL: / 10; 10^9/L -> per uL: x 1000; U/L = IU/L;
- calcium mmol/L -> mg/dL: x 4.008; bilirubin umol/L -> mg/dL: / 17.104.

A (test, unit) pair without a stated conversion stops the run, naming the raw file, line and column: a value in
an unexpected unit is never compared with a threshold it was not meant for.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .locate import Locator

# test category -> (analysis column, {unit category: factor to the conventional unit}).
CONVERSIONS: dict[str, tuple[str, dict[str, float]]] = {
    "crp": ("crp_mg_dl", {"mg_per_dl": 1.0, "mg_per_l": 0.1}),
    "ldh": ("ldh_iu_l", {"u_per_l": 1.0}),
    "albumin": ("albumin_g_dl", {"g_per_dl": 1.0, "g_per_l": 0.1}),
    "platelets": ("platelets_per_ul", {"per_ul": 1.0, "e9_per_l": 1000.0}),
    "calcium": ("calcium_mg_dl", {"mg_per_dl": 1.0, "mmol_per_l": 4.008}),
    "bilirubin": ("bilirubin_mg_dl", {"mg_per_dl": 1.0, "umol_per_l": 1 / 17.104}),
    "haemoglobin": ("haemoglobin_g_dl", {"g_per_dl": 1.0, "g_per_l": 0.1}),
    "lymphocytes": ("lymphocytes_per_ul", {"per_ul": 1.0, "e9_per_l": 1000.0}),
}
LABORATORY_COLUMNS = [column for column, _ in CONVERSIONS.values()]


def convert(lab: pd.DataFrame, path: Path, locator: Locator) -> pd.Series:
    """Each row's value in the conventional unit of its test; an unconvertible (test, unit) stops the run."""
    factor = pd.Series(np.nan, index=lab.index)
    for test, (_, units) in CONVERSIONS.items():
        for unit, f in units.items():
            factor[(lab["test"] == test) & (lab["unit"] == unit)] = f
    unknown = factor.isna() & lab["test"].notna() & lab["unit"].notna()
    if unknown.any():
        row = unknown.idxmax()
        known = {t: sorted(u) for t, (_, u) in CONVERSIONS.items()}
        raise locator.error(
            "laboratory",
            path,
            lab,
            row,
            f"the unit {lab.at[row, 'unit']!r} has no stated conversion for the test {lab.at[row, 'test']!r} "
            f"(known: {known[lab.at[row, 'test']]}); add it to scripts/cleaning/laboratory.py with its source",
            column="unit",
        )
    return lab["value"].astype(float) * factor


def preoperative_panel(
    lab: pd.DataFrame, index_day: pd.Series, window_days: int, path: Path, locator: Locator
) -> tuple[pd.DataFrame, dict]:
    """Patient -> the panel (LABORATORY_COLUMNS, conventional units, NaN where no draw in the window), and counts
    for the data-quality report. `lab` has patient_id, entry, lab_day, test, value, unit (codes); `index_day` is
    the index operation's day per patient."""
    lab = lab.assign(conventional=convert(lab, path, locator))
    offset = lab["lab_day"] - lab["patient_id"].map(index_day)
    usable = lab["conventional"].notna() & offset.notna()
    after = usable & (offset > 0)
    too_early = usable & (offset < -window_days)
    eligible = lab[usable & ~after & ~too_early].sort_values(["patient_id", "test", "lab_day", "entry"])
    latest = eligible.drop_duplicates(["patient_id", "test"], keep="last")
    last_day = eligible.merge(latest[["patient_id", "test", "lab_day"]], on=["patient_id", "test", "lab_day"])
    conflicts = last_day.groupby(["patient_id", "test"])["conventional"].nunique().gt(1).sum()
    panel = latest.pivot(index="patient_id", columns="test", values="conventional")
    panel = panel.rename(columns={t: c for t, (c, _) in CONVERSIONS.items()}).reindex(
        index=index_day.index, columns=LABORATORY_COLUMNS
    )
    counts = {
        "draws": int(len(lab)),
        "used": int(len(latest)),
        "after_the_operation": int(after.sum()),
        "before_the_window": int(too_early.sum()),
        "superseded_by_a_later_draw": int(len(eligible) - len(latest)),
        "same_day_conflicts_resolved_by_the_later_entry": int(conflicts),
        "without_a_value_or_date": int((~usable).sum()),
        "window_days": int(window_days),
    }
    return panel, counts
