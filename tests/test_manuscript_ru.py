"""The manuscript in Russian: the same numbers and claims as the English one, every word from the bilingual glossary
(workflow/templates/glossary.yaml), no glossary key or codebook code in the text, and Russian typography."""

from __future__ import annotations

import collections
import fnmatch
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT
from test_claims import GROUPS, analysis_table, arm, claim_table, no_effect, reversed_effect

from common import glossary
from manuscript.render import Formatter, caption

TEMPLATES = ROOT / "workflow" / "templates"
PAPER = Path("results") / "paper"
NBSP = "\u00a0"
# Decimal points a Russian text keeps: software versions, the ICD-10 code, file names, commands and RECORD's item
# numbers (1.1).
KEPT_POINTS = re.compile(
    r"(?:Snakemake|Python|pandas|NumPy|SciPy|lifelines|tableone|matplotlib|natasha|survival(?: >=)?|версии)\s+"
    r"\d+(?:\.\d+)+|C79\.5|\S+\.(?:tsv|json|png|pdf|yaml|py)\b|`[^`]*`|^\| \d+\.\d+ \|",
    re.M,
)


def blocks(text: str, lang: str) -> list[tuple[str, str]]:
    """A rendered manuscript as (text, language) pieces: its `::: {lang=xx}` blocks (the abstract in the other
    language) in their language, the rest in the document's."""
    out, pos = [], 0
    for block in re.finditer(r"::: \{lang=(\w+)\}\n(.*?)\n:::\n", text, re.S):
        out += [(text[pos : block.start()], lang), (block.group(2), block.group(1))]
        pos = block.end()
    return out + [(text[pos:], lang)]


def numbers(text: str, lang: str) -> collections.Counter:
    """Every number of a rendered manuscript, as written in English: in Russian pieces the decimal comma becomes a
    point and a non-breaking space a space (so "12 345" is the two tokens it is in English too). Signs are not
    read: a hyphen in English is a range or a minus, and the Russian text writes them as an en dash and a minus
    sign; the values are compared."""
    found: collections.Counter = collections.Counter()
    for piece, piece_lang in blocks(text, lang):
        piece = piece.replace(NBSP, " ")
        if piece_lang == "ru":
            piece = re.sub(r"(?<=\d),(?=\d)", ".", piece)
        found.update(re.findall(r"\d+(?:\.\d+)?", piece))
    return found


def russian_body(text: str) -> str:
    """The Russian manuscript without its front matter and without the English abstract block."""
    body = text.split("\n---\n", 1)[1]
    return "".join(piece for piece, lang in blocks(body, "ru") if lang == "ru")


@pytest.fixture(scope="module")
def manuscripts(full_run) -> dict[str, str]:
    return {
        lang: (full_run / PAPER / f"manuscript{suffix}.md").read_text(encoding="utf-8")
        for lang, suffix in (("en", ""), ("ru", "_ru"))
    }


def test_both_manuscripts_hold_the_same_numbers(manuscripts):
    """The same multiset of numbers: nothing legitimately differs, because the reference list is citeproc's (not
    in the Markdown; the citation keys are the same in both), both carry both abstracts, and the Russian words
    spell out what the English words spell out (six months, two-year)."""
    english, russian = numbers(manuscripts["en"], "en"), numbers(manuscripts["ru"], "ru")
    assert english == russian, {"only English": english - russian, "only Russian": russian - english}
    assert english["247"] >= 3 and english["33"] >= 3


def test_both_carry_title_abstract_and_keywords_in_both_languages(manuscripts, config):
    title = {lang: glossary.load()["text.title"][lang] for lang in glossary.LANGUAGES}
    for lang, text in manuscripts.items():
        for other in glossary.LANGUAGES:
            assert title[other] in text, (lang, other)
            assert "; ".join(config["manuscript"]["keywords"][other]) in text, (lang, other)
        assert f"lang: {lang}" in text
    assert "## Аннотация\n" in manuscripts["ru"] and "## Abstract (in English)" in manuscripts["ru"]
    assert "## Abstract\n" in manuscripts["en"] and "## Аннотация (на русском языке)" in manuscripts["en"]


def test_the_russian_claims_are_chosen_by_the_same_verdicts(full_run, manuscripts):
    english = pd.read_csv(full_run / "results/analysis/claims.tsv", sep="\t", keep_default_na=False)
    russian = pd.read_csv(full_run / "results/analysis/claims_ru.tsv", sep="\t", keep_default_na=False)
    assert list(russian["claim"]) == list(english["claim"]) and list(russian["verdict"]) == list(english["verdict"])
    for sentence in russian["sentence"]:
        assert sentence in manuscripts["ru"]


@pytest.fixture(scope="module")
def effect() -> pd.DataFrame:
    """test_claims' cohort with an effect: osteosynthesis followed by many more revisions in every group."""
    rows = []
    for k, group in enumerate(GROUPS):
        rows += arm("intramedullary_osteosynthesis", group, revisions=14, deaths=10, censored=6, start=11 * k)
        rows += arm("endoprosthesis", group, revisions=1, deaths=17, censored=12, start=5 + 11 * k)
    return analysis_table(rows)


@pytest.mark.parametrize("scenario", ["effect", "reversed", "none"])
def test_each_claim_says_the_same_numbers_in_russian(effect, scenario):
    """On the test cohorts of test_claims (an effect, the effect reversed, none), every Russian sentence holds the
    numbers of its English sentence, and says "no evidence" exactly where the English one does."""
    df = {"effect": effect, "reversed": reversed_effect(effect), "none": no_effect(effect)}[scenario]
    table = claim_table(df)
    for name, row in table.iterrows():
        assert numbers(row["sentence"], "en") == numbers(row["sentence_ru"], "ru"), name
        negative = "Статистически значимых различий" in row["sentence_ru"] or "не выявлено" in row["sentence_ru"]
        if name not in ("recommendation_summary", "conclusion_prognostic_scores"):
            assert ("no evidence" in row["sentence"]) == negative, (name, row["sentence_ru"])


def codebook_codes() -> set[str]:
    """The codes the glossary translates that a reader must never see (ewing_sarcoma, intramedullary_osteosynthesis,
    ...): every term code with an underscore."""
    return {key.split(".")[2] for key in glossary.load() if key.startswith("terms.") and "_" in key.split(".")[2]}


def test_no_glossary_key_or_codebook_code_leaks_into_the_russian_text(manuscripts):
    body = russian_body(manuscripts["ru"])
    assert {"ewing_sarcoma", "intramedullary_osteosynthesis", "unknown_primary"} <= codebook_codes()
    leaked = [code for code in codebook_codes() if re.search(rf"\b{re.escape(code)}\b", body)]
    assert not leaked
    ids = [key.split(".", 1)[1] for key in glossary.load() if key.startswith(("text.", "claims.", "words."))]
    dotted = [i for i in ids if "." in i and re.search(rf"(?<![\w/.]){re.escape(i)}(?![\w.])", body)]
    assert not dotted
    assert "{{" not in body and "{%" not in body and "⟦" not in body and "~" not in body


def test_the_russian_text_keeps_russian_typography(manuscripts):
    body = russian_body(manuscripts["ru"])
    prose = KEPT_POINTS.sub(" ", re.sub(r"\]\([^)]*\)", "]", body))  # figure paths are not prose
    assert not re.findall(r"\d\.\d", prose), "a decimal point in the Russian text"
    assert not re.findall(r"\d %", prose) and re.search(rf"\d{NBSP}%", prose), "% without a non-breaking space"
    assert not re.findall(r"\d \d{3}\b", prose), "digit groups split by a space"
    assert '"' not in prose and "«" in prose and "»" in prose, "quotes other than «»"
    assert f"p{NBSP}={NBSP}0," in prose and "−" in prose and "–" in prose


def used_ids() -> list[tuple[str, str]]:
    """(where, id pattern) of every glossary message the code and the templates ask for; an f-string's fields
    become wildcards."""
    found = []
    sources = [TEMPLATES / "manuscript.md.j2", TEMPLATES / "abstract.md.j2"]
    for path in sources:
        found += [(path.name, f"text.{m}") for m in re.findall(r"""tr\(\s*["']([^"']+)["']""", path.read_text())]
    for key, entry in glossary.load().items():
        for lang in glossary.LANGUAGES:
            found += [(key, f"text.{m}") for m in re.findall(r"""tr\(\s*["']([^"']+)["']""", entry[lang])]
    for module, prefix, call in (
        ("scripts/analysis/claims.py", "claims.", r"say\(\s*f?\"([^\"]+)\""),
        ("scripts/manuscript/render.py", "words.", r"word\(\s*f?\"([^\"]+)\""),
    ):
        text = (ROOT / module).read_text(encoding="utf-8")
        found += [(module, prefix + re.sub(r"\{[^}]*\}", "*", m)) for m in re.findall(call, text)]
    return found


def test_every_glossary_id_used_exists_in_both_languages():
    known = glossary.load()
    used = used_ids()
    assert len(used) > 80
    for where, pattern in used:
        hits = fnmatch.filter(known, pattern)
        assert hits, f"{where} asks for {pattern}, which the glossary lacks"
        for hit in hits:
            assert all(known[hit][lang].strip() for lang in glossary.LANGUAGES), hit


def test_a_message_without_russian_stops_the_glossary(tmp_path):
    bad = tmp_path / "glossary.yaml"
    bad.write_text("text:\n  intro: {en: Introduction}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="text.intro"):
        glossary.load(bad)
    bad.write_text("claims:\n  p: {en: p < 0.001, ru: p < 0,001}\n", encoding="utf-8")  # a YAML comma split
    with pytest.raises(ValueError, match="claims.p"):
        glossary.load(bad)


def test_each_paragraph_reads_the_same_results_in_both_languages():
    """The values a paragraph quotes (n.…, deid.…, calibration.…, claim(…)) are the same set in English and in
    Russian, so neither language can quote a number the other does not."""
    value = re.compile(r"""\b(?:n|deid|calibration)\.[\w.]+(?:\[["'\w]+\])*|claims?(?:_starting)?\(["'][^"']+["']\)""")
    for key, entry in glossary.load().items():
        if key.startswith("text."):
            assert set(value.findall(entry["en"])) == set(value.findall(entry["ru"])), key


def test_the_english_captions_in_the_glossary_are_the_reports():
    """The glossary's English captions are workflow/report/<figure>.rst (which the English manuscript and the
    Snakemake report read), so the Russian caption translates the caption that is printed."""
    for key, entry in glossary.load().items():
        if key.startswith("captions."):
            report = ROOT / "workflow" / "report" / f"{key.split('.', 1)[1]}.rst"
            assert entry["en"].split() == report.read_text(encoding="utf-8").split(), key
            english = caption(report, 0.95)
            russian = caption(report, 0.95, "ru")
            assert numbers(english, "en") == numbers(russian, "ru"), key


def test_russian_numbers_are_spelled_by_the_formatter():
    f = Formatter(mark=False, lang="ru")
    assert f.num(12345) == f"12{NBSP}345" and f.num(0.5) == "0,50" and f.num(-4.1, 1) == "\u22124,1"
    assert (
        f.pct(0.134) == f"13,4{NBSP}%" and f.p(0.0004) == f"p{NBSP}<{NBSP}0,001" and f.p(0.11) == f"p{NBSP}={NBSP}0,110"
    )
    assert [f.plural(k, "год", "года", "лет") for k in (1, 2, 5, 11, 21, 62, 62.5)] == [
        "год",
        "года",
        "лет",
        "лет",
        "год",
        "года",
        "года",
    ]
    english = Formatter(mark=False)
    assert english.num(12345) == "12 345" and english.pct(0.134) == "13.4 %" and english.p(0.11) == "p = 0.110"
