"""Description of the cohort: Table 1, revision causes by primary tumour, time to revision by cause."""

from __future__ import annotations

import pandas as pd
from tableone import TableOne

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


def table_one(df: pd.DataFrame, groupby: str | None) -> pd.DataFrame:
    """Table 1 (tableone): medians [Q1, Q3] for continuous variables, n (%) for categories; with a grouping,
    one column per group and the overall column."""
    data = df[list(TABLE1_COLUMNS) + ([groupby] if groupby and groupby not in TABLE1_COLUMNS else [])].copy()
    for column in ("pathological_fracture", "solitary_bone_metastasis", "visceral_metastases"):
        data[column] = data[column].map({True: "yes", False: "no"})
    data["ecog"] = data["ecog"].astype("Int64").astype(str).replace("<NA>", pd.NA)
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
