"""The twin's generator works on whole columns (issue 19: a registry of a million patients). Each vectorised step is
checked here against the per-row loop it replaced, on cohorts other than the default (whose files the byte-identical
default run already pins): the same values and the same random stream left behind."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthetic_twin import design, identity, prognostic_inputs
from synthetic_twin import generate as twin
from synthetic_twin.prognostic_inputs import (
    LAB_SYSTEM,
    LAB_WINDOW_DAYS,
    NORMAL,
    OLD_ANALYSER_CRP,
    PROGNOSTIC_STREAM,
    permutations_of_three,
    rounded,
)

SEED = 7


def same_state(a: np.random.Generator, b: np.random.Generator) -> bool:
    return a.bit_generator.state == b.bit_generator.state


@pytest.fixture(scope="module")
def cohort():
    rng = np.random.default_rng(SEED)
    cohort, _ = twin.cohort_with_excluded(rng, 600)
    return cohort


# --- the loops as they were (synthetic_twin before issue 19) ----------------------------------------------------------
def free_items_per_row(seed: int, cohort: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """prognostic_inputs.draw's per-patient loop: the free Katagiri items raised in a random order per patient."""
    rng = np.random.default_rng([seed, PROGNOSTIC_STREAM])
    n = len(cohort)
    end = cohort["death_date"].fillna(cohort["last_contact_date"])
    months = (end - cohort["index_date"]).dt.days.to_numpy() / 30.4375
    months = np.where(cohort["death_date"].isna(), np.maximum(months, 36.0), months)
    group = prognostic_inputs.target_groups(rng, months)
    lower, upper = np.array([0, 4, 7])[group], np.array([3, 6, 10])[group]
    primary = cohort["primary_group"].to_numpy()
    visceral = cohort["visceral_metastases"].to_numpy(bool)
    points = prognostic_inputs._fixed_points(cohort)
    hormonal = np.isin(primary, ["breast", "prostate"])
    lung = primary == "lung"
    growth_free = np.where(lung, 2.0, 0.0)
    spread = visceral.astype(float)
    labs = np.zeros(n)
    for i in range(n):
        total = points[i] + growth_free[i] + spread[i] + labs[i]
        options = rng.permutation(3)
        for item in options:
            while total < lower[i]:
                if item == 0 and hormonal[i] and growth_free[i] == 0:
                    growth_free[i] = 2.0
                elif item == 0 and lung[i] and growth_free[i] == 2:
                    growth_free[i] = 3.0
                elif item == 1 and visceral[i] and spread[i] < 2:
                    spread[i] += 1
                elif item == 2 and labs[i] < 2:
                    labs[i] += 1
                else:
                    break
                total = points[i] + growth_free[i] + spread[i] + labs[i]
        while total > upper[i] and labs[i] > 0:
            labs[i] -= 1
            total -= 1
    return growth_free, spread, labs, rng.uniform(size=3)


def laboratory_rows_per_row(seed, record_numbers, index_dates, inputs):
    """prognostic_inputs.laboratory_rows as a loop over the patients, one row at a time."""
    rng = np.random.default_rng([seed, PROGNOSTIC_STREAM, 1])
    n = len(inputs)
    rows = []
    written = inputs.copy()
    for name, (names, unit, factor, decimals) in LAB_SYSTEM.items():
        true = inputs[name].to_numpy(float)
        old = (rng.uniform(size=n) < 0.2) if name == "crp_mg_dl" else np.zeros(n, bool)
        units = np.where(old, OLD_ANALYSER_CRP[0], unit)
        factors = np.where(old, OLD_ANALYSER_CRP[1], factor)
        digits = np.where(old, OLD_ANALYSER_CRP[2], decimals)
        value = np.array([round(v * f, int(d)) for v, f, d in zip(true, factors, digits, strict=True)])
        written[name] = value / factors
        label = np.array(names, dtype=object)[rng.integers(0, len(names), n)]
        before = rng.integers(0, 8, n)
        have = ~np.isnan(true)
        earlier = rng.uniform(size=n) < 0.5
        after = rng.uniform(size=n) < 0.4
        stray = ~have & (rng.uniform(size=n) < 0.5)
        jitter = rng.uniform(0.7, 1.3, n)
        for i in range(n):
            day = index_dates.iloc[i]
            if have[i]:
                rows.append((record_numbers[i], day - pd.Timedelta(days=int(before[i])), label[i], value[i], units[i]))
            if (have[i] and earlier[i]) or stray[i]:
                gap = int(before[i]) + int(rng.integers(1, 2 * LAB_WINDOW_DAYS))
                if stray[i]:
                    gap = LAB_WINDOW_DAYS + int(rng.integers(1, 60))
                base = value[i] if have[i] else np.mean(NORMAL[name]) * factors[i]
                rows.append(
                    (
                        record_numbers[i],
                        day - pd.Timedelta(days=gap),
                        label[i],
                        round(base * jitter[i], int(digits[i])),
                        units[i],
                    )
                )
            if (have[i] and after[i]) or stray[i]:
                base = value[i] if have[i] else np.mean(NORMAL[name]) * factors[i]
                shifted = round(base * (2 - jitter[i]), int(digits[i]))
                rows.append(
                    (record_numbers[i], day + pd.Timedelta(days=int(rng.integers(1, 6))), label[i], shifted, units[i])
                )
    table = pd.DataFrame(rows, columns=["record_number", "lab_date", "test", "value", "unit"])
    table = table.sort_values(["record_number", "lab_date", "test"], kind="stable").reset_index(drop=True)
    return table, written


# --- the checks -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("n", [0, 1, 2, 7, 500])
def test_permutations_equal_numpys_one_at_a_time(seed, n):
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    a.uniform(size=seed % 3), b.uniform(size=seed % 3)  # a half-used 32-bit output, sometimes
    a.integers(0, 9, seed % 2), b.integers(0, 9, seed % 2)
    expected = np.array([a.permutation(3) for _ in range(n)]).reshape(-1, 3)
    np.testing.assert_array_equal(permutations_of_three(b, n), expected)
    assert same_state(a, b)


def test_free_items_equal_the_per_patient_loop(cohort):
    growth_free, spread, labs, after = free_items_per_row(SEED, cohort)
    inputs = prognostic_inputs.draw(SEED, cohort)
    hormonal = cohort["primary_group"].isin(["breast", "prostate"]).to_numpy()
    lung = (cohort["primary_group"] == "lung").to_numpy()
    np.testing.assert_array_equal(inputs["hormone_dependent"].to_numpy()[hormonal], growth_free[hormonal] == 0)
    np.testing.assert_array_equal(inputs["targeted_therapy"].to_numpy()[lung], growth_free[lung] == 2)
    np.testing.assert_array_equal(
        inputs["visceral_spread"], np.select([spread == 2, spread == 1], ["disseminated", "nodular"], "none")
    )
    assert 0 < (labs > 0).sum() < len(labs)
    # The draws after the loop come from the same place in the stream: the laboratory values agree too.
    rng = np.random.default_rng([SEED, PROGNOSTIC_STREAM])
    prognostic_inputs.target_groups(rng, np.zeros(len(cohort)))
    permutations_of_three(rng, len(cohort))
    np.testing.assert_array_equal(rng.uniform(size=3), after)


def test_laboratory_rows_equal_the_per_row_loop(cohort):
    inputs = prognostic_inputs.draw(SEED, cohort)
    mrn = np.array([f"ИБ-{v:07d}" for v in np.random.default_rng(1).permutation(len(cohort)) + 100_000], dtype=object)
    table, written = prognostic_inputs.laboratory_rows(SEED, mrn, cohort["index_date"], inputs)
    expected, expected_written = laboratory_rows_per_row(SEED, mrn, cohort["index_date"], inputs)
    pd.testing.assert_frame_equal(table, expected)
    pd.testing.assert_frame_equal(written, expected_written)


def test_rounding_equals_round_of_numpy_floats():
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [rng.uniform(0, 500, 20_000), np.array([2.675, 0.125, 0.375, 1.005, 2.5, 3.5, -2.5, 0.0, -0.0, np.nan])]
    )
    values = np.concatenate([values, np.round(rng.uniform(0, 100, 5000), 3) + 0.0005])  # decimal ties
    for digits in (0, 1, 2):
        out = rounded(values, np.full(len(values), digits))
        expected = np.array([round(v, digits) for v in values])  # v: numpy float64, as in the loop
        np.testing.assert_array_equal(out, expected)
        assert (np.signbit(out) == np.signbit(expected)).all()
    assert rounded(np.array([2.675]), np.array([2]))[0] == 2.68 != round(2.675, 2)


def test_names_equal_the_people_one_at_a_time():
    female = np.random.default_rng(5).uniform(size=3000) < 0.5
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    people, names = identity.draw_people(a, female), identity.draw_names(b, female)
    assert same_state(a, b)
    for case in identity.CASES:
        assert names.full(case).tolist() == [p.full(case) for p in people]
        assert names.short(case).tolist() == [p.short(case) for p in people]
        assert names.short_reversed(case).tolist() == [p.short_reversed(case) for p in people]
    assert names.female.tolist() == [p.female for p in people]


def test_dates_floats_and_identifiers_are_written_as_before():
    days = pd.Series(pd.to_datetime(["2012-03-04", None, "1999-12-31", "2012-03-04", "2020-02-29"]))
    assert twin.fmt_dates(days).tolist() == days.dt.strftime("%d.%m.%Y").fillna("").tolist()
    values = np.array([1.5, np.nan, -0.0, 0.0, 1e-7, 123456789.125, 2.0, 1.5])
    frame = pd.DataFrame({"k": np.arange(len(values)), "x": values})
    expected = [line.split(";")[1] for line in frame.to_csv(None, sep=";", decimal=",", index=False).splitlines()[1:]]
    assert twin.float_text(values, ",").tolist() == expected
    for ids in ([], ["a"], ["Иванов И.И.", 'кв. "5"', "back\\slash", "8-999-000-00-00"]):
        assert twin.identifiers_json(ids) == json.dumps(ids, ensure_ascii=False, indent=0)


def test_revision_reasons_name_a_drawn_surgeon():
    t = twin.generate(cohort_size=2 * design.PAPER_COHORT_SIZE, seed=SEED)
    reasons = t.raw["operations"]["revision_reason"]
    named = reasons[reasons.str.contains(". Осмотр ", regex=False)]
    assert len(named) == (t.defects["defect"] == "identifiers_in_revision_reason").sum() > 0
    surgeons = named.str.partition(", хирург ")[2]
    assert set(surgeons) <= set(t.identifiers)


@pytest.mark.parametrize("rows", [0, 1, 3, 7])
def test_csv_written_in_chunks_equals_one_to_csv(rows, tmp_path, monkeypatch):
    monkeypatch.setattr(twin, "CSV_CHUNK_ROWS", 3)
    df = pd.DataFrame({"a": np.arange(rows), "b": np.linspace(0, 1, rows), "c": ["x;y"] * rows})
    twin.write_csv(df, tmp_path / "t.csv", "cp1251", ";", decimal=",", lineterminator="\r\n")
    expected = df.to_csv(None, sep=";", decimal=",", index=False, lineterminator="\r\n").encode("cp1251")
    assert (tmp_path / "t.csv").read_bytes() == expected


@pytest.mark.parametrize("lineterminator", ["\n", "\r\n"])
@pytest.mark.parametrize(
    "separator,decimal,encoding", [(";", ",", "cp1251"), (",", ".", "utf-8"), ("\t", ",", "utf-8")]
)
@pytest.mark.parametrize("rows", [0, 1, 3, 7])
def test_column_wise_writer_equals_to_csv(rows, separator, decimal, encoding, lineterminator, tmp_path, monkeypatch):
    """write_csv spells cells column by column and joins rows itself: the same bytes as pandas' to_csv (the writer
    it replaced, kept as write_csv_by_pandas), quoting, decimal commas, NaN, -0.0, booleans and mixed columns
    included."""
    monkeypatch.setattr(twin, "CSV_CHUNK_ROWS", 3)
    rng = np.random.default_rng(rows)
    texts = np.array(["x;y", 'a "b"', "line\nbreak", "cr\rhere", "", "tab\tx", "Иванов, И.", "plain", "a,b"])
    floats = np.array([1.5, np.nan, -0.0, 0.0, 1e-7, 123456789.125, 2.0, 1e20])
    mixed = np.array([True, False, np.nan, "нет", 3, 0.5], dtype=object)
    df = pd.DataFrame(
        {
            "a": np.arange(rows),
            "b": floats[rng.integers(0, len(floats), rows)],
            "c": texts[rng.integers(0, len(texts), rows)].astype(object),
            "d;e": rng.uniform(size=rows) < 0.5,
            "f": mixed[rng.integers(0, len(mixed), rows)],
            "g": np.arange(rows).astype(object),
            "h": rng.integers(-5, 5, rows).astype(np.int32),
        }
    )
    for columns in (list(df.columns), ["c"], ["b"], ["a", "c"]):
        part = df[columns]
        twin.write_csv(part, tmp_path / "t.csv", encoding, separator, decimal=decimal, lineterminator=lineterminator)
        with (tmp_path / "old.csv").open("wb") as f:
            twin.write_csv_by_pandas(part, f, encoding, separator, decimal, lineterminator)
        expected = part.to_csv(None, sep=separator, decimal=decimal, index=False, lineterminator=lineterminator)
        if decimal == ".":
            assert (tmp_path / "old.csv").read_bytes() == expected.encode(encoding)
        assert (tmp_path / "t.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()


# --- identifiers formatted one f-string at a time (synthetic_twin before the twin was streamed) ---------------------
def snils_per_row(rng: np.random.Generator, n: int) -> list[str]:
    from deidentify.identifiers import snils_check_digits

    out = []
    for value in identity.unique_integers(rng, n, 2_000_000, 999_999_999):
        d = f"{value:09d}"
        out.append(f"{d[:3]}-{d[3:6]}-{d[6:]} {snils_check_digits(d)}")
    return out


def policies_per_row(rng: np.random.Generator, n: int) -> list[str]:
    return [f"{v:016d}" for v in identity.unique_integers(rng, n, 7_700_000_000_000_000, 7_799_999_999_999_999)]


def phones_per_row(rng: np.random.Generator, n: int) -> list[str]:
    numbers = identity.unique_integers(rng, n, 9_000_000_000, 9_999_999_999)
    style = rng.integers(0, 2, n)
    out = []
    for value, s in zip(numbers, style, strict=True):
        d = f"{value:010d}"
        out.append(f"+7 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}" if s == 0 else f"8-{d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:]}")
    return out


def addresses_per_row(rng: np.random.Generator, n: int) -> list[str]:
    city = rng.integers(0, len(identity.CITIES), n)
    street = rng.integers(0, len(identity.STREETS), n)
    house = rng.integers(1, 160, n)
    flat = rng.integers(1, 400, n)
    return [
        f"{identity.CITIES[c]}, {identity.STREETS[s]}, д. {h}, кв. {f}"
        for c, s, h, f in zip(city, street, house, flat, strict=True)
    ]


@pytest.mark.parametrize("seed,n", [(1, 0), (2, 1), (3, 17), (4, 5000)])
@pytest.mark.parametrize(
    "old,new",
    [
        (snils_per_row, identity.draw_snils),
        (policies_per_row, identity.draw_policies),
        (phones_per_row, identity.draw_phones),
        (addresses_per_row, identity.draw_addresses),
    ],
)
def test_identifiers_formatted_column_wise_as_per_row(seed, n, old, new):
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    assert new(b, n) == old(a, n)
    assert same_state(a, b)


def test_snils_check_numbers_on_every_sum():
    """Every weighted sum 0..405 (digits 0-9, weights 9..1), including 100, 101 and the sums that are 100 mod 101."""
    from deidentify.identifiers import snils_check_digits

    rng = np.random.default_rng(0)
    numbers = np.concatenate([rng.integers(0, 10**9, 20_000), [0, 999_999_999, 100_000_000, 11_111_111]])
    digits = identity.digit_columns(numbers, 9)
    expected = [int(snils_check_digits(f"{v:09d}")) for v in numbers]
    assert identity.snils_check_numbers(digits).tolist() == expected
    totals = {sum(int(c) * w for c, w in zip(f"{v:09d}", range(9, 0, -1), strict=True)) for v in numbers}
    assert {100, 101, 201} <= totals


@pytest.mark.parametrize("dialect", ["herzen", "second_centre"])
def test_twin_streamed_table_by_table_writes_the_same_files(dialect, tmp_path):
    """generate_and_write (each raw table written as soon as it is complete, then let go) writes the files that
    write_twin(generate(...)) writes, byte for byte, and returns the same manifest."""
    from synthetic_twin.dialects import DIALECTS

    def paths(root):
        return {name: root / "raw" / f"{name}.csv" for name in DIALECTS[dialect]["headers"] if name != "laboratory"}

    whole = twin.write_twin(twin.generate(600, SEED), paths(tmp_path / "a"), tmp_path / "a" / "synthetic", dialect)
    streamed = twin.generate_and_write(600, SEED, paths(tmp_path / "b"), tmp_path / "b" / "synthetic", dialect)
    assert streamed == whole
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 5 + 5  # five raw tables (laboratory declared null); truth, defects, identifiers, key, manifest
    for f in files:
        assert (tmp_path / "b" / f).read_bytes() == (tmp_path / "a" / f).read_bytes(), f
    assert not (tmp_path / "b" / "raw" / "laboratory.csv").exists()
    assert twin.generate(600, SEED, sink=lambda name, table: None).raw == {}


def test_identifiers_json_in_pieces(tmp_path):
    ids = [f'Иванов {i} "кв" \\ {i}' for i in range(7)]
    for chunk in (1, 3, 7, 100):
        assert "".join(twin.identifiers_json_parts(ids, chunk)) == json.dumps(ids, ensure_ascii=False, indent=0)
    twin.write_identifiers(ids, tmp_path / "ids.json")
    assert (tmp_path / "ids.json").read_text(encoding="utf-8") == json.dumps(ids, ensure_ascii=False, indent=0) + "\n"
