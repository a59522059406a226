"""The inputs of the prognostic scores that the paper's exports did not carry: hormone dependence (breast,
prostate), molecularly targeted therapy (lung), the kind of visceral spread, cerebral metastases and a
pre-operative laboratory panel (issue 17).

They are drawn from a random stream of their own (the twin's seed and PROGNOSTIC_STREAM), after the clinical
course, so that every table and number the paper publishes stays exactly as it was. They are drawn *given* each
patient's survival, which the course already fixed: a patient who dies early is likelier to have the laboratory
derangements and the disseminated disease that the new Katagiri score (Katagiri et al. 2014, Cancer Med 3:1359)
counts. The mapping from survival to a target Katagiri group is in design.KATAGIRI_TARGET; the calibration table
(calibration.tsv) checks the resulting survival by group against the published figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from common.prognosis import KATAGIRI_GROWTH, KATAGIRI_OTHER
from common.study import DAYS_PER_MONTH

from . import design

PROGNOSTIC_STREAM = 17
# Conventional units: CRP mg/dL, LDH IU/L, albumin g/dL, platelets per uL, calcium mg/dL, bilirubin mg/dL,
# haemoglobin g/dL, lymphocytes per uL. (low, high) of a value inside the reference range.
NORMAL = {
    "crp_mg_dl": (0.02, 0.35),
    "ldh_iu_l": (130.0, 240.0),
    "albumin_g_dl": (3.8, 4.8),
    "platelets_per_ul": (160_000.0, 380_000.0),
    "calcium_mg_dl": (8.7, 10.1),
    "bilirubin_mg_dl": (0.3, 1.1),
    "haemoglobin_g_dl": (11.0, 15.0),
    "lymphocytes_per_ul": (1_000.0, 2_800.0),
}
# Katagiri's abnormal and critical values (as (low, high) ranges that lie past the thresholds).
ABNORMAL = {"crp_mg_dl": (0.5, 8.0), "ldh_iu_l": (260.0, 900.0), "albumin_g_dl": (2.4, 3.6)}
CRITICAL = {"platelets_per_ul": (30_000.0, 95_000.0), "calcium_mg_dl": (10.5, 13.5), "bilirubin_mg_dl": (1.5, 4.0)}
LABORATORY = list(NORMAL)


def _fixed_points(cohort: pd.DataFrame) -> np.ndarray:
    """Katagiri points already fixed by the course: growth of primaries that need no extra item, ECOG 3-4,
    chemotherapy, multiple skeletal metastases."""
    primary = cohort["primary_group"]
    growth = primary.map(KATAGIRI_GROWTH).fillna(KATAGIRI_OTHER).to_numpy(float)
    growth[primary.isin(["breast", "prostate", "lung"]).to_numpy()] = 0.0
    return (
        growth
        + (cohort["ecog"].to_numpy() >= 3)
        + cohort["chemotherapy_before_surgery"].to_numpy()
        + ~cohort["solitary_bone_metastasis"].to_numpy(bool)
    )


def target_groups(rng: np.random.Generator, survival_months: np.ndarray) -> np.ndarray:
    """A Katagiri group (0: 0-3, 1: 4-6, 2: 7-10) per patient, drawn with the probabilities design.KATAGIRI_TARGET
    gives for the patient's band of survival."""
    bands = np.searchsorted(design.KATAGIRI_TARGET_BANDS_MONTHS, survival_months, side="right")
    probabilities = np.array(design.KATAGIRI_TARGET)[bands]
    u = rng.uniform(size=len(survival_months))[:, None]
    return (u > np.cumsum(probabilities, axis=1)).sum(axis=1)


def _orbit(step: np.ndarray, count: int) -> np.ndarray:
    """The first `count` points of 0's orbit under the map p -> step[p]: 0, step[0], step[step[0]], ... By doubling:
    the points found so far, then their images under step applied 2**j times."""
    points = np.zeros(1, dtype=np.int64)
    jump = step
    while len(points) < count:
        points = np.concatenate([points, jump[points]])
        jump = jump[jump]
    return points[:count]


# The permutation of (0, 1, 2) that numpy's shuffle makes from its two swap positions j2 (in 0-2) and j1 (in 0-1).
_SWAPPED = np.array([[[1, 2, 0], [2, 1, 0]], [[2, 0, 1], [0, 2, 1]], [[1, 0, 2], [0, 1, 2]]])


def permutations_of_three(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` rows equal to `[rng.permutation(3) for _ in range(n)]`, leaving `rng` in the same state, without the loop.

    numpy's Generator shuffles by Fisher-Yates from the end: for i = 2, 1 it swaps element i with element j, where
    j is drawn by masked rejection from 32-bit outputs (random_interval: j = u & 3 redrawn while j > 2, then
    j = u & 1). One patient thus takes the outputs up to and including the first u with u & 3 != 3, and one more.
    A block of outputs is read ahead; where each patient starts is the orbit of 0 under "next acceptable output
    + 2", and the generator is then advanced by exactly the outputs used."""
    state = rng.bit_generator.state
    size = 3 * n + 64
    while True:
        u = rng.integers(0, 2**32, size=size, dtype=np.uint32)
        acceptable = np.flatnonzero((u & 3) != 3)
        # next_ok[p]: the first acceptable output at or after p (size where there is none).
        next_ok = np.append(acceptable, size)[np.searchsorted(acceptable, np.arange(size + 3))]
        step = np.minimum(next_ok + 2, size + 2)
        starts = _orbit(step, n) if n else np.zeros(0, dtype=np.int64)
        used = int(step[starts[-1]]) if n else 0
        if used <= size:
            break
        size *= 2
        rng.bit_generator.state = state
    rng.bit_generator.state = state
    rng.integers(0, 2**32, size=used, dtype=np.uint32)
    at = next_ok[starts]
    return _SWAPPED[u[at] & 3, u[at + 1] & 1]


def draw(seed: int, cohort: pd.DataFrame) -> pd.DataFrame:
    """The prognostic inputs per patient, aligned with `cohort` (a frame from generate.clinical_course)."""
    rng = np.random.default_rng([seed, PROGNOSTIC_STREAM])
    n = len(cohort)
    end = cohort["death_date"].fillna(cohort["last_contact_date"])
    months = (end - cohort["index_date"]).dt.days.to_numpy() / DAYS_PER_MONTH
    months = np.where(cohort["death_date"].isna(), np.maximum(months, 36.0), months)  # alive: a long survivor
    group = target_groups(rng, months)
    lower, upper = np.array([0, 4, 7])[group], np.array([3, 6, 10])[group]

    primary = cohort["primary_group"].to_numpy()
    visceral = cohort["visceral_metastases"].to_numpy(bool)
    points = _fixed_points(cohort)
    # Free items, raised one point at a time (in a random order per patient) until the score reaches the target.
    hormonal = np.isin(primary, ["breast", "prostate"])
    lung = primary == "lung"
    growth_free = np.where(lung, 2.0, 0.0)  # lung: targeted therapy (2) unless raised to 3; hormonal: 0 or 2
    spread = visceral.astype(float)  # nodular 1, disseminated 2
    labs = np.zeros(n)
    total = points + growth_free + spread + labs
    for options in permutations_of_three(rng, n).T:
        # Each patient's k-th item in turn: growth (one step), spread (one step), laboratory (up to two steps).
        raise_growth = (
            (options == 0) & (total < lower) & ((hormonal & (growth_free == 0)) | (lung & (growth_free == 2)))
        )
        growth_free = np.where(raise_growth, np.where(hormonal, 2.0, 3.0), growth_free)
        total = points + growth_free + spread + labs
        spread += (options == 1) & (total < lower) & visceral & (spread < 2)
        total = points + growth_free + spread + labs
        for _ in range(2):
            labs += (options == 2) & (total < lower) & (labs < 2)
            total = points + growth_free + spread + labs
    # Above the target's range: lower the free items that can go down.
    for _ in range(2):
        down = (total > upper) & (labs > 0)
        labs -= down
        total -= down

    cerebral = visceral & (rng.uniform(size=n) < design.CEREBRAL_SHARE_OF_VISCERAL)
    inputs = pd.DataFrame(
        {
            "hormone_dependent": pd.array(np.where(hormonal, growth_free == 0, pd.NA), dtype="boolean"),
            "targeted_therapy": pd.array(np.where(lung, growth_free == 2, pd.NA), dtype="boolean"),
            "visceral_spread": np.select([spread == 2, spread == 1], ["disseminated", "nodular"], "none"),
            "cerebral_metastases": cerebral,
        },
        index=cohort.index,
    )
    for name, (low, high) in NORMAL.items():
        inputs[name] = rng.uniform(low, high, n)
    abnormal = labs == 1
    critical = labs == 2
    for name, (low, high) in ABNORMAL.items():
        hit = abnormal & (rng.uniform(size=n) < 0.6)
        inputs.loc[hit, name] = rng.uniform(low, high, int(hit.sum()))
    # Every abnormal patient has at least CRP raised (the commonest derangement).
    first = abnormal & ~np.any([inputs[c].to_numpy() >= t for c, t in (("crp_mg_dl", 0.4), ("ldh_iu_l", 250))], axis=0)
    first &= inputs["albumin_g_dl"].to_numpy() >= 3.7
    inputs.loc[first, "crp_mg_dl"] = rng.uniform(*ABNORMAL["crp_mg_dl"], int(first.sum()))
    which = rng.integers(0, len(CRITICAL), n)
    for k, (name, (low, high)) in enumerate(CRITICAL.items()):
        hit = critical & (which == k)
        inputs.loc[hit, name] = rng.uniform(low, high, int(hit.sum()))
    # Sicker patients have lower haemoglobin and lymphocytes (the SPRING / PATHFx inputs).
    inputs["haemoglobin_g_dl"] -= labs * rng.uniform(0.5, 2.0, n)
    inputs["lymphocytes_per_ul"] *= 1 - 0.2 * labs
    # Missing values: a test not drawn before the operation.
    for name in LABORATORY:
        missing = rng.uniform(size=n) < design.LABORATORY_MISSING_SHARE
        inputs.loc[missing, name] = np.nan
    return inputs


# How the institute's laboratory system writes each test: names as they appear, the unit, the factor from the
# conventional unit to it, and the decimals it prints. CRP is sometimes reported in mg/dL by an older analyser.
LAB_SYSTEM = {
    "crp_mg_dl": (["С-реактивный белок", "СРБ", "CRP"], "мг/л", 10.0, 1),
    "ldh_iu_l": (["ЛДГ", "Лактатдегидрогеназа"], "Ед/л", 1.0, 0),
    "albumin_g_dl": (["Альбумин", "Альбумин сыворотки"], "г/л", 10.0, 0),
    "platelets_per_ul": (["Тромбоциты", "PLT"], "10^9/л", 1e-3, 0),
    "calcium_mg_dl": (["Кальций общий", "Ca общий"], "ммоль/л", 1 / 4.008, 2),
    "bilirubin_mg_dl": (["Билирубин общий"], "мкмоль/л", 17.104, 1),
    "haemoglobin_g_dl": (["Гемоглобин", "HGB"], "г/л", 10.0, 0),
    "lymphocytes_per_ul": (["Лимфоциты абс.", "LYM#"], "10^9/л", 1e-3, 2),
}
OLD_ANALYSER_CRP = ("мг/дл", 1.0, 2)
LAB_WINDOW_DAYS = 30  # the cleaning rule's window; some earlier draws fall outside it on purpose
# Every test label, in the order a sort of the written labels puts them.
TEST_LABELS = sorted({label for labels, *_ in LAB_SYSTEM.values() for label in labels})


def rounded(values: np.ndarray, digits: np.ndarray) -> np.ndarray:
    """Each value rounded to its own number of decimals, as `round(v, d)` does for a numpy float64 v (the values
    come out of numpy arrays): numpy's rounding, rint(v * 10**d) / 10**d, half to even on the scaled value (so
    2.675 -> 2.68, where Python's round of the float 2.675 gives 2.67)."""
    scale = 10.0 ** np.asarray(digits, dtype=int)
    return np.round(np.asarray(values, dtype=float) * scale) / scale


def laboratory_rows(
    seed: int,
    record_numbers: np.ndarray,
    index_dates: pd.Series,
    inputs: pd.DataFrame,
    record_rank: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The laboratory export (one row per test drawn; record_number, lab_date as a Timestamp, test, value, unit) and
    the inputs as the export then says they are: the value of the draw nearest before the operation (same day
    counts), converted back to conventional units from what was written, NaN where no draw lies in the window.

    Besides that draw, a patient may have an earlier draw (another value, sometimes outside the window) and one
    after the operation (another value): both must be passed over by the cleaning rule. `record_rank`, if given,
    is each record number's rank in the sorted record numbers (computed here otherwise).

    Column operations throughout. The day offsets are drawn patient by patient in the order a loop over the patients
    draws them (earlier draw, then for a stray patient its second offset, then the draw after the operation): one
    `integers` call with per-draw bounds consumes the stream exactly as those single draws do."""
    rng = np.random.default_rng([seed, PROGNOSTIC_STREAM, 1])
    n = len(inputs)
    days = index_dates.to_numpy(dtype="datetime64[ns]")
    one_day = np.timedelta64(1, "D")
    columns: dict[str, list[np.ndarray]] = {"patient": [], "lab_date": [], "test": [], "value": [], "unit": []}
    written = inputs.copy()
    # Units as codes into UNITS (a column of 17 million strings at a million patients would be a gigabyte).
    unit_names = list(dict.fromkeys([OLD_ANALYSER_CRP[0], *(unit for _, unit, *_ in LAB_SYSTEM.values())]))
    for name, (names, unit, factor, decimals) in LAB_SYSTEM.items():
        true = inputs[name].to_numpy(float)
        old = (rng.uniform(size=n) < 0.2) if name == "crp_mg_dl" else np.zeros(n, bool)
        units = np.where(old, unit_names.index(OLD_ANALYSER_CRP[0]), unit_names.index(unit))
        factors = np.where(old, OLD_ANALYSER_CRP[1], factor)
        digits = np.where(old, OLD_ANALYSER_CRP[2], decimals)
        value = rounded(true * factors, digits)
        written[name] = value / factors
        label = np.array([TEST_LABELS.index(label) for label in names])[rng.integers(0, len(names), n)]
        before = rng.integers(0, 8, n)
        have = ~np.isnan(true)
        earlier = rng.uniform(size=n) < 0.5
        after = rng.uniform(size=n) < 0.4
        # Without a pre-operative value, some still have a draw: too early or after the operation.
        stray = ~have & (rng.uniform(size=n) < 0.5)
        jitter = rng.uniform(0.7, 1.3, n)
        has_earlier = (have & earlier) | stray
        has_after = (have & after) | stray
        # The offsets in draw order: per patient [earlier gap][stray gap][after shift], each where it applies.
        slots = np.stack([has_earlier, stray, has_after], axis=1)
        highs = np.broadcast_to(np.array([2 * LAB_WINDOW_DAYS, 60, 6]), slots.shape)[slots]
        drawn = np.zeros(slots.shape, dtype=np.int64)
        drawn[slots] = rng.integers(1, highs)
        gap = np.where(stray, LAB_WINDOW_DAYS + drawn[:, 1], before + drawn[:, 0])
        base = np.where(have, value, np.mean(NORMAL[name]) * factors)
        kinds = [
            (have, days - before * one_day, value),
            (has_earlier, days - gap * one_day, rounded(base * jitter, digits)),
            (has_after, days + drawn[:, 2] * one_day, rounded(base * (2 - jitter), digits)),
        ]
        for mask, when, amount in kinds:
            # Small integer types for the codes: a registry's table has 17 million rows.
            where = np.flatnonzero(mask).astype(np.int32)
            chosen = (where, when[mask], label[mask].astype(np.int8), amount[mask], units[mask].astype(np.int8))
            for column, values in zip(columns, chosen, strict=True):
                columns[column].append(values)
    # Sorted by record number, date and test. Each (record number, date, test) occurs once: a patient's draws of one
    # test fall on different days, and no two tests share a label. Record numbers are one fixed width, so their
    # order is that of the patients' ranks; the sort runs on integers.
    patient, lab_date, test, value, unit_written = (np.concatenate(columns.pop(c)) for c in list(columns))
    if record_rank is None:
        record_rank = np.empty(n, dtype=np.int64)
        record_rank[np.argsort(np.asarray(record_numbers, dtype=object), kind="stable")] = np.arange(n)
    order = np.lexsort((test, lab_date.view(np.int64), record_rank[patient]))
    table = pd.DataFrame(
        {
            "record_number": np.asarray(record_numbers, dtype=object)[patient[order]],
            "lab_date": lab_date[order],
            "test": np.array(TEST_LABELS, dtype=object)[test[order]],
            "value": value[order],
            "unit": np.array(unit_names, dtype=object)[unit_written[order]],
        },
        copy=False,  # the columns as they are, not stacked into one block (a copy of each)
    )
    return table, written
