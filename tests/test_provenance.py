"""The audit path: the manifest lists every input and output with its SHA-256, `python -m provenance.verify` re-hashes
them and names every file that changed, and the run is described as a Workflow Run RO-Crate.

The RO-Crate validator (roc-validator) needs the network to fetch the JSON-LD contexts and profiles, and the
workflow runs offline: the crate is checked here against the requirements of its profiles instead
(https://w3id.org/ro/wfrun/process/0.5, https://w3id.org/ro/wfrun/workflow/0.5,
https://w3id.org/workflowhub/workflow-ro-crate/1.0, RO-Crate 1.1)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ENV, SNAKEMAKE, run

from provenance import sha256
from provenance.crate import build_crate, write_crate
from provenance.verify import main as verify

WORKFLOW_RUN_PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5",
    "https://w3id.org/ro/wfrun/workflow/0.5",
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0",
}
VERIFY = [sys.executable, "-m", "provenance.verify", "results/provenance/manifest.json"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def ids(value) -> list[str]:
    return [v["@id"] for v in as_list(value)]


def types(entity: dict) -> set[str]:
    return set(as_list(entity.get("@type", [])))


def profile_problems(crate: dict, root: Path) -> list[str]:
    """What the crate lacks of the terms its profiles require (MUST), one line each; [] for a conforming crate.
    Files are looked up under `root`, the crate's root folder, and their recorded SHA-256 compared."""
    problems = []
    graph = {e["@id"]: e for e in crate["@graph"]}
    if len(graph) != len(crate["@graph"]):
        problems.append("an @id appears twice")
    context = as_list(crate["@context"])
    if "https://w3id.org/ro/crate/1.1/context" not in context:
        problems.append("@context lacks the RO-Crate 1.1 context")
    descriptor = graph.get("ro-crate-metadata.json", {})
    if descriptor.get("about", {}).get("@id") != "./":
        problems.append("metadata descriptor is not about ./")
    if "https://w3id.org/ro/crate/1.1" not in ids(descriptor.get("conformsTo", [])):
        problems.append("metadata descriptor does not conform to RO-Crate 1.1")
    root_entity = graph.get("./", {})
    if "Dataset" not in types(root_entity):
        problems.append("no root Dataset ./")
    for key in ("name", "description", "datePublished", "mainEntity", "hasPart"):
        if key not in root_entity:
            problems.append(f"root lacks {key}")
    for profile in WORKFLOW_RUN_PROFILES - set(ids(root_entity.get("conformsTo", []))):
        problems.append(f"root does not conform to {profile}")
    for profile in ids(root_entity.get("conformsTo", [])):
        if "Profile" not in types(graph.get(profile, {})):
            problems.append(f"profile {profile} is not a CreativeWork/Profile entity")
    parts = set(ids(root_entity.get("hasPart", [])))
    main = graph.get(root_entity.get("mainEntity", {}).get("@id"), {})
    if not {"File", "SoftwareSourceCode", "ComputationalWorkflow"} <= types(main):
        problems.append("mainEntity is not a File, SoftwareSourceCode and ComputationalWorkflow")
    if "ComputerLanguage" not in types(graph.get(main.get("programmingLanguage", {}).get("@id"), {})):
        problems.append("mainEntity has no programmingLanguage")
    if main.get("@id") not in parts:
        problems.append("mainEntity is not in the root's hasPart")
    actions = [e for e in graph.values() if "CreateAction" in types(e)]
    if not any(main.get("@id") in ids(a.get("instrument", [])) for a in actions):
        problems.append("no CreateAction has the mainEntity as instrument")
    tools = set(ids(main.get("hasPart", [])))
    for step in ids(main.get("step", [])):
        if "HowToStep" not in types(graph.get(step, {})) or graph[step].get("workExample", {}).get("@id") not in tools:
            problems.append(f"step {step} is not a HowToStep of one of the workflow's tools")
    for action in actions:
        name = action["@id"]
        instrument = ids(action.get("instrument", []))
        if len(instrument) != 1 or instrument[0] not in graph:
            problems.append(f"{name}: instrument is not one entity of the crate")
        elif instrument[0] != main.get("@id") and instrument[0] not in tools:
            problems.append(f"{name}: instrument {instrument[0]} is not one of the workflow's tools")
        if not action.get("result"):
            problems.append(f"{name}: no result")
        for ref in ids(action.get("object", [])) + ids(action.get("result", [])):
            entity = graph.get(ref)
            if entity is None:
                problems.append(f"{name}: {ref} is not an entity of the crate")
            elif "File" in types(entity):
                if ref not in parts:
                    problems.append(f"{name}: File {ref} is not in the root's hasPart")
                if not (root / ref).is_file():
                    problems.append(f"{name}: File {ref} does not exist")
                elif "sha256" in entity and entity["sha256"] != sha256(root / ref):
                    problems.append(f"{name}: File {ref} has another SHA-256")
    for entity in graph.values():
        if "File" in types(entity) and not entity["@id"].startswith("logs/") and "sha256" not in entity:
            problems.append(f"File {entity['@id']} has no sha256")
        if entity["@id"].startswith("/") or ":\\" in entity["@id"]:
            problems.append(f"{entity['@id']} is an absolute path")
    return problems


# --- verify, on a small project ------------------------------------------------------------------------------


@pytest.fixture()
def small_run(tmp_path) -> Path:
    """A finished 'run' in miniature: two inputs, two outputs and a manifest of them."""
    for path, text in {
        "config/config.yaml": "seed: 1\n",
        "resources/raw/patients.csv": "id;name\n1;x\n",
        "results/a.tsv": "a\t1\n",
        "results/b/c.json": "{}\n",
    }.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    digests = {p: sha256(tmp_path / p) for p in ("config/config.yaml", "resources/raw/patients.csv")}
    outputs = {p: sha256(tmp_path / p) for p in ("results/a.tsv", "results/b/c.json")}
    manifest = tmp_path / "results" / "provenance" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"inputs": digests, "outputs": outputs}))
    return tmp_path


def test_verify_passes_when_every_file_matches(small_run, capsys):
    assert verify([str(small_run / "results/provenance/manifest.json"), "--root", str(small_run)]) == 0
    assert "all 4 files match" in capsys.readouterr().out


def test_verify_names_every_changed_and_missing_file(small_run, capsys):
    (small_run / "results/a.tsv").write_text("a\t2\n")  # one byte changed
    (small_run / "resources/raw/patients.csv").unlink()
    assert verify([str(small_run / "results/provenance/manifest.json"), "--root", str(small_run)]) == 1
    err = capsys.readouterr().err
    assert "changed: results/a.tsv" in err and "missing: resources/raw/patients.csv" in err
    assert "results/b/c.json" not in err and "2 of 4 files differ" in err


def test_verify_refuses_a_manifest_that_lists_nothing(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"inputs": {}, "outputs": {}}))
    assert verify([str(tmp_path / "manifest.json"), "--root", str(tmp_path)]) == 1


# --- the crate, on a small project ---------------------------------------------------------------------------


def small_crate(root: Path) -> dict:
    (root / "Snakefile").write_text("rule all:\n")
    (root / "requirements.txt").write_text("snakemake==9.27.1\n")
    (root / "workflow/scripts").mkdir(parents=True)
    (root / "workflow/scripts/make_b.py").write_text("print()\n")
    jobs = {
        "make_b": {
            "rule": "make_b",
            "script": "workflow/scripts/make_b.py",
            "inputs": ["resources/raw/patients.csv", "config/config.yaml"],
            "outputs": ["results/b/c.json"],
        },
        "write_provenance": {
            "rule": "write_provenance",
            "script": None,
            "inputs": ["results/b/c.json"],
            "outputs": ["results/provenance/manifest.json", "results/provenance/ro-crate-metadata.json"],
        },
        # Runs after the provenance: left out, even with its output left from an earlier run.
        "gate_after_provenance": {
            "rule": "gate",
            "script": None,
            "inputs": ["results/provenance/manifest.json"],
            "outputs": ["results/gate.json"],
        },
    }
    (root / "results/gate.json").write_text("{}\n")
    return build_crate(
        jobs=jobs,
        run_inputs=["resources/raw/patients.csv"],
        run_outputs=["results/a.tsv", "results/b/c.json"],
        manifest="results/provenance/manifest.json",
        config_file="config/config.yaml",
        requirements="requirements.txt",
        packages={"snakemake": "9.27.1", "pandas": "2.3.3"},
        python_version="3.11.7",
        git={"commit": "0123abc", "dirty": False},
        date=None,
        crate_path="results/provenance/ro-crate-metadata.json",
        project_dir=root,
    )


def test_small_crate_conforms_and_skips_jobs_that_have_not_run(small_run):
    crate = small_crate(small_run)
    assert profile_problems(crate, small_run) == []
    graph = {e["@id"]: e for e in crate["@graph"]}
    assert {"#run/make_b", "#run/write_provenance", "#run/workflow"} <= set(graph)
    assert "#run/gate_after_provenance" not in graph and "results/gate.json" not in graph
    assert ids(graph["#run/write_provenance"]["result"]) == ["results/provenance/manifest.json"]
    assert str(small_run) not in json.dumps(crate)


def test_small_crate_is_deterministic(small_run, tmp_path_factory):
    first, second = (tmp_path_factory.mktemp("crate") / "ro-crate-metadata.json" for _ in range(2))
    write_crate(small_crate(small_run), first)
    (small_run / "Snakefile").unlink()
    (small_run / "requirements.txt").unlink()
    (small_run / "workflow/scripts/make_b.py").unlink()
    (small_run / "workflow/scripts").rmdir()
    (small_run / "workflow").rmdir()
    write_crate(small_crate(small_run), second)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda g: g["#run/make_b"].pop("instrument"), "#run/make_b: instrument is not one entity"),
        (lambda g: g["./"].update(conformsTo=[]), "root does not conform to https://w3id.org/ro/wfrun/workflow/0.5"),
        (lambda g: g["./"].update(hasPart=[{"@id": "Snakefile"}]), "File results/b/c.json is not in the root's"),
        (lambda g: g["results/b/c.json"].update(sha256="0" * 64), "File results/b/c.json has another SHA-256"),
        (lambda g: g["#run/workflow"].update(instrument={"@id": "#tool/make_b"}), "no CreateAction has the main"),
        (lambda g: g["results/a.tsv"].pop("sha256"), "File results/a.tsv has no sha256"),
    ],
)
def test_the_profile_check_finds_what_is_missing(small_run, damage, problem):
    crate = copy.deepcopy(small_crate(small_run))
    damage({e["@id"]: e for e in crate["@graph"]})
    assert any(problem in p for p in profile_problems(crate, small_run)), profile_problems(crate, small_run)


# --- a finished run ------------------------------------------------------------------------------------------


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.workflow
def test_manifest_lists_requirements_twin_files_and_rule_graph(full_run):
    manifest = read_json(full_run / "results/provenance/manifest.json")
    for path in (
        "requirements.txt",
        "config/config.yaml",
        "resources/synthetic/truth.csv",
        "resources/synthetic/identifiers.json",
    ):
        assert manifest["inputs"][path] == sha256(full_run / path), path
    for path in ("results/provenance/rulegraph.png", "results/provenance/rulegraph.pdf"):
        assert manifest["outputs"][path] == sha256(full_run / path), path
    hashed = {*manifest["inputs"], *manifest["outputs"]}
    assert (
        "results/provenance/manifest.json" not in hashed
        and "results/provenance/manifest.json" in (manifest["not_hashed"])
    )
    # Every file under results/ is either hashed or said not to be (and why).
    written = {str(p.relative_to(full_run)) for p in (full_run / "results").rglob("*") if p.is_file()}
    assert written - hashed == set(manifest["not_hashed"]) & written


@pytest.mark.workflow
def test_verify_passes_on_a_run_and_names_the_one_changed_output(full_run):
    env = {**ENV, "PYTHONPATH": "scripts"}
    passed = subprocess.run(VERIFY, cwd=full_run, capture_output=True, text=True, env=env)
    assert passed.returncode == 0 and "files match" in passed.stdout, passed.stderr
    target = full_run / "results/analysis/table1.tsv"
    original, times = target.read_bytes(), os.stat(target)
    try:
        target.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))  # one byte
        failed = subprocess.run(VERIFY, cwd=full_run, capture_output=True, text=True, env=env)
    finally:
        target.write_bytes(original)
        os.utime(target, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert failed.returncode == 1
    assert "changed: results/analysis/table1.tsv" in failed.stderr
    assert "1 of" in failed.stderr


@pytest.mark.workflow
def test_crate_of_the_run_conforms_to_workflow_run_crate(full_run, config):
    crate = read_json(full_run / "results/provenance/ro-crate-metadata.json")
    assert profile_problems(crate, full_run) == []
    graph = {e["@id"]: e for e in crate["@graph"]}
    manifest = read_json(full_run / "results/provenance/manifest.json")
    # A tool, a step and an action for every rule that ran before the provenance was written.
    tools = {e["name"] for e in graph.values() if e["@id"].startswith("#tool/")}
    ran = {ids(e["instrument"])[0].removeprefix("#tool/") for e in graph.values() if e["@id"].startswith("#run/")}
    assert tools == set(manifest["rules"]) - {"all"}
    assert ran == tools - {"check_results_for_leaks"} | {"Snakefile"}  # the leak gate runs after the crate
    position = {e["name"]: e["position"] for e in graph.values() if e["@id"].startswith("#step/")}
    for upstream, downstream in manifest["rule_graph_edges"]:
        if downstream != "all":
            assert position[upstream] < position[downstream], (upstream, downstream)
    clean = graph["#run/clean_cohort"]
    assert "results/cleaning/analysis_table.tsv" in ids(clean["result"])
    assert "results/deid/patients.tsv" in ids(clean["object"])
    # The run: raw exports, config and commit in; every output and the manifest out, each with its digest.
    whole = graph["#run/workflow"]
    assert {"config/config.yaml", "requirements.txt", "resources/raw/patients.csv", "#git-commit"} <= set(
        ids(whole["object"])
    )
    assert set(manifest["outputs"]) | {"results/provenance/manifest.json"} == set(ids(whole["result"]))
    assert graph["results/provenance/manifest.json"]["sha256"] == sha256(full_run / "results/provenance/manifest.json")
    assert graph["#git-commit"]["value"] == manifest["git"]["commit"]
    versions = {graph[i]["name"]: graph[i]["softwareVersion"] for i in ids(graph["Snakefile"]["softwareRequirements"])}
    assert versions["Snakemake"] == "9.27.1" and versions["pandas"] == manifest["packages"]["pandas"]
    assert str(full_run) not in (full_run / "results/provenance/ro-crate-metadata.json").read_text(encoding="utf-8")


@pytest.mark.workflow
def test_provenance_is_byte_identical_when_written_again(full_run):
    before = {
        name: (full_run / "results/provenance" / name).read_bytes()
        for name in ("manifest.json", "ro-crate-metadata.json")
    }
    run(SNAKEMAKE + ["--cores", "1", "--forcerun", "write_provenance"], full_run)  # and the leak gate after it
    for name, content in before.items():
        assert (full_run / "results/provenance" / name).read_bytes() == content, name
    assert read_json(full_run / "results/leak_check.json")
