"""The workflow as a user runs it: config validation, lint, format, dry run, and a full run in a scratch copy."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pandas as pd
import yaml
from conftest import ENV, ROOT, SKIP, SNAKEMAKE, run  # noqa: E402 - shared with the other workflow tests

from common import glossary
from common.study import MANUSCRIPT_FIGURES, SUPPLEMENT_FIGURES


def walk_schema(node, path="config"):
    """Yield (path, node) for every property the schema declares."""
    for name, child in node.get("properties", {}).items():
        yield f"{path}.{name}", child
        yield from walk_schema(child, f"{path}.{name}")
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        yield f"{path}.*", extra
        yield from walk_schema(extra, f"{path}.*")


def resolved(schema, node):
    if "$ref" in node:
        target = schema
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def test_every_config_key_has_a_description_and_is_documented():
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    readme = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    stack = [("config", schema)]
    seen = 0
    while stack:
        path, node = stack.pop()
        for child_path, child in walk_schema(resolved(schema, node), path):
            child = resolved(schema, child)
            assert child.get("description"), f"{child_path} has no description in the schema"
            key = child_path.rsplit(".", 1)[-1]
            dotted = child_path.removeprefix("config.")
            if key != "*":
                assert f"`{dotted}" in readme or f"`{key}`" in readme, f"{child_path} is not in config/README.md"
            seen += 1
            if "$ref" in child:
                stack.append((child_path, child))
    assert seen > 10


def test_lint_is_clean():
    result = run(SNAKEMAKE + ["--lint"], ROOT)
    assert "Congratulations" in result.stdout + result.stderr


def test_snakefmt_is_clean():
    run([sys.executable, "-m", "snakefmt", "--check", "."], ROOT)


def test_dry_run_plans_the_twin_and_its_check(project):
    out = run(SNAKEMAKE + ["-n", "--forceall", "--cores", "2"], project).stdout
    assert "synthesize_raw_exports" in out and "check_twin_calibration" in out


def test_invalid_config_is_refused_naming_the_key(project, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("synthetic_twin:\n  cohort_size: 5\n")
    result = run(SNAKEMAKE + ["-n", "--configfile", str(bad)], project, check=False)
    assert result.returncode != 0
    assert "cohort_size" in result.stdout + result.stderr


def test_real_source_never_generates(tmp_path):
    """With source: real the twin's rule does not exist, so missing exports are an error, never synthesised."""
    fresh = tmp_path / "study"
    shutil.copytree(ROOT, fresh, ignore=SKIP)
    real = tmp_path / "real.yaml"
    real.write_text(f"raw_exports:\n  source: real\n  directory: {tmp_path / 'exports'}\n")
    result = run(SNAKEMAKE + ["-n", "--configfile", str(real)], fresh, check=False)
    assert result.returncode != 0
    assert "synthesize_raw_exports" not in result.stdout
    assert "patients.csv" in result.stdout + result.stderr


def test_full_run_builds_the_twin_and_meets_the_calibration(full_run):
    report = pd.read_csv(full_run / "results" / "twin" / "calibration.tsv", sep="\t")
    assert report["within"].all()
    manifest = json.loads((full_run / "resources" / "synthetic" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["cohort_size"] == 247
    assert (full_run / "results" / "twin" / "calibration.png").stat().st_size > 10_000
    assert "hard targets met: 16 of 16" in (full_run / "logs" / "check_twin_calibration.log").read_text()


def test_nothing_identifying_in_results_or_logs(full_run):
    identifiers = json.loads((full_run / "resources" / "synthetic" / "identifiers.json").read_text("utf-8"))
    for path in list((full_run / "results").rglob("*")) + list((full_run / "logs").rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", errors="replace")
            leaked = [value for value in identifiers if value in text]
            assert not leaked, f"{path}: {leaked[:3]}"


def raw_labels_of_coded_columns(project) -> set[str]:
    """Every raw label of a column that crosses as a codebook code, from the intake's canonical model (raw side)."""
    config = yaml.safe_load((project / "config" / "config.yaml").read_text(encoding="utf-8"))
    labels = set()
    for table, kinds in config["deidentification"]["coding"].items():
        path = project / "resources" / "intake" / f"{table}.tsv"
        frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        for column, kind in kinds.items():
            if kind not in ("integer", "decimal", "icd10"):
                labels |= {v.strip() for v in frame[column] if v.strip()}
    return labels


def test_no_raw_label_of_a_coded_column_and_no_source_line_crosses(full_run):
    """Minimisation: de-identified tables carry codes, sorted by pseudonym, without the export's line numbers; no
    raw label (Cyrillic, as the twin writes them; English ones are also words of the paper) is in any file under
    results/ or logs/ (config text aside: the provenance record quotes the config)."""
    labels = raw_labels_of_coded_columns(full_run)
    config_text = (full_run / "config" / "config.yaml").read_text(encoding="utf-8")
    cyrillic = {
        label for label in labels if re.search("[а-яё]", label, re.I) and len(label) >= 3 and label not in config_text
    }
    assert len(cyrillic) > 50
    mapping = (full_run / "resources" / "deid" / "label_mapping.tsv").read_text(encoding="utf-8")
    assert all(f"\t{label}\t" in mapping for label in cyrillic)  # the raw side keeps them, so the check can fail
    for table in ("patients", "diagnoses", "operations", "follow_up"):
        frame = pd.read_csv(full_run / "results" / "deid" / f"{table}.tsv", sep="\t", dtype=str, keep_default_na=False)
        assert "source_line" not in frame.columns and frame.columns[:2].tolist() == ["patient_id", "entry"]
        assert frame["patient_id"].is_monotonic_increasing, table
        assert (frame["entry"].astype(int) == frame.groupby("patient_id").cumcount() + 1).all(), table
        assert not set(frame.stack()) & cyrillic, table
    # The Russian manuscript is written in the words of the bilingual glossary: a raw label that is also a word there
    # (женский, бедренная кость, есть inside шесть) cannot tell data from vocabulary in the papers' text, so the files
    # are searched for the others (the de-identified tables above are searched for all of them).
    vocabulary = " ".join(entry["ru"] for entry in glossary.load().values()).casefold()
    searched = {label for label in cyrillic if label.casefold() not in vocabulary}
    assert len(searched) > 20
    for path in list((full_run / "results").rglob("*")) + list((full_run / "logs").rglob("*")):
        if path.is_file() and path.suffix not in (".png", ".pdf", ".docx"):
            text = path.read_bytes().decode("utf-8", errors="replace")
            found = sorted(label for label in searched if label in text)
            assert not found, f"{path}: {found[:3]}"
    cleaning = full_run / "results" / "cleaning"
    assert (cleaning / "label_mapping.tsv").read_text().splitlines()[0] == "field\tcategory\trows"
    assert "raw_label" not in (cleaning / "review.tsv").read_text() + (cleaning / "corrections.tsv").read_text()


def test_an_unknown_label_stops_naming_the_raw_row_and_is_quoted_only_under_resources(full_run, tmp_path):
    from bad_exports import CP, OPERATIONS, context, edit_field, first_row_of

    project = tmp_path / "study"
    shutil.copytree(ROOT, project, ignore=SKIP)
    exports = tmp_path / "exports"
    shutil.copytree(full_run / "resources" / "raw", exports)
    with open(full_run / "resources" / "synthetic" / "truth.csv", encoding="utf-8") as f:
        truth = list(__import__("csv").DictReader(f))
    text = (exports / "operations.csv").read_bytes().decode(CP)
    ctx = context(truth, text)
    label = "Ключица-" + str(12345 * 7)  # built here, so that no file of the project holds it literally
    (exports / "operations.csv").write_bytes(edit_field(text, ctx["any"], OPERATIONS["bone"], label).encode(CP))
    line = first_row_of(text, ctx["any"])
    override = tmp_path / "real.yaml"
    override.write_text(f"raw_exports:\n  source: real\n  directory: {exports}\ndeidentification:\n  ner: false\n")
    env = {**ENV, "STUDY_PSEUDONYM_KEY": "a key for the minimisation test, kept outside the repository"}
    args = SNAKEMAKE + ["--cores", "2", "results/cleaning/analysis_table.tsv", "--configfile", str(override)]
    result = subprocess.run(args, cwd=project, capture_output=True, text=True, env=env)
    said = result.stdout + result.stderr
    assert result.returncode != 0
    # The terminal shows the failed job's log: it names the raw file, the line and the column...
    assert f"operations.csv, line {line}, column 'Кость'" in said, said[-3000:]
    # ... but the label is written only on the raw side.
    assert label not in said
    for path in project.rglob("*"):
        if path.is_file() and "resources" not in path.relative_to(project).parts:
            assert label not in path.read_bytes().decode("utf-8", errors="replace"), path
    listed = pd.read_csv(project / "resources" / "deid" / "unknown_labels.tsv", sep="\t", dtype=str)
    assert listed[["source_line", "raw_header", "label"]].values.tolist() == [[str(line), "Кость", label]]


def test_second_run_has_nothing_to_do_and_outputs_are_byte_identical(full_run):
    before = {p: p.read_bytes() for p in (full_run / "results").rglob("*") if p.is_file()}
    out = run(SNAKEMAKE + ["-n", "--cores", "2"], full_run).stdout
    assert "Nothing to be done" in out
    run(SNAKEMAKE + ["--cores", "2", "--forceall"], full_run)
    after = {p: p.read_bytes() for p in (full_run / "results").rglob("*") if p.is_file()}
    assert before == after


def test_default_run_passes_both_leak_gates_with_zero_findings(full_run):
    for report in ("results/deid/leak_check.json", "results/leak_check.json"):
        content = json.loads((full_run / report).read_text())
        assert content["findings"] == [] and content["identifiers_checked"] > 3000
    log = (full_run / "logs" / "check_results_for_leaks.log").read_text()
    assert "0 findings" in log


def test_default_run_reports_recall_and_k_anonymity(full_run):
    recall = json.loads((full_run / "results" / "deid" / "recall.json").read_text())
    assert recall["recall"]["all"] >= 0.99 and recall["recall"]["own"] == 1.0
    k = json.loads((full_run / "results" / "deid" / "k_anonymity.json").read_text())
    assert k["patients"] == 278 and len(k["levels"]) == 4


def test_leak_gate_fails_the_run_on_a_planted_identifier(full_run):
    identifiers = json.loads((full_run / "resources" / "synthetic" / "identifiers.json").read_text("utf-8"))
    name = next(i for i in identifiers if re.fullmatch(r"[А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+", i))
    planted = full_run / "results" / "twin" / "stray_note.txt"
    planted.write_text(f"left here by mistake: {name.upper()}\n", encoding="utf-8")
    try:
        result = run(SNAKEMAKE + ["--cores", "2", "--forcerun", "check_results_for_leaks"], full_run, check=False)
        assert result.returncode != 0
        log = (full_run / "logs" / "check_results_for_leaks.log").read_text()
        assert "stray_note.txt" in log and name not in log and name.upper() not in log
        assert re.search(r"stray_note\.txt, line 1, offset \d+ \(identifier\)", log)
        # The flagged file is moved out of results/ to the raw side.
        quarantined = full_run / "resources" / "quarantine" / "results" / "twin" / "stray_note.txt"
        assert not planted.exists() and quarantined.exists()
    finally:
        planted.unlink(missing_ok=True)
        shutil.rmtree(full_run / "resources" / "quarantine", ignore_errors=True)
        run(SNAKEMAKE + ["--cores", "2"], full_run)


def test_results_of_the_twin_never_pass_for_real_exports(full_run, tmp_path):
    real = tmp_path / "real.yaml"
    real.write_text(f"raw_exports:\n  source: real\n  directory: {tmp_path / 'exports'}\n")
    result = run(SNAKEMAKE + ["-n", "--configfile", str(real)], full_run, check=False)
    assert result.returncode != 0 and "remove the old results first" in result.stdout + result.stderr


def test_real_exports_without_a_key_are_refused(full_run, tmp_path):
    """Real exports in a fresh project: refused without a key, de-identified with one from the environment."""
    fresh = tmp_path / "study"
    shutil.copytree(ROOT, fresh, ignore=SKIP)
    exports = tmp_path / "exports"
    shutil.copytree(full_run / "resources" / "raw", exports)
    real = tmp_path / "real.yaml"
    real.write_text(f"raw_exports:\n  source: real\n  directory: {exports}\n")
    env = {k: v for k, v in ENV.items() if k != "STUDY_PSEUDONYM_KEY"}
    args = SNAKEMAKE + ["--cores", "1", "results/deid/audit.json", "--configfile", str(real)]
    result = subprocess.run(args, cwd=fresh, capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "STUDY_PSEUDONYM_KEY" in (fresh / "resources" / "logs" / "deidentify_exports.log").read_text()
    env["STUDY_PSEUDONYM_KEY"] = "a real key kept outside the repository"
    result = subprocess.run(args, cwd=fresh, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    audit = json.loads((fresh / "results" / "deid" / "audit.json").read_text())
    assert audit["key"]["source"] == "environment variable STUDY_PSEUDONYM_KEY"
    assert audit["raw_exports"] == {"source": "real", "directory": str(exports)}


def test_raw_exports_may_not_live_under_results(project, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("raw_exports:\n  directory: results/raw\n")
    result = run(SNAKEMAKE + ["-n", "--configfile", str(bad)], project, check=False)
    assert result.returncode != 0 and "must never share a directory" in result.stdout + result.stderr


def test_default_run_derives_the_papers_cohort(full_run):
    flow = json.loads((full_run / "results" / "cleaning" / "flow.json").read_text())
    assert flow["patients_analysed"] == 247 and flow["patients_revised"] == 33
    assert flow["patients_in_export"] == flow["patients_analysed"] + sum(flow["excluded"].values())
    analysis = pd.read_csv(full_run / "results" / "cleaning" / "analysis_table.tsv", sep="\t")
    assert len(analysis) == 247 and analysis["patient_id"].is_unique
    exclusions = pd.read_csv(full_run / "results" / "cleaning" / "exclusions.tsv", sep="\t")
    assert len(exclusions) == sum(flow["excluded"].values())
    assert (full_run / "results" / "cleaning" / "flow_diagram.pdf").read_bytes().startswith(b"%PDF")


def test_numbers_json_has_the_published_numbers_exactly(full_run):
    numbers = json.loads((full_run / "results" / "numbers.json").read_text())
    assert numbers["n_patients"] == 247 and numbers["n_revised"] == 33
    assert numbers["median_age"] == 62 and isinstance(numbers["median_age"], int)
    assert numbers["period"] == [2006, 2020]
    assert numbers["revision_causes"] == {
        "preoperative_diagnostic_error": 3,
        "postoperative_infection": 6,
        "endoprosthesis_dislocation": 4,
        "solitary_metastasis_progression_after_osteosynthesis": 5,
        "aseptic_instability_after_intramedullary_osteosynthesis": 14,
        "endoprosthesis_stem_fracture": 1,
    }
    assert numbers["revised_primaries"] == {
        "breast": 10,
        "ewing_sarcoma": 1,
        "kidney": 13,
        "liver": 1,
        "lung": 3,
        "prostate": 2,
        "rectum": 3,
    }
    for key in ("km_revision", "cif_revision"):
        assert set(numbers[key]) == {"6m", "1y", "2y", "5y"}
        assert all(0 <= v <= 1 for v in numbers[key].values())
    assert all(numbers["km_revision"][h] >= numbers["cif_revision"][h] for h in numbers["km_revision"])
    assert numbers["gray_tests"]["operation_method"]["df"] == 3
    assert any(k.startswith("Fine-Gray|multivariable|") for k in numbers["hazard_ratios"])


def test_every_figure_is_written_as_png_and_pdf_with_a_caption(full_run):
    figures = sorted(p for p in (full_run / "results" / "figures").glob("*.png") if not p.stem.endswith("_ru"))
    # The manuscript's figures but the flow diagram (its own folder), Schoenfeld residuals in its supplement, and the
    # prognostic scores' calibration and recommendation figures (report only).
    assert len(figures) == len(MANUSCRIPT_FIGURES) - 1 + len(SUPPLEMENT_FIGURES) + 3, [f.name for f in figures]
    # Each figure of the manuscript and its supplement also in Russian (manuscript_ru; tests/test_figures_ru.py).
    russian = sorted((full_run / "results").glob("*/*_ru.png"))
    assert len(russian) == len(MANUSCRIPT_FIGURES) + len(SUPPLEMENT_FIGURES), [f.name for f in russian]
    for png in russian:
        assert png.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    for png in figures:
        assert png.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
        assert (ROOT / "workflow" / "report" / f"{png.stem}.rst").read_text().strip(), png.name
