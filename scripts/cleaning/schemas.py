"""Declared schemas of every table the cleaning stage reads and writes (pandera), and validation with errors that
name the file, the line and the column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from common.study import EVENT_CODES, REVISION

from .errors import CleaningError

PSEUDONYM = pa.Check.str_matches(r"^P[0-9a-f]{16}$", error="a patient pseudonym P + 16 hex digits")
FLAG = pa.Check.isin([0, 1])
ENTRY = pa.Column("Int64", pa.Check.ge(1), nullable=False)  # the row's ordinal within its patient


def day(name: str) -> dict[str, pa.Column]:
    """The three columns a de-identified date becomes."""
    return {
        f"{name}_day": pa.Column("Int64", nullable=True),
        f"{name}_year": pa.Column("Int64", pa.Check.in_range(1900, 2100), nullable=True),
        f"{name}_date_unparseable": pa.Column("Int64", FLAG, nullable=False),
    }


TEXT = pa.Column(str, nullable=False)
SCORE_INPUT_COLUMNS = ("visceral_spread", "cerebral_metastases", "hormone_dependent", "targeted_therapy")
LABORATORY_COLUMNS = (
    "crp_mg_dl",
    "ldh_iu_l",
    "albumin_g_dl",
    "platelets_per_ul",
    "calcium_mg_dl",
    "bilirubin_mg_dl",
    "haemoglobin_g_dl",
    "lymphocytes_per_ul",
)

INPUT_SCHEMAS = {
    "patients": pa.DataFrameSchema(
        {"patient_id": pa.Column(str, PSEUDONYM), "entry": ENTRY, "sex": TEXT}, strict=True, ordered=False
    ),
    "diagnoses": pa.DataFrameSchema(
        {
            "patient_id": pa.Column(str, PSEUDONYM),
            "entry": ENTRY,
            **day("diagnosis"),
            "primary_icd10": TEXT,
            "primary_text": TEXT,
            "bone_lesion_icd10": TEXT,
            "bone_metastases_count": pa.Column("Int64", pa.Check.in_range(0, 200), nullable=True),
            "bone_metastases_count_unparseable": pa.Column("Int64", FLAG, nullable=False),
            "visceral_metastases": TEXT,
            "ecog": pa.Column("Int64", pa.Check.in_range(0, 4), nullable=True),
            "ecog_unparseable": pa.Column("Int64", FLAG, nullable=False),
            "chemotherapy_before_surgery": TEXT,
            "lesion_size_cm": pa.Column(float, pa.Check.in_range(0, 60), nullable=True),
            "lesion_size_cm_unparseable": pa.Column("Int64", FLAG, nullable=False),
            # Prognostic-score inputs (issue 17): a centre may not record them.
            **{c: pa.Column(str, nullable=False, required=False) for c in SCORE_INPUT_COLUMNS},
        },
        strict=True,
        ordered=False,
    ),
    "operations": pa.DataFrameSchema(
        {
            "patient_id": pa.Column(str, PSEUDONYM),
            "entry": ENTRY,
            **day("operation"),
            "age_at_operation": pa.Column("Int64", pa.Check.in_range(0, 120), nullable=True),
            "bone": TEXT,
            "segment": TEXT,
            "fracture": TEXT,
            "procedure": TEXT,
            "surgeon": pa.Column(str, pa.Check.str_matches(r"^(S[0-9a-f]{10})?$")),
            "is_revision": TEXT,
            "revision_reason": TEXT,
        },
        strict=True,
        ordered=False,
    ),
    "laboratory": pa.DataFrameSchema(
        {
            "patient_id": pa.Column(str, PSEUDONYM),
            "entry": ENTRY,
            **day("lab"),
            "test": TEXT,
            "value": pa.Column(float, nullable=True),
            "value_unparseable": pa.Column("Int64", FLAG, nullable=False),
            "unit": TEXT,
        },
        strict=True,
        ordered=False,
    ),
    "follow_up": pa.DataFrameSchema(
        {
            "patient_id": pa.Column(str, PSEUDONYM),
            "entry": ENTRY,
            **day("last_contact"),
            "vital_status": TEXT,
            **day("death"),
        },
        strict=True,
        ordered=False,
    ),
}

NUMERIC_INPUT_COLUMNS = {
    "bone_metastases_count": "integer",
    "ecog": "integer",
    "lesion_size_cm": "decimal",
    "value": "decimal",
    "age_at_operation": "integer",
    "entry": "integer",
}


def analysis_schema(codebook) -> pa.DataFrameSchema:
    """The analysis table: one row per patient, every category from the codebook."""

    def category(field_name, allowed=None):
        values = sorted(
            set(
                (codebook.maps if field_name != "primary_group" else {"primary_group": codebook.primary_labels})[
                    field_name
                ].values()
            )
        )
        return pa.Column(str, pa.Check.isin(allowed or values), nullable=False)

    return pa.DataFrameSchema(
        {
            "patient_id": pa.Column(str, PSEUDONYM, unique=True),
            "age_at_surgery": pa.Column("Int64", pa.Check.in_range(18, 90), nullable=False),
            "sex": category("sex"),
            "primary_group": category("primary_group"),
            "primary_icd10": TEXT,
            "operation_method": category(
                "operation_method", ["endoprosthesis", "intramedullary_osteosynthesis", "plate_osteosynthesis", "other"]
            ),
            "bone": category("bone", sorted(codebook.long_bones)),
            "segment": category("segment", ["proximal", "diaphysis", "distal"]),
            "pathological_fracture": pa.Column(bool),
            "solitary_bone_metastasis": pa.Column(bool),
            "bone_metastases_count": pa.Column("Int64", pa.Check.ge(1), nullable=False),
            "visceral_metastases": pa.Column(bool),
            "ecog": pa.Column("Int64", pa.Check.in_range(0, 4), nullable=True),
            "chemotherapy_before_surgery": pa.Column(bool),
            "lesion_size_cm": pa.Column(float, nullable=True),
            "year_of_surgery": pa.Column("Int64", nullable=False),
            "time_days": pa.Column("Int64", pa.Check.ge(0), nullable=False),
            "event": pa.Column("Int64", pa.Check.isin(list(EVENT_CODES)), nullable=False),
            "revision_cause": pa.Column(str, nullable=False),
            "survival_days": pa.Column("Int64", pa.Check.ge(0), nullable=False),
            "died": pa.Column(bool),
            "visceral_spread": pa.Column(object, pa.Check.isin(["none", "nodular", "disseminated"]), nullable=True),
            "cerebral_metastases": pa.Column("boolean", nullable=True),
            "hormone_dependent": pa.Column("boolean", nullable=True),
            "targeted_therapy": pa.Column("boolean", nullable=True),
            **{c: pa.Column(float, pa.Check.ge(0), nullable=True) for c in LABORATORY_COLUMNS},
        },
        strict=True,
        ordered=True,
        checks=[
            pa.Check(
                lambda df: (df["event"] == REVISION) == (df["revision_cause"] != ""),
                error="revision_cause is given exactly for revised patients (event 1)",
            ),
            pa.Check(
                lambda df: df["survival_days"] >= df["time_days"],
                error="overall survival time is at least the time to the first event",
            ),
        ],
    )


def read_table(path: str | Path, name: str, decimal: str = ".", locator=None) -> pd.DataFrame:
    """Read a de-identified table as text, convert its numeric columns, and validate it against its schema. A
    number de-identification could not parse (``<column>_unparseable`` = 1) or a failed check stops the run, naming
    the raw file, line and column through `locator` (cleaning.locate.Locator) when given, else the de-identified
    file's line; the message quotes no raw value."""
    path = Path(path)
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    for column in df.columns:
        kind = NUMERIC_INPUT_COLUMNS.get(column) or (
            "integer" if column.endswith(("_day", "_year", "_unparseable")) else None
        )
        if kind is None:
            continue
        text = df[column].str.strip()
        number = pd.to_numeric(text.str.replace(decimal, ".", regex=False), errors="coerce")
        bad = number.isna() & (text != "")
        if kind == "integer":
            bad |= number.notna() & (number % 1 != 0)
        if bad.any():
            row = int(bad.idxmax())
            raise _error(
                locator, name, path, df, row, f"the value is not {'an' if kind == 'integer' else 'a'} {kind}", column
            )
        df[column] = number.astype("Int64") if kind == "integer" else number.astype(float)
    for flag in [c for c in df.columns if c.endswith("_unparseable") and not c.endswith("_date_unparseable")]:
        column = flag[: -len("_unparseable")]
        if (df[flag] == 1).any():
            row = int((df[flag] == 1).idxmax())
            kind = NUMERIC_INPUT_COLUMNS.get(column, "number")
            raise _error(
                locator,
                name,
                path,
                df,
                row,
                f"the export's value is not {'an' if kind == 'integer' else 'a'} {kind}",
                column,
            )
    return validate(df, INPUT_SCHEMAS[name], path, locate=None if locator is None else (locator, name))


def _error(locator, name, path, df, row, message, column):
    if locator is None:
        return CleaningError(path, message, line=row + 2, column=column)
    return locator.error(name, path, df, row, message, column)


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, path: str | Path, locate=None) -> pd.DataFrame:
    """Validate with every check (lazy); the first failure becomes an error naming file, line and column.
    Line numbers count the header as line 1, as in the written file; with `locate` (locator, table) the raw
    export's file and line."""
    try:
        return schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        first = cases.iloc[0]
        index = first.get("index")
        row = int(index) if index is not None and pd.notna(index) else None
        column = first.get("column") if pd.notna(first.get("column")) else None
        more = f" (and {len(cases) - 1} more failures)" if len(cases) > 1 else ""
        message = f"fails check {first['check']}: value {first['failure_case']!r}{more}"
        if locate is not None and row is not None and row in df.index:
            locator, table = locate
            raise locator.error(table, path, df, row, message, column) from None
        raise CleaningError(path, message, line=None if row is None else row + 2, column=column) from None
