"""The leak gate: scan files for known identifiers (exact and normalised) and for identifier shapes.

Known identifiers are matched three ways:

- as text, case-folded with punctuation and spacing normalised ("ИВАНОВ И.И." finds "Иванов И. И.");
- as digits, ignoring separators ("+7 (916) 123-45-67" finds "89161234567" and "9161234567"), for every identifier
  that is a number (six or more digits and no letters: phones, SNILS, policy numbers);
- dates also in the other usual formats (DD.MM.YYYY, YYYY-MM-DD, DD/MM/YYYY, DD.MM.YY, digits only).

Shapes are searched whatever the list says: a SNILS or an INN with valid check digits, a Russian phone number, a full
date DD.MM.YYYY, a record number "ИБ-...", a 16-digit policy number. A finding reports the file, line, offset and
kind, never the value, so the gate's own report cannot leak; the file is moved to resources/quarantine/.

Text is folded before matching (deidentify.normalise, as the scrubber does), office documents (DOCX) are read part by
part with their tags stripped, web pages also without tags and with their embedded data URIs decoded, PDFs also by
their text layer (`pdftotext`, poppler-utils). The identifier
list the stage writes holds, besides the raw tables' values, every case form and Latin transliteration of every name
in the raw exports (`raw_side_identifiers`).
"""

from __future__ import annotations

import base64
import bisect
import html
import json
import logging
import multiprocessing
import re
import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from deidentify.identifiers import inn_is_valid, snils_is_valid
from deidentify.normalise import fold, fold_text
from deidentify.translit import GATE_SYSTEMS, name_parts, part_variants

log = logging.getLogger("leak_gate")

# A number as people write identifiers: digits with spaces, dashes, brackets or slashes, not inside a longer token
# (a hexadecimal pseudonym) and not a decimal fraction.
NUMBER_RUN = re.compile(r"(?<![0-9A-Za-z.,])\+?\d[\d ()\-/]*\d(?![0-9A-Za-z]|[.,]\d)")
TOKEN = re.compile(r"[^\W_]+")
NON_DIGIT = re.compile(r"\D")
DATE_LIKE = re.compile(r"(?<![\d.])(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})(?![\d.])")
SHAPES = {
    "snils": re.compile(r"(?<![0-9A-Za-z.,])\d{3}[- ]?\d{3}[- ]?\d{3}[- ]?\d{2}(?![0-9A-Za-z]|[.,]\d)"),
    # Not glued to a letter on either side: the start of a checksum ("89196253606a5f...", Snakemake's metadata)
    # is not a phone.
    "phone": re.compile(r"(?<![\d\w])(?:\+7|8)[ -]?\(?9\d{2}\)?[ -]?\d{3}[ -]?\d{2}[ -]?\d{2}(?![\d\w])"),
    "date": re.compile(r"(?<![\d.])\d{2}\.\d{2}\.(?:19|20)\d{2}(?![\d.])"),
    "record_number": re.compile(r"ИБ-?\s?\d{4,}", re.I),
    "policy": re.compile(r"(?<![0-9A-Za-z.,])\d{16}(?![0-9A-Za-z]|[.,]\d)"),
    "inn": re.compile(r"(?<![0-9A-Za-z.,])\d{4}[- ]?\d{6}[- ]?\d{2}(?![0-9A-Za-z]|[.,]\d)"),
}
MIN_TEXT_LENGTH = 5
# English words that are also a transliterated Russian name or case form (results/ is written in English).
# Eponyms of methods an English paper names (Markov chains, Kolmogorov-Smirnov test, Ilizarov frame) are Russian
# surnames too: in Latin letters alone they are not searched (the Cyrillic forms and full names still are).
ENGLISH_WORDS = frozenset(
    "marina roman diana bella regina victoria rosa maria angelina stella nelly markov kolmogorov smirnov chebyshev "
    "lyapunov ilizarov pavlov botkin pirogov sechenov mendeleev".split()
)  # shorter text identifiers (initials alone) would match everywhere


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    kind: str
    offset: int = -1  # character offset in the file's text (in `part` for a DOCX or an embedded file)
    part: str = ""  # a member of a DOCX (word/document.xml) or an embedded data URI of a page


LETTER = re.compile(r"[^\W\d_]")
NON_WORD_RUN = re.compile(r"[^\w]+")
DAY_MONTH_YEAR = re.compile(r"\s*(\d{2})\.(\d{2})\.(\d{4})\s*")
# The stamp of a reproducible build (SOURCE_DATE_EPOCH=0, the reproducible-builds convention): what the DOCX
# properties and an undated RO-Crate carry instead of the time of the run. It is a moment, written as an ISO
# timestamp at midnight UTC, never a patient's date. At registry size every day of the birth years is somebody's
# birth date (at 100,000 patients somebody is born on 1 January 1970), so without this exemption the final gate
# stops every large run on its own metadata. Only this exact form is exempt: "1970-01-01" alone, "01.01.1970" or
# "19700101" still count as a birth date where the list has one.
BUILD_STAMP = re.compile(r"1970-01-01T00:00:00(?:Z|\+00:00)?(?![\d.:])")


def normalise_text(value: str) -> str:
    return " ".join(NON_WORD_RUN.sub(" ", value.casefold()).split())


def as_date(day: str, month: str, year: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def date_key(found: re.Match) -> tuple[int, int, int] | None:
    """(year or two-digit year, month, day) of a date written D.M.Y, Y-M-D, D/M/Y or D.M.YY."""
    a, b, c = found.groups()
    if len(a) == 4:
        return int(a), int(b), int(c)
    if len(c) == 4 or (len(c) == 2 and len(a) == 2 and len(b) == 2):
        # A two-digit year only in the zero-padded form DD.MM.YY: "2.1.10" is a version number, not a date.
        return int(c), int(b), int(a)
    return None


def date_variants(value: str) -> set[tuple[int, int, int]]:
    m = DAY_MONTH_YEAR.fullmatch(value)
    if not m or as_date(*m.groups()) is None:
        return set()
    d, mo, y = (int(g) for g in m.groups())
    return {(y, mo, d), (y % 100, mo, d)}


class LeakScanner:
    def __init__(self, identifiers: list[str]):
        self.text: set[str] = set()
        self.digits: set[str] = set()
        self.dates: set[tuple[int, int, int]] = set()
        for value in identifiers:
            digits = NON_DIGIT.sub("", value)
            letter = LETTER.search(value) is not None
            variants = date_variants(value)
            if variants:
                self.dates |= variants
                self.digits |= {value[:2] + value[3:5] + value[6:10], value[6:10] + value[3:5] + value[:2]}
            elif len(digits) >= 6 and not letter:
                # Numbers written with separators only (phones, SNILS, policies) are matched by their digits. Digits
                # inside texts (house and flat numbers of an address, a record number's "ИБ-" prefix) are not: on
                # their own they are everyday numbers (counts, line numbers); those texts are matched whole.
                self.digits.add(digits)
                if len(digits) == 11 and digits[0] in "78":
                    self.digits.add(digits[1:])  # a phone without its country code
            if letter:
                normal = normalise_text(value)
                if len(normal) >= MIN_TEXT_LENGTH:
                    self.text.add(normal)
        self.text_lengths = sorted({len(t.split()) for t in self.text})
        self.first_words = {t.split()[0] for t in self.text}

    def scan_text(self, text: str, shapes_in: str | None = None) -> list[tuple[int, str]]:
        """(line, kind) of every finding in one text, at most one per line and kind. Identifier shapes are searched
        in `shapes_in` (the same text with parts blanked out, line for line) when given."""
        return sorted({(line, kind) for line, _, kind in self.scan_text_offsets(text, shapes_in)})

    def scan_text_offsets(self, text: str, shapes_in: str | None = None) -> list[tuple[int, int, str]]:
        """(line, offset, kind) of every finding, at most one per line and kind; the offset is the character offset
        of the first finding of that kind on that line, in `text`. The text is folded first (normalise.fold:
        invisible characters removed, NFKC, look-alike letters in each word's script), so "Иванoв" with a Latin o
        or "Ива\u00adнов" with a soft hyphen is found; offsets point into the original text. The regular
        expressions run over the whole text at once and their matches are mapped to lines: fast on registry-sized
        tables."""
        original = text
        text, index = fold(text)
        if shapes_in is not None:
            shapes_text, shapes_index = fold(shapes_in)
        else:
            shapes_text, shapes_index = text, index
        found: dict[tuple[int, str], int] = {}
        breaks = [m.start() for m in re.finditer("\n", original)]

        def add(position: int, kind: str, positions: Sequence[int]) -> None:
            offset = positions[position] if position < len(positions) else len(original)
            key = (bisect.bisect_right(breaks, offset - 1) + 1, kind)
            found[key] = min(found.get(key, offset), offset)

        line_start = 0
        # No line can hold an identifier whose first word the text lacks (words never cross a line break).
        lines = text.split("\n") if not self.first_words.isdisjoint(TOKEN.findall(text.casefold())) else []
        for line in lines:
            folded_line = line.casefold()
            if not self.first_words.isdisjoint(TOKEN.findall(folded_line)):
                words = [(m.start(), m.group()) for m in TOKEN.finditer(folded_line)]
                tokens = [w for _, w in words]
                for i in (i for i, w in enumerate(tokens) if w in self.first_words):
                    if any(" ".join(tokens[i : i + n]) in self.text for n in self.text_lengths):
                        add(line_start + words[i][0], "identifier", index)
                        break
            line_start += len(line) + 1
        for m in NUMBER_RUN.finditer(text):
            run = NON_DIGIT.sub("", m.group())
            if run in self.digits or (len(run) == 11 and run[1:] in self.digits):
                add(m.start(), "identifier_digits", index)
        for m in DATE_LIKE.finditer(text):
            if date_key(m) in self.dates and not BUILD_STAMP.match(text, m.start()):
                add(m.start(), "identifier_date", index)
        for kind, pattern in SHAPES.items():
            for m in pattern.finditer(shapes_text):
                if (kind != "snils" or snils_is_valid(m.group())) and (kind != "inn" or inn_is_valid(m.group())):
                    add(m.start(), f"pattern_{kind}", shapes_index)
        return sorted((line, offset, kind) for (line, kind), offset in found.items())

    def scan_file(self, path: Path) -> list[Finding] | None:
        """The findings in one file, or None if the file is gone."""
        try:
            if path.stat().st_size > 5_000_000:  # a large file takes a while: say which
                log.info("scanning %s (%d MB)", path, path.stat().st_size // 1_000_000)
            parts = list(texts_of(path))
        except FileNotFoundError:
            # Gone between listing and reading: a folder the gate scans is also written by jobs running beside
            # it (Snakemake removes an output before its job reruns). The final gate scans every file later.
            log.info("%s was removed while the gate ran (a job beside it is rewriting it); not scanned", path)
            return None
        return [
            Finding(str(path), line, kind, offset, part)
            for part, text, shapes_in in parts
            for line, offset, kind in self.scan_text_offsets(text, shapes_in)
        ]

    def scan_files(self, paths: list[Path], workers: int = 1) -> tuple[list[Finding], int]:
        """Every file, in path order; with `workers` > 1 the files are shared among that many processes (forked:
        each has this scanner), with the same findings in the same order."""
        paths = sorted(paths)
        if workers > 1 and len(paths) > 1 and "fork" in multiprocessing.get_all_start_methods():
            global _SCANNER
            _SCANNER = self
            try:
                # Largest files first, so that no worker is left with a large one at the end; results in path order.
                order = sorted(range(len(paths)), key=lambda i: -_size(paths[i]))
                with multiprocessing.get_context("fork").Pool(min(workers, len(paths))) as pool:
                    scanned = pool.map(_scan_file, [paths[i] for i in order], chunksize=1)
                results = [None] * len(paths)
                for i, result in zip(order, scanned, strict=True):
                    results[i] = result
            finally:
                _SCANNER = None
        else:
            results = [self.scan_file(path) for path in paths]
        found = [r for r in results if r is not None]
        return [f for r in found for f in r], len(found)


_SCANNER: LeakScanner | None = None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _scan_file(path: Path) -> list[Finding] | None:
    """One file, in a worker process of LeakScanner.scan_files."""
    assert _SCANNER is not None
    return _SCANNER.scan_file(path)


OFFICE_SUFFIXES = (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp")
PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.S)
DATA_URI = re.compile(r"data:([\w/+.-]+)(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)")


def xml_text(xml: str) -> str:
    """The text of an XML part: paragraph and row ends become newlines, other tags vanish (so a name split over
    several runs of a DOCX is read whole)."""
    xml = re.sub(r"</(?:w:p|a:p|text:p|text:h|row|si|w:tr)>|<w:br/>|<w:tab/>", "\n", xml)
    text = re.sub(r"<[^>]+>", "", xml)
    return html.unescape(text)


def texts_of(path: Path):
    """(part, text, shapes_in) of each text a file holds: the file itself; the XML parts of an office document
    (DOCX: word/document.xml, headers, footers, comments, docProps); for a web page, its text without tags and each
    embedded data URI (a report embeds the files it shows); for a PDF, its dictionaries and its text layer."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in OFFICE_SUFFIXES and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for name in sorted(z.namelist()):
                if name.endswith((".xml", ".rels")):
                    yield name, xml_text(z.read(name).decode("utf-8", errors="replace")), None
        return
    if suffix == ".pdf":
        # A PDF's text is in compressed streams, drawn in subset fonts: it is read as a reader would, with its
        # metadata; outside the streams, its dictionaries are scanned as bytes. The streams' bytes (compressed
        # pages, fonts and images: noise, and 2.6 s of scanning for the manuscript's PDF) are not.
        yield "", PDF_STREAM.sub(b"stream endstream", data).decode("utf-8", errors="replace"), None
        yield "(text layer and metadata)", pdf_text(path), None
        return
    # Binary files (figures) are scanned for their embedded text: metadata, text chunks, SVG text.
    text = png_without_pixels(data).decode("utf-8", errors="replace")
    if suffix in (".html", ".htm"):
        # Script bodies are vendor code (Snakemake's report bundles JavaScript libraries whose credits hold common
        # first names in Latin letters and whose constants look like policy numbers): the page is scanned with them
        # blanked; what a report embeds (the results files, as data URIs) is decoded and scanned below.
        masked = mask_scripts(text)
        # The page's own text is scanned without the base64 of its data URIs: what they encode is decoded and
        # scanned below, and as base64 it is no text anyone wrote (a page with its figures inline is mostly base64:
        # 0.96 of the manuscript's megabyte, and most of the gate's time on it). Base64 holds no line break, so a
        # finding's line is the page's; its offset is in the page without the base64.
        yield "", DATA_URI.sub(lambda m: m.group(0)[: m.start(2) - m.start()], masked), None
        yield "(text without tags)", xml_text(masked), None
        for n, m in enumerate(DATA_URI.finditer(text)):
            try:
                embedded = base64.b64decode(m.group(2), validate=False)
            except ValueError:
                continue
            if embedded[:2] == b"PK" or m.group(1).startswith(("image/jpeg", "font/")):
                continue
            # A PNG's text chunks (metadata) are scanned as in a PNG file, without its pixels (png_without_pixels).
            embedded = png_without_pixels(embedded) if m.group(1).startswith("image/png") else embedded
            yield f"(embedded data URI {n + 1}, {m.group(1)})", embedded.decode("utf-8", errors="replace"), None
        return
    yield "", text, None


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_without_pixels(data: bytes) -> bytes:
    """A PNG with the data of each IDAT chunk cut down to the newline bytes it holds, everything else as it is; any
    other file unchanged. IDAT holds the image's pixels, deflate-compressed: no text a person wrote can be read
    there, but decoded as UTF-8 it is a stream of random characters that took most of the gate's time on figures
    (each folded on its own: about a second over the run's figures). The chunks that hold text (tEXt, zTXt and iTXt
    metadata, eXIf), every chunk header and CRC and anything after IEND are kept; from a chunk whose stated length
    runs past the end of the file on (malformed, truncated), the bytes are kept as they are. A finding's line is
    the same as in the whole file; its offset is in the text without the pixels."""
    if not data.startswith(PNG_SIGNATURE):
        return data
    parts, pos, kept = [], len(PNG_SIGNATURE), 0
    while pos + 12 <= len(data):  # length (4), type (4), data, CRC (4)
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        start, end = pos + 8, pos + 8 + length
        if end + 4 > len(data):
            break
        if kind == b"IDAT":
            parts += [data[kept:start], b"\n" * data.count(b"\n", start, end)]
            kept = end
        pos = end + 4
        if kind == b"IEND":
            break
    return b"".join([*parts, data[kept:]])


def pdf_text(path: Path) -> str:
    """The text layer of a PDF and its metadata (title, author, keywords...) as pdftotext (poppler-utils) reads them,
    about 10 ms a file. Without pdftotext only the PDF's uncompressed dictionaries are scanned; the manuscript's PDF
    has no text that its HTML, also scanned, lacks."""
    if shutil.which("pdftotext") is None:
        log.warning("pdftotext (poppler-utils) is not installed: %s is scanned without its text layer", path)
        return ""
    result = subprocess.run(
        ["pdftotext", "-q", "-htmlmeta", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False, timeout=120
    )
    if result.returncode != 0:
        raise ValueError(f"pdftotext could not read {path} (exit {result.returncode}): not scanned")
    return result.stdout.decode("utf-8", errors="replace")


def mask_scripts(html: str) -> str:
    """The page with the content of its <script> blocks blanked (newlines kept). Bundled JavaScript (Snakemake's
    report) is full of large integer constants that look like policy numbers and of first names in its credits; the
    files a report embeds are scanned on their own (data URIs), and so are the results files themselves."""
    return re.sub(
        r"(<script\b[^>]*>)(.*?)(</script>)",
        lambda m: m.group(1) + re.sub(r"[^\n]", " ", m.group(2)) + m.group(3),
        html,
        flags=re.S | re.I,
    )


def files_under(roots: list[str | Path], exclude: set[Path]) -> list[Path]:
    out = []
    for root in roots:
        root = Path(root)
        if root.is_file():
            out.append(root)
        elif root.is_dir():
            out += [p for p in root.rglob("*") if p.is_file()]
    excluded = {e.resolve() for e in exclude}
    return [p for p in out if p.resolve() not in excluded]


def quarantine(paths: list[Path], folder: Path, keep: set[Path]) -> list[tuple[Path, Path]]:
    """Move files with findings out of results/ and logs/ into `folder` (on the raw side, under resources/), at
    their relative path, so nothing flagged stays where outputs are published. Files outside the project and the
    files in `keep` (the gate's own log and lists) stay."""
    moved = []
    here = Path.cwd().resolve()
    keep = {k.resolve() for k in keep}
    for path in sorted(set(paths)):
        resolved = path.resolve()
        if resolved in keep or not resolved.exists() or not resolved.is_relative_to(here):
            continue
        target = folder / resolved.relative_to(here)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(resolved), target)
        moved.append((path, target))
    return moved


def run_leak_gate(
    identifier_lists: list[str],
    declared_inputs: list[str],
    scan: list[str],
    report_path: str,
    log_path: str,
    log: logging.Logger,
    quarantine_folder: str | None = "resources/quarantine",
    workers: int = 1,
) -> None:
    """The leak gate of a rule: scan every file under `scan` (logs too, whichever rule wrote them) and every declared
    input for the identifiers of `identifier_lists`; write the report, or move every file with a finding to
    `quarantine_folder` (outside results/) and stop the run naming file, line, offset and kind, never the value.
    `workers` processes share the files (the final gate runs alone at the end of the run: both cores).

    The report is part of results/ and must be byte-identical across runs: it names what the rule depends on, not
    how many log files other jobs happened to have written by then (that goes to the log).
    """
    identifiers = sorted(
        {value for path in identifier_lists for value in json.loads(Path(path).read_text(encoding="utf-8"))}
    )
    lists = {Path(p).resolve() for p in identifier_lists}
    declared = sorted({Path(p) for p in declared_inputs if Path(p).resolve() not in lists and Path(p).suffix != ".py"})
    paths = sorted(set(files_under(scan, exclude={Path(report_path)})) | set(declared))
    findings, scanned = LeakScanner(identifiers).scan_files(paths, workers)
    log.info(
        "scanned %d files (%d declared inputs, the rest found in %s) for %d identifiers and identifier "
        "patterns: %d findings",
        scanned,
        len(declared),
        scan,
        len(identifiers),
        len(findings),
    )
    if findings:
        for f in findings:
            where = f"{f.file}" + (f" [{f.part}]" if f.part else "")
            log.error("possible identifier in %s, line %d, offset %d (%s)", where, f.line, f.offset, f.kind)
        moved = []
        if quarantine_folder:
            keep = {Path(log_path), *map(Path, identifier_lists)}
            moved = quarantine([Path(f.file) for f in findings], Path(quarantine_folder), keep)
            for source, target in moved:
                log.error("quarantined %s -> %s", source, target)
        first = findings[0]
        raise SystemExit(
            f"leak gate: {len(findings)} possible identifiers in {len({f.file for f in findings})} files written "
            f"after de-identification (first: {first.file}{f' [{first.part}]' if first.part else ''}, line "
            f"{first.line}, offset {first.offset}, {first.kind}); {len(moved)} files moved to {quarantine_folder}; "
            f"see {log_path}"
        )
    report = {
        "identifiers_checked": len(identifiers),
        "declared_inputs_scanned": [str(p) for p in declared],
        "findings": [],
    }
    Path(report_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def name_words(texts, protected: set[str], morph=None) -> set[str]:
    """The words of names (found by the scrubber or read from name columns) that are worth a leak-gate entry:
    capitalised, four letters or more, not a protected (clinical, configured) term, and read by the dictionary as
    a name, surname or patronymic or not known to it at all."""
    from deidentify.translit import morph_analyzer

    morph = morph or morph_analyzer()
    # The dictionary's answer per lower-case word, asked once: names recur across the texts (a patient's surname
    # in every note), and each look-up walks pymorphy3's pure-Python DAWG.
    answers: dict[str, bool] = {}
    out = set()
    for text in texts:
        for word in re.findall(r"[^\W\d_]+", fold_text(text)):
            folded = word.casefold()
            if len(word) < 4 or not word[0].isupper() or folded in protected or folded in IDENTIFIER_KEYWORDS:
                continue
            low = word.lower()
            if low not in answers:
                parses = morph.parse(low)
                answers[low] = any({"Name", "Surn", "Patr"} & set(map(str, p.tag.grammemes)) for p in parses) or not (
                    morph.word_is_known(low)
                )
            if answers[low]:
                out.add(word)
    return out


def name_identifiers(full_names, protected: set[str] = frozenset()) -> set[str]:
    """Every case form of every part of each name, in Cyrillic and in each Latin transliteration, for the leak
    gate (parts shorter than the scanner's minimum are left out: they would match everyday words)."""
    # name_variants of each name, taken once per distinct part (parts recur across a registry's names).
    forms: set[str] = set()
    for part in {part for name in full_names for part in name_parts(name)}:
        forms |= part_variants(part, GATE_SYSTEMS)
    return {
        form for form in forms if len(form) >= MIN_TEXT_LENGTH and form not in protected and form not in ENGLISH_WORDS
    }


def protected_words(*documents) -> set[str]:
    """Every word of the given configuration documents (config, codebook: bone names, procedures, diagnoses),
    case-folded: clinical vocabulary that is never taken for a name."""
    out: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(k)
                walk(v)
        elif isinstance(node, (list, tuple)):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            out.update(w.casefold() for w in re.findall(r"[^\W\d_]+", node))

    for document in documents:
        walk(document)
    return out


NAME_ROLES = ("name", "staff_id")
# Words that introduce an identifier ("СНИЛС 123-456-789 01"): capitalised, unknown to the dictionary, sometimes
# tagged as a name by NER, but never a name; as leak-gate entries they would flag every scrubbed "СНИЛС [НОМЕР]".
IDENTIFIER_KEYWORDS = frozenset(
    "снилс инн омс енп полис паспорт телефон тел адрес мкр микрорайон карта история e-mail email".split()
)
NOT_TEXT_ROLES = ("patient_id", "identifier", "birth_date", "date")


def raw_names(raw_tables: dict, columns: dict) -> set[str]:
    """The names the raw tables hold in their name and staff columns."""
    out = set()
    for table, rt in raw_tables.items():
        for column, role in columns.get(table, {}).items():
            if role in NAME_ROLES and column in rt.data:
                out.update(v.strip() for v in rt.data[column] if isinstance(v, str) and v.strip())
    return out


def raw_side_identifiers(identifiers, raw_tables: dict, columns: dict, scrubber, protected: set[str]) -> list[str]:
    """The leak gate's identifier list, built from all raw text: the stage's list, plus every case form and Latin
    transliteration of every name in the name and staff columns and of every name the scrubber found in any other
    text column of the raw exports (free text it scrubbed, coded and dropped columns too).

    NER runs on the free text that crosses the boundary (the scrub has already tagged it: cached); the other
    columns (coded labels, notes and other dropped columns) get the scrubber's dictionary, pattern and known-name
    passes only. Tagging every dropped note with the neural NER cost about a minute on the twin's 589 notes, three
    times the whole run's budget, for names that never leave the raw side unless they also occur in scrubbed text."""
    names = raw_names(raw_tables, columns)
    found = set(scrubber.found_names)
    for table, rt in raw_tables.items():
        roles = columns.get(table, {})
        for column in rt.data.columns:
            if roles.get(column) in NAME_ROLES + NOT_TEXT_ROLES:
                continue
            ner = roles.get(column) == "free_text"
            for value in set(rt.data[column]):
                if isinstance(value, str) and re.search(r"[^\W\d_]", value):
                    # each distinct value once: nothing to remember (a registry's notes are a million texts)
                    spans = scrubber.find(value, None, ner=ner, remember=False)
                    found.update(value[s:e] for s, e, kind in spans if kind == "name")
    words = name_words(found | names, protected)  # one pass: the dictionary is asked once per word
    extra = name_identifiers(words | names, protected)
    return sorted(set(identifiers) | extra)


def main(argv: list[str] | None = None) -> int:
    """Gate files written after the workflow, above all the report `snakemake --report` builds (no rule writes it,
    so the last rule cannot scan it): `python -m deidentify.leaks results/report.html` scans it with the run's
    identifier lists, writes results/report_leak_check.json, or moves it to resources/quarantine/ and stops naming
    file, line, offset and kind, never the value."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m deidentify.leaks", description=main.__doc__)
    parser.add_argument("paths", nargs="*", default=["results/report.html"], help="files or folders to scan")
    parser.add_argument(
        "--identifiers",
        nargs="+",
        default=[p for p in ("resources/deid/identifiers.json", "resources/synthetic/identifiers.json")],
        help="identifier lists (default: the run's, those that exist)",
    )
    parser.add_argument("--report", default="results/report_leak_check.json")
    parser.add_argument("--log", default="logs/check_report_for_leaks.log")
    args = parser.parse_args(argv)
    lists = [p for p in args.identifiers if Path(p).exists()]
    missing = [p for p in args.paths if not Path(p).exists()]
    if missing or not lists:
        print(
            f"leak gate: nothing to scan ({', '.join(missing)} missing: build it first, snakemake --report "
            f"results/report.html)"
            if missing
            else "leak gate: no identifier list (resources/deid/identifiers.json): run the workflow first",
            file=sys.stderr,
        )
        return 2
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    gate_log = logging.getLogger("leak_gate.report")
    gate_log.setLevel(logging.INFO)
    handler = logging.FileHandler(args.log, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    gate_log.addHandler(handler)
    try:
        run_leak_gate(lists, [], args.paths, args.report, args.log, gate_log)
    except SystemExit as stop:
        print(stop, file=sys.stderr)
        return 1
    finally:
        gate_log.removeHandler(handler)
        handler.close()
    print(f"leak gate: 0 findings in {', '.join(args.paths)}; report {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
