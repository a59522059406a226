"""The raw reader fails loudly, naming file, line and column, and never guesses."""

from __future__ import annotations

import pytest

from raw_exports import RawExportError, parse_dates, read_raw_table

SPEC = {
    "encoding": "cp1251",
    "separator": ";",
    "columns": {"record_number": "№ ИБ", "sex": "Пол", "birth_date": "Дата рождения"},
}
GOOD = "№ ИБ;Пол;Дата рождения\r\nИБ-1;Ж;01.02.1950\r\nИБ-2;м;31.12.1949\r\n"


def write(tmp_path, text, encoding="cp1251", name="patients.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_reads_declared_columns_as_text(tmp_path):
    table = read_raw_table(write(tmp_path, GOOD), SPEC)
    assert table.data.to_dict("list") == {
        "record_number": ["ИБ-1", "ИБ-2"],
        "sex": ["Ж", "м"],
        "birth_date": ["01.02.1950", "31.12.1949"],
    }
    assert table.lines == [2, 3]
    assert table.unexpected_columns == []


def test_unexpected_columns_are_reported_not_read(tmp_path):
    text = (
        GOOD.replace("Дата рождения\r\n", "Дата рождения;Телефон родственника\r\n")
        .replace("1950\r\n", "1950;+7 900\r\n")
        .replace("1949\r\n", "1949;\r\n")
    )
    table = read_raw_table(write(tmp_path, text), SPEC)
    assert table.unexpected_columns == ["Телефон родственника"]
    assert list(table.data.columns) == ["record_number", "sex", "birth_date"]


def test_wrong_encoding_names_file_and_line(tmp_path):
    path = write(tmp_path, GOOD, encoding="utf-8")
    with pytest.raises(RawExportError) as err:
        read_raw_table(path, SPEC)
    assert err.value.path == str(path) and err.value.line == 1 and "encoding" in str(err.value)
    cp = write(tmp_path, GOOD, name="cp.csv")
    with pytest.raises(RawExportError) as err:
        read_raw_table(cp, {**SPEC, "encoding": "utf-8"})
    assert err.value.line == 1


def test_missing_column_names_the_column(tmp_path):
    path = write(tmp_path, GOOD.replace("Пол", "Пол пациента"))
    with pytest.raises(RawExportError) as err:
        read_raw_table(path, SPEC)
    assert err.value.column == "Пол" and err.value.line == 1


def test_wrong_separator_is_explained(tmp_path):
    path = write(tmp_path, GOOD.replace(";", ","))
    with pytest.raises(RawExportError, match="separator"):
        read_raw_table(path, SPEC)


def test_short_row_names_the_line(tmp_path):
    path = write(tmp_path, GOOD + "ИБ-3;Ж\r\n")
    with pytest.raises(RawExportError) as err:
        read_raw_table(path, SPEC)
    assert err.value.line == 4 and "truncated" in str(err.value)


def test_long_row_names_the_line(tmp_path):
    path = write(tmp_path, GOOD + "ИБ-3;Ж;01.01.1960;лишнее\r\n")
    with pytest.raises(RawExportError) as err:
        read_raw_table(path, SPEC)
    assert err.value.line == 4


def test_empty_file(tmp_path):
    with pytest.raises(RawExportError, match="empty"):
        read_raw_table(write(tmp_path, ""), SPEC)


def test_missing_file(tmp_path):
    with pytest.raises(RawExportError, match="not found"):
        read_raw_table(tmp_path / "nope.csv", SPEC)


def test_byte_order_mark_is_not_part_of_the_header(tmp_path):
    path = write(tmp_path, "\ufeff" + GOOD, encoding="utf-8")
    table = read_raw_table(path, {**SPEC, "encoding": "utf-8"})
    assert len(table.data) == 2


def test_quoted_separator_inside_a_field(tmp_path):
    path = write(tmp_path, GOOD + 'ИБ-3;"Ж; со слов";01.01.1960\r\n')
    assert read_raw_table(path, SPEC).data["sex"].iloc[-1] == "Ж; со слов"


def test_dates_parse_strictly():
    import pandas as pd

    dates, invalid = parse_dates(pd.Series(["01.02.1950", "", "31.02.2014", "2014-05-07", " 05.05.2005 "]), "%d.%m.%Y")
    assert invalid.tolist() == [False, False, True, True, False]
    assert dates.iloc[0] == pd.Timestamp("1950-02-01") and pd.isna(dates.iloc[1])
