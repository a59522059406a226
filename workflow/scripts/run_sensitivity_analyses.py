"""Rule run_sensitivity_analyses: the main estimates again with implant failure as the only revision, on the femur
only, and with early deaths censored instead of competing."""

from analysis import data, sensitivity
from analysis.output import write_tsv
from common.rule_log import to_log

log = to_log(snakemake)
inp, out, p = snakemake.input, snakemake.output, snakemake.params
df = data.load(inp.analysis)
table = sensitivity.run(df, p.excluded_causes, p.early_death_days, p.horizons_months, p.confidence_level)
write_tsv(table, out.table)
for r in table.itertuples():
    log.info("%s: n %d, revisions %d, Fine-Gray sHR of osteosynthesis %.3f", r.analysis, r.n, r.revisions, r.fg_hr)
