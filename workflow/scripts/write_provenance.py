"""Rule write_provenance: SHA-256 of every input and output, the config, the software and the code of the run,
the rule graph of the workflow, and the run as a Workflow Run RO-Crate."""

import json
import platform
from pathlib import Path

from common.quick_exit import exit_without_teardown
from common.rule_log import PROJECT_DIR, to_log
from provenance import file_digests, git_commit_date, git_state, requirement_versions
from provenance.crate import build_crate, write_crate

log = to_log(snakemake)
inp, out = snakemake.input, snakemake.output

# The rule graph of this configuration, from the rules' own inputs and outputs (rule_graph_edges in common.smk);
# rule draw_rule_graph drew it.
edges = [tuple(edge) for edge in snakemake.params.rule_graph]
nodes = {rule: rule for edge in edges for rule in edge}

# Every file the rules wrote, except what comes after the manifest (this rule's crate, the leak gate's report) and
# the report that `snakemake --report` builds after a run (it embeds the files hashed here).
NOT_HASHED = {
    out.manifest: "the manifest cannot hold its own digest; the RO-Crate beside it holds it",
    out.crate: "written after the manifest, from it; holds the manifest's digest",
    "results/leak_check.json": "written by the final leak gate, after this rule",
    "results/report.html": "built by `snakemake --report` after a run, from the files hashed here",
}
outputs = [
    p
    for p in Path("results").rglob("*")
    if p.is_file() and not str(p).startswith("results/provenance/") and str(p) not in NOT_HASHED
]
packages = requirement_versions(inp.requirements)
git = git_state(PROJECT_DIR)
run_inputs = [inp.codebook, *snakemake.params.raw_inputs, *inp.twin]
manifest = {
    "git": git,
    "snakemake": packages.get("snakemake"),
    "python": platform.python_version(),
    "packages": packages,
    "config": dict(snakemake.config),
    "inputs": file_digests([inp.config, inp.requirements, *run_inputs]),
    "outputs": file_digests([*outputs, inp.rulegraph_png, inp.rulegraph_pdf]),
    "not_hashed": NOT_HASHED,
    "rules": sorted(set(nodes.values())),
    "rule_graph_edges": sorted([nodes[a], nodes[b]] for a, b in edges),
}
Path(out.manifest).write_text(
    json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
)

crate = build_crate(
    jobs=snakemake.params.jobs,
    run_inputs=run_inputs,
    run_outputs=[*outputs, inp.rulegraph_png, inp.rulegraph_pdf],
    manifest=out.manifest,
    config_file=inp.config,
    requirements=inp.requirements,
    packages=packages,
    python_version=manifest["python"],
    git=git,
    date=git_commit_date(PROJECT_DIR),
    crate_path=out.crate,
)
write_crate(crate, out.crate)
log.info(
    "provenance: %d inputs, %d outputs, %d entities in the crate, commit %s",
    len(manifest["inputs"]),
    len(manifest["outputs"]),
    len(crate["@graph"]),
    manifest["git"]["commit"],
)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
