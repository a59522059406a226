"""Rule describe_cohort: Table 1, revision causes by primary tumour, time to revision by cause, and their figures."""

import yaml

from analysis import data, description, figures
from analysis.output import write_figure, write_tsv
from common.rule_log import to_log

log = to_log(snakemake)
inp, out = snakemake.input, snakemake.output
df = data.load(inp.analysis)
codebook = yaml.safe_load(open(inp.codebook, encoding="utf-8"))
causes = list(codebook["revision_cause"])
primaries = list(codebook["primary_group"])

write_tsv(description.table_one(df, None), out.table1)
write_tsv(
    description.table_one(df.assign(revised=df["revised"].map({True: "revised", False: "not revised"})), "revised"),
    out.table1_by_revision,
)
write_tsv(description.table_one(df, "operation_method"), out.table1_by_method)
by_primary = description.causes_by_primary(df, causes, primaries)
write_tsv(by_primary, out.causes_by_primary)
write_tsv(description.time_to_revision_by_cause(df, causes), out.time_to_revision)
write_figure(figures.causes_by_primary(by_primary), out.causes_png, out.causes_pdf)
write_figure(figures.swimmer(df), out.swimmer_png, out.swimmer_pdf)
log.info("%d patients, %d revised", len(df), int(df["revised"].sum()))
