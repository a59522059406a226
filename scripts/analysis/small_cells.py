"""Small-cell protection of published descriptive tables (config `publication.small_cells`).

A count of 1 or 2 patients with a rare combination (a primary tumour, a bone, a sex and an age band) can point at
one person. Before a descriptive table is written, cells with a count from 1 to `minimum - 1` are either

- suppressed: the count is shown as "<minimum" (and its percentage dropped); where that leaves a single suppressed
  cell in a variable's column (Table 1) or in the whole table (a cross-tabulation), the next smallest count is
  suppressed too, so the suppressed one cannot be recovered from the total (secondary suppression); or
- pooled: rare categories are merged into one category ("other (pooled)") before the table is built, and what is
  still under the minimum after pooling is suppressed as above.

Zeros are structural (no patient) and are shown. Every table touched is counted in the audit record
(results/analysis/small_cells.json): which table, how many cells suppressed, which categories pooled (by name:
category names are codebook categories, never raw values).
"""

from __future__ import annotations

import re

import pandas as pd

POOLED = "other (pooled)"
COUNT_CELL = re.compile(r"^\s*(\d+)(\s*\(.*\))?\s*$")
ACTIONS = ("suppress", "pool")
# Table 1's categorical columns that may be pooled (text categories; ECOG and the prognostic group are ordered).
POOLABLE = ["primary_group", "operation_method", "bone", "segment"]
# The cross-tabulation of the cohort the workflow publishes beside Table 1.
CROSSTAB_KEYS = ["primary_group", "bone", "sex", "age_band"]


def label(minimum: int) -> str:
    return f"<{minimum}"


def _count(cell) -> int | None:
    m = COUNT_CELL.match(str(cell)) if isinstance(cell, str) else None
    return int(m.group(1)) if m else None


def _count_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c not in ("variable", "level", "Missing")]


def suppress_table_one(table: pd.DataFrame, minimum: int) -> tuple[pd.DataFrame, int]:
    """Table 1 (tableone layout: variable, level, Missing, then one "n (%)" column per group): counts from 1 to
    minimum - 1 become "<minimum", with secondary suppression within each variable's column. Returns the table and
    the number of cells suppressed."""
    out = table.copy()
    suppressed = 0
    categorical = out["variable"].astype(str).str.endswith("n (%)")
    for column in _count_columns(out):
        for _, rows in out[categorical].groupby("variable", sort=False):
            counts = {i: _count(out.at[i, column]) for i in rows.index}
            small = [i for i, n in counts.items() if n is not None and 0 < n < minimum]
            if len(small) == 1:  # one hidden cell is the column's n minus the others: hide the next smallest too
                others = sorted((n, i) for i, n in counts.items() if n and i not in small)
                small += [others[0][1]] if others else []
            for i in small:
                out.at[i, column] = label(minimum)
            suppressed += len(small)
    return out, suppressed


def pool_rare(df: pd.DataFrame, columns: list[str], minimum: int):
    """The data with the rare categories of each column (fewer than `minimum` patients in all) merged into
    "other (pooled)". Returns the data and {column: [pooled categories]}. Small counts left in the groups of a
    grouped table are suppressed afterwards (suppress_table_one)."""
    out = df.copy()
    pooled: dict[str, list[str]] = {}
    for column in columns:
        values = out[column]
        total = values.value_counts()
        rare = [v for v in total.index if total[v] < minimum]
        if rare:
            out[column] = values.astype("object").where(~values.isin(rare), POOLED)
            pooled[column] = sorted(map(str, rare))
    return out, pooled


def suppress_counts(table: pd.DataFrame, count: str, minimum: int) -> tuple[pd.DataFrame, int]:
    """A long cross-tabulation (one row per combination, its patients in column `count`): counts from 1 to
    minimum - 1 become "<minimum"; if that hides a single cell, the next smallest is hidden too."""
    out = table.copy()
    counts = out[count].astype(int)
    small = list(counts[(counts > 0) & (counts < minimum)].index)
    if len(small) == 1:
        others = counts[(counts >= minimum)].sort_values(kind="stable")
        small += list(others.index[:1])
    out[count] = counts.astype("object")
    out.loc[small, count] = label(minimum)
    return out, len(small)


def pool_counts(table: pd.DataFrame, count: str, minimum: int) -> tuple[pd.DataFrame, int]:
    """A long cross-tabulation with every combination under the minimum merged into one row "other (pooled)" in
    every key column; the merged row is suppressed if it is still under the minimum. Returns the table and the
    number of combinations pooled."""
    counts = table[count].astype(int)
    rare = (counts > 0) & (counts < minimum)
    kept = table[~rare].copy()
    n_rare = int(rare.sum())
    if n_rare:
        row = {c: POOLED for c in table.columns if c != count}
        row[count] = int(counts[rare].sum())
        kept = pd.concat([kept, pd.DataFrame([row])], ignore_index=True)
    kept[count] = kept[count].astype(int)
    kept, _ = suppress_counts(kept, count, minimum) if n_rare else (kept, 0)
    return kept, n_rare


def age_band(age: pd.Series, years: int = 10, top: int = 90) -> pd.Series:
    """Age bands of `years` ("50-59"), the top band open ("90+", the top-coded ages)."""

    def band(a) -> str | None:
        if pd.isna(a):
            return None
        a = int(a)
        if a >= top:
            return f"{top}+"
        low = a // years * years
        return f"{low}-{low + years - 1}"

    return age.map(band)


def cross_tabulation(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Patients by every observed combination of `keys` (long format, column `patients`), sorted by the keys."""
    data = df[keys].astype("object").fillna("missing")
    table = data.value_counts().rename("patients").reset_index()
    return table.sort_values(keys, kind="stable").reset_index(drop=True)


def protect(table: pd.DataFrame, kind: str, settings: dict, name: str, count: str = "patients"):
    """Apply the configured action to one finished table (`kind`: "table_one" or "counts"); returns the table and
    its audit entry. Pooling of Table 1 happens on the data (pool_rare) before it is built: here only the
    residual suppression."""
    minimum, action = int(settings["minimum"]), settings["action"]
    if action not in ACTIONS:
        raise ValueError(f"publication.small_cells.action must be one of {ACTIONS}, not {action!r}")
    entry = {"table": name, "minimum": minimum, "action": action}
    if kind == "table_one":
        table, n = suppress_table_one(table, minimum)
        entry["cells_suppressed"] = n
    elif action == "pool":
        table, n = pool_counts(table, count, minimum)
        entry["combinations_pooled"] = n
        entry["cells_suppressed"] = int((table[count].astype(str) == label(minimum)).sum())
    else:
        table, n = suppress_counts(table, count, minimum)
        entry["cells_suppressed"] = n
    return table, entry
