"""Identifiers written the way real records write them (issue 14): folding, transliteration, pattern families, the
adversarial corpus's recall and precision, and a leak gate that folds text, reads DOCX and quarantines."""

from __future__ import annotations

import ast
import datetime as dt
import json
import logging
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from deidentify import adversarial
from deidentify.leaks import LeakScanner, name_identifiers, run_leak_gate
from deidentify.normalise import fold, map_span
from deidentify.recall import measure_adversarial
from deidentify.scrub import PatientIdentity, Scrubber
from deidentify.translit import latin_forms, name_variants

PATIENT = PatientIdentity(
    full_name="Кукушкина Дарья Сергеевна",
    record_number="ИБ-0012345",
    numbers=("123-456-789 64", "+7 (916) 111-22-33"),
    anchor=dt.date(2019, 3, 1),
)


@pytest.fixture(scope="module")
def hard_scrubber(config):
    settings = config["deidentification"]
    s = Scrubber(settings["ner"], tuple(settings["kept_terms"]))
    s.learn_names(["Пастух Олег Игоревич", "Соловей Анна Петровна"])
    return s


def test_fold_removes_invisible_characters_and_maps_spans_back():
    text = "Ива\u00adнoв\u200b пришёл"  # a soft hyphen, a Latin o, a zero-width space
    folded, index = fold(text)
    assert folded == "Иванов пришёл"
    start, end = map_span(index, 0, len("Иванов"))
    assert text[start:end].startswith("Ива") and end >= text.index("\u200b")


def test_fold_leaves_plain_text_alone():
    text = "Перелом № 3 C40.2 LCP, бедро"
    assert fold(text)[0] == text


def test_transliterations_in_several_systems_and_case_forms():
    forms = name_variants("Кузнецова Юлия Сергеевна")
    assert {"kuznetsova", "kuznecova", "kuznetsovoy", "kuznetsovoi", "iuliia", "yuliya", "julija"} <= forms
    assert {"кузнецовой", "юлии", "сергеевной"} <= forms
    assert {"jurij", "yuriy", "iurii"} <= set(latin_forms("юрий"))


@pytest.mark.parametrize(
    "text, value",
    [
        ("Пациентка KUKUSHKINA осмотрена", "KUKUSHKINA"),
        ("сообщено kukushkinoy", "kukushkinoy"),
        ("Кукушкinа пришла", "Кукушкinа"),
        ("Куку\u00adшкиной сообщено", "Куку\u00adшкиной"),
        ("Оперировал Пастух", "Пастух"),
        ("звонить Solovey Anna", "Solovey Anna"),
        ("консультант Ivanov P.", "Ivanov P."),
        ("тел. 8.916.123.45.67", "8.916.123.45.67"),
        ("тел. 916 123-45-67", "916 123-45-67"),
        ("гор. тел. 123-45-67", "123-45-67"),
        ("тел. +49 30 12345678", "+49 30 12345678"),
        ("тел. +1 (212) 555-0123", "+1 (212) 555-0123"),
        ("почта ivanov собака mail.ru", "ivanov собака mail.ru"),
        ("почта petrov (at) yandex (dot) ru", "petrov (at) yandex (dot) ru"),
        ("СНИЛС 112.233.445.95", "112.233.445.95"),
        ("снилс 112 233 445-95", "112 233 445-95"),
        ("полис 7700 0000 1234 5678", "7700 0000 1234 5678"),
        ("паспорт 45 06 № 123456", "45 06 № 123456"),
        ("ИНН 7707-083-893", "7707-083-893"),
        ("история болезни 23456", "23456"),
        ("номер карты 12-345/2019", "12-345/2019"),
        ("Проживает: Профсоюзная 104-55", "Профсоюзная 104-55"),
        ("живёт в мкр. Северный", "мкр. Северный"),
        ("Кировский район", "Кировский район"),
        ("с. Ясная Поляна", "с. Ясная Поляна"),
        ("осмотр 12 янв. 2019", "12 янв. 2019"),
        ("осмотр 12.IV.2019", "12.IV.2019"),
        ("осмотр 5 March 2019", "5 March 2019"),
        ("осмотр March 5, 2019", "March 5, 2019"),
        ("Пациентке 93 лет", "93 лет"),
        ("1921 г.р.", "1921 г.р."),
        ("профиль vk.com/ivanov93", "vk.com/ivanov93"),
        ("ей девяносто три года", "девяносто три года"),
        ("контроль 2020-V-05", "2020-V-05"),
        ("seen on 5th of May 2020", "5th of May 2020"),
        ("операция пятого мая 2020", "пятого мая 2020"),
        ("в мае 2020 выписан", "мае 2020"),
        ("3-й микрорайон, 14", "3-й микрорайон, 14"),
        ("подпись: К у к у ш к и н а", "К у к у ш к и н а"),
        ("почта kuku.d гав-гав gmail.com", "kuku.d гав-гав gmail.com"),
        ("Сорока Л.Ф.", "Сорока Л.Ф."),
        ("пациент ZAIATS GLEB", "ZAIATS GLEB"),
    ],
)
def test_identifier_forms_are_scrubbed(hard_scrubber, text, value):
    spans = hard_scrubber.find(text, PATIENT)
    start = text.index(value)
    covered = {k for s, e, _ in spans for k in range(s, e)}
    assert all(k in covered for k in range(start, start + len(value)) if text[k].isalnum()), (text, spans)


def test_clinical_vocabulary_of_the_codebook_is_never_scrubbed(hard_scrubber):
    texts = adversarial.clinical_texts(ROOT / "config" / "codebook.yaml")
    assert len(texts) > 200
    for ner in (False, True):
        changed = [t for t in texts if hard_scrubber.find(t, None, ner=ner)]
        # One eponymous scale (Карновский) is read as a surname by NER in free text; nothing else.
        assert len(changed) <= (1 if ner else 0), changed


def test_adversarial_corpus_is_independent_of_the_twin_and_the_scrubber():
    tree = ast.parse(Path(adversarial.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
    }
    assert not {m for m in imported if m.startswith(("synthetic_twin", "deidentify"))}, imported


def test_adversarial_recall_and_precision(config):
    """The CI-sized measurement: python -m deidentify.recall --corpus adversarial measures the same at any size."""
    settings = config["deidentification"]
    result = measure_adversarial(20, 11, settings["ner"], settings["kept_terms"], ROOT / "config" / "codebook.yaml")
    assert result["recall"]["own"] == 1.0, result["missed_examples"]
    assert result["recall"]["all"] >= 0.99, result["missed_examples"]
    kinds = set(result["recall"])
    assert {"name_latin", "name_homoglyph", "name_invisible", "name_noun_surname", "phone", "email", "snils"} <= kinds
    assert {"oms", "passport", "inn", "record_number", "address_nomarker", "address_district", "date"} <= kinds
    assert {"age_over_89", "url"} <= kinds
    assert result["precision"]["spans_on_identifiers"] >= 0.95
    assert result["precision"]["clinical_texts_changed_as_coded_values"] == 0


def test_leak_scanner_folds_look_alikes_and_invisible_characters():
    scanner = LeakScanner(sorted(name_identifiers(["Блинова Зинаида Викторовна"])) + ["Блинова З.В."])
    for planted in ("Блинoва", "Бли\u00adнова", "BLINOVA", "blinovoy", "Блиновой", "Бли\u200bнова З.В."):
        assert scanner.scan_text(f"ok\nx {planted} y\n") == [(2, "identifier")], planted
    assert scanner.scan_text("Blind review, нова\n") == []
    # German-style spellings are the scrubber's, not the gate's (Белов would be "below" in every English file).
    assert LeakScanner(sorted(name_identifiers(["Белов Иван Петрович"]))).scan_text("see below\n") == []


@pytest.mark.parametrize(
    "text,kept,gone",
    [
        ("Patient: Olga Volkova, 67 y.o., seen by Dr. Smith", "Patient", ["Volkova", "Olga", "Smith"]),
        ("Letter from Mrs. Anna Brown re: her mother", "Letter from Mrs.", ["Anna", "Brown"]),
        ("VOLKOVA Olga referred", "referred", ["VOLKOVA"]),
        ("Ewing sarcoma, Kaplan Meier, Proximal Femur Nail", "Ewing sarcoma, Kaplan Meier, Proximal Femur Nail", []),
    ],
)
def test_names_in_an_all_latin_text(hard_scrubber, text, kept, gone):
    """A note wholly in Latin letters (a letter from abroad): a Russian surname beside another capitalised word,
    and any name after an English title, are names; eponyms and device names are not."""
    out = hard_scrubber.scrub(text).text
    assert kept in out and not [g for g in gone if g in out], out


def test_a_checksum_that_starts_like_a_phone_is_not_a_phone():
    """Snakemake's metadata holds SHA-256 digests; one starting "89196253606a..." once stopped a run. A phone is not
    glued to letters; one written in text still is found."""
    scanner = LeakScanner([])
    digest = "89196253606a5f0c1e2d3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4f3e2d1c0"
    assert scanner.scan_text(f'{{"checksum": "{digest}"}}\n') == []
    assert scanner.scan_text("тел. 89196253606, звонить\n") == [(1, "pattern_phone")]
    assert scanner.scan_text("тел. +7 (919) 625-36-06\n") == [(1, "pattern_phone")]


def test_leak_scanner_reads_docx_and_page_text(tmp_path):
    docx = tmp_path / "paper.docx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:p><w:r><w:t>Пациент Бли</w:t></w:r><w:r><w:t>нова</w:t></w:r></w:p>")
    page = tmp_path / "report.html"
    page.write_text("<p>Бли<b>нова</b> З.</p>", encoding="utf-8")
    scanner = LeakScanner(["Блинова"])
    findings, scanned = scanner.scan_files([docx, page])
    assert scanned == 2
    assert {(Path(f.file).name, f.part) for f in findings} == {
        ("paper.docx", "word/document.xml"),
        ("report.html", "(text without tags)"),
    }


def test_leak_gate_quarantines_and_names_file_line_offset_and_kind_never_the_value(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "clean.tsv").write_text("a\tb\n1\t2\n", encoding="utf-8")
    (tmp_path / "results" / "leaky.tsv").write_text("a\tb\n1\tKUKUSHKINA\n", encoding="utf-8")
    lists = tmp_path / "identifiers.json"
    lists.write_text(json.dumps(sorted(name_identifiers(["Кукушкина Дарья Сергеевна"]))), encoding="utf-8")
    log = logging.getLogger("test_gate")
    with pytest.raises(SystemExit) as stop:
        run_leak_gate([str(lists)], [], ["results"], "results/leak_check.json", "gate.log", log)
    message = str(stop.value)
    assert "results/leaky.tsv" in message and "line 2" in message and "offset 6" in message
    assert "kukushkina" not in message.lower()
    assert not (tmp_path / "results" / "leaky.tsv").exists()
    assert (tmp_path / "resources" / "quarantine" / "results" / "leaky.tsv").exists()
    assert (tmp_path / "results" / "clean.tsv").exists()


def test_identifier_list_of_the_stage_holds_transliterations_and_case_forms(tmp_path):
    identifiers = name_identifiers(["Кукушкина Дарья Сергеевна"])
    assert {"kukushkina", "kukushkinoy", "кукушкиной", "sergeevna", "сергеевной"} <= identifiers
    assert all(len(v) >= 5 for v in identifiers)


def test_config_codebook_is_readable():
    assert yaml.safe_load((ROOT / "config" / "codebook.yaml").read_text(encoding="utf-8"))["bone"]


def test_a_file_removed_while_the_gate_runs_is_skipped_not_a_stop(tmp_path):
    """Snakemake removes an output before its job reruns; a gate scanning that folder beside it must not stop."""
    present = tmp_path / "present.tsv"
    present.write_text("ok\n", encoding="utf-8")
    findings, scanned = LeakScanner([]).scan_files([present, tmp_path / "gone.json"])
    assert findings == [] and scanned == 1


def test_the_gate_with_several_workers_finds_what_one_finds_in_the_same_order(tmp_path):
    """The final gate shares its files among processes (rule check_results_for_leaks, threads: 2): same findings,
    same order, same count of files scanned, a file gone in between skipped as with one."""
    files = []
    for n in range(7):
        path = tmp_path / f"f{n}.tsv"
        path.write_text("a\tb\n" + ("1\tKUKUSHKINA\n" if n % 3 == 0 else "1\t2\n") + "тел. 89196253606\n", "utf-8")
        files.append(path)
    png = tmp_path / "figure.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40 + "Кукушкиной".encode() + b"\x00\xcc\x81\n")
    files += [png, tmp_path / "gone.json"]
    scanner = LeakScanner(sorted(name_identifiers(["Кукушкина Дарья Сергеевна"])))
    serial = scanner.scan_files(files)
    assert serial[1] == 8
    assert {Path(f.file).name for f in serial[0] if f.kind == "identifier"} == {
        "f0.tsv",
        "f3.tsv",
        "f6.tsv",
        "figure.png",
    }
    assert {Path(f.file).name for f in serial[0] if f.kind == "pattern_phone"} == {f"f{n}.tsv" for n in range(7)}
    assert scanner.scan_files(files, workers=2) == serial
    assert scanner.scan_files(files, workers=3) == serial


def test_build_stamp_is_not_a_birth_date_but_the_same_day_written_otherwise_is(tmp_path):
    """Somebody born on 1 January 1970 (at 100,000 patients somebody is): the reproducible-build stamp of the DOCX
    properties and of an undated RO-Crate is not that patient's birth date; the day in any other spelling is."""
    scanner = LeakScanner(["01.01.1970"])
    stamps = (
        '<dcterms:created xsi:type="dcterms:W3CDTF">1970-01-01T00:00:00Z</dcterms:created>\n'
        '  "datePublished": "1970-01-01T00:00:00+00:00",\n'
    )
    assert scanner.scan_text(stamps) == []
    for written in ("born 01.01.1970\n", "born 1970-01-01\n", "1970-01-01T00:00:01Z\n", "1970-01-01T00:00:00.5\n"):
        assert (1, "identifier_date") in scanner.scan_text(written), written
    assert scanner.scan_text("born 19700101\n") == [(1, "identifier_digits")]
    # Another birthday keeps its place next to the stamp on the same line.
    assert (1, "identifier_date") in LeakScanner(["02.01.1970"]).scan_text("1970-01-01T00:00:00Z 1970-01-02\n")
