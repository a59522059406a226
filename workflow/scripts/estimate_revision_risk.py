"""Rule estimate_revision_risk: 1 - Kaplan-Meier against the cumulative incidence of revision, the stacked
cumulative incidence of revision and death, and overall survival."""

import pandas as pd

from analysis import data, figures, risk
from analysis.output import write_figures, write_tsv
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
inp, out, p = snakemake.input, snakemake.output, snakemake.params
alpha = 1 - p.confidence_level
df = data.load(inp.analysis)

table = risk.revision_risk(df, p.horizons_months, alpha)
curves = risk.curves(df, alpha)
os_curves, os_table = risk.overall_survival(df, alpha, horizons=p.horizons_months)
primary = data.grouped_primary(df, p.primary_groups_shown)
os_by_primary_curves, os_by_primary = risk.overall_survival(df, alpha, primary, p.horizons_months)
write_tsv(table, out.risk)
write_tsv(curves, out.curves)
write_tsv(pd.concat([os_table.assign(grouping="all"), os_by_primary.assign(grouping="primary_group")]), out.survival)
# Each figure in English and in Russian (manuscript_ru), drawn from the same data.
write_figures(
    lambda text: figures.km_versus_cif(curves, table, df, p.max_months, text),
    en=(out.km_cif_png, out.km_cif_pdf),
    ru=(out.km_cif_ru_png, out.km_cif_ru_pdf),
)
write_figures(
    lambda text: figures.stacked_cif(curves, df, p.max_months, text),
    en=(out.stacked_png, out.stacked_pdf),
    ru=(out.stacked_ru_png, out.stacked_ru_pdf),
)
write_figures(
    lambda text: figures.overall_survival(os_curves, os_by_primary_curves, df, primary, p.max_months, text),
    en=(out.survival_png, out.survival_pdf),
    ru=(out.survival_ru_png, out.survival_ru_pdf),
)
for row in table.itertuples():
    log.info(
        "%s: 1-KM %.3f, cumulative incidence %.3f (overstated by %.1f points)",
        row.horizon,
        row.km_revision,
        row.cif_revision,
        row.overestimate_points,
    )
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
