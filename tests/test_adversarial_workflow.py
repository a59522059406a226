"""The adversarial corpus as a centre's raw exports (tests/adversarial_exports.py), run through the whole workflow.

One run, shared by the assertions: the real workflow on the exports and their config override only (source real,
review mode for labels the codebook cannot know), the report built and gated after it. Then no planted identifier
may be found, in any normalised form, in any file outside resources/: results/ (the report included), logs/ and
.snakemake/ (Snakemake's logs and metadata). A failure names the file and the kind and where the identifier was
planted, never the value.

A second run on a copy whose scrubber lets names through must be stopped by the leak gate, with the affected
outputs moved out of results/ and the gate naming file, offset and kind, never the value.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import unicodedata
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
import yaml
from adversarial_exports import Planted, build, override
from conftest import ENV, ROOT, SKIP, SNAKEMAKE

from deidentify.normalise import fold_text

KEY = "a key for the adversarial exports, kept outside the repository"
MIN_TEXT = 5
MIN_DIGITS = 6


def normal(text: str) -> str:
    """NFKC, look-alike letters read back and invisible characters removed (deidentify.normalise), case-folded,
    every run of non-word characters one space."""
    text = fold_text(unicodedata.normalize("NFKC", text))
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


# A number as written with separators: digits with at most one separator between them.
NUMBER = re.compile(r"\d(?:[ \u00a0\-./()_]?\d)*")


class Needles:
    """What to look for: each planted text in normal form (and each word of a name, five letters or more), and each
    planted number as digits only (phones also without the country code)."""

    def __init__(self, planted: Planted):
        self.texts: dict[str, tuple[str, str]] = {}
        self.numbers: dict[str, tuple[str, str]] = {}
        for value, kind, where in planted.values:
            if re.search(r"[^\W\d_]", value):
                key = normal(value)
                if len(key) >= MIN_TEXT:
                    self.texts.setdefault(key, (kind, where))
                if kind.startswith("name") or kind in ("email", "url"):
                    for word in key.split():
                        if len(word) >= MIN_TEXT and (kind.startswith("name") or re.search(r"\d", word)):
                            self.texts.setdefault(word, (kind, where))
            digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
            if len(digits) >= MIN_DIGITS and not re.search(r"[^\W\d_]", value):
                self.numbers.setdefault(digits, (kind, where))
                if len(digits) == 11 and digits[0] in "78":
                    self.numbers.setdefault(digits[1:], (kind, where))
        self.by_first: dict[str, list[tuple[list[str], str, str]]] = {}
        for key, (kind, where) in self.texts.items():
            words = key.split()
            self.by_first.setdefault(words[0], []).append((words, kind, where))

    def find(self, text: str) -> list[tuple[str, str, str]]:
        """(how, kind, where planted) of every planted identifier in the text."""
        hits = []
        tokens = normal(text).split()
        for i, token in enumerate(tokens):
            for words, kind, where in self.by_first.get(token, ()):
                if tokens[i : i + len(words)] == words:
                    hits.append(("text", kind, where))
        runs = {re.sub(r"\D", "", m.group()) for m in NUMBER.finditer(unicodedata.normalize("NFKC", text))}
        for run in (r for r in runs if len(r) >= MIN_DIGITS):
            # A planted number is the run, or the run with up to three more digits around it (a country code).
            for i in range(4):
                for j in range(4 - i):
                    kind_where = self.numbers.get(run[i : len(run) - j])
                    if kind_where:
                        hits.append(("digits", *kind_where))
        return hits


DATA_URI = re.compile(rb"data:[\w/+.-]+(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)")
# A run of base64 long enough to be an embedded file (Snakemake's report keeps the results it shows as base64 strings
# in its scripts, without a data: prefix).
BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{200,}={0,2}")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_texts(png: bytes):
    """The text a PNG can carry: its tEXt, zTXt and iTXt chunks (keyword and text). Its pixel data is compressed
    bytes, not text: read as text it holds chance runs of digits that match planted numbers (a false leak)."""
    import zlib

    position = len(PNG_SIGNATURE)
    while position + 8 <= len(png):
        length = int.from_bytes(png[position : position + 4], "big")
        kind, body = png[position + 4 : position + 8], png[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"tEXt":
            yield body.decode("latin-1")
        elif kind == b"zTXt":
            keyword, _, rest = body.partition(b"\0")
            yield keyword.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            keyword, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _language, _, rest = rest.partition(b"\0")
            translated, _, text = rest.partition(b"\0")
            text = zlib.decompress(text) if compressed else text
            yield " ".join(part.decode("utf-8", errors="replace") for part in (keyword, translated, text))


def pdf_texts(pdf: bytes):
    """The text a PDF shows and its metadata (poppler's pdftotext and pdfinfo, as the final leak gate reads PDFs);
    its compressed streams read as text would hold chance runs of digits."""
    for tool in (["pdftotext", "-q", "-", "-"], ["pdfinfo", "-"]):
        if shutil.which(tool[0]) is None:
            pytest.fail(f"{tool[0]} is missing: install poppler-utils (.ci/run does)")
        yield subprocess.run(tool, input=pdf, capture_output=True, check=True).stdout.decode("utf-8", "replace")


def readable_texts(data: bytes, depth: int = 0):
    """What a reader of these bytes sees: a PNG's text chunks, a PDF's text and metadata, each part of an office
    document (its XML without tags), and anything else as UTF-8 text, read without its embedded base64 (data URIs and
    long base64 strings), which is decoded and read the same way on its own, down to three levels (the report
    embeds the manuscripts' pages, which embed their figures). Base64 and compressed bytes are no text anyone wrote:
    read as text, their megabytes hold chance runs of six digits that match planted numbers (a false leak)."""
    if data.startswith(PNG_SIGNATURE):
        yield from png_texts(data)
    elif data.startswith(b"%PDF"):
        yield from pdf_texts(data)
    elif data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(BytesIO(data)) as z:
            for name in z.namelist():
                for text in readable_texts(z.read(name), depth + 1):
                    yield re.sub(r"<[^>]+>", "", text)
    else:
        yield BASE64_RUN.sub(b" ", DATA_URI.sub(b"data: ", data)).decode("utf-8", errors="replace")
        if depth < 3:
            for m in (*DATA_URI.finditer(data), *BASE64_RUN.finditer(data)):
                blob = base64.b64decode(m.group(m.lastindex or 0) + b"==", validate=False)
                yield from readable_texts(blob, depth + 1)


def texts_in(path: Path):
    """The file as its readers see it (readable_texts)."""
    yield from readable_texts(path.read_bytes())


def outside_resources(project: Path) -> list[Path]:
    roots = [project / "results", project / "logs", project / ".snakemake"]
    return sorted(p for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def gate_findings(project: Path) -> str:
    """The leak gates' findings (file, line, offset, kind: never a value), for a failure message."""
    lines = []
    for log in ("check_deidentified_for_leaks", "check_results_for_leaks", "check_report_for_leaks"):
        path = project / "logs" / f"{log}.log"
        if path.exists():
            lines += [line for line in path.read_text(encoding="utf-8").splitlines() if "possible identifier" in line]
    return "\n".join(lines[:40])


def run_on(project: Path, config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**ENV, "STUDY_PSEUDONYM_KEY": KEY}
    return subprocess.run(
        SNAKEMAKE + ["--cores", "2", *args, "--configfile", str(config)],  # --configfile takes every word after it
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.fixture(scope="module")
def adversarial_exports(twin_dir, config, tmp_path_factory):
    where = tmp_path_factory.mktemp("adversarial")
    planted = build(twin_dir, config, where / "exports")
    (where / "adversarial.yaml").write_text(
        yaml.safe_dump(override(where / "exports"), allow_unicode=True), encoding="utf-8"
    )
    return where, planted


@pytest.fixture(scope="module")
def adversarial_run(adversarial_exports):
    where, planted = adversarial_exports
    project = where / "study"
    shutil.copytree(ROOT, project, ignore=SKIP)
    config = where / "adversarial.yaml"
    result = run_on(project, config)
    report = None
    if result.returncode == 0:  # the documented command: build the report, then gate it
        report = run_on(project, config, "--report", "results/report.html")
        if report.returncode == 0:
            report = subprocess.run(
                [__import__("sys").executable, "-m", "deidentify.leaks", "results/report.html"],
                cwd=project,
                capture_output=True,
                text=True,
                env={**ENV, "PYTHONPATH": str(project / "scripts")},
            )
    return project, planted, result, report


@pytest.mark.workflow
def test_adversarial_exports_run_through_the_whole_workflow(adversarial_run):
    project, _, result, report = adversarial_run
    assert result.returncode == 0, (
        f"the run stopped; leak-gate findings:\n{gate_findings(project)}\n" + (result.stderr[-3000:])
    )
    assert (project / "results" / "paper" / "manuscript.html").exists()
    assert report is not None and report.returncode == 0, (report.stdout + report.stderr)[-3000:]
    assert (project / "results" / "report.html").exists()


@pytest.mark.workflow
def test_no_planted_identifier_outside_resources(adversarial_run):
    project, planted, _, _ = adversarial_run
    needles = Needles(planted)
    assert len(needles.texts) > 300 and len(needles.numbers) > 100
    files = outside_resources(project)
    assert any(p.name == "clean_cohort.log" for p in files)  # the logs after the boundary are searched too
    leaks = set()
    for path in files:
        for text in texts_in(path):
            for how, kind, where in needles.find(text):
                leaks.add(f"{path.relative_to(project)}: {kind} ({how}), planted in {where}")
    assert not leaks, f"{len(leaks)} planted identifiers outside resources/:\n" + "\n".join(sorted(leaks)[:60])


@pytest.mark.workflow
def test_review_mode_excludes_the_patients_with_identifiers_in_coded_cells(adversarial_run):
    project, _, result, _ = adversarial_run
    if result.returncode != 0:
        pytest.fail(f"the run stopped; leak-gate findings:\n{gate_findings(project)}")
    flow = yaml.safe_load((project / "results" / "cleaning" / "flow.json").read_text(encoding="utf-8"))
    assert flow["excluded"].get("label_needs_review", 0) >= 6
    assert flow["patients_analysed"] > 150


def test_planted_identifiers_are_found_by_the_test_itself(adversarial_exports):
    """The assertion above must fail on a real leak: every planted kind is found in the exports it was planted in,
    in some normalised form, and nothing is found in clinical text."""
    where, planted = adversarial_exports
    needles = Needles(planted)
    found = set()
    for path in (where / "exports").glob("*.csv"):
        found |= {kind for _, kind, _ in needles.find(path.read_text(encoding="utf-8"))}
    kinds = {kind for _, kind, _ in planted.values}
    missing = {k for k in kinds - found if k not in ("passport",)}  # split series/numbers are under six digits
    assert not missing, missing
    assert needles.find("Эндопротезирование бедренной кости 12.03.2015, ECOG 2, p = 0.0123456, n = 247.") == []
    folded = next(v for v, k, _ in planted.values if k == "name")
    assert needles.find(f"x {folded.upper().replace('о', 'o')} y")  # a Latin look-alike in capitals


def test_images_and_pdfs_are_read_for_their_text(tmp_path):
    """The search reads what an image or a PDF carries as text (PNG text chunks, the PDF's text and metadata), files
    or embedded as base64 in a page, and not their compressed bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from PIL import Image, PngImagePlugin

    name = "Толоконникова Агата"
    figure = Figure(figsize=(2, 1))
    figure.text(0.1, 0.5, name)
    pdf, png = BytesIO(), BytesIO()
    figure.savefig(pdf, format="pdf", metadata={"Author": "Иванов 4509123456"})
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Comment", "passport 4509 123456")
    chunks.add_itxt("Author", name, zip=True)
    Image.new("RGB", (4, 4)).save(png, format="PNG", pnginfo=chunks)
    (tmp_path / "figure.pdf").write_bytes(pdf.getvalue())
    page = b'<img src="data:image/png;base64,' + base64.b64encode(png.getvalue()) + b'">'
    (tmp_path / "page.html").write_bytes(page)
    pdf_text = " ".join(texts_in(tmp_path / "figure.pdf"))
    assert name in pdf_text and "4509123456" in pdf_text  # the drawn text and the metadata
    page_text = " ".join(texts_in(tmp_path / "page.html"))
    assert "4509 123456" in page_text and name in page_text
    # Bytes that are neither stay text, decoded.
    assert "4509 123456" in " ".join(readable_texts("паспорт 4509 123456".encode()))


@pytest.mark.workflow
def test_a_scrubber_that_lets_names_through_is_stopped_by_the_gate(adversarial_exports):
    """A copy of the project whose scrubber drops its name spans: the first gate stops the run, moves the tables
    to resources/quarantine/ and names file, line, offset and kind, never the value."""
    where, planted = adversarial_exports
    project = where / "leaky"
    shutil.copytree(ROOT, project, ignore=SKIP)
    scrub = project / "scripts" / "deidentify" / "scrub.py"
    scrub.write_text(
        scrub.read_text(encoding="utf-8")
        + "\n\n_find = Scrubber.find\n\n\n"
        + "def _leaky_find(self, text, patient=None, ner=True, **options):\n"
        + '    return [s for s in _find(self, text, patient, ner, **options) if s[2] != "name"]\n\n\n'
        + "Scrubber.find = _leaky_find\n",
        encoding="utf-8",
    )
    # Free text crosses only where the config names it: let the diagnosis text and the procedure cross, so that
    # the names the leaky scrubber lets through reach a de-identified table.
    settings = yaml.safe_load((where / "adversarial.yaml").read_text(encoding="utf-8"))
    settings.setdefault("deidentification", {})["free_text_passes"] = ["operations.procedure", "diagnoses.primary_text"]
    leaky = where / "leaky.yaml"
    leaky.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    result = run_on(project, leaky, "results/deid/leak_check.json")
    assert result.returncode != 0
    log = (project / "logs" / "check_deidentified_for_leaks.log").read_text(encoding="utf-8")
    assert re.search(r"results/deid/operations\.tsv, line \d+, offset \d+ \(identifier\)", log), log[-2000:]
    quarantined = project / "resources" / "quarantine" / "results" / "deid" / "operations.tsv"
    assert quarantined.exists() and not (project / "results" / "deid" / "operations.tsv").exists()
    needles = Needles(Planted([v for v in planted.values if v[1].startswith("name")]))
    assert needles.find(log) == []
    assert needles.find(result.stdout + result.stderr) == []
    assert not [p for p in outside_resources(project) for t in texts_in(p) if needles.find(t)]
