"""The Russian figures: every figure the manuscript and its supplement show has a Russian variant
(<stem>_ru.{png,pdf}, drawn by the rule that draws the English one), manuscript_ru embeds it, and its words are the
glossary's (workflow/templates/glossary.yaml, sections `figure` and `terms`) in Russian typography, in the
project's font; the English figures stay English."""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

from common import glossary
from common.figure_text import ENGLISH, RUSSIAN, FigureText
from common.study import MANUSCRIPT_FIGURES, SUPPLEMENT_FIGURES, figure_in
from common.study_font import CHARACTERS

FIGURES = [*MANUSCRIPT_FIGURES, *SUPPLEMENT_FIGURES]
CYRILLIC = re.compile(r"[А-Яа-яЁё]")
# Latin words a Russian figure may print: the time-dependent AUC, the chi-square's degrees of freedom; n and p are
# single letters and not read as words.
LATIN_KEPT = {"AUC", "df"}
# Words of the English figures' axes, legends and at-risk tables that a Russian figure must not print.
ENGLISH_WORDS = ("Months", "Numbers at risk", "revised", "Cumulative incidence", "survival", "Gray", "patients")


def pdf_text(path: Path) -> str:
    """The text of a PDF figure as pdftotext reads it (the text matplotlib embedded, Type 42 StudySans). Without
    pdftotext (Debian poppler-utils) the test is skipped, and fails under CI, which installs it."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("poppler-utils (pdftotext) is not installed but CI is set")
        pytest.skip("poppler-utils not installed (apt-get install poppler-utils); CI installs it")
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_every_figure_has_a_russian_variant_path():
    assert figure_in("results/figures/forest_hazard_ratios.png", "ru") == "results/figures/forest_hazard_ratios_ru.png"
    assert figure_in("results/cleaning/flow_diagram.pdf", "ru") == "results/cleaning/flow_diagram_ru.pdf"
    assert figure_in("results/figures/forest_hazard_ratios.png", "en") == "results/figures/forest_hazard_ratios.png"


def figure_words() -> dict[str, dict[str, str]]:
    """Every glossary message a figure can draw: the `figure` section and the terms the figures read."""
    forms = ("short", "label")
    return {
        key: entry
        for key, entry in glossary.load().items()
        if key.startswith("figure.")
        or (key.startswith("terms.") and key.rsplit(".", 1)[1] in forms)
        or key.startswith(("terms.exclusion.", "terms.model_kind."))
    }


def test_studysans_has_every_glyph_the_figures_draw():
    """StudySans (common/study_font.py) is a subset of DejaVu Sans: a character outside it would fall back to the
    full DejaVu Sans and embed a second font in each PDF. Every character of every figure message, in both languages,
    is in the subset (Cyrillic, the em dash, the minus sign, χ, ², β and the non-breaking space included)."""
    words = figure_words()
    assert len(words) > 80
    for key, entry in words.items():
        for lang in glossary.LANGUAGES:
            missing = {c for c in entry[lang].replace("\n", "") if ord(c) not in CHARACTERS}
            assert not missing, f"{key} ({lang}) draws {missing}, which StudySans lacks"
    russian = "".join(entry["ru"] for entry in words.values())
    assert {"ё", "χ", "²", "β", "—", "−", glossary.NBSP} <= set(russian)


def used_figure_keys() -> list[tuple[str, str]]:
    """(where, key pattern) of every figure message the code asks for: text("...") and text(f"...")."""
    found = []
    for module in (
        "scripts/analysis/figures.py",
        "scripts/cleaning/report.py",
        "workflow/scripts/compare_factors.py",
    ):
        source = (ROOT / module).read_text(encoding="utf-8")
        found += [
            (module, "figure." + re.sub(r"\{[^}]*\}", "*", key))
            for key in re.findall(r"""text\(f?"([^"]+)\"""", source)
        ]
    return found


def test_every_figure_message_the_code_asks_for_exists_in_both_languages():
    known = glossary.load()
    used = used_figure_keys()
    assert len(used) > 40
    for where, pattern in used:
        hits = fnmatch.filter(known, pattern)
        assert hits, f"{where} asks for {pattern}, which the glossary lacks"
        assert all(known[hit][lang].strip() for hit in hits for lang in glossary.LANGUAGES)


def test_figure_text_spells_numbers_in_each_language():
    assert ENGLISH("cif_by_group.gray", title="T", statistic=4.3456, df=2, p=0.1138) == (
        "T; Gray's test: chi2 = 4.35, df = 2, p = 0.114"
    )
    nbsp = glossary.NBSP
    assert RUSSIAN("cif_by_group.gray", title="T", statistic=4.3456, df=2, p=0.1138) == (
        f"T; критерий Грея: χ²{nbsp}={nbsp}4,35, df{nbsp}={nbsp}2, p{nbsp}={nbsp}0,114"
    )
    assert RUSSIAN("recommendation.gray", p=0.093) == f"критерий Грея: p{nbsp}={nbsp}0,093"
    # Terms: the glossary's, or the code as words when it has none (visible, never invented).
    assert RUSSIAN.term("method", "intramedullary_osteosynthesis", "short") == "штифт"
    assert ENGLISH.term("method", "intramedullary_osteosynthesis", "short") == "IM nail"
    assert RUSSIAN.term("primary", "no_such_code", "short") == "no such code"
    assert FigureText("ru").term("exclusion", "no_operation") == "нет операции"


def test_russian_tick_labels_take_the_decimal_comma():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for text, expected in ((ENGLISH, "0.5"), (RUSSIAN, "0,5")):
        fig, ax = plt.subplots()
        ax.set_xlim(0, 1)
        ax.set_xticks([0, 0.5, 1])
        ax.set_ylim(-1.5, 1.5)
        ax.set_yticks([-1.5, 0, 1.5])
        ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f} %"))
        text.localise_ticks(fig)
        fig.canvas.draw()
        labels = [t.get_text() for t in ax.get_xticklabels()]
        percents = [t.get_text() for t in ax.get_yticklabels()]
        plt.close(fig)
        assert expected in labels, labels
        if text is RUSSIAN:
            assert percents[0] == f"\u2212150{glossary.NBSP}%" and percents[-1] == f"150{glossary.NBSP}%", percents
        else:
            assert percents[-1] == "150 %", percents


@pytest.fixture(scope="module")
def russian_manuscript(full_run) -> str:
    return (full_run / "results" / "paper" / "manuscript_ru.md").read_text(encoding="utf-8")


def test_each_russian_figure_exists_and_manuscript_ru_embeds_it(full_run, russian_manuscript):
    english = (full_run / "results" / "paper" / "manuscript.md").read_text(encoding="utf-8")
    for figure in FIGURES:
        for suffix in (".png", ".pdf"):
            path = full_run / figure_in(figure, "ru").replace(".png", suffix)
            assert path.is_file() and path.stat().st_size > 10_000, path
        name = Path(figure_in(figure, "ru")).name
        assert f"/{name})" in russian_manuscript, f"manuscript_ru does not embed {name}"
        assert f"/{Path(figure).name})" in english and name not in english
    assert "_ru.png" not in english
    # manuscript_ru embeds only Russian figures.
    embedded = re.findall(r"\]\(([^)]+\.png)\)", russian_manuscript)
    assert len(embedded) == len(FIGURES) and all(p.endswith("_ru.png") for p in embedded), embedded


def test_russian_figures_print_russian_words_and_numbers(full_run):
    """The text of each Russian figure (its PDF, read with pdftotext): Cyrillic labels, no Latin word but AUC and
    df, none of the English figures' words, and decimal commas only."""
    commas = 0
    for figure in FIGURES:
        text = pdf_text(full_run / figure_in(figure, "ru").replace(".png", ".pdf"))
        assert len(CYRILLIC.findall(text)) > 20, (figure, text[:300])
        latin = set(re.findall(r"[A-Za-z]{2,}", text)) - LATIN_KEPT
        assert not latin, f"{figure}: English words in the Russian figure: {sorted(latin)}"
        assert not [w for w in ENGLISH_WORDS if w in text], figure
        assert not re.findall(r"\d\.\d", text), f"{figure}: a decimal point in the Russian figure"
        commas += len(re.findall(r"\d,\d", text))
    assert commas > 20


def test_english_figures_stay_english(full_run):
    for figure in FIGURES:
        text = pdf_text(full_run / figure.replace(".png", ".pdf"))
        assert not CYRILLIC.findall(text), f"{figure}: Cyrillic in the English figure"
        assert len(re.findall(r"[A-Za-z]{3,}", text)) > 3, figure
    assert "Months since the index operation" in pdf_text(
        full_run / "results" / "figures" / "km_versus_cumulative_incidence.pdf"
    )
    assert "Gray's p = " in pdf_text(full_run / "results" / "figures" / "recommendation_fixation_by_prognosis.pdf")


def test_russian_figures_are_in_the_provenance_manifest(full_run):
    manifest = (full_run / "results" / "provenance" / "manifest.json").read_text(encoding="utf-8")
    for figure in FIGURES:
        for suffix in (".png", ".pdf"):
            assert figure_in(figure, "ru").replace(".png", suffix) in manifest, figure
