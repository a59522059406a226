"""Typeset the manuscript's Markdown as a PDF with Typst, offline and byte for byte reproducibly.

- **Same text as the HTML**: pandoc (the one render_manuscript runs, pypandoc-binary) reads the same Markdown with
  the same bibliography and CSL style (citeproc) and writes Typst markup (`--to=typst`) into the project's template
  workflow/templates/manuscript.typ (A4, margins, page numbers, table of contents, tables and figures fitted to the
  text width); the Typst compiler (the `typst` binding, in process) lays it out. Raw Typst in the Markdown is off
  (`-raw_attribute`), so the Markdown cannot run Typst code; every other character is escaped by pandoc.
- **No network**: Typst reads files only below its root (here the folder holding the Markdown and every image it
  names) and fetches nothing, except packages named by `#import "@..."`: the template imports none, raw Typst is
  off, and a source naming a package or an image by URL is refused before Typst sees it (NetworkRefused).
- **Fonts**: StudySans (scripts/common/fonts, DejaVu Sans cut to Latin, Greek, Cyrillic and the usual signs) by
  `font_paths`, with the system's fonts ignored: the same glyphs on every machine. It has regular and bold faces, no
  italic: emphasis would be set upright (logged; the manuscripts have none). (Typst's own embedded fonts, for
  mathematics, stay available; the manuscript has no mathematics.)
- **Reproducible bytes**: the PDF carries no date unless ``SOURCE_DATE_EPOCH`` is set (the reproducible-builds
  convention, https://reproducible-builds.org/specs/source-date-epoch/), then that one (UTC); Typst subsets the fonts
  and derives the file identifier deterministically, so the same inputs give the same bytes.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("typeset")

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "workflow" / "templates" / "manuscript.typ"
# An image as pandoc's Typst writer names it: image("path", ...), the path a Typst string literal.
IMAGE = re.compile(r'(?<![\w.])image\("((?:[^"\\]|\\.)*)"')
# A line of Typst code that imports or includes a package ("@namespace/name:version"), which Typst would download.
# Pandoc escapes every "#" of the text, so only the template could hold one; a Markdown code block showing one
# (printed, not run) is refused too, which fails safe.
PACKAGE = re.compile(r'^[ \t]*#(?:import|include)\b[^\n]*"@', re.M)
# A URL scheme (http:, https:, file:, data:...) or a protocol-relative address.
URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*:|//)")
# Pandoc writes a block in another language as `#set text(lang: "ru"); == Heading`: the heading after the semicolon
# is then read as text. A line break instead keeps it a heading.
LANG_THEN_BLOCK = re.compile(r'^(#set text\(lang: "[A-Za-z-]+"\)); ', re.M)
# Pandoc gives each column of a pipe table its share of the width from the dashes of the separator line, which the
# manuscript's tables write all alike (equal shares); `column_shares` gives each column its share from its text.
# (A table whose lines are all short has no shares: `columns: n`.)
EQUAL_COLUMNS = re.compile(r"(?<=#table\(\n)([ \t]*)columns: ([0-9]+|\((?:[0-9.]+%, )*[0-9.]+%\))")
TABLE_FIGURE = "#figure(\n  align(center)[#table(\n"
TABLE_FIGURE_END = "\n  , kind: table\n  )"
PIPE_ROW = re.compile(r"^\|.*\|[ \t]*$")
PIPE_SEPARATOR = re.compile(r"^\|(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*$")


class NetworkRefused(RuntimeError):
    """A resource that would have been fetched from outside the machine."""


def source_date() -> str | None:
    """The date to stamp the PDF with, as year-month-day-hour-minute-second (UTC), from SOURCE_DATE_EPOCH; None
    when that is not set (the PDF then carries no date)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    return datetime.fromtimestamp(int(epoch), tz=UTC).strftime("%Y-%m-%d-%H-%M-%S")


def typst_source(markdown: Path, bibliography: Path, csl: Path, template: Path = TEMPLATE) -> str:
    """The Typst markup of `markdown` (pandoc, citeproc with `bibliography` and `csl`, into `template`)."""
    import pypandoc

    args = [
        pypandoc.get_pandoc_path(),
        "--from=markdown-raw_attribute",
        "--to=typst",
        "--standalone",
        f"--template={Path(template).resolve()}",
        "--toc",
        "--toc-depth=2",
        "--citeproc",
        f"--bibliography={Path(bibliography).resolve()}",
        f"--csl={Path(csl).resolve()}",
        str(Path(markdown).resolve()),
    ]
    done = subprocess.run(args, capture_output=True, cwd=Path(markdown).parent)
    if done.returncode:
        raise RuntimeError("pandoc failed:\n" + done.stderr.decode("utf-8", errors="replace"))
    source = done.stdout.decode("utf-8")
    source = LANG_THEN_BLOCK.sub(r"\1\n", source)
    return fitted_columns(source, Path(markdown).read_text(encoding="utf-8"))


def rooted(source: str, folder: Path) -> tuple[str, Path]:
    """`source` with every image path relative to `folder` rewritten from Typst's root ("/..."), and that root: the
    deepest folder holding `folder` and every image. Raises NetworkRefused for an image named by URL and for a
    package import. (An image in a data: URL pandoc writes as an SVG holding it, `image.decode`: nothing to fetch.)"""
    if PACKAGE.search(source):
        raise NetworkRefused("the typesetter fetches no Typst package")
    paths = [match.group(1) for match in IMAGE.finditer(source)]
    refused = [path for path in paths if URL.match(path)]
    if refused:
        raise NetworkRefused(f"the typesetter fetches nothing from the network: {', '.join(refused)}")
    folder = folder.resolve()
    files = {path: (folder / path.replace('\\"', '"').replace("\\\\", "\\")).resolve() for path in paths}
    root = Path(os.path.commonpath([folder, *(file.parent for file in files.values())]))

    def rewrite(match: re.Match[str]) -> str:
        relative = files[match.group(1)].relative_to(root).as_posix()
        return 'image("/' + relative.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return IMAGE.sub(rewrite, source), root


def page_count(pdf: bytes) -> int:
    """The number of pages of a PDF Typst wrote (its page objects, /Type /Page)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


def pipe_tables(markdown: str) -> list[list[list[str]]]:
    """The pipe tables of `markdown` in their order, each as its rows (the header first) of cell texts."""
    tables: list[list[list[str]]] = []
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if i == 0 or not PIPE_SEPARATOR.match(line) or not PIPE_ROW.match(lines[i - 1]):
            continue
        rows = [lines[i - 1]]
        for following in lines[i + 1 :]:
            if not PIPE_ROW.match(following):
                break
            rows.append(following)
        tables.append([[cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]] for row in rows])
    return tables


# The number of characters of the tables' 8-point StudySans a line of the text width (170 mm, 482 pt) holds, about
# (an average character 0.55 em, 4.4 pt), and the room a cell takes beyond its text, in characters: its padding
# (0.4 em either side, 1.5 characters) and a margin for digits, wider than the average character.
LINE_CHARACTERS = 100.0
CELL_PADDING = 2.0


def column_extents(rows: list[list[str]]) -> tuple[list[float], list[float]]:
    """Each column's longest word and longest cell, in characters (Markdown's emphasis marks not counted)."""
    columns = max(len(row) for row in rows)
    least = [1.0] * columns
    most = [1.0] * columns
    for row in rows:
        for j, cell in enumerate(row):
            text = re.sub(r"[*_`\\]", "", cell)
            least[j] = max(least[j], max((len(word) for word in text.split()), default=1))
            most[j] = max(most[j], len(text))
    return least, most


def column_shares(rows: list[list[str]]) -> list[float]:
    """Each column's share of the text width, as a browser's automatic table layout gives it (CSS 2.1 §17.5.2.2,
    in characters rather than points): each column at least its longest word (`least`), at most its longest cell
    (`most`), each with the cell's padding (CELL_PADDING); if the longest cells fit (sum of `most` within
    LINE_CHARACTERS) the shares are `most`, else each column gets `least` plus the room left in proportion to
    `most - least`."""
    least, most = column_extents(rows)
    least = [low + CELL_PADDING for low in least]
    most = [high + CELL_PADDING for high in most]
    if sum(most) <= LINE_CHARACTERS or sum(most) == sum(least):
        return most
    room = max(LINE_CHARACTERS - sum(least), 0.0) / (sum(most) - sum(least))
    return [low + (high - low) * room for low, high in zip(least, most, strict=True)]


def crowding(rows: list[list[str]]) -> float:
    """How much wider than the text width the table's longest words stand side by side (with the cells' padding):
    above 1, its type is made smaller by that factor and its words may break anywhere (the template's
    `crowded-table`)."""
    least, _ = column_extents(rows)
    return (sum(least) + CELL_PADDING * len(least)) / LINE_CHARACTERS


def fitted_columns(source: str, markdown: str) -> str:
    """`source` with each table's equal column shares replaced by `column_shares` of the Markdown's table (as
    fractions of the text width), and a table whose words cannot fit wrapped in `crowded-table`; automatic
    widths if the tables of the two cannot be paired."""
    tables = pipe_tables(markdown)
    found = EQUAL_COLUMNS.findall(source)

    def count(columns: str) -> int:
        return int(columns) if columns.isdigit() else columns.count("%")

    if len(tables) != len(found) or any(
        count(columns) != max(len(row) for row in rows) for (_, columns), rows in zip(found, tables, strict=True)
    ):
        return EQUAL_COLUMNS.sub(lambda m: f"{m.group(1)}columns: {count(m.group(2))}", source)
    shares = iter(column_shares(rows) for rows in tables)
    source = EQUAL_COLUMNS.sub(
        lambda m: m.group(1) + "columns: (" + ", ".join(f"{s:.2f}fr" for s in next(shares)) + ")", source
    )
    # Pandoc writes each table as `#figure(\n  align(center)[#table(\n ... )]\n  , kind: table\n  )`.
    parts = source.split(TABLE_FIGURE)
    for k, rows in enumerate(tables, start=1):
        crowded = crowding(rows)
        if crowded > 1 and k < len(parts) and TABLE_FIGURE_END in parts[k]:
            parts[k] = parts[k].replace(TABLE_FIGURE_END, TABLE_FIGURE_END + "]", 1)
            parts[k - 1] += f"#crowded-table({1 / crowded:.3f})["
    return TABLE_FIGURE.join(parts)


def typeset(
    markdown: str | Path,
    pdf_path: str | Path,
    bibliography: str | Path,
    csl: str | Path,
    template: str | Path = TEMPLATE,
) -> int:
    """Write `pdf_path` from `markdown` (references from `bibliography` in the `csl` style; layout `template`);
    return the number of pages. Raises NetworkRefused if the manuscript names an image by URL."""
    import typst

    from common.study_font import FONT_DIR

    markdown, pdf_path = Path(markdown), Path(pdf_path)
    source = typst_source(markdown, Path(bibliography), Path(csl), Path(template))
    source, root = rooted(source, markdown.parent)
    if "#emph[" in source:
        # StudySans has no italic face: Typst sets emphasis upright (the manuscripts use none).
        log.warning("%s has emphasis, which StudySans (no italic face) sets upright", markdown)
    date = source_date()
    pdf = typst.compile(
        source.encode("utf-8"),
        root=str(root),
        font_paths=[str(FONT_DIR)],
        ignore_system_fonts=True,
        sys_inputs={"date": date} if date else {},
    )
    pdf_path.write_bytes(pdf)
    pages = page_count(pdf)
    log.info("typeset %s: %d pages -> %s", markdown, pages, pdf_path)
    return pages
