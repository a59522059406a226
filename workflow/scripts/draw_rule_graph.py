"""Rule draw_rule_graph: the rule graph of this configuration, from the rules' own inputs and outputs
(rule_graph_edges in common.smk), drawn with matplotlib (no graphviz needed)."""

from common.plotting import save_figure
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from provenance import draw_rulegraph

log = to_log(snakemake)
edges = [tuple(edge) for edge in snakemake.params.rule_graph]
nodes = {rule: rule for edge in edges for rule in edge}
save_figure(draw_rulegraph(nodes, edges), snakemake.output.png, snakemake.output.pdf)
log.info("rule graph: %d rules, %d edges", len(nodes), len(edges))
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
