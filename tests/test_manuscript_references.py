"""The manuscript's references, front matter and declarations: the bibliography and its verification record, the
check of cited keys, the placeholders of unknown declarations, and pandoc's citeproc run offline on the committed
bibliography and style."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from manuscript.front import (
    PLACEHOLDER,
    bibliography_keys,
    calibration_targets,
    check_citations,
    citation_sources,
    cited_keys,
    declared,
    front_matter,
)
from manuscript.render import convert, russian_number

TEMPLATES = ROOT / "workflow" / "templates"
TEMPLATE = TEMPLATES / "manuscript.md.j2"
BIBLIOGRAPHY = TEMPLATES / "references.json"
CSL = TEMPLATES / "csl" / "nlm-citation-sequence.csl"
VERIFIED = ROOT / "docs" / "references_verified.tsv"
DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def bibliography() -> list[dict]:
    return json.loads(BIBLIOGRAPHY.read_text(encoding="utf-8"))


def verification() -> dict[str, dict]:
    with open(VERIFIED, encoding="utf-8", newline="") as handle:
        return {row["key"]: row for row in csv.DictReader(handle, delimiter="\t")}


def test_bibliography_has_at_least_20_entries_each_with_a_doi_and_a_verification_record():
    entries = bibliography()
    record = verification()
    ids = [e["id"] for e in entries]
    assert len(entries) >= 20 and len(set(ids)) == len(ids)
    assert len({e["DOI"].lower() for e in entries}) == len(entries), "two entries share a DOI"
    for entry in entries:
        assert DOI.match(entry["DOI"]), entry["id"]
        assert entry["title"] and entry["container-title"] and entry["author"], entry["id"]
        row = record.get(entry["id"])
        assert row is not None, f"{entry['id']} has no verification record in {VERIFIED.name}"
        assert row["doi"] == entry["DOI"], entry["id"]
        assert "DOI" in row["checked"] and row["where"].strip(), entry["id"]
    assert set(record) == set(ids), "a verification record for an entry the bibliography does not hold"


def test_every_cited_key_is_in_the_bibliography_and_every_entry_is_cited():
    cited = check_citations(TEMPLATE, BIBLIOGRAPHY)
    assert set(cited) == set(bibliography_keys(BIBLIOGRAPHY)), "an entry of the bibliography is never cited"
    assert {TEMPLATES / "abstract.md.j2", TEMPLATES / "glossary.yaml"} <= set(citation_sources(TEMPLATE))


def test_an_unknown_key_stops_the_render_naming_the_key_and_the_template_line(tmp_path):
    template = tmp_path / "paper.md.j2"
    template.write_text('Intro [@gray1988].\n{% include "part.md.j2" %}\n', encoding="utf-8")
    (tmp_path / "part.md.j2").write_text("Text.\nAs shown [@fine1999;\n@nobody2024].\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        check_citations(template, BIBLIOGRAPHY)
    assert f"{tmp_path / 'part.md.j2'}:3: [@nobody2024] is not in" in str(stop.value)
    assert "gray1988" not in str(stop.value) and "fine1999" not in str(stop.value)


def test_cited_keys_reads_pandoc_citations_only():
    text = "a [@kaplan1958, p. 460; -@gray1988]\nmail x@y.org [see @fine1999]\n[@a.b_c:d].\n@bare"
    assert cited_keys(text) == [(1, "kaplan1958"), (1, "gray1988"), (2, "fine1999"), (3, "a.b_c:d")]


def test_unknown_declarations_are_marked_placeholders_and_known_ones_are_printed_as_given():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))["manuscript"]
    front = front_matter(config, {"commit": "unknown (not a git checkout)", "dirty": None}, "crate.json")
    assert front["ethics"]["approval_number"] == PLACEHOLDER.format("ethics approval number")
    assert front["authors"][0]["name"].startswith("[PLACEHOLDER: ")
    assert front["commit"].startswith("[PLACEHOLDER: commit")
    assert front["keywords_ru"] and all(re.search("[а-я]", k) for k in front["keywords_ru"])
    known = {
        "authors": [{"name": "A. Author", "orcid": "0000-0002-1825-0097", "affiliations": [1], "corresponding": True}],
        "affiliations": ["A hospital"],
        "funding": "None.",
    }
    front = front_matter(known, {"commit": "a" * 40, "dirty": True}, "crate.json")
    assert front["authors"][0]["name"] == "A. Author" and front["corresponding"]["name"] == "A. Author"
    assert front["funding"] == "None." and front["commit"] == "a" * 40 and front["dirty"]
    assert front["conflicts_of_interest"] == "[PLACEHOLDER: conflicts of interest]"
    assert declared("  ", "x") == "[PLACEHOLDER: x]" and declared(0, "x") == "0"
    with pytest.raises(ValueError, match="affiliation"):
        front_matter({**known, "authors": [{"name": "B", "affiliations": [1, 2]}]}, {}, "crate.json")


def test_russian_numbers_are_the_same_numbers_in_russian_typography():
    assert russian_number("13.4 %") == "13,4\u00a0%"
    assert russian_number("12 345 and 2006-2020") == "12\u00a0345 and 2006-2020"
    assert russian_number("p = 0.034") == "p = 0,034"


def test_calibration_targets_are_read_from_the_twins_table(tmp_path):
    table = tmp_path / "calibration.tsv"
    table.write_text(
        "quantity\tkind\ttarget\ttolerance\tobserved\twithin\tsource\n"
        "km_overstatement_2y\tsoft\t0.62\t0.4\t0.868\tTrue\tGillam 2010\n",
        encoding="utf-8",
    )
    targets = calibration_targets(table)
    assert targets["km_overstatement_2y"]["target"] == 0.62 and targets["km_overstatement_2y"]["within"]
    assert calibration_targets(None) == {}


def test_citeproc_runs_offline_on_the_committed_style_and_writes_author_metadata(tmp_path):
    markdown = (
        '---\ntitle: "T"\nauthor:\n  - "A. Author"\nkeywords:\n  - "competing risks"\nlink-bibliography: false\n---\n\n'
        "Gray's test [@gray1988] and the subdistribution model [@fine1999].\n\n## References\n\n::: {#refs}\n:::\n"
    )
    html, docx = tmp_path / "t.html", tmp_path / "t.docx"
    convert(markdown, tmp_path, html, docx, BIBLIOGRAPHY, CSL)
    page = html.read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    assert "Gray RJ. A class of K-sample tests" in " ".join(text.split())
    assert "doi:10.1080/01621459.1999.10474144" in text
    assert page.count('class="csl-entry"') == 2
    assert not re.findall(r'(?:src|href)="https?://', page)
    with zipfile.ZipFile(docx) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert "<dc:creator>A. Author</dc:creator>" in core and "competing risks" in core


def test_the_styles_are_committed_with_their_licence():
    for style in (CSL, TEMPLATES / "csl" / "gost-r-7-0-5-2008-numeric.csl"):
        text = Path(style).read_text(encoding="utf-8")
        assert "creativecommons.org/licenses/by-sa/3.0" in text and 'class="in-text"' in text
        assert "independent-parent" not in text  # a dependent style would need its parent fetched
