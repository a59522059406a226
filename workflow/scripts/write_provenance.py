"""Rule write_provenance: SHA-256 of every input and output, the config, the software and the code of the run,
and the rule graph of the workflow."""

import json
import platform
from pathlib import Path

from common.plotting import save_figure
from common.rule_log import PROJECT_DIR, to_log
from provenance import draw_rulegraph, file_digests, git_state, requirement_versions

log = to_log(snakemake)
inp, out = snakemake.input, snakemake.output

# The rule graph of this configuration, from the rules' own inputs and outputs (rule_graph_edges in common.smk).
edges = [tuple(edge) for edge in snakemake.params.rule_graph]
nodes = {rule: rule for edge in edges for rule in edge}
save_figure(draw_rulegraph(nodes, edges), out.rulegraph_png, out.rulegraph_pdf)

# Every file the rules wrote, except what comes after this rule (the leak gates' reports) and the report that
# `snakemake --report` builds after a run (it embeds the files hashed here).
NOT_HASHED = {"results/leak_check.json", "results/report.html"}
outputs = [
    p
    for p in Path("results").rglob("*")
    if p.is_file() and not str(p).startswith("results/provenance/") and str(p) not in NOT_HASHED
]
manifest = {
    "git": git_state(PROJECT_DIR),
    "snakemake": requirement_versions(inp.requirements).get("snakemake"),
    "python": platform.python_version(),
    "packages": requirement_versions(inp.requirements),
    "config": dict(snakemake.config),
    "inputs": file_digests([inp.codebook, inp.config, *snakemake.params.raw_inputs]),
    "outputs": file_digests(outputs),
    "rules": sorted(set(nodes.values())),
    "rule_graph_edges": sorted([nodes[a], nodes[b]] for a, b in edges),
}
Path(out.manifest).write_text(
    json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
)
log.info(
    "provenance: %d inputs, %d outputs, commit %s",
    len(manifest["inputs"]),
    len(manifest["outputs"]),
    manifest["git"]["commit"],
)
