"""The canonical raw model: the tables and columns every centre's exports are mapped into.

De-identification reads only this model. Values are text as the export wrote them, except dates: a date is written
as the export wrote it when that already reads as CANONICAL_DATE_FORMAT, else it is rewritten in that format (Excel
serial numbers, datetimes, 2-digit years, ISO dates). A date that does not parse is kept as written, so that it is a
finding of the cleaning stage, never a silent guess.
"""

from __future__ import annotations

CANONICAL_DATE_FORMAT = "%d.%m.%Y"

# Canonical table -> its columns, in order. Every canonical table always has every column (empty where a centre
# lacks it), plus `source_file` and `source_line`: where the row is in the user's export.
TABLES: dict[str, list[str]] = {
    "patients": ["record_number", "full_name", "birth_date", "sex", "snils", "oms_policy", "address", "phone"],
    "diagnoses": [
        "record_number",
        "diagnosis_date",
        "primary_icd10",
        "primary_text",
        "bone_lesion_icd10",
        "bone_metastases_count",
        "visceral_metastases",
        "ecog",
        "chemotherapy_before_surgery",
        "lesion_size_cm",
        # Inputs of the prognostic scores (issue 17): empty where a centre does not record them.
        "visceral_spread",
        "cerebral_metastases",
        "hormone_dependent",
        "targeted_therapy",
    ],
    "operations": [
        "record_number",
        "operation_date",
        "bone",
        "segment",
        "fracture",
        "procedure",
        "surgeon",
        "is_revision",
        "revision_reason",
    ],
    "follow_up": ["record_number", "last_contact_date", "vital_status", "death_date"],
    "notes": ["record_number", "note_date", "text"],
    # Laboratory results, one row per test drawn (long format, as laboratory systems export them).
    "laboratory": ["record_number", "lab_date", "test", "value", "unit"],
}
# Tables a centre must have; the others may be declared `null` (the centre has no such table).
REQUIRED = ("patients", "diagnoses", "operations", "follow_up")
DATE_COLUMNS = {c for columns in TABLES.values() for c in columns if c.endswith("_date")}
# Columns holding numbers (for the pre-flight report's parse rates).
NUMBER_COLUMNS = {"bone_metastases_count", "ecog", "lesion_size_cm", "value"}
ORIGIN = ["source_file", "source_line"]
