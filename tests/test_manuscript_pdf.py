"""The manuscript's PDF (rule typeset_manuscript, manuscript.typeset): its pages looked at as images.

Pages are rasterised by `pdftoppm` (poppler-utils) at 30 dpi in grey. A page fails if its text area is blank (the page
number in the bottom margin does not count), if anything is drawn past the right or left margin (an overflowing
table) or into the bottom margin above the page number (a figure taller than the page). The text layer (`pdftotext`)
must hold the title and every figure number. Two renders give the same bytes, and nothing is fetched from the network.
"""

from __future__ import annotations

import base64
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

from manuscript.typeset import NetworkRefused, typeset

ROOT = Path(__file__).resolve().parents[1]
CSS = ROOT / "workflow" / "templates" / "manuscript_print.css"
DPI = 30
MM = DPI / 25.4  # pixels per millimetre
# The print stylesheet's page: A4, margins top 18, right 20, bottom 20, left 20 mm.
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


def png_data_uri(width: int, height: int) -> str:
    """A dark grey PNG (RGBA, as matplotlib writes) as a data URI."""
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (40, 40, 40, 255)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def adversarial_page() -> str:
    """A page as pandoc writes it, made to break a print layout: a very wide table with long unbreakable tokens, a
    figure twenty times taller than wide, empty sections."""
    head = "".join(f"<th>Column heading number {i}</th>" for i in range(30))
    row = "".join(f"<td>{'x' * 40}_{i}</td>" for i in range(30))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8" /><title>Adversarial typesetting test</title>
<style>body {{ max-width: 52em; margin: 2em auto; }}</style></head>
<body>
<header id="title-block-header"><h1 class="title">Adversarial typesetting test</h1></header>
<h2 id="wide">A wide table</h2>
<table><thead><tr>{head}</tr></thead><tbody>{row * 12}</tbody></table>
<h2 id="empty"></h2>
<section></section>
<h2 id="empty-2">An empty section</h2>
<h2 id="tall">A tall figure</h2>
<figure><img role="img" src="{png_data_uri(60, 1200)}" style="width:100.0%" alt="tall" />
<figcaption aria-hidden="true">Figure 1. A figure twenty times taller than wide.</figcaption></figure>
<p>{"A_very_long_unbreakable_token_" * 12}</p>
</body></html>"""


@pytest.fixture(scope="module")
def adversarial_pdf(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("adversarial")
    (where / "page.html").write_text(adversarial_page(), encoding="utf-8")
    typeset(where / "page.html", [CSS], where / "page.pdf")
    return where / "page.pdf"


def test_adversarial_pages_fit(adversarial_pdf, tmp_path):
    pages = rasterise(adversarial_pdf, tmp_path)
    assert page_problems(pages) == []
    assert 2 <= len(pages) <= 6, len(pages)
    # The tall figure is there, scaled down to fit a page: some page has a dark bar at least 150 mm tall.
    tallest = max(int((page < 100).any(axis=1).sum()) for page in pages)
    assert tallest >= 150 * MM
    text = pdf_text(adversarial_pdf)
    assert "Adversarial typesetting test" in text and "Figure 1." in text


def test_the_checks_catch_an_overflowing_table_and_a_blank_page(tmp_path):
    """Without the print stylesheet's rules the wide table runs off the page; a forced page break leaves a blank
    page: the checks must see both (else they prove nothing)."""
    page = adversarial_page().replace('<h2 id="empty-2">', '<div style="break-after: page"></div>' * 2 + "<h2>")
    (tmp_path / "page.html").write_text(page, encoding="utf-8")
    (tmp_path / "loose.css").write_text(
        CSS.read_text(encoding="utf-8").replace("table-layout: fixed;", "table-layout: auto;")
        + "\ntable { width: auto; } th, td { overflow-wrap: normal; }\n",
        encoding="utf-8",
    )
    typeset(tmp_path / "page.html", [tmp_path / "loose.css"], tmp_path / "page.pdf")
    problems = page_problems(rasterise(tmp_path / "page.pdf", tmp_path / "pages"))
    assert any("right margin" in p for p in problems), problems
    assert any("blank" in p for p in problems), problems


def test_two_renders_are_byte_identical(adversarial_pdf, tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    typeset(adversarial_pdf.with_name("page.html"), [CSS], tmp_path / "again.pdf")
    assert (tmp_path / "again.pdf").read_bytes() == adversarial_pdf.read_bytes()
    assert b"/CreationDate" not in adversarial_pdf.read_bytes()


def test_source_date_epoch_sets_the_dates(adversarial_pdf, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    typeset(adversarial_pdf.with_name("page.html"), [CSS], tmp_path / "dated.pdf")
    info = subprocess.run(["pdfinfo", str(tmp_path / "dated.pdf")], capture_output=True, text=True).stdout
    assert re.search(r"CreationDate:\s+\w{3} Nov 14 \d\d:13:20 2023", info), info


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="http://example.invalid/figure.png" />',
        '<img src="https://example.invalid/figure.png" />',
        '<link rel="stylesheet" href="https://example.invalid/style.css" />',
        "<style>@import url('ftp://example.invalid/style.css');</style>",
        '<img src="file://example.invalid/share/figure.png" />',
        "<style>@font-face { font-family: X; src: url(//example.invalid/x.woff); } p { font-family: X; }</style>",
    ],
)
def test_nothing_is_fetched_from_the_network(markup, tmp_path, monkeypatch):
    import urllib.request

    def no_network(*args, **kwargs):
        raise AssertionError("the typesetter tried the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    page = tmp_path / "page.html"
    page.write_text(f"<html><head>{markup}</head><body><p>text</p></body></html>", encoding="utf-8")
    with pytest.raises(NetworkRefused, match="example.invalid"):
        typeset(page, [CSS], tmp_path / "page.pdf")
    assert not (tmp_path / "page.pdf").exists()


def test_local_files_and_data_urls_are_served(tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (0, 0, 0)).save(buffer, format="PNG")
    (tmp_path / "local.png").write_bytes(buffer.getvalue())
    page = tmp_path / "page.html"
    page.write_text(
        f'<html><body><p>text</p><img src="local.png" /><img src="{png_data_uri(40, 40)}" /></body></html>',
        encoding="utf-8",
    )
    assert typeset(page, [CSS], tmp_path / "page.pdf") == 1


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
    # The rule's PDF is the one these inputs give: rendering again gives the same bytes.
    css = full_run / "workflow" / "templates" / "manuscript_print.css"
    typeset(paper / "manuscript.html", [css], tmp_path / "m.pdf")
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
    """A phone number typeset in a PDF is in compressed streams, in subset fonts: the gate finds it all the same, in
    the text and in the metadata (pdftotext), while the streams' bytes are not scanned."""
    from deidentify.leaks import LeakScanner

    page = tmp_path / "page.html"
    page.write_text(
        '<html><head><meta charset="utf-8" /><meta name="author" content="Иванов Пётр" /><title>t</title></head>'
        "<body><p>Call +7 (916) 123-45-67 today.</p></body></html>",
        encoding="utf-8",
    )
    typeset(page, [CSS], tmp_path / "page.pdf")
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


def test_embedded_images_are_lifted_out_of_the_page():
    from manuscript.typeset import lift_embedded_images

    png = quadrants_png(255)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    page = f'<p style="background: url({uri})"><img src="{uri}" /> <img alt="x" src="{uri}" /></p>'.encode()
    lifted, images = lift_embedded_images(page)
    # Both <img> are one address; the data URL in a style is left for WeasyPrint.
    assert lifted.count(b"typeset-embedded:0") == 2 and lifted.count(uri.encode()) == 1
    assert images == {"typeset-embedded:0": ("image/png", png)}
    # Not base64 (a length that is not a multiple of 4): left in the page.
    assert lift_embedded_images(b'<img src="data:image/png;base64,abcde" />') == (
        b'<img src="data:image/png;base64,abcde" />',
        {},
    )


@pytest.mark.parametrize("alpha", [255, 128])
def test_images_keep_their_pixels(alpha, tmp_path):
    """An opaque PNG is embedded as its RGB samples (no alpha mask), a translucent one keeps WeasyPrint's alpha mask;
    both draw their colours (on white) where they were, at full resolution."""
    page = tmp_path / "page.html"
    uri = "data:image/png;base64," + base64.b64encode(quadrants_png(alpha)).decode("ascii")
    # 200 CSS px drawn at 96 dpi: 200 pixels, one per pixel of the image (centred by the print stylesheet).
    page.write_text(f'<html><body><img src="{uri}" /></body></html>')
    typeset(page, [CSS], tmp_path / "page.pdf")
    raw = (tmp_path / "page.pdf").read_bytes()
    assert (b"/SMask" in raw) == (alpha != 255)
    subprocess.run(["pdftoppm", "-r", "96", "-png", str(tmp_path / "page.pdf"), str(tmp_path / "p")], check=True)
    pixels = np.asarray(Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")).astype(int)
    rows, columns = np.nonzero((pixels[:500] < 250).any(axis=2))  # the top of the page (not its number)
    top, left = rows.min(), columns.min()
    assert abs(columns.max() - left - 199) <= 2 and abs(rows.max() - top - 199) <= 2  # the three colours

    def on_white(colour):
        return np.array([round((c * alpha + 255 * (255 - alpha)) / 255) for c in colour])

    for (x, y), colour in {(50, 50): (200, 30, 30), (150, 50): (30, 160, 60), (50, 150): (20, 40, 220)}.items():
        assert np.abs(pixels[top + y, left + x] - on_white(colour)).max() <= 2, (x, y, pixels[top + y, left + x])
    assert (pixels[top + 150, left + 150] >= 253).all()  # the white quadrant
