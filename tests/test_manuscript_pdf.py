"""The manuscript's PDF (rule typeset_manuscript, manuscript.typeset: pandoc -> Typst markup -> Typst): its pages
looked at as images.

Pages are rasterised by `pdftoppm` (poppler-utils) at 30 dpi in grey. A page fails if its text area is blank (the page
number in the bottom margin does not count), if anything is drawn past the right or left margin (an overflowing
table) or into the bottom margin above the page number (a figure taller than the page). The text layer (`pdftotext`)
must hold the title, every figure number and every number of the HTML. Two renders give the same bytes (in another
folder too), only the project's fonts are embedded, and nothing is fetched from the network.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from manuscript.typeset import (
    CELL_PADDING,
    TEMPLATE,
    NetworkRefused,
    column_shares,
    crowding,
    fitted_columns,
    pipe_tables,
    rooted,
    typeset,
)

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "workflow" / "templates"
BIBLIOGRAPHY = TEMPLATES / "references.json"
CSL = TEMPLATES / "csl" / "nlm-citation-sequence.csl"
DPI = 30
MM = DPI / 25.4  # pixels per millimetre
# The template's page (workflow/templates/manuscript.typ): A4, margins top 18, right 20, bottom 20, left 20 mm.
PAGE_MM = (210, 297)
MARGIN_MM = {"top": 18, "right": 20, "bottom": 20, "left": 20}
TOLERANCE_PX = 2  # antialiasing at 30 dpi (1 px = 0.85 mm)
INK = 200  # a grey level below this is ink (white is 255)


@pytest.fixture(autouse=True)
def poppler():
    """pdftoppm and pdftotext (Debian poppler-utils): skipped without them, failed under CI (which installs them)."""
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("poppler-utils (pdftoppm, pdftotext) is not installed but CI is set")
        pytest.skip("poppler-utils not installed (apt-get install poppler-utils); CI installs it")


def rasterise(pdf: Path, where: Path) -> list[np.ndarray]:
    """Every page of `pdf` as a grey image (0 black, 255 white)."""
    where.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", str(pdf), str(where / "page")], check=True)
    files = sorted(where.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    return [np.asarray(Image.open(f).convert("L")) for f in files]


def page_problems(pages: list[np.ndarray]) -> list[str]:
    """What is wrong with each page: blank text area, ink past the left or right margin, ink in the bottom margin
    above the page number."""
    problems = []
    for number, page in enumerate(pages, start=1):
        height, width = page.shape
        assert abs(width - PAGE_MM[0] * MM) <= 2 and abs(height - PAGE_MM[1] * MM) <= 2, "not an A4 page"
        ink = page < INK
        top = int(MARGIN_MM["top"] * MM)
        bottom = int((PAGE_MM[1] - MARGIN_MM["bottom"]) * MM)
        text_area = ink[top:bottom]
        if not text_area.any():
            problems.append(f"page {number} is blank")
            continue
        columns = np.flatnonzero(ink.any(axis=0))
        right = (PAGE_MM[0] - MARGIN_MM["right"]) * MM + TOLERANCE_PX
        left = MARGIN_MM["left"] * MM - TOLERANCE_PX
        if columns.max() > right:
            problems.append(f"page {number}: ink {(columns.max() - right) / MM:.1f} mm past the right margin")
        if columns.min() < left:
            problems.append(f"page {number}: ink {(left - columns.min()) / MM:.1f} mm past the left margin")
        # The page number sits in the middle of the 20 mm bottom margin; its upper 5 mm must stay empty.
        band = ink[bottom + TOLERANCE_PX : int((PAGE_MM[1] - MARGIN_MM["bottom"] + 5) * MM)]
        if band.any():
            problems.append(f"page {number}: ink below the text area (a figure or table taller than the page)")
    return problems


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


# A number as the leak gate and the manuscript tests read them: digits, with a decimal point or comma inside.
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def png(path: Path, width: int, height: int, colour=(40, 40, 40, 255)) -> Path:
    """A PNG of one colour (RGBA, as matplotlib writes) at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (width, height), colour).save(path, format="PNG")
    return path


def write_markdown(where: Path, text: str, name: str = "page.md") -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / name).write_text(text, encoding="utf-8")
    return where / name


def typeset_here(markdown: Path, pdf: Path, template: Path = TEMPLATE) -> int:
    return typeset(markdown, pdf, BIBLIOGRAPHY, CSL, template)


def adversarial_markdown(where: Path) -> Path:
    """A page as the manuscript's Markdown could be, made to break a print layout: a very wide table with long
    unbreakable tokens, a figure twenty times taller than wide (in a sibling folder, as the manuscript's figures
    are), empty sections, a paragraph that is one long token."""
    png(where / "figures" / "tall.png", 60, 1200)
    head = "| " + " | ".join(f"Column heading number {i}" for i in range(30)) + " |"
    rule = "|" + " --- |" * 30
    row = "| " + " | ".join(f"{'x' * 40}_{i}" for i in range(30)) + " |"
    table = "\n".join([head, rule, *[row] * 12])
    text = f"""---
title: "Adversarial typesetting test"
lang: en
---

## A wide table

{table}

##

## An empty section

## A tall figure

![**Figure 1.** A figure twenty times taller than wide.](../figures/tall.png){{ width=100% }}

{"A_very_long_unbreakable_token_" * 12}
"""
    return write_markdown(where / "paper", text)


@pytest.fixture(scope="module")
def adversarial_pdf(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("adversarial")
    markdown = adversarial_markdown(where)
    typeset_here(markdown, where / "page.pdf")
    return where / "page.pdf"


def test_adversarial_pages_fit(adversarial_pdf, tmp_path):
    pages = rasterise(adversarial_pdf, tmp_path)
    assert page_problems(pages) == []
    assert 2 <= len(pages) <= 12, len(pages)
    # The tall figure is there, scaled down to fit a page: some page has a dark bar at least 150 mm tall.
    tallest = max(int((page < 100).any(axis=1).sum()) for page in pages)
    assert tallest >= 150 * MM
    text = pdf_text(adversarial_pdf)
    assert "Adversarial typesetting test" in text and "Figure 1." in text


def test_the_checks_catch_an_overflowing_token_and_a_blank_page(tmp_path):
    """Without the template's rule that lets a long token break anywhere, the paragraph of one long token runs off
    the page; two forced page breaks leave a blank page: the checks must see both (else they prove nothing)."""
    markdown = adversarial_markdown(tmp_path)
    loose = TEMPLATE.read_text(encoding="utf-8")
    assert "#show long-word:" in loose and "\n$body$" in loose
    loose = loose.replace("#show long-word:", "#let unused(it) = ").replace(
        "\n$body$", "\n#pagebreak()\n#pagebreak()\n$body$"
    )
    (tmp_path / "loose.typ").write_text(loose, encoding="utf-8")
    typeset_here(markdown, tmp_path / "page.pdf", tmp_path / "loose.typ")
    problems = page_problems(rasterise(tmp_path / "page.pdf", tmp_path / "pages"))
    assert any("right margin" in p for p in problems), problems
    assert any("blank" in p for p in problems), problems


def test_two_renders_are_byte_identical_in_any_folder(adversarial_pdf, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    markdown = adversarial_markdown(tmp_path / "elsewhere")
    typeset_here(markdown, tmp_path / "again.pdf")
    assert (tmp_path / "again.pdf").read_bytes() == adversarial_pdf.read_bytes()
    raw = adversarial_pdf.read_bytes()
    assert b"/CreationDate" not in raw and b"/ModDate" not in raw and b"CreateDate" not in raw
    assert str(tmp_path).encode() not in (tmp_path / "again.pdf").read_bytes()


def test_only_the_projects_fonts_are_embedded(adversarial_pdf):
    """StudySans (scripts/common/fonts), regular and bold; no system font (Typst ignores them)."""
    out = subprocess.run(["pdffonts", str(adversarial_pdf)], capture_output=True, text=True, check=True).stdout
    fonts = {line.split()[0].split("+")[-1] for line in out.splitlines()[2:]}
    assert fonts == {"StudySans", "StudySans-Bold"}, fonts


def test_source_date_epoch_sets_the_dates(adversarial_pdf, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    typeset_here(adversarial_markdown(tmp_path), tmp_path / "dated.pdf")
    info = subprocess.run(["pdfinfo", str(tmp_path / "dated.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"CreationDate:\s+\w{3} Nov 14 \d\d:13:20 2023", info), info


@pytest.mark.parametrize(
    "image",
    [
        "http://example.invalid/figure.png",
        "https://example.invalid/figure.png",
        "file://example.invalid/share/figure.png",
        "//example.invalid/figure.png",
    ],
)
def test_nothing_is_fetched_from_the_network(image, tmp_path):
    markdown = write_markdown(tmp_path, f"text\n\n![a figure]({image})\n")
    with pytest.raises(NetworkRefused, match="example.invalid"):
        typeset_here(markdown, tmp_path / "page.pdf")
    assert not (tmp_path / "page.pdf").exists()


def test_raw_typst_in_the_markdown_is_text_not_code(tmp_path):
    """The Markdown cannot run Typst code (pandoc's raw blocks are off): an import of a package is printed, not
    fetched; and a source that imports a package is refused before Typst sees it."""
    raw = '```{=typst}\n#import "@preview/cetz:0.3.4": canvas\n#pagebreak()\n```\n\n`#pagebreak()` and #pagebreak()\n'
    typeset_here(write_markdown(tmp_path, "text\n\n" + raw), tmp_path / "page.pdf")
    text = pdf_text(tmp_path / "page.pdf")
    assert "@preview/cetz" in text and text.count("#pagebreak()") == 3, text
    assert len(rasterise(tmp_path / "page.pdf", tmp_path / "pages")) == 1
    for code in ('#import "@preview/cetz:0.3.4": canvas\n', 'x\n  #include "@local/x:0.1.0"\n'):
        with pytest.raises(NetworkRefused):
            rooted(code, tmp_path)


def test_local_figures_are_found_from_the_common_root(tmp_path):
    """Figures beside the Markdown, below it, in a sibling folder (as results/figures/ is to results/paper/) and in
    a data: URL: each is drawn."""
    png(tmp_path / "paper" / "here.png", 40, 40)
    png(tmp_path / "paper" / "sub" / "below.png", 40, 40)
    png(tmp_path / "figures" / "sibling.png", 40, 40)
    data = "data:image/png;base64," + base64.b64encode((tmp_path / "paper" / "here.png").read_bytes()).decode()
    figures = ["here.png", "sub/below.png", "../figures/sibling.png", data]
    markdown = write_markdown(
        tmp_path / "paper", "".join(f"![Figure {i}.]({f}){{ width=20% }}\n\n" for i, f in enumerate(figures))
    )
    assert typeset_here(markdown, tmp_path / "page.pdf") == 1
    page = rasterise(tmp_path / "page.pdf", tmp_path / "pages")[0]
    dark_rows = np.flatnonzero((page < 100).any(axis=1))
    runs = np.split(dark_rows, np.flatnonzero(np.diff(dark_rows) > 1) + 1)
    squares = [run for run in runs if abs(len(run) - 34 * MM) <= 3]  # 20 % of the text width, 34 mm
    assert len(squares) == len(figures), [len(r) for r in runs]  # four dark squares, one under the other
    source, root = rooted('image("here.png") image("../figures/sibling.png")', tmp_path / "paper")
    assert root == tmp_path.resolve()
    assert source == 'image("/paper/here.png") image("/figures/sibling.png")'


def test_column_shares_follow_the_text():
    """A browser's automatic table layout, in characters: short tables get each column's longest cell; wide ones
    their longest word plus the room left in proportion to the rest."""
    assert column_shares([["a", "bb"], ["ccc", "d"]]) == [3 + CELL_PADDING, 2 + CELL_PADDING]
    rows = [["Cause", "n"], ["aseptic instability after intramedullary osteosynthesis " * 3, "14"]]
    shares = column_shares(rows)
    assert shares[0] > 10 * shares[1] and shares[1] >= 2
    markdown = "| A | B |\n| --- | --- |\n| one | two three |\n\ntext\n\n| C |\n| --- |\n| x |\n"
    assert pipe_tables(markdown) == [[["A", "B"], ["one", "two three"]], [["C"], ["x"]]]
    source = "#table(\n    columns: (50%, 50%),\n#table(\n    columns: 1,\n"
    assert (
        fitted_columns(source, markdown)
        == "#table(\n    columns: (5.00fr, 11.00fr),\n#table(\n    columns: (3.00fr),\n"
    )
    # A table whose longest words cannot stand side by side is marked as crowded (smaller type, words break).
    crowded = "| " + " | ".join(["x" * 30] * 4) + " |\n|" + " --- |" * 4 + "\n"
    assert crowding(pipe_tables(crowded)[0]) > 1 > crowding(pipe_tables(markdown)[0])
    fitted = fitted_columns("#figure(\n  align(center)[#table(\n    columns: 4,\n  )]\n  , kind: table\n  )\n", crowded)
    assert fitted.startswith("#crowded-table(0.781)[#figure(") and fitted.endswith("  , kind: table\n  )]\n")
    # Tables that cannot be paired with the Markdown's: automatic widths.
    assert fitted_columns(source, "no table") == "#table(\n    columns: 2,\n#table(\n    columns: 1,\n"


def test_a_heading_in_another_language_stays_a_heading(tmp_path):
    """Pandoc writes `#set text(lang: "ru"); == ...` for a block in Russian; the heading must not print as text."""
    markdown = write_markdown(tmp_path, "text\n\n::: {lang=ru}\n## Аннотация\n\nТекст.\n:::\n")
    typeset_here(markdown, tmp_path / "page.pdf")
    text = pdf_text(tmp_path / "page.pdf")
    assert "Аннотация" in text and "==" not in text and "lang" not in text, text


def test_the_workflows_manuscript_pdf(full_run, tmp_path):
    paper = full_run / "results" / "paper"
    pdf = paper / "manuscript.pdf"
    pages = rasterise(pdf, tmp_path / "pages")
    assert page_problems(pages) == []
    assert 10 <= len(pages) <= 80, len(pages)
    page = (paper / "manuscript.html").read_text(encoding="utf-8")
    text = pdf_text(pdf)
    title = " ".join(html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1)).split())
    assert title in text
    captions = re.findall(r"<figcaption[^>]*>(.*?)</figcaption>", page, re.S)
    figures = [re.match(r"\s*(Figure S?\d+)\.", re.sub(r"<[^>]+>", "", c)).group(1) for c in captions]
    assert len(figures) >= 10
    for figure in figures:
        assert f"{figure}." in text, figure
    # Every number of the HTML's text is in the PDF's (the PDF holds more: page numbers).
    body = re.sub(r"<nav.*?</nav>|<style.*?</style>|<head.*?</head>", " ", page, flags=re.S)
    html_text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    missing = collections.Counter(NUMBER.findall(html_text)) - collections.Counter(NUMBER.findall(text))
    assert not missing, missing
    # The rule's PDF is the one these inputs give: rendering again gives the same bytes.
    typeset(paper / "manuscript.md", tmp_path / "m.pdf", BIBLIOGRAPHY, CSL, TEMPLATE)
    assert (tmp_path / "m.pdf").read_bytes() == pdf.read_bytes()
    # The provenance hashes it.
    manifest = json.loads((full_run / "results" / "provenance" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["results/paper/manuscript.pdf"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    # The final leak gate read its text layer.
    from deidentify.leaks import texts_of

    parts = {part: text for part, text, _ in texts_of(pdf)}
    layer = " ".join(parts["(text layer and metadata)"].split())
    assert title.split(":")[0] in layer and "Figure 1." in layer
    assert len(parts[""]) < pdf.stat().st_size / 10  # the compressed streams are not scanned as bytes


def test_the_leak_gate_reads_a_pdfs_text_and_metadata(tmp_path):
    """A phone number and a name typeset in a PDF are in compressed streams, in subset fonts: the gate finds them all
    the same, in the text layer (pdftotext), while the streams' bytes are not scanned."""
    from deidentify.leaks import LeakScanner

    markdown = write_markdown(tmp_path, "---\ntitle: t\n---\n\nИванов Пётр: call +7 (916) 123-45-67 today.\n")
    typeset_here(markdown, tmp_path / "page.pdf")
    raw = (tmp_path / "page.pdf").read_bytes()
    assert b"916" not in raw and "Иванов".encode() not in raw  # nothing readable without the text layer
    findings = LeakScanner(["Иванов Пётр"]).scan_file(tmp_path / "page.pdf")
    assert {f.part for f in findings} == {"(text layer and metadata)"}
    kinds = {f.kind for f in findings}
    assert "pattern_phone" in kinds and len(kinds) >= 2, kinds


def quadrants_png(alpha: int) -> bytes:
    """A 200 x 200 PNG in four colours (RGBA, as matplotlib writes figures), every pixel of alpha `alpha`."""
    image = Image.new("RGBA", (200, 200), (255, 255, 255, alpha))
    for (x, y), colour in {(0, 0): (200, 30, 30), (100, 0): (30, 160, 60), (0, 100): (20, 40, 220)}.items():
        image.paste((*colour, alpha), (x, y, x + 100, y + 100))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("alpha", [255, 128])
def test_images_keep_their_pixels(alpha, tmp_path):
    """A figure is drawn at the text width with its colours where they were: an opaque PNG as its colours, a
    translucent one (with its alpha mask) as its colours on white."""
    (tmp_path / "q.png").write_bytes(quadrants_png(alpha))
    markdown = write_markdown(tmp_path, "![**Figure 1.** Quadrants.](q.png){ width=100% }\n")
    typeset_here(markdown, tmp_path / "page.pdf")
    raw = (tmp_path / "page.pdf").read_bytes()
    if alpha != 255:
        assert b"/SMask" in raw
    subprocess.run(["pdftoppm", "-r", "96", "-png", str(tmp_path / "page.pdf"), str(tmp_path / "p")], check=True)
    pixels = np.asarray(Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")).astype(int)
    mm = 96 / 25.4
    rows, columns = np.nonzero((pixels[: int(200 * mm)] < 250).any(axis=2))
    top, left = rows.min(), columns.min()
    side = columns.max() - left + 1  # the text width: 170 mm
    assert abs(side - 170 * mm) <= 3 and abs(left - 20 * mm) <= 3, (side, left)

    def on_white(colour):
        return np.array([round((c * alpha + 255 * (255 - alpha)) / 255) for c in colour])

    quarter = side // 4
    for (x, y), colour in {(1, 1): (200, 30, 30), (3, 1): (30, 160, 60), (1, 3): (20, 40, 220)}.items():
        pixel = pixels[top + y * quarter, left + x * quarter]
        assert np.abs(pixel - on_white(colour)).max() <= 2, (x, y, pixel)
    assert (pixels[top + 3 * quarter, left + 3 * quarter] >= 253).all()  # the white quadrant
