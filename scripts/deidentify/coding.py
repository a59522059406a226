"""Raw-side coding (data minimisation): coded columns leave the raw side only as codebook codes, numbers only as
parsed numbers.

Config deidentification.coding gives, per table and column, what crosses in place of the raw value:

- a codebook field (``sex``, ``bone``, ``operation_method``, ``primary_group``, ...): the category the codebook maps
  the raw label to. An unknown label stops the run (naming the raw file, line and column, never the label) or, in
  review mode (cleaning.unknown_labels: review), crosses as the literal ``unmapped``; the label itself is listed on
  the raw side only (resources/deid/label_review.tsv).
- ``icd10``: the ICD-10 code normalised (look-alike letters, spaces, case); a value that is not shaped like an
  ICD-10 code crosses as ``unmapped``.
- ``integer`` / ``decimal``: the number parsed with the table's decimal mark; a value that is not one crosses as
  empty with ``<column>_unparseable`` = 1 (counted in the audit).

Two codebook rules read a second column of the same row: a primary group comes from the ICD-10 code when the
diagnosis text is empty and the code names exactly one group; a revision cause is coded only on rows whose revision
flag codes ``yes`` (the reason given for anything else is not needed and does not cross).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from cleaning.codebook import LABEL_FIELDS, Codebook, normalise_icd, normalise_label

UNMAPPED = "unmapped"
NUMBER_KINDS = ("integer", "decimal")
ICD10 = "icd10"
ICD10_SHAPE = re.compile(r"[A-Z][0-9]{2}(\.[0-9A-Z]{0,4})?")
CODE_KINDS = (*LABEL_FIELDS, "primary_group", ICD10, *NUMBER_KINDS)


class UnknownLabel(ValueError):
    """A label the codebook does not know, in error mode. The message names the raw file, line and column only."""

    def __init__(self, source_file: str, line: int, column: str, message: str):
        self.source_file, self.line, self.column = source_file, line, column
        super().__init__(f"{source_file}, line {line}, column {column!r}: {message}")


@dataclass
class Coder:
    """Maps raw values to codes with the codebook, counting every (raw label, code) pair and listing the labels
    that need review, all on the raw side."""

    codebook: Codebook
    review_mode: bool
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> column -> header in the export
    usage: Counter = field(default_factory=Counter)  # (table, column, field, raw label, category) -> rows
    review: list[dict] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)  # error mode: every unknown label, for the raw-side listing
    calls: int = 0  # calls of `labels` so far: with the row, the order of review items (deidentify.shards)

    def labels(
        self,
        table: str,
        column: str,
        field_name: str,
        values: pd.Series,
        rows: pd.Series,
        where: pd.DataFrame,
    ) -> pd.Series:
        """Codes of `values` (raw labels) on the rows `rows` (a boolean mask); other rows cross as "". `where` has
        per row source_file, source_line and patient_id (pseudonym)."""
        table_map = self.codebook.primary_labels if field_name == "primary_group" else self.codebook.maps[field_name]
        out = pd.Series("", index=values.index, dtype=object)
        chosen = values[rows].fillna("")
        # One normalisation per distinct label (a registry's laboratory table repeats a few dozen labels millions of
        # times): the same codes as label by label.
        distinct = pd.unique(chosen.to_numpy())
        mapped = chosen.map(dict(zip(distinct, (table_map.get(normalise_label(v)) for v in distinct), strict=True)))
        pairs = pd.DataFrame({"raw": chosen.astype(str).to_numpy(), "category": mapped.fillna(UNMAPPED).to_numpy()})
        for (raw_label, category), n in pairs.value_counts(sort=False).items():
            self.usage[(table, column, field_name, raw_label, category)] += int(n)
        unknown = mapped.isna()
        self.calls += 1
        for idx in chosen.index[unknown]:
            item = {
                "source_file": where.at[idx, "source_file"],
                "source_line": int(where.at[idx, "source_line"]),
                "table": table,
                "column": column,
                "raw_header": self.headers.get(table, {}).get(column, column),
                "codebook_field": field_name,
                "label": str(chosen[idx]),
                "patient_id": where.at[idx, "patient_id"],
                "order": [self.calls, int(idx)],  # not a column of the review table
            }
            (self.review if self.review_mode else self.unknown).append(item)
        out[chosen.index] = mapped.fillna(UNMAPPED)
        return out

    def raise_unknown(self) -> None:
        """Error mode: stop at the first unknown label, naming where it is (never the label itself)."""
        if not self.unknown:
            return
        first = self.unknown[0]
        more = f" ({len(self.unknown) - 1} more unknown labels)" if len(self.unknown) > 1 else ""
        raise UnknownLabel(
            first["source_file"],
            first["source_line"],
            first["raw_header"],
            f"the label is not in the codebook {self.codebook.path} under {first['codebook_field']} (it would be "
            f"the code in column {first['column']} of the de-identified {first['table']}.tsv){more}; the labels "
            "are listed on the raw side in resources/deid/unknown_labels.tsv. Add them to the codebook, or set "
            "cleaning.unknown_labels: review",
        )

    def usage_table(self) -> pd.DataFrame:
        """The raw-side label mapping: table, column, field, raw label, category, rows."""
        columns = ["field", "table", "column", "raw_label", "category", "rows"]
        rows = [
            {"field": f, "table": t, "column": c, "raw_label": label, "category": cat, "rows": n}
            for (t, c, f, label, cat), n in self.usage.items()
        ]
        return (
            pd.DataFrame(rows, columns=columns)
            .sort_values(["field", "category", "raw_label", "table", "column"], kind="stable")
            .reset_index(drop=True)
        )

    def review_table(self, items: list[dict] | None = None) -> pd.DataFrame:
        columns = [
            "source_file",
            "source_line",
            "table",
            "column",
            "raw_header",
            "codebook_field",
            "label",
            "patient_id",
        ]
        return pd.DataFrame(self.review if items is None else items, columns=columns)


def icd_codes(values: pd.Series) -> tuple[pd.Series, int]:
    """Normalised ICD-10 codes; a value not shaped like one becomes `unmapped`. Returns the codes and how many were
    not codes."""
    normal = values.fillna("").map(normalise_icd)
    bad = (normal != "") & ~normal.map(lambda c: bool(ICD10_SHAPE.fullmatch(c)))
    return normal.mask(bad, UNMAPPED), int(bad.sum())


def numbers(values: pd.Series, kind: str, decimal: str) -> tuple[pd.Series, pd.Series]:
    """Parsed numbers (Int64 or float) and a 0/1 flag of values that are not numbers of the kind."""
    text = values.fillna("").astype(str).str.strip()
    number = pd.to_numeric(text.str.replace(decimal, ".", regex=False), errors="coerce")
    bad = number.isna() & (text != "")
    if kind == "integer":
        bad |= number.notna() & (number % 1 != 0)
    number = number.mask(bad)
    parsed = number.astype("Int64") if kind == "integer" else number.astype(float)
    return parsed, bad.astype(int)


def check_coding(coding: dict, columns: dict) -> None:
    """Every coded column must be a declared column of an allow-listed table, with a known kind. (A coded column
    the allow-list does not pass is simply not coded: it never crosses.)"""
    for table, kinds in coding.items():
        if table not in columns:
            raise ValueError(f"deidentification.coding.{table}: no such table in deidentification.columns")
        for column, kind in kinds.items():
            if kind not in CODE_KINDS:
                raise ValueError(
                    f"deidentification.coding.{table}.{column}: unknown kind {kind!r}; known: {CODE_KINDS}"
                )
