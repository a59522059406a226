"""Config starter: read sample exports and write a commented `raw_exports.tables` skeleton.

    PYTHONPATH=scripts python -m intake.starter resources/new_centre/*.csv > config/new_centre.yaml

For each file it guesses the format, encoding, separator, header row(s) and date format, matches every header to a
canonical field by name (Russian and English synonyms, DBF-style transliterated abbreviations), decides which
canonical table the file is, and says in comments which canonical fields it could not place and which headers it
did not use. The skeleton is a start: check it, then run `snakemake preflight` and read the report.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

from .model import DATE_COLUMNS, TABLES
from .read import UTF16_BOMS, sniff_binary

# Canonical field -> names it goes by (normalised: case-folded, ё -> е, only letters and digits, transliterated).
SYNONYMS: dict[str, list[str]] = {
    "record_number": ["№ ИБ", "номер истории болезни", "история болезни", "ИБ", "NIB", "MRN", "medical record number",
                      "record number", "patient id", "case number", "номер карты"],
    "full_name": ["ФИО", "пациент", "FIO", "full name", "patient name", "name"],
    "last_name": ["фамилия", "last name", "surname", "family name", "FAM"],
    "first_name": ["имя", "first name", "given name", "IM"],
    "middle_name": ["отчество", "middle name", "patronymic", "OT", "OTCH"],
    "birth_date": ["дата рождения", "ДР", "DR", "DATAR", "birth date", "date of birth", "DOB"],
    "sex": ["пол", "POL", "sex", "gender", "sex code"],
    "snils": ["СНИЛС", "SNILS"],
    "oms_policy": ["полис ОМС", "полис", "POLIS", "insurance policy", "policy"],
    "address": ["адрес", "ADRES", "address"],
    "phone": ["телефон", "TEL", "phone", "telephone"],
    "diagnosis_date": ["дата установления диагноза", "дата диагноза", "DDIAG", "diagnosis date", "diagnosed at"],
    "primary_icd10": ["код МКБ-10", "МКБ-10", "МКБ", "MKB", "ICD-10", "ICD10", "primary ICD-10"],
    "primary_text": ["диагноз", "первичная опухоль", "DIAG", "primary tumour", "primary tumor", "diagnosis"],
    "bone_lesion_icd10": ["поражение кости (МКБ-10)", "МКБ-10 очага", "MKBKOST", "bone lesion ICD-10"],
    "bone_metastases_count": ["число костных метастазов", "число метастазов", "NMTS", "bone metastases", "bone mets"],
    "visceral_metastases": ["висцеральные метастазы", "висцеральные мтс", "VISC", "visceral metastases",
                            "visceral mets"],
    "ecog": ["ECOG", "ECOG PS"],
    "chemotherapy_before_surgery": ["химиотерапия до операции", "ХТ до операции", "HIMIO",
                                    "chemotherapy before surgery", "chemo before surgery"],
    "lesion_size_cm": ["размер очага, см", "размер, см", "RAZM", "lesion size (cm)", "lesion size"],
    "operation_date": ["дата операции", "DOPER", "surgery date", "operation date", "performed at"],
    "bone": ["кость", "KOST", "bone", "bone code"],
    "segment": ["отдел", "OTDEL", "segment"],
    "site": ["локализация", "LOKAL", "site", "location"],
    "fracture": ["перелом", "PERELOM", "fracture"],
    "procedure": ["операция", "вмешательство", "OPER", "procedure", "operation"],
    "surgeon": ["хирург", "HIRURG", "surgeon"],
    "is_revision": ["ревизия", "REVIZ", "revision", "revision flag"],
    "revision_reason": ["причина ревизии", "причина", "PRREV", "revision reason", "reason"],
    "last_contact_date": ["дата последнего контакта", "последний контакт", "DKONT", "last contact", "last seen"],
    "vital_status": ["статус", "STATUS", "vital status", "status"],
    "death_date": ["дата смерти", "DSMERT", "date of death", "died at", "death date"],
    "note_date": ["дата записи", "note date"],
    "lab_date": ["дата забора", "дата анализа", "collection date", "collected at", "sample date", "date drawn"],
    "test": ["показатель", "анализ", "test", "test name", "test code", "analyte"],
    "value": ["результат", "значение", "result", "result value", "value"],
    "unit": ["ед. изм.", "единица измерения", "единицы", "unit", "units", "result unit"],
    "text": ["текст", "запись", "note", "text"],
}  # fmt: skip
NAME_PARTS = ("last_name", "first_name", "middle_name")
TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z", "и": "i", "й": "i",
        "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
        "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e",
        "ю": "yu", "я": "ya",
    }
)  # fmt: skip
DATE_FORMATS = ["%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S"]  # fmt: skip


def normal(name: str) -> str:
    text = str(name).casefold().replace("ё", "е")
    return re.sub(r"[^0-9a-z]+", "", text.translate(TRANSLIT))


NORMAL_SYNONYMS = {field: {normal(s) for s in names} for field, names in SYNONYMS.items()}


def place(header: str) -> str | None:
    """The canonical field a header names: an exact synonym, else the longest synonym the header starts with."""
    key = normal(header)
    if not key:
        return None
    for field, names in NORMAL_SYNONYMS.items():
        if key in names:
            return field
    best = max(
        (
            (len(s), field)
            for field, names in NORMAL_SYNONYMS.items()
            for s in names
            if len(s) >= 4 and key.startswith(s)
        ),
        default=None,
    )
    return best[1] if best else None


def guess_encoding(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith(UTF16_BOMS):
        return "utf-16"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # cp1251 and cp866 both decode anything: the one that gives Cyrillic letters rather than box drawing wins.
    scores = {}
    for encoding in ("cp1251", "cp866"):
        text = raw.decode(encoding, errors="replace")
        scores[encoding] = sum("А" <= c <= "я" for c in text) - 5 * sum("\u2500" <= c <= "\u257f" for c in text)
    return max(scores, key=scores.get)


def read_samples(path: Path, rows: int = 200) -> list[tuple[dict, list[str], pd.DataFrame]]:
    """(format settings, header, sample rows as text) of a CSV, or of each sheet of a workbook that holds a table
    (a row of three filled cells or more): a workbook may keep each table on its own sheet."""
    raw = path.read_bytes()
    what = sniff_binary(path, raw, "utf-16" if raw.startswith(UTF16_BOMS) else None)
    if what is None:
        encoding = guess_encoding(raw)
        text = raw.decode(encoding, errors="replace").removeprefix("\ufeff")
        first = text.splitlines()[0] if text else ""
        separator = max([";", ",", "\t", "|"], key=first.count)
        import csv
        import io

        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))[: rows + 1]
        settings = {"encoding": encoding, "separator": separator}
        return [sample_of(settings, records[0], records[1:])]
    fmt = re.search(r"declare format: (\w+)", what)
    if not fmt:
        raise SystemExit(f"{path}: {what}")
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    samples = []
    for index in range(len(book.sheet_names)):
        sheet = book.get_sheet_by_index(index)
        cells = [[("" if c is None else str(c)).strip() for c in row] for row in sheet.to_python(skip_empty_area=False)]
        at = next((i for i, row in enumerate(cells) if sum(bool(c) for c in row) >= 3), None)
        if at is None:
            continue
        settings = {"format": fmt.group(1), "sheet": sheet.name, "header_row": at + 1}
        header, body = cells[at], cells[at + 1 : at + 1 + rows]
        below = body[0] if body else []
        if sum(bool(c) for c in below) >= 3 and sum(place(c) is not None for c in below) > sum(
            place(c) is not None for c in header
        ):
            from .read import flatten_header

            settings["header_rows"] = 2
            header, body = flatten_header([header, below]), body[1:]
        samples.append(sample_of(settings, header, body))
    if not samples:
        raise SystemExit(f"{path}: no sheet holds a row of three filled cells (a header)")
    return samples


def sample_of(settings: dict, header: list[str], body: list[list[str]]) -> tuple[dict, list[str], pd.DataFrame]:
    width = len(header)
    frame = pd.DataFrame([(r + [""] * width)[:width] for r in body], columns=range(width), dtype=object)
    return settings, [h.strip() for h in header], frame


def guess_date_format(values: pd.Series) -> str | None:
    text = values.fillna("").astype(str).str.strip()
    text = text[text != ""]
    if text.empty:
        return None
    rates = {f: pd.to_datetime(text, format=f, errors="coerce").notna().mean() for f in DATE_FORMATS}
    best = max(rates, key=rates.get)
    return best if rates[best] > 0.2 else None  # (spreadsheets mix typed dates with text dates)


GROUP_DATES = {"operatsiya": "operation_date", "operation": "operation_date", "surgery": "operation_date",
               "reviziya": "operation_date", "revision": "operation_date", "diagnoz": "diagnosis_date",
               "diagnosis": "diagnosis_date"}  # fmt: skip
REVISION_GROUPS = ("reviz", "revis")


def place_in_group(header: str) -> tuple[str | None, bool]:
    """(field, in a revision group) for a flattened header "group / name" of a registry."""
    group, _, leaf = header.rpartition(" / ")
    key = normal(group)
    if normal(leaf) in ("data", "date"):  # a bare "Дата" under a group: the group's date
        field = next((f for g, f in GROUP_DATES.items() if key.startswith(g)), None)
    else:
        field = place(leaf) or place(header)
    return field, any(key.startswith(g) for g in REVISION_GROUPS)


def entry_lines(name, table, path, settings, placed, header, sample, unused, revisions=False) -> list[str]:
    out = [f"    {name}:"]
    if name != table:
        out.append(f"      into: {table}")
    out.append(f"      file: {path.name}")
    for key, value in settings.items():
        if isinstance(value, list):
            shown = "[" + ", ".join(value) + "]"
        else:
            shown = '"\\t"' if value == "\t" else (f'"{value}"' if isinstance(value, str) else value)
        out.append(f"      {key}: {shown}")
    dates = {f: guess_date_format(sample[header.index(h)]) for f, h in placed.items() if f in DATE_COLUMNS and h}
    common = max(set(filter(None, dates.values())), key=list(dates.values()).count, default=None)
    if common:
        out.append(f'      date_format: "{common}"')
        if "%y" in common:
            out.append("      century_pivot: 30  # 2-digit years: up to 30 are 20yy, later ones 19yy; check!")
    out.append("      columns:")
    for field in TABLES[table]:
        if field == "is_revision" and revisions and not placed.get(field):
            out.append("        is_revision: {value: да}  # every row of this source is a revision")
        elif field in placed:
            extra = ""
            if field in dates and dates[field] and dates[field] != common:
                extra = f'  # dates here look like "{dates[field]}": declare date_format for this column'
            out.append(f'        {field}: "{placed[field]}"{extra}')
        elif field == "full_name" and {"last_name", "first_name"} <= set(placed):
            parts = [placed[p] for p in NAME_PARTS if p in placed]
            out.append(f"        full_name: {{headers: [{', '.join(repr(p) for p in parts)}]}}")
        elif field in ("bone", "segment") and "site" in placed:
            part = 0 if field == "bone" else 1
            out.append(
                f'        {field}: {{header: "{placed["site"]}", split: "/", part: {part}}}  # check the separator'
            )
    missing = [
        f
        for f in TABLES[table]
        if f not in placed
        and not (f == "full_name" and "first_name" in placed)
        and not (f in ("bone", "segment") and "site" in placed)
        and not (f == "is_revision" and revisions)
    ]
    if missing:
        out.append(f"      # could not place (declare them if the export has them): {', '.join(missing)}")
    if unused:
        out.append(f"      # headers not used: {', '.join(unused)}")
    return out


def registry_entries(path, settings, header, sample) -> tuple[list[str], set[str]]:
    """A registry (several header rows, groups of columns): one source per canonical table, all reading the file."""
    by_entry: dict[str, dict[str, str]] = {}
    unused = []
    record = None
    for h in header:
        field, in_revision = place_in_group(h)
        if field == "record_number":
            record = record or h
            continue
        table = next((t for t, cols in TABLES.items() if field in cols), None)
        if field is None or table is None:
            if h:
                unused.append(h)
            continue
        entry = "revisions" if in_revision and table == "operations" else table
        by_entry.setdefault(entry, {}).setdefault(field, h)
    out = [f"    # {path.name}: a registry; one source per canonical table, each reading the same sheet"]
    for entry, placed in by_entry.items():
        table = "operations" if entry == "revisions" else entry
        fields = [f for f in placed if f not in ("record_number",)]
        if record:
            placed = {"record_number": record, **placed}
        extra = {**settings, "fill_down": ["record_number"], "require": fields[:3]}
        out += entry_lines(entry, table, path, extra, placed, header, sample, [], revisions=entry == "revisions")
    if unused:
        out.append(f"    # {path.name}: headers not used: {', '.join(unused)}")
    if not record:
        out.append(f"    # {path.name}: no column looks like the record number; declare record_number in each source")
    out.append(
        '    # Section and total rows: declare skip_rows_matching (e.g. "^(\\\\d{4} год|Итого)") in each source.'
    )
    return out, set(by_entry)


def skeleton(paths: list[Path]) -> str:
    out = [
        "# Config skeleton written by `python -m intake.starter` from sample exports. Check every line, then run",
        "# `snakemake preflight --configfile <this file>` and read resources/preflight/report.md.",
        "raw_exports:",
        "  source: real",
        f"  directory: {paths[0].parent if paths else 'resources/raw'}",
        "  tables:",
    ]
    used_tables: set[str] = set()
    for path, settings, header, sample in ((p, *sample) for p in paths for sample in read_samples(p)):
        label = f"{path.stem}_{settings['sheet']}" if "sheet" in settings else path.stem
        if any(" / " in h for h in header):
            lines, entries = registry_entries(path, settings, header, sample)
            out += lines
            used_tables |= entries
            continue
        placed: dict[str, str] = {}
        unused = []
        for h in header:
            field = place(h)
            if field and field not in placed:
                placed[field] = h
            elif h:
                unused.append(h)
        votes = {t: sum(f in cols for f in placed if f != "record_number") for t, cols in TABLES.items()}
        if {"last_name", "first_name"} & set(placed):
            votes["patients"] += 2
        if "site" in placed:
            votes["operations"] += 1
        table = max(votes, key=votes.get)
        revisions = bool(table == "operations" and re.search(r"revis|ревиз", path.stem, re.I))
        name = "revisions" if revisions else table if table not in used_tables else f"{table}_{label}".lower()
        name = re.sub(r"[^0-9a-z_]+", "_", name)
        used_tables.add(name)
        where = f"{path.name}, sheet {settings['sheet']}" if "sheet" in settings else path.name
        out.append(f"    # {where}: matched {len(placed)} of {len(header)} headers by name")
        out += entry_lines(name, table, path, settings, placed, header, sample, unused, revisions)
    absent = [t for t in TABLES if t not in used_tables and not (t == "operations" and "revisions" in used_tables)]
    for t in absent:
        out.append(f"    {t}: null  # no sample file looked like this table; required unless it is notes")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("exports", nargs="+", type=Path, help="sample export files (CSV, xlsx, xls, ods)")
    parser.add_argument("--out", type=Path, help="write the skeleton here (default: the terminal)")
    args = parser.parse_args(argv)
    text = skeleton(args.exports)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
