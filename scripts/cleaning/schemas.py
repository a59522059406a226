"""Declared schemas of every table the cleaning stage reads and writes, and validation with errors that name the
file, the line and the column.

The schemas are declared here in plain data (`Column`, `Check`, `Schema`) and validated by pandera. A table that
meets its schema is the rule; pandera (about 0.5 s of CPU to import, 0.3 s to validate the run's six tables, on
the run's critical path) is imported only when the plain check (`Schema.passes`: the same dtypes, nulls,
uniqueness, column set and order and checks, read at least as strictly) finds something: pandera then validates
the table as before and words the error. A table the plain check passes, pandera passes too
(`tests/test_cleaning.py::test_the_plain_schema_check_passes_only_what_pandera_passes`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common.study import EVENT_CODES, REVISION

from .errors import CleaningError


@dataclass(frozen=True)
class Check:
    """One of pandera's built-in checks (`pandera.Check.<name>(*args, error=...)`): `str_matches`, `isin`,
    `in_range` (both ends included) or `ge`. Missing values pass, as pandera's `ignore_na` has it."""

    name: str
    args: tuple
    error: str | None = None

    def passes(self, values: pd.Series) -> bool:
        values = values[values.notna()]
        if self.name == "str_matches":
            return bool(values.str.match(self.args[0], na=False).all())
        if self.name == "isin":
            return bool(values.isin(self.args[0]).all())
        if self.name == "in_range":
            return bool(((values >= self.args[0]) & (values <= self.args[1])).all())
        if self.name == "ge":
            return bool((values >= self.args[0]).all())
        return False  # not known here: pandera decides

    def to_pandera(self, pa):
        return getattr(pa.Check, self.name)(*self.args, **({} if self.error is None else {"error": self.error}))


# The dtype pandera wants for each declared type, compared exactly (pandera accepts these; a near match such as
# int64 for "Int64" is left to pandera, which decides and words the error).
_DTYPES = {
    str: np.dtype(object),
    object: np.dtype(object),
    float: np.dtype("float64"),
    bool: np.dtype(bool),
    "Int64": pd.Int64Dtype(),
    "boolean": pd.BooleanDtype(),
}


@dataclass(frozen=True)
class Column:
    """`pandera.Column(dtype, checks, nullable=..., unique=..., required=...)`, pandera's defaults."""

    dtype: object
    checks: tuple[Check, ...] = ()
    nullable: bool = False
    unique: bool = False
    required: bool = True

    def passes(self, series: pd.Series) -> bool:
        if self.dtype not in _DTYPES or series.dtype != _DTYPES[self.dtype]:
            return False
        if self.dtype is str and not series.map(lambda v: isinstance(v, str) or v is pd.NA or v != v).all():
            return False  # pandera's str: every value a str (or missing)
        if not self.nullable and series.isna().any():
            return False
        if self.unique and series.duplicated().any():
            return False
        return all(check.passes(series) for check in self.checks)

    def to_pandera(self, pa):
        checks = [check.to_pandera(pa) for check in self.checks] or None
        return pa.Column(self.dtype, checks, nullable=self.nullable, unique=self.unique, required=self.required)


@dataclass(frozen=True)
class Schema:
    """`pandera.DataFrameSchema(columns, strict=..., ordered=..., checks=[pandera.Check(function, error=...)])`."""

    columns: dict[str, Column]
    strict: bool = True
    ordered: bool = False
    checks: tuple[tuple[Callable[[pd.DataFrame], pd.Series], str], ...] = ()

    def passes(self, df: pd.DataFrame) -> bool:
        """Does the table meet the schema? Read at least as strictly as pandera reads it: True only for tables
        pandera passes (a False is left to pandera to decide and word)."""
        names = list(df.columns)
        if len(set(names)) != len(names) or not self.strict:
            return False
        if any(name not in self.columns for name in names):
            return False
        if any(column.required and name not in df.columns for name, column in self.columns.items()):
            return False
        if self.ordered and names != [name for name in self.columns if name in df.columns]:
            return False
        if not all(self.columns[name].passes(df[name]) for name in names):
            return False
        for function, _ in self.checks:
            result = function(df)
            if not isinstance(result, pd.Series) or result.dtype not in (np.dtype(bool), pd.BooleanDtype()):
                return False
            if result.isna().any() or not result.all():
                return False
        return True

    def to_pandera(self):
        import pandera.pandas as pa

        return pa.DataFrameSchema(
            {name: column.to_pandera(pa) for name, column in self.columns.items()},
            strict=self.strict,
            ordered=self.ordered,
            checks=[pa.Check(function, error=error) for function, error in self.checks] or None,
        )


PSEUDONYM = Check("str_matches", (r"^P[0-9a-f]{16}$",), error="a patient pseudonym P + 16 hex digits")
FLAG = Check("isin", ([0, 1],))
ENTRY = Column("Int64", (Check("ge", (1,)),), nullable=False)  # the row's ordinal within its patient


def day(name: str) -> dict[str, Column]:
    """The three columns a de-identified date becomes."""
    return {
        f"{name}_day": Column("Int64", nullable=True),
        f"{name}_year": Column("Int64", (Check("in_range", (1900, 2100)),), nullable=True),
        f"{name}_date_unparseable": Column("Int64", (FLAG,), nullable=False),
    }


TEXT = Column(str, nullable=False)
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
    "patients": Schema(
        {"patient_id": Column(str, (PSEUDONYM,)), "entry": ENTRY, "sex": TEXT}, strict=True, ordered=False
    ),
    "diagnoses": Schema(
        {
            "patient_id": Column(str, (PSEUDONYM,)),
            "entry": ENTRY,
            **day("diagnosis"),
            "primary_icd10": TEXT,
            "primary_text": TEXT,
            "bone_lesion_icd10": TEXT,
            "bone_metastases_count": Column("Int64", (Check("in_range", (0, 200)),), nullable=True),
            "bone_metastases_count_unparseable": Column("Int64", (FLAG,), nullable=False),
            "visceral_metastases": TEXT,
            "ecog": Column("Int64", (Check("in_range", (0, 4)),), nullable=True),
            "ecog_unparseable": Column("Int64", (FLAG,), nullable=False),
            "chemotherapy_before_surgery": TEXT,
            "lesion_size_cm": Column(float, (Check("in_range", (0, 60)),), nullable=True),
            "lesion_size_cm_unparseable": Column("Int64", (FLAG,), nullable=False),
            # Prognostic-score inputs (issue 17): a centre may not record them.
            **{c: Column(str, nullable=False, required=False) for c in SCORE_INPUT_COLUMNS},
        },
        strict=True,
        ordered=False,
    ),
    "operations": Schema(
        {
            "patient_id": Column(str, (PSEUDONYM,)),
            "entry": ENTRY,
            **day("operation"),
            "age_at_operation": Column("Int64", (Check("in_range", (0, 120)),), nullable=True),
            "bone": TEXT,
            "segment": TEXT,
            "fracture": TEXT,
            "procedure": TEXT,
            "surgeon": Column(str, (Check("str_matches", (r"^(S[0-9a-f]{10})?$",)),)),
            "is_revision": TEXT,
            "revision_reason": TEXT,
        },
        strict=True,
        ordered=False,
    ),
    "laboratory": Schema(
        {
            "patient_id": Column(str, (PSEUDONYM,)),
            "entry": ENTRY,
            **day("lab"),
            "test": TEXT,
            "value": Column(float, nullable=True),
            "value_unparseable": Column("Int64", (FLAG,), nullable=False),
            "unit": TEXT,
        },
        strict=True,
        ordered=False,
    ),
    "follow_up": Schema(
        {
            "patient_id": Column(str, (PSEUDONYM,)),
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


def analysis_schema(codebook) -> Schema:
    """The analysis table: one row per patient, every category from the codebook."""

    def category(field_name, allowed=None):
        values = sorted(
            set(
                (codebook.maps if field_name != "primary_group" else {"primary_group": codebook.primary_labels})[
                    field_name
                ].values()
            )
        )
        return Column(str, (Check("isin", (allowed or values,)),), nullable=False)

    return Schema(
        {
            "patient_id": Column(str, (PSEUDONYM,), unique=True),
            "age_at_surgery": Column("Int64", (Check("in_range", (18, 90)),), nullable=False),
            "sex": category("sex"),
            "primary_group": category("primary_group"),
            "primary_icd10": TEXT,
            "operation_method": category(
                "operation_method", ["endoprosthesis", "intramedullary_osteosynthesis", "plate_osteosynthesis", "other"]
            ),
            "bone": category("bone", sorted(codebook.long_bones)),
            "segment": category("segment", ["proximal", "diaphysis", "distal"]),
            "pathological_fracture": Column(bool),
            "solitary_bone_metastasis": Column(bool),
            "bone_metastases_count": Column("Int64", (Check("ge", (1,)),), nullable=False),
            "visceral_metastases": Column(bool),
            "ecog": Column("Int64", (Check("in_range", (0, 4)),), nullable=True),
            "chemotherapy_before_surgery": Column(bool),
            "lesion_size_cm": Column(float, nullable=True),
            "year_of_surgery": Column("Int64", nullable=False),
            "time_days": Column("Int64", (Check("ge", (0,)),), nullable=False),
            "event": Column("Int64", (Check("isin", (list(EVENT_CODES),)),), nullable=False),
            "revision_cause": Column(str, nullable=False),
            "survival_days": Column("Int64", (Check("ge", (0,)),), nullable=False),
            "died": Column(bool),
            "visceral_spread": Column(object, (Check("isin", (["none", "nodular", "disseminated"],)),), nullable=True),
            "cerebral_metastases": Column("boolean", nullable=True),
            "hormone_dependent": Column("boolean", nullable=True),
            "targeted_therapy": Column("boolean", nullable=True),
            **{c: Column(float, (Check("ge", (0,)),), nullable=True) for c in LABORATORY_COLUMNS},
        },
        strict=True,
        ordered=True,
        checks=(
            (
                lambda df: (df["event"] == REVISION) == (df["revision_cause"] != ""),
                "revision_cause is given exactly for revised patients (event 1)",
            ),
            (
                lambda df: df["survival_days"] >= df["time_days"],
                "overall survival time is at least the time to the first event",
            ),
        ),
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


def validate(df: pd.DataFrame, schema: Schema, path: str | Path, locate=None) -> pd.DataFrame:
    """Validate with every check (lazy); the first failure becomes an error naming file, line and column.
    Line numbers count the header as line 1, as in the written file; with `locate` (locator, table) the raw
    export's file and line. A table the plain check passes is returned as pandera returns it (a copy) without
    importing pandera; any other is validated by pandera (see the module's docstring)."""
    try:
        plain = schema.passes(df)
    except (TypeError, ValueError, KeyError):  # a table too malformed to compare: pandera reads it and says why
        plain = False
    if plain:
        return df.copy()
    import pandera.pandas as pa

    try:
        return schema.to_pandera().validate(df, lazy=True)
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
