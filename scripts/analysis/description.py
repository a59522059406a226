"""Description of the cohort: Table 1, revision causes by primary tumour, time to revision by cause."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from common.study import DAYS_PER_MONTH, REVISION

from .data import PROGNOSTIC_GROUPS

TABLE1_COLUMNS = {
    "age_at_surgery": "Age at surgery, years",
    "sex": "Sex",
    "primary_group": "Primary tumour",
    "operation_method": "Operation",
    "bone": "Bone",
    "segment": "Segment",
    "pathological_fracture": "Pathological fracture",
    "solitary_bone_metastasis": "Solitary bone metastasis",
    "visceral_metastases": "Visceral metastases",
    "ecog": "ECOG performance status",
    "prognostic_group": "Modified Bauer score group",
    "year_of_surgery": "Year of surgery",
}
CONTINUOUS = ["age_at_surgery", "year_of_surgery"]


def _table_one_input(df: pd.DataFrame, groupby: str | None) -> pd.DataFrame:
    """The Table 1 columns (and the grouping), the yes/no items and ECOG as text categories."""
    data = df[list(TABLE1_COLUMNS) + ([groupby] if groupby and groupby not in TABLE1_COLUMNS else [])].copy()
    for column in ("pathological_fracture", "solitary_bone_metastasis", "visceral_metastases"):
        data[column] = data[column].map({True: "yes", False: "no"})
    data["ecog"] = data["ecog"].astype("Int64").astype(str).replace("<NA>", pd.NA)
    return data


def table_one(df: pd.DataFrame, groupby: str | None) -> pd.DataFrame:
    """Table 1: medians [Q1, Q3] for continuous variables, n (%) for categories; with a grouping, one column per
    group and the overall column. Columns variable, level, Missing, Overall, then the groups.

    The layout and every string are those of tableone 0.9.6 (``TableOne(..., nonnormal=CONTINUOUS, pval=False,
    overall=True, missing=True, order=..., decimals=0 for the continuous)``, see ``table_one_tableone``), computed
    here directly: tableone's import alone (it imports scipy.stats) and its pandas machinery cost about 3 s of CPU
    per run for three small tables. tests/test_analysis.py checks the two are equal, frame for frame, on the twin
    and on cohorts with missing values and empty levels. As tableone does (``include_null``): a missing category is
    the level "None", and the percentages of a variable are of the group's patients (``{:.1f}``); medians and
    quartiles are numpy's ``nanmedian`` and ``nanpercentile`` (linear interpolation), rounded by ``{:.0f}``; a
    continuous variable's Missing counts the whole cohort."""
    data = _table_one_input(df, groupby)
    categorical = [c for c in TABLE1_COLUMNS if c not in CONTINUOUS]
    # Categories as tableone reads them: text, a missing value the level "None".
    text = {c: data[c].astype(object).where(data[c].notna(), "None").map(str) for c in categorical}
    if groupby:
        key = text[groupby] if groupby in text else data[groupby]
        groups = sorted(key.dropna().unique())
        members = {"Overall": np.ones(len(data), bool), **{str(g): (key == g).to_numpy() for g in groups}}
    else:
        members = {"Overall": np.ones(len(data), bool)}
    rows: list[dict] = [{"variable": "n", "level": "", "Missing": "", **{g: int(m.sum()) for g, m in members.items()}}]
    for column, label in TABLE1_COLUMNS.items():
        if column in CONTINUOUS:
            values = pd.to_numeric(data[column], errors="coerce").to_numpy()
            row = {"variable": f"{label}, median [Q1,Q3]", "level": "", "Missing": int(data[column].isna().sum())}
            for g, m in members.items():
                x = values[m]
                with warnings.catch_warnings():  # a group without any value: "nan [nan,nan]", as tableone writes
                    warnings.simplefilter("ignore", RuntimeWarning)
                    median, q1, q3 = np.nanmedian(x), np.nanpercentile(x, 25), np.nanpercentile(x, 75)
                row[g] = f"{median:.0f} [{q1:.0f},{q3:.0f}]"
            rows.append(row)
            continue
        levels = sorted(set(text[column]))
        if column == "prognostic_group":  # the published order first, then any other level
            levels = [v for v in PROGNOSTIC_GROUPS if v in levels] + [v for v in levels if v not in PROGNOSTIC_GROUPS]
        values = text[column].to_numpy()
        for level in levels:
            row = {"variable": f"{label}, n (%)", "level": level, "Missing": ""}
            for g, m in members.items():
                total, freq = int(m.sum()), int((values[m] == level).sum())
                row[g] = f"{freq} ({freq / total * 100 if total else float('nan'):.1f})"
            rows.append(row)
    return pd.DataFrame(rows, columns=["variable", "level", "Missing", *members]).astype(object)


def table_one_tableone(df: pd.DataFrame, groupby: str | None) -> pd.DataFrame:
    """``table_one`` by tableone itself: the reference the tests hold ``table_one`` to."""
    from tableone import TableOne

    data = _table_one_input(df, groupby)
    categorical = [c for c in TABLE1_COLUMNS if c not in CONTINUOUS]
    table = TableOne(
        data,
        columns=list(TABLE1_COLUMNS),
        categorical=categorical,
        nonnormal=CONTINUOUS,
        groupby=groupby,
        rename=TABLE1_COLUMNS,
        pval=False,
        overall=True,
        missing=True,
        order={"prognostic_group": list(PROGNOSTIC_GROUPS)},
        decimals={c: 0 for c in CONTINUOUS},
    )
    out = table.tableone.copy()
    out.columns = [
        " ".join(str(x) for x in col if str(x) and not str(x).startswith("Grouped by")).strip()
        if isinstance(col, tuple)
        else str(col)
        for col in out.columns
    ]
    out = out.reset_index()
    out.columns = ["variable", "level"] + list(out.columns[2:])
    return out


def causes_by_primary(df: pd.DataFrame, causes: list[str], primaries: list[str]) -> pd.DataFrame:
    """Revised patients: cause of revision (rows) by primary tumour (columns), with totals; every cause and primary
    of the codebook present, zeros included."""
    revised = df[df["event"] == REVISION]
    table = pd.crosstab(revised["revision_cause"], revised["primary_group"])
    table = table.reindex(
        index=causes, columns=[p for p in primaries if p in table.columns or p in primaries], fill_value=0
    )
    table = table.loc[:, table.sum() > 0]
    table["total"] = table.sum(axis=1)
    table.loc["total"] = table.sum()
    return table.rename_axis(index="revision_cause", columns=None).reset_index()


def time_to_revision_by_cause(df: pd.DataFrame, causes: list[str]) -> pd.DataFrame:
    revised = df[df["event"] == REVISION]
    rows = []
    for cause in causes + ["all"]:
        months = (revised if cause == "all" else revised[revised["revision_cause"] == cause])["time_days"]
        months = months / DAYS_PER_MONTH
        rows.append(
            {
                "revision_cause": cause,
                "n": int(len(months)),
                "median_months": months.median() if len(months) else None,
                "q1_months": months.quantile(0.25) if len(months) else None,
                "q3_months": months.quantile(0.75) if len(months) else None,
                "min_months": months.min() if len(months) else None,
                "max_months": months.max() if len(months) else None,
            }
        )
    return pd.DataFrame(rows)
