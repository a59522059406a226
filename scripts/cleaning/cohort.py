"""Derive the analysed cohort from the de-identified tables: every record accounted for.

The steps, each recorded so a reviewer can follow them (results/cleaning/):

1. exact duplicate rows are dropped (`corrections.tsv`; the first entry of the patient is kept);
2. every coded column is checked against the codebook's categories and counted (`label_mapping.tsv`: field,
   category, rows). De-identification coded the raw labels on the raw side; a label it could not code crossed as
   `unmapped` (review mode) and excludes the patient with the reason `label_needs_review` (`review.tsv`: table,
   patient, entry, column, codebook field; the label itself is listed only on the raw side);
3. conflicting duplicates are resolved by stated rules: follow-up keeps the latest last contact; patients and
   diagnoses must agree, or the run stops naming both rows in the raw export;
4. the index operation is each patient's first operation on a long bone that is not a revision; the outcome is the
   first later revision of the same bone (event 1), else death (event 2), else censoring at last contact (event 0);
5. the exclusion rules of the config are applied in their order; each excluded patient gets the first reason that
   applies (`exclusions.tsv`), and the flow adds up: in export = analysed + excluded (`flow.json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from common.study import CENSORED, DEATH, EXCLUSION_RULES, PLAUSIBILITY_RULES, REVISION

from .codebook import Codebook, normalise_icd
from .laboratory import LABORATORY_COLUMNS, preoperative_panel
from .locate import Locator
from .schemas import analysis_schema, validate

INDEX_METHODS = ("endoprosthesis", "intramedullary_osteosynthesis", "plate_osteosynthesis", "other")
# Tables whose patients make up the export; a laboratory row of a patient in none of them is counted, not a patient.
PATIENT_TABLES = ("patients", "diagnoses", "operations", "follow_up")
# Prognostic-score inputs of the diagnoses table (issue 17): optional; empty or "unknown" is missing.
SCORE_INPUTS = {
    "visceral_spread": "visceral_spread",
    "cerebral_metastases": "yes_no_unknown",
    "hormone_dependent": "yes_no_unknown",
    "targeted_therapy": "yes_no_unknown",
}
UNMAPPED = "unmapped"  # what de-identification sends for a label that needs review


@dataclass
class Cohort:
    analysis: pd.DataFrame
    exclusions: pd.DataFrame
    corrections: pd.DataFrame
    flow: dict
    label_usage: pd.DataFrame
    review: pd.DataFrame
    quality: dict = field(default_factory=dict)


class _Corrections:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, table: str, frame: pd.DataFrame, correction: str, detail: pd.Series | str) -> None:
        details = detail if isinstance(detail, pd.Series) else pd.Series(detail, index=frame.index)
        for pid, entry, d in zip(frame["patient_id"], frame["entry"], details, strict=True):
            self.rows.append(
                {"table": table, "patient_id": pid, "entry": int(entry), "correction": correction, "detail": d}
            )

    def frame(self) -> pd.DataFrame:
        columns = ["table", "patient_id", "entry", "correction", "detail"]
        return pd.DataFrame(self.rows, columns=columns).sort_values(columns[:3], kind="stable").reset_index(drop=True)


def drop_exact_duplicates(name: str, df: pd.DataFrame, fixes: _Corrections) -> pd.DataFrame:
    content = [c for c in df.columns if c != "entry"]
    duplicated = df.duplicated(content, keep="first")
    if duplicated.any():
        first_entry = df.groupby(content, dropna=False)["entry"].transform("min")
        fixes.add(
            name, df[duplicated], "exact_duplicate_dropped", "same as entry " + first_entry[duplicated].astype(str)
        )
    return df[~duplicated]


def one_row_per_patient(name: str, df: pd.DataFrame, path: Path, locator: Locator) -> pd.DataFrame:
    """Tables that must hold one row per patient: two different rows for one patient stop the run."""
    repeated = df["patient_id"].duplicated(keep=False)
    if repeated.any():
        rows = df[repeated].sort_values(["patient_id", "entry"])
        first = rows.iloc[0]
        same = rows[rows["patient_id"] == first["patient_id"]]
        differing = [c for c in df.columns if c != "entry" and same[c].nunique(dropna=False) > 1]
        raise locator.error(
            name,
            path,
            rows,
            rows.index[0],
            f"patient {first['patient_id']} has {len(same)} different {name} rows (in the raw export at "
            f"{', '.join(locator.lines(name, same))}), differing in {differing}; resolve them in the export",
            column=differing[0] if differing else None,
        )
    return df


def latest_follow_up(df: pd.DataFrame, fixes: _Corrections) -> pd.DataFrame:
    """Conflicting follow-up rows: the one with the latest last contact wins (ties: the later line)."""
    ordered = df.sort_values(["patient_id", "last_contact_day", "entry"], na_position="first", kind="stable")
    keep = ~ordered["patient_id"].duplicated(keep="last")
    dropped = ordered[~keep]
    if len(dropped):
        kept_entry = ordered[keep].set_index("patient_id")["entry"]
        fixes.add(
            "follow_up",
            dropped,
            "conflicting_follow_up_resolved",
            "kept entry " + dropped["patient_id"].map(kept_entry).astype(str) + " (latest last contact)",
        )
    return ordered[keep]


class _Labels:
    """Reads the codes de-identification wrote for the coded columns, table by table: counts them (field, category,
    rows), checks each is a category of the codebook's field, and remembers the patients with a label that needs
    review (`unmapped`, review mode), so that the exclusion rule `label_needs_review` can exclude them."""

    def __init__(
        self,
        tables: dict[str, pd.DataFrame],
        paths: dict[str, Path],
        codebook: Codebook,
        locator: Locator,
        review_mode: bool = False,
    ):
        self.tables, self.paths, self.codebook, self.locator = tables, paths, codebook, locator
        self.review_mode = review_mode
        self.needs_review: set[str] = set()
        self.usage: dict[tuple[str, str], int] = {}
        self.review: list[dict] = []

    def categories(self, field_name: str) -> set[str]:
        table = self.codebook.primary_labels if field_name == "primary_group" else self.codebook.maps[field_name]
        return set(table.values())

    def map(self, name: str, field_name: str, column: str, rows: pd.Series | None = None) -> pd.Series:
        """The categories of `column` (NA where the label needs review)."""
        df = self.tables[name] if rows is None else self.tables[name][rows]
        codes = df[column].fillna("").astype(str)
        unmapped = codes == UNMAPPED
        wrong = ~unmapped & ~codes.isin(self.categories(field_name))
        if wrong.any():
            row = wrong.idxmax()
            raise self.locator.error(
                name,
                self.paths[name],
                df,
                row,
                f"{codes[row]!r} is not a {field_name} category of the codebook {self.codebook.path}; "
                "de-identification writes only codebook categories here (was the table edited?)",
                column=column,
            )
        for category, n in codes.value_counts(sort=False).items():
            key = (field_name, "unmapped" if category == UNMAPPED else category)
            self.usage[key] = self.usage.get(key, 0) + int(n)
        for idx in df.index[unmapped]:
            self.review.append(
                {
                    "table": name,
                    "patient_id": df.at[idx, "patient_id"],
                    "entry": int(df.at[idx, "entry"]),
                    "column": column,
                    "codebook_field": field_name,
                }
            )
        self.needs_review.update(df.loc[unmapped, "patient_id"])
        return codes.where(~unmapped)

    def unshaped_codes(self, name: str, df: pd.DataFrame, column: str) -> pd.Series:
        """Rows whose ICD-10 code cell held something not shaped like a code (`unmapped`). In review mode their
        patients need review (excluded as `label_needs_review`, listed in review.tsv) and the rows are left out of
        the code checks; otherwise the checks stop the run on them, naming the raw row."""
        unshaped = df[column].fillna("").astype(str) == UNMAPPED
        if not self.review_mode:
            return pd.Series(False, index=df.index)
        for idx in df.index[unshaped]:
            self.review.append(
                {
                    "table": name,
                    "patient_id": df.at[idx, "patient_id"],
                    "entry": int(df.at[idx, "entry"]),
                    "column": column,
                    "codebook_field": "icd10",
                }
            )
        self.needs_review.update(df.loc[unshaped, "patient_id"])
        return unshaped

    def usage_table(self) -> pd.DataFrame:
        rows = [{"field": f, "category": c, "rows": n} for (f, c), n in self.usage.items()]
        return (
            pd.DataFrame(rows, columns=["field", "category", "rows"])
            .sort_values(["field", "category"], kind="stable")
            .reset_index(drop=True)
        )


def bone_metastasis_flags(dx: pd.DataFrame, codebook: Codebook, path: Path, locator: Locator) -> pd.Series:
    """Whether each diagnosis row codes a bone metastasis (C79.5). A bone lesion code must be empty or such a code:
    anything else stops the run, naming the row in the raw export."""
    lesion = dx["bone_lesion_icd10"].map(normalise_icd)
    bone_metastasis = lesion.map(lambda c: any(c.startswith(m) for m in codebook.bone_metastasis_icd10))
    unknown_code = (lesion != "") & ~bone_metastasis
    if unknown_code.any():
        row = unknown_code.idxmax()
        what = "not an ICD-10 code" if lesion[row] == UNMAPPED else f"the code {lesion[row]}"
        raise locator.error(
            "diagnoses",
            path,
            dx,
            row,
            f"the bone lesion code is neither empty nor a bone metastasis code "
            f"{sorted(codebook.bone_metastasis_icd10)} (it is {what})",
            column="bone_lesion_icd10",
        )
    return bone_metastasis


def check_primary_codes(dx: pd.DataFrame, codebook: Codebook, path: Path, locator: Locator) -> None:
    """The ICD-10 code of the primary must belong to the primary group the diagnosis text names: two sources that
    disagree stop the run rather than let one of them win silently."""
    known = dx["primary_group"].notna()
    consistent = pd.Series(
        [codebook.icd_matches(g, c) for g, c in zip(dx["primary_group"].fillna(""), dx["primary_icd10"], strict=True)],
        index=dx.index,
    )
    if (known & ~consistent).any():
        row = (known & ~consistent).idxmax()
        raise locator.error(
            "diagnoses",
            path,
            dx,
            row,
            f"the ICD-10 code ({dx['primary_icd10'][row]}) does not belong to the primary group "
            f"{dx['primary_group'][row]!r} that the diagnosis text names (codebook {codebook.path})",
            column="primary_icd10",
        )


def labelled_diagnoses(labels: _Labels, path: Path) -> pd.DataFrame:
    """Diagnoses with harmonised primary group and yes/no fields, codes checked, one row per patient."""
    dx = labels.tables["diagnoses"]
    dx = dx.assign(
        # Coded on the raw side from the diagnosis text (or, when there is none, from an ICD-10 code that names
        # exactly one group).
        primary_group=labels.map("diagnoses", "primary_group", "primary_text"),
        visceral_metastases=labels.map("diagnoses", "yes_no", "visceral_metastases") == "yes",
        chemotherapy_before_surgery=labels.map("diagnoses", "yes_no", "chemotherapy_before_surgery") == "yes",
    )
    for column, field_name in SCORE_INPUTS.items():
        if column not in dx.columns:  # the centre does not record it: missing for everyone
            dx[column] = pd.NA
            continue
        category = labels.map("diagnoses", field_name, column).replace("unknown", pd.NA)
        dx[column] = category if field_name == "visceral_spread" else category.map({"yes": True, "no": False})
    for column in ("bone_lesion_icd10", "primary_icd10"):  # in review mode, a cell that is not a code is a label
        skip = labels.unshaped_codes("diagnoses", dx, column)  # to review: its patient is excluded, not checked
        dx.loc[skip, column] = ""
        dx.loc[skip, "primary_group"] = None
    dx["bone_metastasis"] = bone_metastasis_flags(dx, labels.codebook, path, labels.locator)
    check_primary_codes(dx, labels.codebook, path, labels.locator)
    return one_row_per_patient("diagnoses", dx, path, labels.locator)


def labelled_operations(labels: _Labels, path: Path) -> pd.DataFrame:
    """Operations with harmonised bone, segment, fracture, method, revision flag and, for revisions, the cause
    (coded on the raw side for revisions only); a revision without a stated reason stops the run (the cause is an
    outcome of the study)."""
    ops = labels.tables["operations"]
    ops = ops.assign(
        bone_group=labels.map("operations", "bone", "bone"),
        segment_group=labels.map("operations", "segment", "segment"),
        fracture_group=labels.map("operations", "fracture", "fracture"),
        method=labels.map("operations", "operation_method", "procedure"),
        revision=labels.map("operations", "revision_flag", "is_revision") == "yes",
    )
    has_reason = ops["revision_reason"].str.strip() != ""
    ops["cause"] = pd.Series(pd.NA, index=ops.index, dtype=object)
    revision_rows = ops["revision"] & has_reason
    if revision_rows.any():
        ops.loc[revision_rows, "cause"] = labels.map("operations", "revision_cause", "revision_reason", revision_rows)
    missing_reason = ops["revision"] & ~has_reason
    if missing_reason.any():
        row = missing_reason.idxmax()
        raise labels.locator.error(
            "operations", path, ops, row, "a revision without a stated reason", column="revision_reason"
        )
    return ops


def index_operations(
    ops: pd.DataFrame, codebook: Codebook, path: Path, fixes: _Corrections, locator: Locator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each patient's index operation: the first dated operation on a long bone that is not a revision. Returns the
    index operations by patient and the candidates they were chosen from; the other non-revision operations are
    recorded as ignored. An index operation of a method that cannot be one stops the run."""
    long_bone = ops["bone_group"].isin(codebook.long_bones)
    dated = ops["operation_day"].notna()
    candidates = ops[long_bone & ~ops["revision"] & dated].sort_values(
        ["patient_id", "operation_day", "entry"], kind="stable"
    )
    index = candidates.drop_duplicates("patient_id").set_index("patient_id")
    not_index_method = ~index["method"].isin(INDEX_METHODS) & index["method"].notna()
    if not_index_method.any():
        pid = not_index_method.idxmax()
        row = candidates.index[candidates["patient_id"] == pid][0]
        raise locator.error(
            "operations",
            path,
            ops,
            row,
            f"the first long-bone operation of {pid} is {index.loc[pid, 'method']!r}, which cannot be an index "
            "operation",
            column="procedure",
        )
    ignored = ops[~ops.index.isin(candidates.drop_duplicates("patient_id").index) & ~ops["revision"]]
    fixes.add(
        "operations",
        ignored[~ignored["bone_group"].isin(codebook.long_bones)],
        "operation_not_on_long_bone_ignored",
        "not an index operation",
    )
    fixes.add(
        "operations",
        ignored[ignored["bone_group"].isin(codebook.long_bones)],
        "later_operation_not_index",
        "a later or second operation, not the index operation",
    )
    return index, candidates


def first_revisions(ops: pd.DataFrame, index: pd.DataFrame, fixes: _Corrections) -> tuple[pd.DataFrame, set]:
    """The outcome: each patient's first revision of the index bone after the index operation. Revisions of
    another site are recorded as ignored; the patients with a revision of the index site dated before the index
    operation are returned too (their dates are wrong: an exclusion rule)."""
    # A plain index: with no revision at all, pandas names the merged index patient_id too (ambiguous below).
    revisions = (
        ops[ops["revision"]]
        .merge(index[["operation_day", "bone_group"]].add_prefix("index_"), left_on="patient_id", right_index=True)
        .reset_index(drop=True)
    )
    same_site = (revisions["bone_group"] == revisions["index_bone_group"]) & (
        revisions["operation_day"] > revisions["index_operation_day"]
    )
    first_revision = (
        revisions[same_site]
        .sort_values(["patient_id", "operation_day", "entry"])
        .drop_duplicates("patient_id")
        .set_index("patient_id")
    )
    other_site = revisions["bone_group"] != revisions["index_bone_group"]
    fixes.add(
        "operations", revisions[other_site], "revision_of_another_site_ignored", "not a revision of the index site"
    )
    # A revision of the index site dated before the index operation cannot be: the dates are wrong.
    revised_before_index = set(
        revisions.loc[~other_site & (revisions["operation_day"] < revisions["index_operation_day"]), "patient_id"]
    )
    return first_revision, revised_before_index


def patient_frame(
    everyone: pd.Index,
    ops: pd.DataFrame,
    fu: pd.DataFrame,
    dx: pd.DataFrame,
    index: pd.DataFrame,
    first_revision: pd.DataFrame,
    needs_review: set,
    revised_before_index: set,
) -> pd.DataFrame:
    """One row per patient in any export with what the exclusion rules look at."""
    p = pd.DataFrame(index=everyone)
    p["has_operation"] = p.index.isin(ops["patient_id"])
    bad_dates = pd.concat(
        [
            ops.loc[ops["operation_date_unparseable"] == 1, "patient_id"],
            fu.loc[(fu["last_contact_date_unparseable"] == 1) | (fu["death_date_unparseable"] == 1), "patient_id"],
        ]
    )
    p["unparseable_date"] = p.index.isin(bad_dates)
    p["has_index"] = p.index.isin(index.index)
    p["metastatic"] = p.index.map(dx.set_index("patient_id")["bone_metastasis"]).fillna(False).astype(bool)
    p["index_day"] = p.index.map(index["operation_day"])
    p["index_year"] = p.index.map(index["operation_year"])
    f = fu.set_index("patient_id")
    p["last_contact_day"] = p.index.map(f["last_contact_day"])
    p["death_day"] = p.index.map(f["death_day"])
    p["status"] = p.index.map(f["status"])
    p["needs_review"] = p.index.isin(sorted(needs_review))
    p["revised_before_index"] = p.index.isin(sorted(revised_before_index))
    p["revised"] = p.index.isin(first_revision.index)
    return p


def exclusion_reasons(p: pd.DataFrame, settings: dict) -> pd.Series:
    """Each patient's exclusion reason: the first rule of the config's ordered list that applies ("" if none)."""
    flags = exclusion_flags(p, settings)
    reason = pd.Series("", index=p.index)
    for name in settings["exclusions"]:
        reason = reason.mask((reason == "") & flags[name], name)
    return reason


def flow_record(everyone: pd.Index, reason: pd.Series, analysis: pd.DataFrame, exclusions: list[str]) -> dict:
    """The flow of patients (STROBE item 13), checked to add up: in export = analysed + excluded."""
    flow = {
        "patients_in_export": int(len(everyone)),
        "excluded": {name: int((reason == name).sum()) for name in exclusions},
        "patients_analysed": int(len(analysis)),
        "patients_revised": int((analysis["event"] == REVISION).sum()),
        "deaths_without_revision": int((analysis["event"] == DEATH).sum()),
        "censored": int((analysis["event"] == CENSORED).sum()),
    }
    if flow["patients_in_export"] != flow["patients_analysed"] + sum(flow["excluded"].values()):
        raise RuntimeError(f"the flow does not add up: {flow}")
    return flow


def with_raw_side_exclusions(reason: pd.Series, raw_side: dict[str, str] | None) -> tuple[pd.Series, list[str]]:
    """Hook (issue 15): patients excluded on the raw side by the intake's plausibility rules (pseudonym -> rule)
    take that reason before any rule of cleaning. Returns the reasons and the raw-side reasons that occur, in the
    plausibility rules' order (the flow lists them only when they exclude someone)."""
    if not raw_side:
        return reason, []
    prior = pd.Series(raw_side, dtype=object).reindex(reason.index)
    present = [r for r in PLAUSIBILITY_RULES if (prior == r).any()]
    return prior.fillna(reason).astype(str), present


def derive_cohort(
    tables: dict[str, pd.DataFrame],
    paths: dict[str, Path],
    codebook: Codebook,
    settings: dict,
    locator: Locator | None = None,
    raw_side_exclusions: dict[str, str] | None = None,
) -> Cohort:
    """The analysed cohort from the de-identified tables, by the steps of the module's docstring. `locator` (the
    raw side's) only words error messages: they name the raw export's file and line."""
    locator = locator or Locator()
    fixes = _Corrections()
    t = {name: drop_exact_duplicates(name, df, fixes) for name, df in tables.items()}
    labels = _Labels(t, paths, codebook, locator, settings["unknown_labels"] == "review")

    # Labels, in the order of the tables (the codebook's usage and the review list follow it).
    patients = t["patients"].assign(sex=labels.map("patients", "sex", "sex"))
    patients = one_row_per_patient("patients", patients, paths["patients"], locator)
    dx = labelled_diagnoses(labels, paths["diagnoses"])
    ops = labelled_operations(labels, paths["operations"])
    fu = latest_follow_up(t["follow_up"].assign(status=labels.map("follow_up", "vital_status", "vital_status")), fixes)

    # The index operation and the outcome.
    index, _ = index_operations(ops, codebook, paths["operations"], fixes, locator)
    first_revision, revised_before_index = first_revisions(ops, index, fixes)

    # One frame per patient, then the exclusion rules.
    everyone = pd.Index(
        sorted(set().union(*(tables[name]["patient_id"] for name in PATIENT_TABLES))), name="patient_id"
    )
    p = patient_frame(everyone, ops, fu, dx, index, first_revision, labels.needs_review, revised_before_index)
    reason, raw_side_reasons = with_raw_side_exclusions(exclusion_reasons(p, settings), raw_side_exclusions)
    exclusions = pd.DataFrame({"patient_id": everyone[reason != ""], "reason": reason[reason != ""].to_numpy()})
    exclusions["description"] = exclusions["reason"].map({**EXCLUSION_RULES, **PLAUSIBILITY_RULES})
    analysed = everyone[reason == ""]

    lab = laboratory(t, labels, index["operation_day"].reindex(analysed), settings, paths, locator)
    analysis = analysis_table(analysed, index, first_revision, dx, patients, p).merge(
        lab.panel, left_on="patient_id", right_index=True, how="left"
    )
    analysis = validate(analysis, analysis_schema(codebook), "analysis table")
    flow = flow_record(everyone, reason, analysis, [*raw_side_reasons, *settings["exclusions"]])
    review_frame = pd.DataFrame(labels.review, columns=["table", "patient_id", "entry", "column", "codebook_field"])
    return Cohort(
        analysis,
        exclusions.reset_index(drop=True),
        fixes.frame(),
        flow,
        labels.usage_table(),
        review_frame,
        {**quality(tables, analysis, fixes.frame()), "laboratory": lab.counts},
    )


@dataclass
class _Laboratory:
    panel: pd.DataFrame
    counts: dict


def laboratory(
    t: dict[str, pd.DataFrame],
    labels: _Labels,
    index_day: pd.Series,
    settings: dict,
    paths: dict[str, Path],
    locator: Locator,
) -> _Laboratory:
    """The analysed patients' pre-operative panel (cleaning.laboratory), all missing without a laboratory table."""
    window = settings.get("laboratory", {}).get("window_days", 30)
    if "laboratory" not in t:
        empty = pd.DataFrame(np.nan, index=index_day.index, columns=LABORATORY_COLUMNS)
        return _Laboratory(empty, {"draws": 0, "note": "no laboratory table: the panel is missing for everyone"})
    lab = t["laboratory"].assign(
        test=labels.map("laboratory", "laboratory_test", "test"),
        unit=labels.map("laboratory", "laboratory_unit", "unit"),
    )
    known = lab["patient_id"].isin(index_day.index)
    panel, counts = preoperative_panel(lab[known], index_day, window, paths["laboratory"], locator)
    counts["rows_of_patients_not_analysed"] = int((~known).sum())
    return _Laboratory(panel, counts)


def exclusion_flags(p: pd.DataFrame, settings: dict) -> dict[str, pd.Series]:
    """For every exclusion rule, which patients it applies to."""
    first, last = settings["study_period"]["first_year"], settings["study_period"]["last_year"]
    dead = p["status"] == "dead"
    has_death_day = p["death_day"].notna()
    flags = {
        "label_needs_review": p["needs_review"],
        "no_operation": ~p["has_operation"],
        "unparseable_date": p["unparseable_date"],
        "no_long_bone_operation": ~p["has_index"],
        "no_metastatic_disease": ~p["metastatic"],
        "operation_outside_study_period": ~p["index_year"].between(first, last).fillna(False).astype(bool),
        "missing_follow_up": p["last_contact_day"].isna(),
        "impossible_date_order": ((p["death_day"] < p["index_day"]) | (p["last_contact_day"] < p["index_day"]))
        .fillna(False)
        .astype(bool)
        | p["revised_before_index"],
        "zero_follow_up": ((p["last_contact_day"] == p["index_day"]) & (p["status"] != "dead") & ~p["revised"])
        .fillna(False)
        .astype(bool),
        "inconsistent_vital_status": (dead != has_death_day) & p["status"].notna(),
    }
    unknown = set(settings["exclusions"]) - set(flags)
    if unknown:
        raise ValueError(f"cleaning.exclusions names unknown rules {sorted(unknown)}; known: {sorted(flags)}")
    return {k: v.astype(bool) for k, v in flags.items()}


def analysis_table(
    analysed: pd.Index,
    index: pd.DataFrame,
    first_revision: pd.DataFrame,
    dx: pd.DataFrame,
    patients: pd.DataFrame,
    p: pd.DataFrame,
) -> pd.DataFrame:
    """One row per analysed patient, with the outcome coded 0 censored, 1 revision, 2 death without revision."""
    i = index.loc[analysed]
    d = dx.set_index("patient_id").reindex(analysed)
    s = patients.set_index("patient_id")["sex"].reindex(analysed)
    q = p.loc[analysed]
    revision_day = first_revision["operation_day"].reindex(analysed)
    revised = revision_day.notna()
    died = q["death_day"].notna() & (q["status"] == "dead")
    event = np.select([revised.to_numpy(), died.to_numpy()], [REVISION, DEATH], CENSORED)
    end = np.where(revised, revision_day, np.where(died, q["death_day"], q["last_contact_day"]))
    table = pd.DataFrame(
        {
            "patient_id": analysed.to_numpy(),
            "age_at_surgery": i["age_at_operation"].to_numpy(),
            "sex": s.to_numpy(),
            "primary_group": d["primary_group"].to_numpy(),
            "primary_icd10": d["primary_icd10"].map(normalise_icd).to_numpy(),
            "operation_method": i["method"].to_numpy(),
            "bone": i["bone_group"].to_numpy(),
            "segment": i["segment_group"].to_numpy(),
            "pathological_fracture": (i["fracture_group"] == "pathological").to_numpy(),
            "solitary_bone_metastasis": (d["bone_metastases_count"] == 1).fillna(False).to_numpy(dtype=bool),
            "bone_metastases_count": d["bone_metastases_count"].to_numpy(),
            "visceral_metastases": d["visceral_metastases"].astype(bool).to_numpy(),
            "ecog": d["ecog"].to_numpy(),
            "chemotherapy_before_surgery": d["chemotherapy_before_surgery"].astype(bool).to_numpy(),
            "lesion_size_cm": d["lesion_size_cm"].astype(float).to_numpy(),
            "year_of_surgery": i["operation_year"].to_numpy(),
            "time_days": (pd.Series(end, index=analysed) - i["operation_day"]).to_numpy(),
            "event": event,
            "revision_cause": first_revision["cause"].reindex(analysed).fillna("").to_numpy(),
            # Overall survival, whatever happened before: death at any time (after a revision too) or last contact.
            "survival_days": (
                pd.Series(np.where(died, q["death_day"], q["last_contact_day"]), index=analysed) - i["operation_day"]
            ).to_numpy(),
            "died": died.to_numpy(dtype=bool),
            "visceral_spread": d["visceral_spread"].astype(object).where(d["visceral_spread"].notna(), None).to_numpy(),
            **{c: pd.array(d[c].astype("boolean"), dtype="boolean") for c in SCORE_INPUTS if c != "visceral_spread"},
        }
    )
    for column in (
        "age_at_surgery",
        "bone_metastases_count",
        "ecog",
        "year_of_surgery",
        "time_days",
        "event",
        "survival_days",
    ):
        table[column] = pd.array(table[column], dtype="Int64")
    return table.sort_values("patient_id", kind="stable").reset_index(drop=True)


def quality(tables: dict[str, pd.DataFrame], analysis: pd.DataFrame, corrections: pd.DataFrame) -> dict:
    """Missingness per variable (inputs and the analysis table), value distributions, corrections by kind."""

    def missing(df: pd.DataFrame) -> dict[str, float]:
        empty = df.isna() | (df.astype(str).apply(lambda c: c.str.strip()) == "")
        return {c: round(float(empty[c].mean()), 4) for c in df.columns}

    distributions = {}
    for column in analysis.columns:
        if column == "patient_id":
            continue
        values = analysis[column]
        if values.dtype == object or values.dtype == bool:
            distributions[column] = {str(k): int(v) for k, v in values.value_counts(dropna=False).sort_index().items()}
        else:
            numeric = values.astype(float)
            distributions[column] = {
                "n": int(numeric.notna().sum()),
                "min": float(numeric.min()),
                "median": float(numeric.median()),
                "max": float(numeric.max()),
            }
    return {
        "missing_share_in_inputs": {name: missing(df) for name, df in tables.items()},
        "missing_share_in_analysis_table": missing(analysis),
        "distributions": distributions,
        "corrections": {k: int(v) for k, v in corrections["correction"].value_counts().sort_index().items()},
    }
