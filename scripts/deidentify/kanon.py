"""k-anonymity of the de-identified cohort on its quasi-identifiers (age band, sex, primary site, year of surgery).

k is the size of the smallest group of patients who share every quasi-identifier value (Sweeney 2002, Int J
Uncertain Fuzz 10:557). The report gives k at the released detail and at coarser generalisations, so a data owner
can see what sharing the tables more widely would take.
"""

from __future__ import annotations

import pandas as pd

# Coarser and coarser versions of the quasi-identifiers: (name, age band in years, years per period, site digits).
GENERALISATIONS = [
    ("as released", None, 1, 3),
    ("20-year age bands", 20, 1, 3),
    ("20-year age bands, 5-year periods", 20, 5, 3),
    ("20-year age bands, 5-year periods, ICD-10 chapter letter", 20, 5, 1),
]


def normalise_sex(label: str) -> str:
    first = str(label).strip()[:1].casefold()
    return {"ж": "F", "f": "F", "м": "M", "m": "M"}.get(first, "unknown")


def normalise_site(code: str) -> str:
    return str(code).replace("С", "C").replace("с", "c").replace(" ", "").upper()[:3] or "unknown"


def quasi_identifiers(
    patients: pd.DataFrame, diagnoses: pd.DataFrame, operations: pd.DataFrame, age_top_code: int
) -> pd.DataFrame:
    """One row per patient: age and year at the anchor operation (day 0), sex, primary site."""
    anchor_ops = (
        operations[operations["operation_day"] == 0].sort_values(["patient_id", "entry"]).drop_duplicates("patient_id")
    )
    qi = pd.DataFrame(
        {
            "patient_id": pd.concat([patients["patient_id"], diagnoses["patient_id"], operations["patient_id"]])
            .drop_duplicates()
            .sort_values()
        }
    )
    qi = qi.merge(patients.drop_duplicates("patient_id")[["patient_id", "sex"]], how="left")
    qi = qi.merge(diagnoses.drop_duplicates("patient_id")[["patient_id", "primary_icd10"]], how="left")
    qi = qi.merge(anchor_ops[["patient_id", "age_at_operation", "operation_year"]], how="left")
    return pd.DataFrame(
        {
            "age": pd.to_numeric(qi["age_at_operation"], errors="coerce").clip(upper=age_top_code),
            "sex": qi["sex"].fillna("").map(normalise_sex),
            "site": qi["primary_icd10"].fillna("").map(normalise_site),
            "year": pd.to_numeric(qi["operation_year"], errors="coerce"),
        }
    )


def generalise(qi: pd.DataFrame, age_band: int, years: int, site_digits: int, age_top_code: int) -> pd.DataFrame:
    band = (qi["age"] // age_band * age_band).astype("Int64").astype(str)
    band = band.where(qi["age"] < age_top_code, f"{age_top_code}+").replace("<NA>", "unknown")
    period = (qi["year"] // years * years).astype("Int64").astype(str).replace("<NA>", "unknown")
    return pd.DataFrame({"age": band, "sex": qi["sex"], "site": qi["site"].str[:site_digits], "year": period})


def report(qi: pd.DataFrame, age_band_years: int, threshold: int, age_top_code: int) -> dict:
    levels = []
    for name, band, years, site_digits in GENERALISATIONS:
        g = generalise(qi, band or age_band_years, years, site_digits, age_top_code)
        sizes = g.value_counts()
        below = int(sizes[sizes < threshold].sum())
        levels.append(
            {
                "generalisation": name if band else f"{age_band_years}-year age bands, calendar year, ICD-10 category",
                "k": int(sizes.min()) if len(sizes) else 0,
                "equivalence_classes": int(len(sizes)),
                "patients_in_classes_below_k_threshold": below,
                "share_below_k_threshold": round(below / len(g), 4) if len(g) else 0.0,
                "class_size_histogram": {
                    str(size): int(count) for size, count in sizes.value_counts().sort_index().items()
                },
            }
        )
    return {
        "quasi_identifiers": ["age band at surgery", "sex", "primary site (ICD-10)", "year of surgery"],
        "k_threshold": threshold,
        "patients": int(len(qi)),
        "levels": levels,
    }
