"""Rule describe_cohort: Table 1, revision causes by primary tumour, time to revision by cause, and their figures;
the descriptive tables config `publication.small_cells` names are protected (analysis.small_cells)."""

import yaml

from analysis import data, description, figures, small_cells
from analysis.output import write_figures, write_json, write_tsv
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
inp, out = snakemake.input, snakemake.output
df = data.load(inp.analysis)
# libyaml's parser where PyYAML has it (the same safe constructor, a tenth of the pure-Python parser's time).
codebook = yaml.load(open(inp.codebook, encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
causes = list(codebook["revision_cause"])
primaries = list(codebook["primary_group"])

settings = snakemake.params.small_cells
audit = []


def protected_table_one(name, frame, groupby):
    """Table 1 of `frame`; if config lists it, with rare categories pooled first (action pool) and the small
    counts left suppressed."""
    if name not in settings["tables"]:
        return description.table_one(frame, groupby)
    pooled = {}
    if settings["action"] == "pool":
        frame, pooled = small_cells.pool_rare(frame, small_cells.POOLABLE, int(settings["minimum"]))
    table, entry = small_cells.protect(description.table_one(frame, groupby), "table_one", settings, name)
    audit.append({**entry, "categories_pooled": pooled} if settings["action"] == "pool" else entry)
    return table


write_tsv(protected_table_one("table1", df, None), out.table1)
# The paper's Table 1 (by revision): the published numbers, never altered (config publication.small_cells).
write_tsv(
    description.table_one(df.assign(revised=df["revised"].map({True: "revised", False: "not revised"})), "revised"),
    out.table1_by_revision,
)
write_tsv(protected_table_one("table1_by_method", df, "operation_method"), out.table1_by_method)
crosstab = small_cells.cross_tabulation(
    df.assign(age_band=small_cells.age_band(df["age_at_surgery"], 10, snakemake.params.age_top_code)),
    small_cells.CROSSTAB_KEYS,
)
if "cohort_crosstab" in settings["tables"]:
    crosstab, entry = small_cells.protect(crosstab, "counts", settings, "cohort_crosstab")
    audit.append(entry)
write_tsv(crosstab, out.cohort_crosstab)
write_json({"minimum": settings["minimum"], "action": settings["action"], "tables": audit}, out.small_cells)
by_primary = description.causes_by_primary(df, causes, primaries)
write_tsv(by_primary, out.causes_by_primary)
write_tsv(description.time_to_revision_by_cause(df, causes), out.time_to_revision)
# Each figure in English and in Russian (manuscript_ru), drawn from the same data.
write_figures(
    lambda text: figures.causes_by_primary(by_primary, text),
    en=(out.causes_png, out.causes_pdf),
    ru=(out.causes_ru_png, out.causes_ru_pdf),
)
write_figures(
    lambda text: figures.swimmer(df, text=text),
    en=(out.swimmer_png, out.swimmer_pdf),
    ru=(out.swimmer_ru_png, out.swimmer_ru_pdf),
)
log.info("%d patients, %d revised", len(df), int(df["revised"].sum()))
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
