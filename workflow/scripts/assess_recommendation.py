"""Rule assess_recommendation: the modified Bauer score per patient; the cumulative incidence of revision after
osteosynthesis versus endoprosthesis within each prognostic group (Gray's tests with Holm's correction); the
method-by-prognosis interaction; the arms' prognostic mix."""

from analysis import data, figures, recommendation, risk
from analysis.output import write_figures, write_tsv
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
inp, out, p = snakemake.input, snakemake.output, snakemake.params
df = data.load(inp.analysis)
write_tsv(df[["patient_id", "modified_bauer_score", "prognostic_group", "fixation"]], out.scores)
table, tests = recommendation.fixation_within_prognostic_groups(df, p.horizons_months, p.confidence_level)
write_tsv(table, out.table)
write_tsv(tests, out.tests)
write_tsv(recommendation.interactions(df, p.confidence_level), out.interaction)
write_tsv(recommendation.prognostic_mix(df), out.mix)
curves = {}
for group in data.PROGNOSTIC_GROUPS:
    within = df[(df["prognostic_group"] == group) & df["fixation"].isin(recommendation.COMPARED)]
    curves[group] = risk.curves(within, 1 - p.confidence_level, within["fixation"])
write_figures(
    lambda text: figures.recommendation(curves, tests, df, p.max_months, text=text),
    en=(out.figure_png, out.figure_pdf),
    ru=(out.figure_ru_png, out.figure_ru_pdf),
)
for t in tests.itertuples():
    log.info("modified Bauer %s: osteosynthesis vs endoprosthesis, Gray's p = %s", t.prognostic_group, t.p_value)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
