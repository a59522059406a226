"""The paper rebuilds: manuscript (HTML, DOCX), notebook, report, provenance, and a look in a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import matplotlib.image
import pytest
from conftest import ROOT, SNAKEMAKE, run

from common.study import MANUSCRIPT_FIGURES, SUPPLEMENT_FIGURES
from manuscript.render import Formatter, context, render_markdown, results_section, typed_numbers

TEMPLATE = ROOT / "workflow" / "templates" / "manuscript.md.j2"
PUBLISHED_CAUSES = [
    "mistakes in preoperative diagnosis 3",
    "postoperative infection 6",
    "dislocation of the endoprosthesis 4",
    "continued growth of a solitary metastasis after osteosynthesis 5",
    "aseptic instability after intramedullary osteosynthesis 14",
    "traumatic fracture of the endoprosthesis stem 1",
]


def figures_of(project: Path) -> list[tuple[Path, Path]]:
    """The manuscript's figures in a built project, each with its caption file, as the rule passes them."""
    return [(project / f, ROOT / "workflow" / "report" / f"{Path(f).stem}.rst") for f in MANUSCRIPT_FIGURES]


def text_of(path: Path) -> str:
    return " ".join(path.read_text(encoding="utf-8").split())


def test_manuscript_carries_the_published_numbers(full_run):
    for name in ("manuscript.md", "manuscript.html"):
        text = re.sub(r"<[^>]+>", "", text_of(full_run / "results" / "paper" / name))
        assert "Of 247 patients (median age 62 years), 33" in text, name
        for cause in PUBLISHED_CAUSES:
            assert cause in text, (name, cause)
        assert (
            "breast cancer 10, kidney cancer 13, lung cancer 3, prostate cancer 2, rectal cancer 3, liver cancer "
            "1 and Ewing sarcoma 1" in text
        )


def test_the_default_run_reports_its_bootstrap_intervals(full_run, config):
    """1,000 resamples by default; every interval holds its point estimate, none failed, and the manuscript quotes
    the two-year one beside the analytic interval."""
    numbers = json.loads((full_run / "results" / "numbers.json").read_text(encoding="utf-8"))
    boot = numbers["bootstrap"]
    assert boot["resamples"] == config["bootstrap"]["resamples"] >= 1000
    for horizon in config["bootstrap"]["horizons"]:
        interval = boot["intervals"][f"cif_{horizon}"]
        assert interval["failed"] == 0 and interval["replicates"] == boot["resamples"]
        assert interval["lower"] < numbers["cif_revision"][horizon] < interval["upper"]
    two_years = boot["intervals"]["cif_2y"]
    text = text_of(full_run / "results" / "paper" / "manuscript.md")
    quoted = f"{100 * two_years['lower']:.1f} % to {100 * two_years['upper']:.1f} %"
    assert f"bootstrap percentile interval was {quoted}" in text


def test_docx_holds_the_same_text_and_the_figures(full_run):
    with zipfile.ZipFile(full_run / "results" / "paper" / "manuscript.docx") as docx:
        document = re.sub(r"<[^>]+>", "", docx.read("word/document.xml").decode("utf-8"))
        media = [n for n in docx.namelist() if n.startswith("word/media/")]
    assert "247" in document and "aseptic instability after intramedullary osteosynthesis" in document
    assert len(media) == len(MANUSCRIPT_FIGURES) + len(SUPPLEMENT_FIGURES)


def test_html_embeds_every_figure(full_run):
    html = (full_run / "results" / "paper" / "manuscript.html").read_text(encoding="utf-8")
    sources = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert len(sources) == len(MANUSCRIPT_FIGURES) + len(SUPPLEMENT_FIGURES) and all(
        s.startswith("data:image/png;base64,") for s in sources
    )


def test_results_section_holds_no_number_that_is_not_injected(full_run):
    results = full_run / "results"
    ctx = context(
        results,
        figures_of(full_run),
        results / "paper",
        {"python": "3.11"} | {k: "x" for k in ("snakemake", "pandas", "numpy", "scipy", "matplotlib", "natasha")},
        True,
        Formatter(mark=True),
    )
    marked = render_markdown(TEMPLATE, ctx, Formatter(mark=True))
    section = results_section(marked)
    assert "⟦247⟧" in section
    assert typed_numbers(section) == []


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_a_typed_number_in_the_results_is_caught(tmp_path, full_run, monkeypatch, lang):
    """A number typed into the results, in the template or in a glossary message of either language, is caught."""
    import manuscript.render as render

    template = tmp_path / "manuscript.md.j2"
    template.write_text(
        TEMPLATE.read_text(encoding="utf-8").replace(
            '{{ tr("results.revisions") }}', '{{ tr("results.revisions") }} (7 of them twice.)'
        ),
        encoding="utf-8",
    )
    glossary = dict(render.load())
    message = dict(glossary["text.results.revisions"])
    message[lang] += " (about 13 in 100)"
    glossary["text.results.revisions"] = message
    monkeypatch.setattr(render, "load", lambda *args: glossary)
    results = full_run / "results"
    software = {k: "x" for k in ("python", "snakemake", "pandas", "numpy", "scipy", "matplotlib", "natasha")}
    f = Formatter(mark=True, lang=lang)
    ctx = context(results, figures_of(full_run), results / "paper", software, True, f)
    typed = typed_numbers(results_section(render_markdown(template, ctx, f), lang))
    assert typed == ["13", "100)", "(7"], typed


def test_every_claim_is_printed_as_claims_tsv_states_it(full_run):
    """Every comparative sentence of claims.tsv appears word for word in the English manuscript, and its verdict
    agrees with its p-value and interval; no sentence says "should guide" without the data's support."""
    import pandas as pd

    claims = pd.read_csv(full_run / "results" / "analysis" / "claims.tsv", sep="\t")
    assert list(claims.columns) == ["claim", "sentence", "estimate", "ci_low", "ci_high", "p_value", "verdict"]
    text = (full_run / "results" / "paper" / "manuscript.md").read_text(encoding="utf-8")
    for r in claims.itertuples():
        assert r.sentence in text, r.claim
        supported = r.p_value < 0.05 if r.p_value == r.p_value else False
        if supported and r.ci_low == r.ci_low and r.ci_high == r.ci_high:
            null = 0.0 if r.claim.startswith("recommendation_") and r.claim != "recommendation_summary" else 1.0
            supported = not (r.ci_low <= null <= r.ci_high)
        assert r.verdict == ("supported" if supported else "no_evidence"), r.claim
    scores = claims.set_index("claim").loc["conclusion_prognostic_scores"]
    if scores["verdict"] != "supported":
        assert "Prognostic scores should guide" not in text
    assert "true cumulative incidence" not in text and "true incidence" not in text
    numbers = json.loads((full_run / "results" / "numbers.json").read_text(encoding="utf-8"))
    assert 0 <= numbers["recommendation"]["interaction_p_value"] <= 1
    assert numbers["median_follow_up_months"] > 0


def test_strobe_and_record_checklists_cover_every_item_with_the_delivering_rule(full_run):
    text = (full_run / "results" / "paper" / "manuscript.md").read_text(encoding="utf-8")
    checklists = text.split("## Reporting checklists", 1)[1].split("## References", 1)[0]
    strobe, record = checklists.split("**Table S7.**", 1)
    items = re.findall(r"^\| (\d+)[a-e]? \|", strobe, flags=re.M)
    assert sorted(set(items), key=int) == [str(i) for i in range(1, 23)]
    assert {"12c", "12d", "12e"} <= set(re.findall(r"^\| (\d+[a-e]) \|", strobe, flags=re.M))
    assert re.findall(r"^\| (\d+\.\d) \|", record, flags=re.M) == [
        "1.1",
        "1.2",
        "1.3",
        "6.1",
        "6.2",
        "6.3",
        "7.1",
        "12.1",
        "12.2",
        "12.3",
        "13.1",
        "19.1",
        "22.1",
    ]
    # Every row names where it is met and what delivers it; the sections the checklists name exist.
    for row in re.findall(r"^\| \d.*\|$", checklists, flags=re.M):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4 and all(cells), row
    assert "### Missing data, loss to follow-up and sensitivity analyses" in text


def test_declarations_references_and_author_metadata_reach_html_and_docx(full_run):
    """The declarations, the Russian abstract and keywords, and at least 20 citeproc references are in both the HTML
    and the DOCX; unknown declarations are visibly marked placeholders; the DOCX carries the authors."""
    paper = full_run / "results" / "paper"
    html = re.sub(r"<[^>]+>", "", (paper / "manuscript.html").read_text(encoding="utf-8"))
    with zipfile.ZipFile(paper / "manuscript.docx") as docx:
        document = re.sub(r"<[^>]+>", "", docx.read("word/document.xml").decode("utf-8"))
        core = docx.read("docProps/core.xml").decode("utf-8")
    for text in (" ".join(html.split()), document):
        for heading in (
            "Ethics approval and consent.",
            "Conflicts of interest.",
            "Funding.",
            "Data and code availability.",
            "Author contributions.",
            "Аннотация",
            "Ключевые слова:",
            "Keywords:",
            "calibration targets of the twin",
        ):
            assert heading in text, heading
        assert "[PLACEHOLDER: ethics approval number]" in text
        assert "doi:10.1214/aos/1176350951" in text  # Gray 1988, printed by citeproc
        assert "[@" not in text  # every citation resolved
    html_page = (paper / "manuscript.html").read_text(encoding="utf-8")
    assert html_page.count('class="csl-entry"') >= 20
    assert re.search(r"<dc:creator>[^<]+</dc:creator>", core) and "<cp:keywords>" in core


def test_notebook_ran_without_errors_and_agrees_with_the_rules(full_run):
    notebook = json.loads((full_run / "results" / "paper" / "explore_cohort.ipynb").read_text(encoding="utf-8"))
    outputs = [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert outputs and not [o for o in outputs if o["output_type"] == "error"]
    assert not any("pickle.loads" in "".join(c["source"]) for c in notebook["cells"])
    summary = json.loads((full_run / "results" / "paper" / "notebook_summary.json").read_text())
    numbers = json.loads((full_run / "results" / "numbers.json").read_text())
    assert summary["patients"] == numbers["n_patients"] and summary["revised"] == numbers["n_revised"]
    html = (full_run / "results" / "paper" / "explore_cohort.html").read_text(encoding="utf-8")
    assert "Exploring the cohort" in html and "data:image/png;base64" in html


def test_provenance_manifest_hashes_every_input_and_output(full_run):
    import hashlib

    manifest = json.loads((full_run / "results" / "provenance" / "manifest.json").read_text(encoding="utf-8"))
    for section in ("inputs", "outputs"):
        assert manifest[section]
        for path, digest in manifest[section].items():
            assert hashlib.sha256((full_run / path).read_bytes()).hexdigest() == digest, path
    assert "results/paper/manuscript.html" in manifest["outputs"]
    assert "resources/raw/patients.csv" in manifest["inputs"]
    assert manifest["packages"]["snakemake"] == manifest["snakemake"] == "9.27.1"
    assert manifest["config"]["synthetic_twin"]["cohort_size"] == 247
    assert set(manifest["git"]) == {"commit", "dirty"}
    assert (
        "write_provenance" in manifest["rules"] and ["clean_cohort", "collect_numbers"] in manifest["rule_graph_edges"]
    )


def test_captions_and_the_forest_plot_state_the_configured_confidence_level():
    """Captions are Jinja templates (Snakemake renders them with `snakemake.config`): at a 90 % level no caption or
    axis still says 95 %."""
    from types import SimpleNamespace

    import jinja2
    import pandas as pd

    from analysis.figures import forest

    stand_in = SimpleNamespace(config={"analysis": {"confidence_level": 0.9}})
    stating = []
    for caption in sorted((ROOT / "workflow" / "report").glob("*.rst")):
        text = jinja2.Environment().from_string(caption.read_text(encoding="utf-8")).render(snakemake=stand_in)
        assert "95 %" not in text and "95%" not in text, caption.name
        stating += [caption.name] if "90 %" in text else []
    assert {"forest_hazard_ratios.rst", "overall_survival.rst", "km_versus_cumulative_incidence.rst"} <= set(stating)
    from manuscript.render import caption

    in_the_paper = caption(ROOT / "workflow" / "report" / "forest_hazard_ratios.rst", 0.9)
    assert in_the_paper.startswith("Hazard ratios of revision with 90 % confidence intervals")
    assert "{" not in in_the_paper
    table = pd.DataFrame(
        {
            "model": ["univariable: fracture", "univariable: fracture"],
            "kind": ["cause-specific Cox", "Fine-Gray"],
            "covariate": ["fracture", "fracture"],
            "label": ["Pathological fracture", "Pathological fracture"],
            "hr": [2.0, 1.8],
            "lower": [1.1, 1.0],
            "upper": [3.5, 3.2],
        }
    )
    figure = forest(table, 0.9)
    assert figure.axes[0].get_xlabel().startswith("Hazard ratio of revision with 90 % CI")


@pytest.fixture(scope="session")
def report(full_run) -> Path:
    path = full_run / "results" / "report.html"
    run(SNAKEMAKE + ["--report", str(path)], full_run)
    return path


def test_report_is_self_contained_and_categorised(report):
    html = report.read_text(encoding="utf-8")
    for category in ("Synthetic twin", "Cohort", "Revision risk", "Factors", "Recommendation", "Paper", "Provenance"):
        assert category in html, category
    assert "km_versus_cumulative_incidence.png" in html
    assert "95 % confidence intervals" in html and "{{" not in html  # captions rendered with the config's level


# --- in a real browser ------------------------------------------------------------------------------------------
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("Chromium is not installed here (apt-get install chromium); CI installs it")
    return path


def open_in_browser(page: Path, screenshot: Path, profile: Path) -> str:
    """Render a page headless, take a screenshot, return the browser's log (console messages included)."""
    args = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=8000",
        "--window-size=1280,1600",
        f"--screenshot={screenshot}",
        page.resolve().as_uri(),
    ]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stderr


def assert_not_blank(screenshot: Path) -> None:
    pixels = matplotlib.image.imread(screenshot)[..., :3]
    not_white = (pixels < 0.95).any(axis=2).mean()
    assert pixels.std() > 0.05 and not_white > 0.02, f"blank screenshot: {not_white:.3%} non-white"


@pytest.mark.parametrize(
    "page",
    [
        "results/paper/manuscript.html",
        "results/paper/manuscript_ru.html",
        "results/paper/explore_cohort.html",
        "results/report.html",
    ],
)
def test_page_renders_in_chromium_without_errors(full_run, report, page, tmp_path):
    shot = tmp_path / "screenshot.png"
    log = open_in_browser(full_run / page, shot, tmp_path / "profile")
    console = [line for line in log.splitlines() if "CONSOLE" in line or "Failed to load resource" in line]
    errors = [line for line in console if re.search(r"Uncaught|Error|Failed to load", line)]
    assert not errors, errors
    assert_not_blank(shot)


def test_no_page_reaches_out_to_the_network(full_run):
    for page in (
        "results/paper/manuscript.html",
        "results/paper/manuscript_ru.html",
        "results/paper/explore_cohort.html",
    ):
        html = (full_run / page).read_text(encoding="utf-8")
        assert not re.findall(r'(?:src|href)="https?://', html), page
