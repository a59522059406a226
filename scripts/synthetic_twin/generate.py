"""Generate the synthetic twin: raw exports as the hospital's information system writes them, plus the truth.

One call, `generate(cohort_size, seed)`, returns every table as a DataFrame; `write_twin` puts them on disk. The
same size and seed give the same bytes. The cohort is built in three steps:

1. composition: who the analysed patients are (primary, index operation, revision cause), exact to the paper;
2. clinical course: ages, sites, dates of surgery, revision, death and last contact, from the models in design.py;
3. export: the rows each raw table holds for them, spelled with the variants of vocabulary.py, plus the extra
   patients and row defects the cleaning stage must catch, each recorded in the defect manifest.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from common.prognosis import modified_bauer_score
from common.study import CENSORED, DAYS_PER_MONTH, DEATH, REVISION

from . import design, dialects, identity, prognostic_inputs
from . import vocabulary as vocab

log = logging.getLogger("synthetic_twin")
RAW_DATE_FORMAT = "%d.%m.%Y"
ISO_DATE = "%Y-%m-%d"

# The Herzen institute's headers and formats; other centres' dialects are in dialects.py.
HEADERS = dialects.HERZEN_HEADERS
TABLE_FORMAT = {
    name: {k: fmt[k] for k in ("encoding", "separator")}
    for name, fmt in dialects.DIALECTS[dialects.HERZEN]["formats"].items()
}
UNPARSEABLE_DATES = ["31.02.2014", "12.13.2011", "неизв.", "0.05.2016", "2015/07/12"]
# Where the evidence for each exclusion is written: (table, column).
EXCLUSION_EVIDENCE = {
    "operation_outside_study_period": ("operations", "operation_date"),
    "no_long_bone_operation": ("operations", "bone"),
    "no_metastatic_disease": ("diagnoses", "bone_lesion_icd10"),
    "missing_follow_up": ("follow_up", ""),
    "impossible_date_order": ("follow_up", "death_date"),
    "unparseable_date": ("operations", "operation_date"),
    "no_operation": ("operations", ""),
}
BONE_GENITIVE = {
    "femur": "бедра",
    "humerus": "плеча",
    "tibia": "голени",
    "radius": "предплечья",
    "ulna": "предплечья",
    "fibula": "голени",
    "spine": "позвоночника",
    "pelvis": "таза",
}


@dataclass
class Twin:
    """Everything the generator makes: raw tables (hospital format), truth, defects and identifiers."""

    raw: dict[str, pd.DataFrame]
    truth: pd.DataFrame
    defects: pd.DataFrame
    identifiers: list[str]
    summary: dict = field(default_factory=dict)


# --- 1. composition ----------------------------------------------------------------------------------------------
def paper_composition(rng: np.random.Generator) -> pd.DataFrame:
    """The 247 analysed patients as (primary, method, revision cause), exact to the paper's margins."""
    revised = pd.DataFrame(design.REVISED, columns=["primary_group", "revision_cause", "operation_method"])
    primaries_left = dict(design.PRIMARY_COUNTS)
    methods_left = dict(design.METHOD_COUNTS)
    for row in revised.itertuples():
        primaries_left[row.primary_group] -= 1
        methods_left[row.operation_method] -= 1
    primaries = np.repeat(list(primaries_left), list(primaries_left.values()))
    methods = rng.permutation(np.repeat(list(methods_left), list(methods_left.values())))
    others = pd.DataFrame({"primary_group": primaries, "revision_cause": "", "operation_method": methods})
    return pd.concat([revised, others], ignore_index=True)


def scaled(rng: np.random.Generator, template: pd.DataFrame, n: int) -> pd.DataFrame:
    """n rows keeping the template's proportions: whole copies, then a random part-copy for the remainder."""
    copies, remainder = divmod(n, len(template))
    parts = [template] * copies
    if remainder:
        parts.append(template.iloc[np.sort(rng.choice(len(template), remainder, replace=False))])
    return pd.concat(parts, ignore_index=True)


def scale_count(count: int, n: int) -> int:
    return int(round(count * n / design.PAPER_COHORT_SIZE))


# --- 2. clinical course ------------------------------------------------------------------------------------------
def ages_with_median(rng: np.random.Generator, n: int) -> np.ndarray:
    """Ages at surgery on normal quantiles around the paper's median 62, so the sample median is exactly 62."""
    normal = NormalDist(design.PAPER_MEDIAN_AGE, design.AGE_SPREAD)
    ages = np.array([round(normal.inv_cdf((i + 0.5) / n)) for i in range(n)], dtype=int)
    return rng.permutation(np.clip(ages, 18, 99))


def weibull_days(rng: np.random.Generator, median_months: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Weibull survival times, S(t) = exp(-(t / scale)^shape), with scale = median / ln(2)^(1/shape)."""
    scale = median_months / np.log(2) ** (1 / shape)
    months = scale * (-np.log(rng.uniform(size=len(shape)))) ** (1 / shape)
    return np.maximum(np.round(months * DAYS_PER_MONTH), 2).astype(int)


def random_dates(rng: np.random.Generator, start, latest: np.ndarray) -> pd.DatetimeIndex:
    """One uniform date per row between `start` and that row's `latest` date (inclusive)."""
    start = pd.Timestamp(start)
    span = (pd.DatetimeIndex(latest) - start).days.to_numpy()
    offsets = np.floor(rng.uniform(size=len(span)) * (span + 1)).astype(int)
    return start + pd.to_timedelta(offsets, unit="D")


def birth_dates(rng: np.random.Generator, on: pd.DatetimeIndex, ages: np.ndarray) -> pd.DatetimeIndex:
    """A birth date that makes each patient exactly `ages` completed years old on the date `on`."""
    day = np.where((on.month == 2) & (on.day == 29), 28, on.day)
    anniversary = pd.to_datetime(pd.DataFrame({"year": on.year - ages, "month": on.month, "day": day}))
    return pd.DatetimeIndex(anniversary - pd.to_timedelta(rng.integers(0, 300, len(ages)), unit="D"))


def completed_years(birth: pd.Series, on: pd.Series) -> pd.Series:
    """Age in completed years, as a registry computes it."""
    before_birthday = (on.dt.month < birth.dt.month) | ((on.dt.month == birth.dt.month) & (on.dt.day < birth.dt.day))
    return on.dt.year - birth.dt.year - before_birthday.astype(int)


def share_by(categories: pd.Series, shares: dict[str, float], default: float) -> np.ndarray:
    return categories.map(shares).fillna(default).to_numpy(dtype=float)


def pick_sites(rng: np.random.Generator, methods: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    bones = np.empty(len(methods), dtype=object)
    segments = np.empty(len(methods), dtype=object)
    for method, options in design.SITES.items():
        mask = (methods == method).to_numpy()
        weights = np.array([w for *_, w in options], dtype=float)
        chosen = rng.choice(len(options), size=int(mask.sum()), p=weights / weights.sum())
        bones[mask] = [options[i][0] for i in chosen]
        segments[mask] = [options[i][1] for i in chosen]
    return bones, segments


def survival_factor(c: pd.DataFrame) -> np.ndarray:
    """Multiplier of each patient's median survival for the adverse items of the Bauer score (design.BAUER_ITEM_
    SURVIVAL): a pathological fracture, visceral metastases, multiple skeletal metastases."""
    factor = design.BAUER_ITEM_SURVIVAL
    return (
        np.where(c["fracture"].to_numpy() == "pathological", factor["pathological_fracture"], 1.0)
        * np.where(c["visceral_metastases"].to_numpy(bool), factor["visceral_metastases"], 1.0)
        * np.where(c["solitary_bone_metastasis"].to_numpy(bool), 1.0, factor["multiple_bone_metastases"])
    )


def clinical_course(rng: np.random.Generator, cohort: pd.DataFrame, ages: np.ndarray) -> pd.DataFrame:
    """Add demographics, disease, site, and the dated course (index, revision, death, last contact)."""
    c = cohort.copy()
    n = len(c)
    # The youngest ages go to Ewing sarcoma, a disease of the young.
    ewing = np.flatnonzero(c["primary_group"].to_numpy() == "ewing_sarcoma")
    if len(ewing):
        youngest = np.argsort(ages, kind="stable")[: len(ewing)]
        ages = ages.copy()
        ages[np.concatenate([ewing, youngest])] = ages[np.concatenate([youngest, ewing])]
    female = rng.uniform(size=n) < share_by(c["primary_group"], design.FEMALE_SHARE, 0.45)
    c["sex"] = np.where(female, "female", "male")
    c["visceral_metastases"] = rng.uniform(size=n) < share_by(c["primary_group"], design.VISCERAL_SHARE, 0.4)
    solitary = rng.uniform(size=n) < share_by(c["primary_group"], design.SOLITARY_SHARE, 0.25)
    solitary |= (c["revision_cause"] == "solitary_metastasis_progression_after_osteosynthesis").to_numpy()
    c["solitary_bone_metastasis"] = solitary
    c["bone_metastases_count"] = np.where(solitary, 1, rng.integers(2, 9, n))
    c["ecog"] = rng.choice(5, size=n, p=[0.15, 0.35, 0.30, 0.15, 0.05])
    c["chemotherapy_before_surgery"] = rng.uniform(size=n) < 0.6
    c["lesion_size_cm"] = np.round(rng.uniform(2.0, 9.0, n), 1)
    c["bone"], c["segment"] = pick_sites(rng, c["operation_method"])
    c["fracture"] = np.where(rng.uniform(size=n) < design.PATHOLOGICAL_FRACTURE_SHARE, "pathological", "impending")

    # Revision first (it fixes how late the index operation can be), then death and censoring.
    revised = (c["revision_cause"] != "").to_numpy()
    rev_median = c["revision_cause"].map({k: v[0] for k, v in design.REVISION_TIME.items()}).fillna(1.0)
    rev_sigma = c["revision_cause"].map({k: v[1] for k, v in design.REVISION_TIME.items()}).fillna(1.0)
    rev_days = np.round(
        np.exp(np.log(rev_median.to_numpy() * DAYS_PER_MONTH) + rev_sigma.to_numpy() * rng.standard_normal(n))
    ).astype(int)
    rev_days = np.clip(rev_days, 5, 8 * 365)
    export = pd.Timestamp(design.EXPORT_DATE)
    period_end = pd.Timestamp(design.STUDY_PERIOD[1])
    room_for_revision = (export - pd.to_timedelta(rev_days + 30, unit="D")).to_numpy()
    latest_index = np.where(
        revised, np.minimum(period_end.to_datetime64(), room_for_revision), period_end.to_datetime64()
    )
    index_date = random_dates(rng, design.STUDY_PERIOD[0], latest_index)
    median, shape = (c["primary_group"].map({k: v[i] for k, v in design.SURVIVAL.items()}).to_numpy() for i in (0, 1))
    median = median * survival_factor(c)
    death_days = weibull_days(rng, median, shape) + np.where(revised, rev_days, 0)
    admin_days = (export - index_date).days.to_numpy()
    lost = rng.uniform(size=n) < design.LOSS_TO_FOLLOW_UP_SHARE
    loss_days = np.where(
        revised, rev_days + rng.integers(30, 730, n), np.ceil(rng.uniform(size=n) * death_days).astype(int) + 1
    )
    loss_days = np.where(lost, loss_days, np.iinfo(np.int64).max)
    contact_days = np.minimum.reduce([death_days, admin_days, loss_days])
    died = death_days <= np.minimum(admin_days, loss_days)

    c["age_at_surgery"] = ages
    c["index_date"] = index_date
    c["birth_date"] = birth_dates(rng, index_date, ages)
    c["diagnosis_date"] = index_date - pd.to_timedelta(rng.integers(20, 5 * 365, n), unit="D")
    c["revision_date"] = pd.Series(index_date + pd.to_timedelta(rev_days, unit="D")).where(revised)
    c["death_date"] = pd.Series(index_date + pd.to_timedelta(death_days, unit="D")).where(died)
    c["last_contact_date"] = index_date + pd.to_timedelta(contact_days, unit="D")
    c["event"] = np.select([revised, died], [REVISION, DEATH], CENSORED)
    c["time_days"] = np.where(revised, rev_days, contact_days)
    return c


# --- 3. export -----------------------------------------------------------------------------------------------------
def fmt_dates(values, date_format: str = RAW_DATE_FORMAT) -> np.ndarray:
    """Dates as text in `date_format`, "" for a missing one. Each distinct date is formatted once (a registry's
    million dates fall on a few thousand days), the distinct dates found by hashing (pandas.factorize, linear) and
    dates already datetime64 not passed through pandas.to_datetime (which samples them as Timestamps)."""
    series = pd.Series(values)
    if series.dtype.kind != "M":
        series = pd.to_datetime(series)
    days = series.to_numpy(dtype="datetime64[ns]")
    position, distinct = pd.factorize(days)  # NaT -> -1, the "" appended last
    text = pd.DatetimeIndex(distinct).strftime(date_format).to_numpy(dtype=object)
    return np.append(text, "")[position]


def pick_patients(rng: np.random.Generator, candidates: np.ndarray, k: int, taken: set) -> np.ndarray:
    pool = np.array([i for i in candidates if i not in taken], dtype=int)
    chosen = np.sort(rng.choice(pool, size=min(k, len(pool)), replace=False))
    taken.update(chosen.tolist())
    return chosen


class ExportBuilder:
    """Accumulates raw rows, defects and identifiers for a cohort of patients (included and to-be-excluded)."""

    def __init__(self, rng: np.random.Generator, patients: pd.DataFrame, seed: int = 0):
        self.rng = rng
        self.seed = seed
        self.p = patients.reset_index(drop=True)
        n = len(self.p)
        self.people = identity.draw_names(rng, (self.p["sex"] == "female").to_numpy())
        # The relative named in the notes: a son or daughter, or a spouse of the other sex.
        self.relative_is_child = rng.uniform(size=n) < 0.6
        patient_female = (self.p["sex"] == "female").to_numpy()
        self.relatives = identity.draw_names(
            rng, np.where(self.relative_is_child, rng.uniform(size=n) < 0.5, ~patient_female)
        )
        self.surgeons = identity.draw_names(rng, rng.uniform(size=design.SURGEON_COUNT) < 0.2)
        self.surgeon_of = rng.integers(0, design.SURGEON_COUNT, n)
        self.identifiers: set[str] = set()
        self.defects: list[pd.DataFrame] = []
        self.rows: dict[str, list[pd.DataFrame]] = {t: [] for t in HEADERS}
        # Record numbers: "ИБ-" and seven digits, so that their text sorts as their number does.
        self.mrn_number = identity.unique_integers(rng, n, 100_000, 9_999_999)
        self.mrn = np.array([f"ИБ-{v:07d}" for v in self.mrn_number], dtype=object)
        self._mrn_index: pd.Index | None = None
        self.snils = identity.draw_snils(rng, n)
        self.policy = identity.draw_policies(rng, n)
        self.phone = np.array(identity.draw_phones(rng, 2 * n), dtype=object)
        self.address = np.array(identity.draw_addresses(rng, 2 * n), dtype=object)

    def record_key(self, record_numbers) -> np.ndarray | None:
        """The number of each record number (sorting by it sorts by the text), or None if one is not the
        builder's."""
        if self._mrn_index is None:
            self._mrn_index = pd.Index(self.mrn)
        position = self._mrn_index.get_indexer(np.asarray(record_numbers, dtype=object))
        return None if (position < 0).any() else self.mrn_number[position]

    def sort_by_record(self, table: pd.DataFrame, date: str | None = None) -> pd.DataFrame:
        """`table.sort_values([date,] "record_number", kind="stable")`, sorting integers (the dates' and the record
        numbers') instead of a million strings."""
        key = self.record_key(table["record_number"])
        days = None if date is None else table[date].to_numpy(dtype="datetime64[ns]")
        if key is None or (days is not None and np.isnat(days).any()):
            return table.sort_values(["record_number"] if date is None else [date, "record_number"], kind="stable")
        order = np.argsort(key, kind="stable") if days is None else np.lexsort((key, days.view(np.int64)))
        return table.iloc[order]

    def defect(self, kind: str, idx, table: str, column: str, written, expected: str) -> None:
        """Record one defect of `kind` for each patient in `idx` (written: one value, or one per patient)."""
        idx = np.asarray(idx, dtype=int)
        self.defects.append(
            pd.DataFrame(
                {
                    "defect": kind,
                    "record_number": self.mrn[idx],
                    "table": table,
                    "column": column,
                    "value_written": written,
                    "expected_handling": expected,
                },
                index=pd.RangeIndex(len(idx)),
            )
        )

    # Each table is assembled column-wise from canonical names; headers are applied at the very end.
    def patients_table(self) -> pd.DataFrame:
        n = len(self.p)
        table = pd.DataFrame(
            {
                "record_number": self.mrn,
                "full_name": self.people.full(),
                "birth_date": fmt_dates(self.p["birth_date"]),
                "sex": vocab.spell(self.rng, vocab.SEX, self.p["sex"].to_numpy()),
                "snils": self.snils,
                "oms_policy": self.policy,
                "address": self.address[:n],
                "phone": self.phone[:n],
            }
        )
        self.identifiers.update(
            table["full_name"],
            table["birth_date"],
            table["snils"],
            table["oms_policy"],
            table["address"],
            table["phone"],
            table["record_number"],
        )
        return table

    def diagnoses_table(self, non_metastatic: np.ndarray) -> pd.DataFrame:
        n = len(self.p)
        codes = np.empty(n, dtype=object)
        texts = np.empty(n, dtype=object)
        for group, (icd, names) in vocab.PRIMARY.items():
            mask = (self.p["primary_group"] == group).to_numpy()
            codes[mask] = vocab.pick(self.rng, icd, int(mask.sum()), usual_share=1 / len(icd))
            texts[mask] = vocab.pick(self.rng, names, int(mask.sum()))
        # A Cyrillic "С" typed for the Latin "C" in ICD-10 codes, as in real exports.
        cyrillic = self.rng.uniform(size=n) < 0.15
        codes[cyrillic] = [c.replace("C", "С", 1) for c in codes[cyrillic]]
        lesion = vocab.pick(self.rng, vocab.BONE_METASTASIS_CODE, n, usual_share=0.6)
        count = self.p["bone_metastases_count"].to_numpy().astype(object)
        visceral = vocab.spell(self.rng, vocab.YES_NO, np.where(self.p["visceral_metastases"], "yes", "no"))
        inputs = self.prognostic_columns()
        for i in non_metastatic:
            codes[i], texts[i] = vocab.NON_METASTATIC[self.rng.integers(len(vocab.NON_METASTATIC))]
            lesion[i], count[i], visceral[i] = "", 0, "нет"
            inputs["visceral_spread"][i], inputs["cerebral_metastases"][i] = "нет", "нет"
        return pd.DataFrame(
            {
                "record_number": self.mrn,
                "diagnosis_date": fmt_dates(self.p["diagnosis_date"]),
                "primary_icd10": codes,
                "primary_text": texts,
                "bone_lesion_icd10": lesion,
                "bone_metastases_count": count,
                "visceral_metastases": visceral,
                "ecog": self.p["ecog"].to_numpy(),
                "chemotherapy_before_surgery": vocab.spell(
                    self.rng, vocab.YES_NO, np.where(self.p["chemotherapy_before_surgery"], "yes", "no")
                ),
                "lesion_size_cm": self.p["lesion_size_cm"].to_numpy(),
                **inputs,
            }
        )

    def prognostic_columns(self) -> dict[str, np.ndarray]:
        """The prognostic-score inputs as the diagnoses export writes them, spelled on their own random stream
        (prognostic_inputs), so that the paper's columns are drawn exactly as before."""
        rng = np.random.default_rng([self.seed, prognostic_inputs.PROGNOSTIC_STREAM, 2])

        def yes_no_unknown(values: pd.Series) -> np.ndarray:
            category = np.where(values.isna(), "unknown", np.where(values.fillna(False).astype(bool), "yes", "no"))
            return vocab.spell(rng, vocab.YES_NO_UNKNOWN, category)

        return {
            "visceral_spread": vocab.spell(rng, vocab.VISCERAL_SPREAD, self.p["visceral_spread"].to_numpy()),
            "cerebral_metastases": yes_no_unknown(self.p["cerebral_metastases"].astype("boolean")),
            "hormone_dependent": yes_no_unknown(self.p["hormone_dependent"]),
            "targeted_therapy": yes_no_unknown(self.p["targeted_therapy"]),
        }

    def operation_rows(
        self, idx: np.ndarray, dates, bones, segments, procedures, revision: bool, reasons=None
    ) -> pd.DataFrame:
        k = len(idx)
        surgeons = self.surgeons.short()[self.surgeon_of[idx]]
        self.identifiers.update(surgeons.tolist())
        return pd.DataFrame(
            {
                "record_number": self.mrn[idx],
                "operation_date": fmt_dates(dates),
                "bone": vocab.spell(self.rng, vocab.BONE, np.asarray(bones, dtype=object)),
                "segment": vocab.spell(self.rng, vocab.SEGMENT, np.asarray(segments, dtype=object)),
                "fracture": vocab.spell(self.rng, vocab.FRACTURE, self.p["fracture"].to_numpy()[idx]),
                "procedure": procedures,
                "surgeon": surgeons,
                "is_revision": vocab.pick(self.rng, vocab.REVISION_FLAG["yes" if revision else "no"], k),
                "revision_reason": reasons if reasons is not None else np.full(k, "", dtype=object),
                "_sort_date": pd.to_datetime(pd.Series(dates)).to_numpy(),
            }
        )

    def notes_rows(self, idx: np.ndarray) -> pd.DataFrame:
        """Clinical notes: admission, operation and (for the revised) readmission, full of identifiers. Built column
        by column; a patient's notes stay in that order (admission, operation, readmission)."""
        p = self.p.iloc[idx]
        admitted = p["index_date"] - pd.to_timedelta(self.rng.integers(1, 4, len(idx)), unit="D")
        readmitted = p["revision_date"] - pd.to_timedelta(self.rng.integers(1, 6, len(idx)), unit="D")
        child = self.relative_is_child[idx]
        dob, adm, op, re = (fmt_dates(d) for d in (p["birth_date"], admitted, p["index_date"], readmitted))
        people, relatives = self.people, self.relatives
        female = people.female[idx]
        a = np.where(female, "а", "").astype(object)
        surgeon = self.surgeon_of[idx]
        surgeon_short = self.surgeons.short()[surgeon]
        relation = np.where(
            child,
            np.where(relatives.female[idx], "дочь", "сын"),
            np.where(relatives.female[idx], "супруга", "супруг"),
        ).astype(object)
        rel_phone = self.phone[len(self.p) + idx]
        full, short_dat, relative_full = people.full()[idx], people.short("dat")[idx], relatives.full()[idx]
        admission = (
            np.where(female, "Пациентка ", "Пациент ").astype(object)
            + full
            + ", "
            + dob
            + " г.р., поступил"
            + a
            + " "
            + adm
            + " с жалобами на боли в области "
            + p["bone"].map(BONE_GENITIVE).to_numpy(dtype=object)
            + ". Контактный телефон: "
            + self.phone[idx]
            + ". Адрес: "
            + self.address[idx]
            + "."
        )
        operation = (
            op
            + " "
            + short_dat
            + " выполнена операция, оперирующий хирург "
            + surgeon_short
            + "; родственники информированы ("
            + relation
            + " "
            + relative_full
            + ", тел. "
            + rel_phone
            + ")."
        )
        self.identifiers.update(full.tolist(), short_dat.tolist(), surgeon_short.tolist())
        self.identifiers.update(relative_full.tolist(), rel_phone.tolist(), dob.tolist())
        back = re != ""
        short_gen, surgeon_ins = people.short_reversed("gen")[idx][back], self.surgeons.short("ins")[surgeon][back]
        readmission = (
            "Повторная госпитализация " + short_gen + " " + re[back] + ". Консультирован" + a[back] + " хирургом "
        ) + surgeon_ins
        self.identifiers.update(short_gen.tolist(), surgeon_ins.tolist())
        patient = np.concatenate([np.arange(len(idx)), np.arange(len(idx)), np.flatnonzero(back)])
        kind = np.repeat([0, 1, 2], [len(idx), len(idx), int(back.sum())])
        order = np.lexsort((kind, patient))
        dates = np.concatenate(
            [x.to_numpy(dtype="datetime64[ns]") for x in (admitted, p["index_date"], readmitted[back])]
        )[order]
        return pd.DataFrame(
            {
                "record_number": self.mrn[idx[patient[order]]],
                "note_date": fmt_dates(dates),
                "text": np.concatenate([admission, operation, readmission])[order],
                "_sort_date": dates,
            }
        )


def spell_procedures(rng, table: dict[str, list[str]], categories) -> np.ndarray:
    return vocab.spell(rng, table, np.asarray(categories, dtype=object))


def cohort_with_excluded(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """The twin's patients: `n` analysed ones with the paper's composition, then the patients the inclusion criteria
    must drop (drawn like the analysed, never revised), each with the exclusion reason they are made for and their
    clinical course. Returns the cohort and the number excluded by each reason."""
    analysed = scaled(rng, paper_composition(rng), n)
    excluded_counts = {reason: scale_count(k, n) for reason, k in design.EXCLUDED_PATIENTS.items()}
    m = sum(excluded_counts.values())
    # Patients the inclusion criteria must drop: drawn like the analysed, never revised.
    extra = scaled(rng, paper_composition(rng).query("revision_cause == ''"), m)
    extra = extra.iloc[rng.permutation(m)].reset_index(drop=True)
    ages = np.concatenate([ages_with_median(rng, n), np.clip(np.round(rng.normal(62, 12, m)), 25, 90).astype(int)])
    cohort = pd.concat([analysed, extra], ignore_index=True)
    cohort = clinical_course(rng, cohort, ages)
    cohort["included"] = np.arange(len(cohort)) < n
    cohort["exclusion_reason"] = ""
    cohort.loc[n:, "exclusion_reason"] = np.repeat(list(excluded_counts), list(excluded_counts.values()))
    return cohort, excluded_counts


def operate_outside_study_period(rng: np.random.Generator, cohort: pd.DataFrame, outside: np.ndarray) -> None:
    """Moves the whole course of the `outside` patients before or after the study period (alternately), kept
    within the export date: they must be excluded as operated outside the period."""
    early = pd.Timestamp("2003-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, len(outside)), unit="D")
    late = pd.Timestamp("2021-01-10") + pd.to_timedelta(rng.integers(0, 120, len(outside)), unit="D")
    shift = np.where(np.arange(len(outside)) % 2 == 0, early, late) - cohort.loc[outside, "index_date"].to_numpy()
    for col in ("index_date", "birth_date", "diagnosis_date", "death_date", "last_contact_date"):
        cohort.loc[outside, col] = cohort.loc[outside, col] + shift
    export = pd.Timestamp(design.EXPORT_DATE)
    cohort.loc[outside, "last_contact_date"] = cohort.loc[outside, "last_contact_date"].clip(upper=export)
    cohort.loc[outside, "death_date"] = cohort.loc[outside, "death_date"].where(
        cohort.loc[outside, "death_date"] <= export
    )


def operate_off_long_bones(cohort: pd.DataFrame, non_long: np.ndarray) -> None:
    """Operations on the spine or the pelvis (alternately): not long bones, so the patients must be excluded."""
    cohort.loc[non_long, "bone"] = np.where(np.arange(len(non_long)) % 2 == 0, "spine", "pelvis")
    cohort.loc[non_long, "segment"] = "none"


def die_before_the_operation(rng: np.random.Generator, cohort: pd.DataFrame, impossible: np.ndarray) -> None:
    """Deaths (and last contacts) dated before the index operation: an impossible date order to be excluded."""
    cohort.loc[impossible, "death_date"] = cohort.loc[impossible, "index_date"] - pd.to_timedelta(
        rng.integers(10, 200, len(impossible)), unit="D"
    )
    cohort.loc[impossible, "last_contact_date"] = cohort.loc[impossible, "death_date"]


def index_operation_rows(
    rng: np.random.Generator, b: ExportBuilder, cohort: pd.DataFrame, excluded_idx: dict[str, np.ndarray]
) -> pd.DataFrame:
    """The index operation of everyone who has one, with unparseable date strings written for the patients to be
    excluded for them; records every exclusion's defect (with the evidence the cleaning must find)."""
    has_op = np.setdiff1d(np.arange(len(cohort)), excluded_idx["no_operation"])
    rows = b.operation_rows(
        has_op,
        cohort.loc[has_op, "index_date"],
        cohort.loc[has_op, "bone"],
        cohort.loc[has_op, "segment"],
        spell_procedures(rng, vocab.INDEX_OPERATION, cohort.loc[has_op, "operation_method"]),
        revision=False,
    )
    # Unparseable date strings written in place of the index operation date.
    rows = rows.reset_index(drop=True)
    unparseable = excluded_idx["unparseable_date"]
    strings = np.array(UNPARSEABLE_DATES, dtype=object)[np.arange(len(unparseable)) % len(UNPARSEABLE_DATES)]
    rows.loc[np.searchsorted(has_op, unparseable), "operation_date"] = strings
    for reason, idx in excluded_idx.items():
        table, column = EXCLUSION_EVIDENCE[reason]
        written = strings if reason == "unparseable_date" else ""
        b.defect(reason, idx, table, column, written, f"exclude:{reason}")
    return rows


def revision_operation_rows(rng: np.random.Generator, b: ExportBuilder, cohort: pd.DataFrame, n: int) -> pd.DataFrame:
    """Revision operations: same site, the reason as free text, sometimes with a date and a surgeon's name in it
    (which the scrubber must remove)."""
    revised = np.flatnonzero(cohort["revision_date"].notna().to_numpy())
    reasons = spell_procedures(rng, vocab.REVISION_REASON, cohort.loc[revised, "revision_cause"])
    taken: set = set()
    with_ids = pick_patients(rng, revised, scale_count(design.ROW_DEFECTS["identifiers_in_revision_reason"], n), taken)
    # Per patient, the days before the revision the note was written, then the surgeon named (drawn in that order).
    k = len(with_ids)
    drawn = rng.integers(np.tile([1, 0], k), np.tile([10, design.SURGEON_COUNT], k)).reshape(k, 2)
    pos = np.searchsorted(revised, with_ids)
    seen = fmt_dates(cohort.loc[with_ids, "revision_date"] - pd.to_timedelta(drawn[:, 0], unit="D"))
    surgeon = b.surgeons.short()[drawn[:, 1]]
    reasons[pos] = reasons[pos] + ". Осмотр " + seen + ", хирург " + surgeon
    b.identifiers.update(surgeon.tolist())
    b.defect("identifiers_in_revision_reason", with_ids, "operations", "revision_reason", "", "scrub:free_text")
    return b.operation_rows(
        revised,
        cohort.loc[revised, "revision_date"],
        cohort.loc[revised, "bone"],
        cohort.loc[revised, "segment"],
        spell_procedures(rng, vocab.REVISION_OPERATION, cohort.loc[revised, "revision_cause"]),
        revision=True,
        reasons=reasons,
    )


def long_follow_up(cohort: pd.DataFrame, n: int) -> np.ndarray:
    """The analysed patients followed for more than 60 days: room for a later operation or an older contact."""
    included = np.arange(n)
    return included[
        (cohort.loc[included, "last_contact_date"] - cohort.loc[included, "index_date"]).dt.days.to_numpy() > 60
    ]


def other_operation_rows(
    rng: np.random.Generator, b: ExportBuilder, cohort: pd.DataFrame, long_follow: np.ndarray, n: int
) -> list[pd.DataFrame]:
    """Operations that are neither index nor outcome: a later operation on another long bone (not an outcome) and
    an earlier operation on the spine (the index operation is the first one on a long bone)."""
    included = np.arange(n)
    taken: set = set()
    later = pick_patients(rng, long_follow, scale_count(design.ROW_DEFECTS["later_operation_other_site"], n), taken)
    later_bone = np.where(cohort.loc[later, "bone"].to_numpy() == "femur", "humerus", "femur")
    later_days = [
        int(rng.integers(30, (cohort.loc[i, "last_contact_date"] - cohort.loc[i, "index_date"]).days)) for i in later
    ]
    later_rows = b.operation_rows(
        later,
        cohort.loc[later, "index_date"] + pd.to_timedelta(later_days, unit="D"),
        later_bone,
        np.full(len(later), "diaphysis"),
        spell_procedures(rng, vocab.INDEX_OPERATION, np.full(len(later), "intramedullary_osteosynthesis")),
        revision=False,
    )
    b.defect("later_operation_other_site", later, "operations", "bone", "", "ignore:not_the_index_site")
    earlier = pick_patients(rng, included, scale_count(design.ROW_DEFECTS["earlier_operation_not_long_bone"], n), taken)
    earlier_rows = b.operation_rows(
        earlier,
        cohort.loc[earlier, "index_date"] - pd.to_timedelta(rng.integers(30, 700, len(earlier)), unit="D"),
        np.full(len(earlier), "spine"),
        np.full(len(earlier), "none"),
        np.full(len(earlier), "Декомпрессия, транспедикулярная фиксация", dtype=object),
        revision=False,
    )
    b.defect("earlier_operation_not_long_bone", earlier, "operations", "bone", "", "ignore:not_a_long_bone")
    return [later_rows, earlier_rows]


def with_duplicate_operations(
    rng: np.random.Generator, b: ExportBuilder, operations: pd.DataFrame, n: int
) -> pd.DataFrame:
    """Exact duplicates of index-operation rows (a double export), then the rows in date order as exported."""
    dup_ops = pick_patients(
        rng, np.arange(n), scale_count(design.ROW_DEFECTS["exact_duplicate_operation_row"], n), set()
    )
    first_rows = operations.drop_duplicates("record_number").set_index("record_number")
    operations = pd.concat([operations, first_rows.loc[b.mrn[dup_ops]].reset_index()], ignore_index=True)
    b.defect("exact_duplicate_operation_row", dup_ops, "operations", "", "", "resolve:drop_exact_duplicate")
    return b.sort_by_record(operations, "_sort_date").drop(columns="_sort_date")


def follow_up_table(
    rng: np.random.Generator,
    b: ExportBuilder,
    cohort: pd.DataFrame,
    missing: np.ndarray,
    long_follow: np.ndarray,
    n: int,
) -> pd.DataFrame:
    """Last contact and vital status of everyone but the `missing`, plus conflicting duplicates: an older row
    (alive, earlier contact); the rule is that the latest contact wins."""
    has_fu = np.setdiff1d(np.arange(len(cohort)), missing)
    dead = cohort.loc[has_fu, "death_date"].notna().to_numpy()
    follow_up = pd.DataFrame(
        {
            "record_number": b.mrn[has_fu],
            "last_contact_date": fmt_dates(cohort.loc[has_fu, "last_contact_date"]),
            "vital_status": vocab.spell(rng, vocab.VITAL_STATUS, np.where(dead, "dead", "alive")),
            "death_date": fmt_dates(cohort.loc[has_fu, "death_date"]),
        }
    )
    conflicted = pick_patients(
        rng, long_follow, scale_count(design.ROW_DEFECTS["conflicting_duplicate_follow_up"], n), set()
    )
    older = pd.DataFrame(
        {
            "record_number": b.mrn[conflicted],
            "last_contact_date": fmt_dates(
                cohort.loc[conflicted, "index_date"] + pd.to_timedelta(rng.integers(10, 50, len(conflicted)), unit="D")
            ),
            "vital_status": vocab.pick(rng, vocab.VITAL_STATUS["alive"], len(conflicted)),
            "death_date": "",
        }
    )
    b.defect(
        "conflicting_duplicate_follow_up",
        conflicted,
        "follow_up",
        "last_contact_date",
        "",
        "resolve:latest_last_contact",
    )
    return b.sort_by_record(pd.concat([follow_up, older], ignore_index=True))


def with_duplicate_patients(
    rng: np.random.Generator, b: ExportBuilder, patients: pd.DataFrame, n_cohort: int, n: int
) -> pd.DataFrame:
    """Exact duplicate patient rows, and duplicates with updated contacts (a move): both resolved by the cleaning
    or dropped by de-identification; the new contacts are identifiers too."""
    included = np.arange(n)
    dup_pat = pick_patients(rng, included, scale_count(design.ROW_DEFECTS["exact_duplicate_patient_row"], n), set())
    moved = pick_patients(
        rng,
        included,
        scale_count(design.ROW_DEFECTS["conflicting_duplicate_patient_contacts"], n),
        set(dup_pat.tolist()),
    )
    updated = patients.iloc[moved].copy()
    updated["phone"] = b.phone[n_cohort + moved]
    updated["address"] = b.address[n_cohort + moved]
    b.identifiers.update(updated["phone"], updated["address"])
    b.defect("exact_duplicate_patient_row", dup_pat, "patients", "", "", "resolve:drop_exact_duplicate")
    b.defect(
        "conflicting_duplicate_patient_contacts",
        moved,
        "patients",
        "address;phone",
        "",
        "resolve:contacts_dropped_by_deidentification",
    )
    return b.sort_by_record(pd.concat([patients, patients.iloc[dup_pat], updated]))


RAW_TABLES = ("patients", "diagnoses", "operations", "follow_up", "notes", "laboratory")


def generate(cohort_size: int, seed: int, sink: Callable[[str, pd.DataFrame], None] | None = None) -> Twin:
    """Generate the twin for `cohort_size` analysed patients (plus the patients the criteria must exclude). The
    steps run in a fixed order on one random generator, so a seed always gives the same twin.

    With a `sink`, each raw table is handed to `sink(name, table)` as soon as it is complete and then let go (the
    returned twin's `raw` is empty): a registry-size twin is written table by table instead of held whole. The
    random draws are the same either way."""
    rng = np.random.default_rng(seed)
    n = cohort_size
    started = time.perf_counter()
    raw: dict[str, pd.DataFrame] = {}
    rows: dict[str, int] = {}

    def progress(step: str) -> None:
        log.info("%-40s %8.1f s", step, time.perf_counter() - started)

    def done(name: str, table: pd.DataFrame) -> None:
        if not table.index.equals(pd.RangeIndex(len(table))):
            table = table.set_axis(pd.RangeIndex(len(table)), copy=False)
        if list(table.columns) != list(HEADERS[name]):
            table = table[list(HEADERS[name])]
        rows[name] = int(len(table))
        if sink is None:
            raw[name] = table
        else:
            sink(name, table)

    cohort, excluded_counts = cohort_with_excluded(rng, n)
    # The prognostic-score inputs, on a stream of their own (the paper's numbers are drawn exactly as before).
    cohort = pd.concat([cohort, prognostic_inputs.draw(seed, cohort)], axis=1)
    progress(f"clinical course of {len(cohort):,} patients")
    b = ExportBuilder(rng, cohort, seed)
    reason_of = cohort["exclusion_reason"].to_numpy()
    excluded_idx = {reason: np.flatnonzero(reason_of == reason) for reason in excluded_counts}

    # Course changes for the excluded: operated outside the period, or on the spine / pelvis, or dead before.
    operate_outside_study_period(rng, cohort, excluded_idx["operation_outside_study_period"])
    b.p = cohort
    operate_off_long_bones(cohort, excluded_idx["no_long_bone_operation"])
    die_before_the_operation(rng, cohort, excluded_idx["impossible_date_order"])

    patients = b.patients_table()
    done(
        "diagnoses",
        b.sort_by_record(b.diagnoses_table(excluded_idx["no_metastatic_disease"])),
    )
    progress("patients and diagnoses tables")

    ops = [index_operation_rows(rng, b, cohort, excluded_idx), revision_operation_rows(rng, b, cohort, n)]
    long_follow = long_follow_up(cohort, n)
    ops += other_operation_rows(rng, b, cohort, long_follow, n)
    operations = with_duplicate_operations(rng, b, pd.concat(ops, ignore_index=True), n)
    del ops
    progress(f"operations table ({len(operations):,} rows)")
    done("operations", operations)
    del operations

    done("follow_up", follow_up_table(rng, b, cohort, excluded_idx["missing_follow_up"], long_follow, n))
    rank = np.empty(len(cohort), dtype=np.int64)
    rank[np.argsort(b.mrn_number, kind="stable")] = np.arange(len(cohort))  # number order is text order
    laboratory, written = prognostic_inputs.laboratory_rows(
        seed, b.mrn, cohort["index_date"], cohort[prognostic_inputs.LABORATORY], rank
    )
    laboratory["lab_date"] = fmt_dates(laboratory["lab_date"])
    cohort[prognostic_inputs.LABORATORY] = written.to_numpy()
    del written
    done("laboratory", laboratory)
    del laboratory
    done("patients", with_duplicate_patients(rng, b, patients, len(cohort), n))
    del patients
    notes = b.notes_rows(np.arange(len(cohort)))
    notes = b.sort_by_record(notes, "_sort_date").drop(columns="_sort_date")
    progress(f"follow-up and notes ({len(notes):,} notes)")
    done("notes", notes)
    del notes

    raw = {name: raw[name] for name in RAW_TABLES if name in raw}

    truth = truth_table(cohort.iloc[:n], b.mrn[:n], b.mrn_number[:n])
    defects = (
        pd.concat(b.defects, ignore_index=True)
        .sort_values(["defect", "record_number"], kind="stable")
        .reset_index(drop=True)
    )
    summary = {
        "cohort_size": n,
        "seed": seed,
        "patients_in_export": int(len(cohort)),
        "excluded": excluded_counts,
        "rows": {name: rows[name] for name in RAW_TABLES},
    }
    return Twin(raw=raw, truth=truth, defects=defects, identifiers=sorted(b.identifiers), summary=summary)


PROGNOSTIC_TRUTH = [
    "visceral_spread",
    "cerebral_metastases",
    "hormone_dependent",
    "targeted_therapy",
    *prognostic_inputs.LABORATORY,
]


def truth_table(c: pd.DataFrame, mrn: np.ndarray, mrn_number: np.ndarray | None = None) -> pd.DataFrame:
    """The analysis-ready values the cleaned cohort must end up with, one row per analysed patient, in the order
    of the record numbers (of `mrn_number`, their numbers, if given: the same order, sorting integers)."""
    t = pd.DataFrame(
        {
            "record_number": mrn,
            "sex": c["sex"].to_numpy(),
            "birth_date": fmt_dates(c["birth_date"], ISO_DATE),
            "age_at_surgery": completed_years(c["birth_date"], c["index_date"]).to_numpy(),
            "primary_group": c["primary_group"].to_numpy(),
            "operation_method": c["operation_method"].to_numpy(),
            "bone": c["bone"].to_numpy(),
            "segment": c["segment"].to_numpy(),
            "pathological_fracture": (c["fracture"] == "pathological").to_numpy(),
            "solitary_bone_metastasis": c["solitary_bone_metastasis"].to_numpy(),
            "bone_metastases_count": c["bone_metastases_count"].to_numpy(),
            "visceral_metastases": c["visceral_metastases"].to_numpy(),
            "ecog": c["ecog"].to_numpy(),
            "chemotherapy_before_surgery": c["chemotherapy_before_surgery"].to_numpy(),
            "modified_bauer_score": modified_bauer_score(c).to_numpy(),
            "index_date": fmt_dates(c["index_date"], ISO_DATE),
            "year_of_surgery": c["index_date"].dt.year.to_numpy(),
            "revision_date": fmt_dates(c["revision_date"], ISO_DATE),
            "death_date": fmt_dates(c["death_date"], ISO_DATE),
            "last_contact_date": fmt_dates(c["last_contact_date"], ISO_DATE),
            "time_days": c["time_days"].to_numpy(),
            "event": c["event"].to_numpy(),
            "revision_cause": c["revision_cause"].to_numpy(),
            "survival_days": (c["death_date"].fillna(c["last_contact_date"]) - c["index_date"]).dt.days.to_numpy(),
            "died": c["death_date"].notna().to_numpy(),
            **{column: c[column].to_numpy() for column in PROGNOSTIC_TRUTH},
        }
    )
    if mrn_number is not None:
        return t.iloc[np.argsort(mrn_number, kind="stable")].reset_index(drop=True)
    return t.sort_values("record_number", kind="stable").reset_index(drop=True)


# --- writing -------------------------------------------------------------------------------------------------------
CSV_CHUNK_ROWS = 50_000


def write_csv(
    df: pd.DataFrame,
    path: Path,
    encoding: str,
    separator: str,
    header: dict[str, str] | None = None,
    decimal: str = ".",
    lineterminator: str = "\n",
) -> None:
    """The table as pandas writes it (`to_csv(sep=separator, decimal=decimal, lineterminator=lineterminator,
    index=False)`: csv.QUOTE_MINIMAL, '"' doubled inside quotes, "" for a missing value), but built column by column:
    each column's cells are spelled once (`csv_cells`), rows are joined with str.join, and the text is encoded
    CSV_CHUNK_ROWS rows at a time (the text of a whole registry-size table would double the peak memory).
    Float columns with a decimal comma are spelled as pandas spells them (`float_text`). A table whose cells
    cannot be spelled so (an object column of other than strings with line breaks in it) is written by pandas."""
    out = df.rename(columns=header, copy=False) if header else df
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    arrays = [out.iloc[:, i].to_numpy() for i in range(out.shape[1])]
    kinds = [cell_kind(values) for values in arrays]
    with tmp.open("wb") as f:
        if len(arrays) < 2 or None in kinds:
            write_csv_by_pandas(out, f, encoding, separator, decimal, lineterminator)
        else:
            names = [quote_cells([str(c)], separator, lineterminator)[0] for c in out.columns]
            f.write((separator.join(names) + lineterminator).encode(encoding))
            for start in range(0, len(out), CSV_CHUNK_ROWS):
                cells = [
                    csv_cells(values[start : start + CSV_CHUNK_ROWS], kind, separator, decimal, lineterminator)
                    for values, kind in zip(arrays, kinds, strict=True)
                ]
                rows = zip(*cells, strict=True)
                f.write((lineterminator.join(map(separator.join, rows)) + lineterminator).encode(encoding))
    tmp.replace(path)


def write_csv_by_pandas(out: pd.DataFrame, f, encoding: str, separator: str, decimal: str, lineterminator: str):
    """The old writer: pandas' to_csv, CSV_CHUNK_ROWS rows at a time (decimal-comma floats through `float_text`)."""
    if decimal != ".":
        out = out.assign(
            **{
                column: float_text(out[column].to_numpy(), decimal)
                for column in out.columns
                if out[column].dtype.kind == "f"
            }
        )
    for start in range(0, max(len(out), 1), CSV_CHUNK_ROWS):
        text = out.iloc[start : start + CSV_CHUNK_ROWS].to_csv(
            None, sep=separator, index=False, decimal=decimal, lineterminator=lineterminator, header=start == 0
        )
        f.write(text.encode(encoding))


def quote_cells(values: list[str], separator: str, lineterminator: str) -> list[str]:
    """Strings as the csv module writes them with QUOTE_MINIMAL (Python 3.11): quoted, with '"' doubled, when they
    hold the separator, '"' or a character of the line terminator; as they are otherwise. Whether any needs it is
    asked of the whole column at once."""
    special = {separator, '"', *lineterminator}
    joined = "".join(values)
    if not any(c in joined for c in special):
        return values
    return ['"' + v.replace('"', '""') + '"' if any(c in v for c in special) else v for v in values]


def cell_kind(values: np.ndarray) -> str | None:
    """How `csv_cells` spells a column: "text" (strings only), "number" (numbers, booleans), "other" (an object
    column of other values, booleans with NaN say), or None (other values and strings with line breaks: pandas)."""
    kind = values.dtype.kind
    if kind == "O" and pd.api.types.infer_dtype(values, skipna=False) == "string":
        return "text"
    if kind in "biuf":
        return "number"
    if kind == "O" and not any("\n" in v or "\r" in v for v in values if isinstance(v, str)):
        return "other"
    return None


def csv_cells(values: np.ndarray, kind: str, separator: str, decimal: str, lineterminator: str) -> list[str]:
    """Cells of a column (`cell_kind` says which kind) as pandas' to_csv writes them, a list of str.

    Strings: as they are, quoted where the csv module quotes (`quote_cells`). Numbers and booleans: each distinct
    value (distinct by bit pattern, so -0.0 keeps its sign) spelled by pandas itself, then looked up; floats with a
    decimal other than "." by `float_text`. Other object columns: spelled by pandas value by value."""
    if kind == "text":
        return quote_cells(values.tolist(), separator, lineterminator)
    if kind == "number" and values.dtype.kind == "f" and decimal != ".":
        return quote_cells(float_text(values, decimal).tolist(), separator, lineterminator)
    if kind == "number":
        bits = values.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[values.dtype.itemsize])
        distinct, position = np.unique(bits, return_inverse=True)
        spelled = pandas_cells(distinct.view(values.dtype), separator, decimal)
        return np.asarray(spelled, dtype=object)[position.reshape(-1)].tolist()
    return pandas_cells(values, separator, decimal)


def pandas_cells(values: np.ndarray, separator: str, decimal: str) -> list[str]:
    """Each value as pandas' to_csv writes it (values without line breaks), in a table after a column "x" (a row
    of one empty cell would be written '""')."""
    frame = pd.DataFrame({"x": "x", "v": values})
    text = frame.to_csv(None, sep=separator, decimal=decimal, index=False, header=False, lineterminator="\n")
    skip = len("x" + separator)
    return [line[skip:] for line in text.split("\n")[:-1]]


def float_text(values: np.ndarray, decimal: str) -> np.ndarray:
    """Floats as pandas' to_csv writes them with a decimal other than ".": str(value) with its first "." replaced
    by `decimal`, and "" for NaN."""
    missing = np.isnan(values)
    # Distinct by bit pattern, so that -0.0 and 0.0 keep their own spellings.
    distinct, position = np.unique(values[~missing].astype(float).view(np.int64), return_inverse=True)
    spelled = np.array([str(v).replace(".", decimal, 1) for v in distinct.view(float)], dtype=object)
    out = np.full(len(values), "", dtype=object)
    out[~missing] = spelled[position.reshape(-1)]
    return out


def sha256(path: Path) -> str:
    """The file's SHA-256, read in blocks (a registry's laboratory export is hundreds of megabytes)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def identifiers_json(identifiers: list[str]) -> str:
    """`json.dumps(identifiers, ensure_ascii=False, indent=0)` (one string a line) by the C encoder: the indenting
    encoder is pure Python, slow for a registry's millions of identifiers."""
    return "".join(identifiers_json_parts(identifiers))


def identifiers_json_parts(identifiers: list[str], chunk: int = 200_000):
    """The text of `identifiers_json` in pieces of `chunk` identifiers (the whole text of a registry's list, built
    and then encoded at once, would take a gigabyte or more)."""
    if not identifiers:
        yield "[]"
        return
    yield "[\n"
    for start in range(0, len(identifiers), chunk):
        part = json.dumps(identifiers[start : start + chunk], ensure_ascii=False, separators=(",\n", ": "))[1:-1]
        yield (",\n" if start else "") + part
    yield "\n]"


def write_identifiers(identifiers: list[str], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        for part in identifiers_json_parts(identifiers):
            f.write(part)
        f.write("\n")


class TwinWriter:
    """Writes a twin's raw exports in a centre's `dialect` to `raw_paths` (table -> file) as they come (`table`,
    usable as `generate`'s sink), then the twin's own files (truth, defects, identifiers, manifest) to
    `synthetic_dir` (`finish`)."""

    def __init__(self, raw_paths: dict[str, str | Path], synthetic_dir: str | Path, dialect: str = dialects.HERZEN):
        self.raw_paths = raw_paths
        self.synthetic_dir = Path(synthetic_dir)
        self.dialect = dialect
        self.spec = dialects.DIALECTS[dialect]
        self.digests: dict[str, tuple[str, str]] = {}

    def table(self, name: str, table: pd.DataFrame) -> None:
        if name not in self.raw_paths:  # a table the config declares null (the centre has none)
            return
        fmt = self.spec["formats"][name]
        path = Path(self.raw_paths[name])
        write_csv(
            dialects.render_table(name, table, self.dialect),
            path,
            fmt["encoding"],
            fmt["separator"],
            self.spec["headers"][name],
            decimal=fmt["decimal"],
            lineterminator=fmt["lineterminator"],
        )
        self.digests[name] = (f"raw/{path.name}", sha256(path))

    def finish(self, twin: Twin) -> dict:
        """The twin's own files, and the manifest (raw files in the order of RAW_TABLES); returns the manifest."""
        synthetic_dir = self.synthetic_dir
        files = dict(self.digests[name] for name in RAW_TABLES if name in self.digests)
        write_csv(twin.truth, synthetic_dir / "truth.csv", "utf-8", ",")
        write_csv(twin.defects, synthetic_dir / "defects.csv", "utf-8", ",")
        write_identifiers(twin.identifiers, synthetic_dir / "identifiers.json")
        # The twin's own pseudonymisation key: derived from the seed, so two clean runs give the same pseudonyms.
        # Only the synthetic twin may use it (the de-identification stage refuses real exports without a key of
        # their own).
        demo_key = hashlib.sha256(f"synthetic twin demo pseudonymisation key, seed {twin.summary['seed']}".encode())
        (synthetic_dir / "demo_pseudonym.key").write_text(demo_key.hexdigest() + "\n", encoding="ascii")
        for name in ("truth.csv", "defects.csv", "identifiers.json"):
            files[f"synthetic/{name}"] = sha256(synthetic_dir / name)
        manifest = {**twin.summary, "dialect": self.dialect, "formats": self.spec["formats"], "sha256": files}
        (synthetic_dir / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return manifest


def write_twin(
    twin: Twin, raw_paths: dict[str, str | Path], synthetic_dir: str | Path, dialect: str = dialects.HERZEN
) -> dict:
    """Write the raw exports in a centre's `dialect` to `raw_paths` (table -> file) and the twin's own files
    (truth, defects, identifiers, manifest) to `synthetic_dir`; return the manifest."""
    writer = TwinWriter(raw_paths, synthetic_dir, dialect)
    for name, table in twin.raw.items():
        writer.table(name, table)
    return writer.finish(twin)


def generate_and_write(
    cohort_size: int,
    seed: int,
    raw_paths: dict[str, str | Path],
    synthetic_dir: str | Path,
    dialect: str = dialects.HERZEN,
) -> dict:
    """`write_twin(generate(cohort_size, seed), ...)` with each raw table written as soon as it is complete and
    then let go, so a registry-size twin is never held whole: the same files. Returns the manifest."""
    writer = TwinWriter(raw_paths, synthetic_dir, dialect)
    twin = generate(cohort_size, seed, sink=writer.table)
    return writer.finish(twin)
