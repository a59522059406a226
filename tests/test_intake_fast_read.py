"""The column-wise CSV read of the intake (intake.read: csv_plan, read_csv_columns) against the exact reader
(Python's csv module, record by record): same header, cells, line numbers, skipped rows and messages, on
hand-written files and on random ones. Fixtures are written here, independent of the synthetic twin."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from intake.read import csv_plan, read_csv_grid  # noqa: E402
from raw_exports import RawExportError  # noqa: E402

SPEC = {"encoding": "cp1251", "separator": ";"}


def write(tmp_path: Path, text: str, encoding: str = "cp1251", name: str = "export.csv", bom: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    return path


def outcome(path: Path, spec: dict, fast: bool):
    """What reading gives: the grid as plain values, or the message it stops with."""
    try:
        grid = read_csv_grid(path, spec, fast=fast)
    except RawExportError as err:
        return ("error", str(err))
    return ("grid", grid.header, grid.rows, [int(n) for n in grid.numbers], grid.skipped)


def fast_taken(path: Path, spec: dict) -> bool:
    return csv_plan(path, path.read_bytes(), spec) is not None


def test_quoted_newlines_separators_crlf_blank_lines(tmp_path):
    text = (
        "№ ИБ;Текст;Дата\r\n"
        "ИБ-1;простой;01.02.2020\r\n"
        "\r\n"
        'ИБ-2;"две\r\nстроки; и ""кавычки""";02.02.2020\r\n'
        ";;\r\n"
        'ИБ-3;"три\nстроки\nподряд";03.02.2020\r\n'
        "ИБ-4;  пробелы  ;04.02.2020"
    )
    path = write(tmp_path, text)
    assert fast_taken(path, SPEC)
    fast, exact = outcome(path, SPEC, True), outcome(path, SPEC, False)
    assert fast == exact
    _, header, rows, lines, skipped = fast
    assert header == ["№ ИБ", "Текст", "Дата"]
    assert rows == [
        ["ИБ-1", "простой", "01.02.2020"],
        ["ИБ-2", 'две\r\nстроки; и "кавычки"', "02.02.2020"],
        ["ИБ-3", "три\nстроки\nподряд", "03.02.2020"],
        ["ИБ-4", "  пробелы  ", "04.02.2020"],
    ]
    assert lines == [2, 4, 7, 10]  # the line each record starts on, blank lines and quoted line breaks counted
    assert skipped == {"blank": 1}  # ";;" is a row of empty cells; the empty line is no row at all


def test_utf8_bom_and_quoted_first_header(tmp_path):
    spec = {"encoding": "utf-8", "separator": ";"}
    path = write(tmp_path, '"№ ИБ";"Текст"\n"ИБ-1";"a;b"\n', encoding="utf-8", bom=b"\xef\xbb\xbf")
    assert fast_taken(path, spec)
    assert outcome(path, spec, True) == outcome(path, spec, False)
    assert outcome(path, spec, True)[1] == ["№ ИБ", "Текст"]


def test_trailing_separators_dropped_and_header_row(tmp_path):
    spec = {**SPEC, "header_row": 3}
    path = write(tmp_path, "Выгрузка МИС\nот 01.01.2024\nА;Б\n1;2;\n3;4;\n")
    assert fast_taken(path, spec)
    assert (
        outcome(path, spec, True)
        == outcome(path, spec, False)
        == ("grid", ["А", "Б"], [["1", "2"], ["3", "4"]], [4, 5], {})
    )


def large_file_with_a_short_record(tmp_path: Path) -> tuple[Path, int]:
    """60,000 records, every thousandth quoted over two lines with a separator inside; record 44,999 one field
    short. It starts on line 45,001 plus one line per quoted record above it (0, 1000, ..., 44,000: 45)."""
    lines = ["№ ИБ;Дата;Текст"]
    for i in range(60_000):
        text = f'"запись {i}\nпродолжение; с разделителем"' if i % 1000 == 0 else f"запись {i}"
        lines.append(f"ИБ-{i};01.01.2020;{text}")
    lines[45_000] = "ИБ-bad;01.01.2020"  # one field short
    return write(tmp_path, "\n".join(lines) + "\n"), 45_001 + 45


def test_wrong_field_count_deep_in_a_large_file(tmp_path):
    path, expected_line = large_file_with_a_short_record(tmp_path)
    with pytest.raises(RawExportError) as err:
        read_csv_grid(path, SPEC)
    assert str(err.value) == (
        f"{path}, line {expected_line}, column 'Дата': 2 fields where the header has 3 (truncated file?)"
    )
    assert outcome(path, SPEC, True) == outcome(path, SPEC, False)


def test_wrong_field_count_found_without_the_exact_reader(tmp_path, monkeypatch):
    import intake.read

    path, expected_line = large_file_with_a_short_record(tmp_path)
    monkeypatch.setattr(intake.read, "read_csv_exact", lambda *args: pytest.fail("read by the exact reader"))
    with pytest.raises(RawExportError, match=f"line {expected_line}, column 'Дата': 2 fields"):
        intake.read.read_csv_grid(path, SPEC)


def test_large_file_read_fast_with_right_lines(tmp_path):
    lines = ["№ ИБ;Дата;Текст"]
    for i in range(30_000):
        text = f'"запись {i}\r\nвторая строка"' if i % 7 == 0 else f"запись {i}"
        lines.append(f"ИБ-{i};01.01.2020;{text}")
    path = write(tmp_path, "\r\n".join(lines) + "\r\n")
    assert fast_taken(path, SPEC)
    grid = read_csv_grid(path, SPEC)
    expected = [2 + i + (i + 6) // 7 for i in range(30_000)]  # one more line for each quoted record above
    assert [int(n) for n in grid.numbers] == expected
    assert grid.columns[2][7] == "запись 7\r\nвторая строка"
    assert outcome(path, SPEC, True) == outcome(path, SPEC, False)


@pytest.mark.parametrize(
    "text",
    [
        'a;b\n1;x"y"\n',  # a quote inside an unquoted field: literal for csv
        'a;b\n1;"x"y\n',  # a character after a closing quote: csv (strict) stops
        'a;b\n1;"unclosed\n',  # an unclosed quote
        "a;b\r1;2\r",  # old Mac line ends
        "a;b\n1;2;3\n4;5\n",  # ragged
        "a;b\n1\n",  # truncated
        "a;b\n   \n1;2\n",  # a line of spaces
        'a;b\n""\n1;2\n',  # a record of one empty quoted field
        "a;a\n1;2\n",  # the header repeats a column
        "a;b\n1;2;x\n",  # a field past the header that holds something
        'a;b\n1;2\n""\n3;4;\n5;6;;\n7\n',  # a lone empty quoted field (no record), trailing separators, then short
    ],
)
def test_shapes_read_exactly_give_the_same_result(tmp_path, text):
    path = write(tmp_path, text)
    assert outcome(path, SPEC, True) == outcome(path, SPEC, False)


def test_bytes_that_do_not_decode_same_message(tmp_path):
    spec = {"encoding": "utf-8", "separator": ";"}
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a;b\n" + b"1;2\n" * 5000 + b"3;\xff\n")
    fast, exact = outcome(path, spec, True), outcome(path, spec, False)
    assert fast == exact
    assert fast[0] == "error" and "line 5002" in fast[1] and "not valid utf-8" in fast[1]


def test_nul_byte_deep_in_file_read_exactly(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"a;b\n" + b"1;2\n" * 2000 + b"3;4\x00\n")
    assert not fast_taken(path, SPEC)
    assert outcome(path, SPEC, True) == outcome(path, SPEC, False)


# Random files: fields from an alphabet heavy in separators, quotes and line breaks, written by csv.writer (so that
# quoting is right) or glued raw (so that it often is not); both readers must agree on every one.
FIELD = st.text(alphabet=st.sampled_from(list('ab Жё;"\n\r,\t')), max_size=6)
ROWS = st.lists(st.lists(FIELD, min_size=1, max_size=4), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, width=st.integers(2, 4), newline=st.sampled_from(["\n", "\r\n"]), raw=st.booleans())
def test_fast_and_exact_agree_on_random_files(tmp_path, rows, width, newline, raw):
    if raw:
        text = newline.join(";".join(r) for r in rows)
    else:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator=newline)
        writer.writerow([f"h{i}" for i in range(width)])
        for r in rows:
            writer.writerow((r + [""] * width)[:width] if len(rows) % 2 else r)
        text = out.getvalue()
    path = write(tmp_path, text, name="random.csv")
    assert outcome(path, SPEC, True) == outcome(path, SPEC, False)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(FIELD, min_size=3, max_size=3), min_size=1, max_size=30), blank=st.integers(0, 5))
def test_well_formed_random_files_take_the_fast_path(tmp_path, rows, blank):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["x", "y", "z"])
    writer.writerows(rows)
    text = out.getvalue() + "\r\n" * blank
    path = write(tmp_path, text, name="wellformed.csv")
    fast = outcome(path, SPEC, True)
    assert fast == outcome(path, SPEC, False)
    if not any("\r" in c.replace("\r\n", "") for r in rows for c in r):  # a bare CR is read exactly
        assert fast_taken(path, SPEC)


def test_grid_columns_are_arrays(tmp_path):
    path = write(tmp_path, "a;b\n1;2\n3;4\n")
    grid = read_csv_grid(path, SPEC)
    assert all(isinstance(c, np.ndarray) and c.dtype == object for c in grid.columns)
    assert grid.numbers.dtype == np.int64 and len(grid) == 2


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ({"encoding": "cp866", "separator": "|"}, 'А|Б\n1|"x|y"\n2|3\n'),
        ({"encoding": "utf-8", "separator": "\t"}, 'А\tБ\r\n1\t"x\ty\r\nz"\r\n\r\n2\t3\r\n'),
        ({"encoding": "cp1251", "separator": ";", "quote": ""}, 'А;Б\n1;"x\n2;3"\n'),
        ({"encoding": "cp1251", "separator": ";", "quote": "'"}, "А;Б\n1;'x;''y'''\n2;\"3\"\n"),
    ],
)
def test_other_dialects_fast_and_exact_agree(tmp_path, spec, text):
    path = write(tmp_path, text, encoding=spec["encoding"])
    assert fast_taken(path, spec)
    assert outcome(path, spec, True) == outcome(path, spec, False)
    assert outcome(path, spec, True)[0] == "grid"
