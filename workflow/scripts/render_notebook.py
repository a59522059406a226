"""Rule render_notebook: the executed notebook without run-time metadata (timestamps, durations), as .ipynb and
HTML, so that two runs give the same bytes."""

import re

import nbformat
from nbconvert import HTMLExporter

from common.rule_log import to_log

log = to_log(snakemake)
notebook = nbformat.read(snakemake.input.notebook, as_version=4)
notebook.metadata.pop("papermill", None)
notebook.metadata.pop("widgets", None)
for number, cell in enumerate(notebook.cells):
    cell.metadata.pop("papermill", None)
    cell.metadata.pop("execution", None)
    cell["id"] = f"cell-{number}"  # execution gives random ids
    if cell.cell_type == "code" and "snakemake = pickle.loads" in cell.source:
        # Snakemake's injected preamble holds this run's temporary paths: not part of the analysis.
        cell.source = "# Snakemake's preamble (the rule's inputs, outputs and config) was injected here."
        cell.outputs = []
nbformat.write(notebook, snakemake.output.notebook)
html, _ = HTMLExporter().from_notebook_node(notebook)
# nbconvert links require.js and MathJax from a CDN; the notebook needs neither, and a page that reaches out to the
# network when opened does not belong in an offline workflow's results.
html = re.sub(r'<script[^>]+src="https?://[^"]*"[^>]*>\s*</script>', "", html)
with open(snakemake.output.html, "w", encoding="utf-8") as f:
    f.write(html)
errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
log.info("rendered %d cells; %d error outputs", len(notebook.cells), len(errors))
if errors:
    raise SystemExit(f"the notebook has {len(errors)} error outputs")
