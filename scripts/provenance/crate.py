"""The run as a Workflow Run RO-Crate (https://w3id.org/ro/wfrun/workflow/0.5): the Snakefile as the main
ComputationalWorkflow, each rule as a tool (SoftwareApplication) and a step (HowToStep), one CreateAction per job
with the files it read and wrote (each with its SHA-256), one CreateAction for the whole run, the config, the
software versions and the git commit.

The crate's root is the project's folder: every File @id is a path relative to it, as in the manifest (no absolute
path of the machine). The metadata file is written to results/provenance/; copy it to the project's root to use the
folder as an attached crate. Deterministic: no clock time (no start or end times), entities sorted by @id, the
crate dated by its git commit.
"""

from __future__ import annotations

import json
from pathlib import Path

from rocrate.rocrate import ROCrate

from . import sha256

RO_CRATE_VERSION = "1.1"
PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": ("Process Run Crate", "0.5"),
    "https://w3id.org/ro/wfrun/workflow/0.5": ("Workflow Run Crate", "0.5"),
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": ("Workflow RO-Crate", "1.0"),
}
WFRUN_CONTEXT = "https://w3id.org/ro/terms/workflow-run"
# Without a git commit to date the run by, a fixed date keeps the crate deterministic (the leak gate knows this
# stamp: deidentify.leaks.BUILD_STAMP).
UNDATED = "1970-01-01T00:00:00+00:00"
UNHASHED = ("logs/",)  # logs hold run times: their digests would differ from run to run


def tool_id(rule: str) -> str:
    return f"#tool/{rule}"


def step_id(rule: str) -> str:
    return f"#step/{rule}"


def action_id(job: str) -> str:
    return f"#run/{job}"


def build_crate(
    *,
    jobs: dict[str, dict],
    run_inputs: list[str],
    run_outputs: list[str],
    manifest: str,
    config_file: str,
    requirements: str,
    packages: dict[str, str],
    python_version: str,
    git: dict,
    date: str | None,
    crate_path: str,
    project_dir: str | Path = ".",
) -> dict:
    """The crate's JSON-LD. `jobs` maps each job to its rule, script, inputs and outputs (paths relative to
    `project_dir`; rule_jobs in workflow/rules/common.smk). `crate_path` is where the crate goes: the job writing it
    is recorded without it (a file cannot hold its own digest), and the jobs downstream of that job (the final leak
    gate), or whose outputs are missing, get no action. Files are described only if they exist; those under logs/
    without a digest (logs hold run times). `date` (the git commit's) dates the crate; None gives UNDATED."""
    project_dir = Path(project_dir)
    date = date or UNDATED
    crate = ROCrate(version=RO_CRATE_VERSION)
    crate.metadata.extra_contexts.append(WFRUN_CONTEXT)
    files: dict[str, object] = {}

    def file(path: str):
        """The File entity of a path (relative to the project), with its SHA-256; None if there is no such file."""
        path = str(path)
        if path not in files:
            real = project_dir / path
            if not real.is_file():
                return None
            properties = {"name": Path(path).name}
            if not path.startswith(UNHASHED):
                properties.update(sha256=sha256(real), contentSize=str(real.stat().st_size))
            if Path(path).is_absolute() or path.startswith(".."):
                # Raw exports kept outside the repository (as real ones should be): described by name and digest
                # as a contextual entity, so that no folder of the machine is written into the crate.
                files[path] = crate.add_jsonld(
                    {"@id": f"#outside-the-project/{Path(path).name}", "@type": "File", **properties}
                )
            else:
                files[path] = crate.add_file(dest_path=path, properties=properties)
        return files[path]

    root = crate.root_dataset
    root["name"] = "Revision surgery after operations for long-bone metastases: a run of the study's workflow"
    root["description"] = (
        "Workflow Run RO-Crate of one run of the Snakemake workflow: the workflow, its rules, one action per job "
        "with the files it read and wrote (SHA-256), the config, the software versions and the git commit."
    )
    root["datePublished"] = date
    root["license"] = "https://spdx.org/licenses/MIT"  # the project's LICENSE
    for uri, (name, version) in sorted(PROFILES.items()):
        crate.add_jsonld({"@id": uri, "@type": ["CreativeWork", "Profile"], "name": name, "version": version})
    root["conformsTo"] = [{"@id": uri} for uri in sorted(PROFILES)]

    # The software: Snakemake (the engine) and every pinned package, with the version actually installed.
    engine = crate.add_jsonld(
        {
            "@id": "https://snakemake.readthedocs.io",
            "@type": "SoftwareApplication",
            "name": "Snakemake",
            "softwareVersion": packages.get("snakemake", "unknown"),
        }
    )
    software = [
        crate.add_jsonld(
            {
                "@id": f"https://pypi.org/project/{name}/{version}/",
                "@type": "SoftwareApplication",
                "name": name,
                "softwareVersion": version,
            }
        )
        for name, version in sorted(packages.items())
        if name != "snakemake"
    ]
    python = crate.add_jsonld(
        {
            "@id": f"https://www.python.org/downloads/release/python-{python_version.replace('.', '')}/",
            "@type": "SoftwareApplication",
            "name": "Python",
            "softwareVersion": python_version,
        }
    )

    # The workflow: the Snakefile, its rules as tools and steps.
    workflow = crate.add_workflow(
        dest_path="Snakefile",
        main=True,
        lang="snakemake",
        lang_version=packages.get("snakemake"),
        properties={"name": "Snakefile", "sha256": sha256(project_dir / "Snakefile")},
    )
    rule_scripts = {job["rule"]: job.get("script") for job in jobs.values()}
    position_of = {rule: i for i, rule in enumerate(execution_order(jobs))}
    tools, steps = [], []
    for rule in sorted(rule_scripts):
        script = rule_scripts[rule]
        tool = crate.add_jsonld(
            {
                "@id": tool_id(rule),
                "@type": "SoftwareApplication",
                "name": rule,
                "description": f"Snakemake rule {rule}",
            }
        )
        if script and file(script) is not None:
            tool["hasPart"] = [{"@id": script}]
        tools.append(tool)
        steps.append(
            crate.add_jsonld(
                {
                    "@id": step_id(rule),
                    "@type": "HowToStep",
                    "name": rule,
                    "position": position_of[rule],
                    "workExample": {"@id": tool.id},
                }
            )
        )
    workflow["hasPart"] = [{"@id": t.id} for t in tools]
    workflow["softwareRequirements"] = [{"@id": x.id} for x in (engine, python, *software)]
    workflow["step"] = [{"@id": s.id} for s in steps]

    # The config and the commit, as the run's parameters.
    config = file(config_file)
    requirements_file = file(requirements)
    commit = crate.add_jsonld(
        {
            "@id": "#git-commit",
            "@type": "PropertyValue",
            "name": "git commit",
            "value": str(git.get("commit")),
            "description": "working tree differed from the commit"
            if git.get("dirty")
            else "working tree as committed"
            if git.get("dirty") is False
            else "not a git checkout",
        }
    )

    # One action per job that ran before the provenance was written (not those downstream of it, even if their
    # outputs are left from an earlier run).
    after = downstream_rules(jobs, crate_path)
    for job, spec in sorted(jobs.items()):
        if spec["rule"] in after:
            continue
        outputs = [file(p) for p in spec["outputs"] if p != crate_path]
        if not outputs or any(o is None for o in outputs):
            continue
        inputs = [f for f in (file(p) for p in spec["inputs"]) if f is not None]
        crate.add_action(
            crate.dereference(tool_id(spec["rule"])),
            identifier=action_id(job),
            object=inputs,
            result=outputs,
            properties={"@type": "CreateAction", "name": f"Run of rule {spec['rule']} ({job})"},
        )

    # The whole run: the workflow with its inputs, config and parameters, and its results.
    manifest_file = file(manifest)
    run_objects = [f for f in (file(p) for p in sorted(map(str, run_inputs))) if f is not None]
    crate.add_action(
        workflow,
        identifier=action_id("workflow"),
        object=run_objects + [x for x in (config, requirements_file) if x is not None] + [commit],
        result=[f for f in (file(p) for p in sorted(map(str, run_outputs))) if f is not None]
        + ([manifest_file] if manifest_file is not None else []),
        properties={"@type": "CreateAction", "name": "Run of the study's workflow"},
    )
    root["mainEntity"] = {"@id": workflow.id}
    root["hasPart"] = [{"@id": path} for path in sorted({*files, workflow.id})]
    return ordered(crate.metadata.generate())


def downstream_rules(jobs: dict[str, dict], path: str) -> set[str]:
    """The rules that run after the one writing `path`: those reading its outputs, those reading theirs, and so on."""
    writer = {job["rule"] for job in jobs.values() if path in job["outputs"]}
    found: set[str] = set()
    while True:
        written = {p for job in jobs.values() if job["rule"] in writer | found for p in job["outputs"]}
        more = {job["rule"] for job in jobs.values() if written & set(job["inputs"])} - found - writer
        if not more:
            return found
        found |= more


def execution_order(jobs: dict[str, dict]) -> list[str]:
    """The rules in an order they can run in (each after the rules whose outputs it reads), ties by name."""
    writer = {path: job["rule"] for job in jobs.values() for path in job["outputs"]}
    needs = {job["rule"]: set() for job in jobs.values()}
    for job in jobs.values():
        needs[job["rule"]] |= {writer[p] for p in job["inputs"] if p in writer and writer[p] != job["rule"]}
    order: list[str] = []
    while needs:
        ready = sorted(rule for rule, before in needs.items() if not before - set(order))
        if not ready:  # a cycle: cannot happen in a Snakemake DAG, but never loop forever
            ready = sorted(needs)
        order.append(ready[0])
        del needs[ready[0]]
    return order


def ordered(jsonld: dict) -> dict:
    """The crate with no empty values, the metadata descriptor and the root first and every other entity sorted by
    @id, and list values sorted where order carries no meaning: the same run gives the same bytes."""
    graph = []
    for entity in jsonld["@graph"]:
        entity = {k: v for k, v in entity.items() if v is not None and v != []}
        graph.append(entity)
    first = {"ro-crate-metadata.json": 0, "./": 1}
    graph.sort(key=lambda e: (first.get(e["@id"], 2), e["@id"]))
    return {"@context": jsonld["@context"], "@graph": graph}


def write_crate(jsonld: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(jsonld, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
