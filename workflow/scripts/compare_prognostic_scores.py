"""Rule compare_prognostic_scores: survival by each prognostic score's groups against the survival its authors
published (calibration), the recommendation analysis (osteosynthesis against endoprosthesis) within each score's
groups with its interaction tests, and their figures: survival by score group, calibration and one recommendation
figure per score (the discrimination's forest plot is drawn by assess_prognostic_scores)."""

import pandas as pd

from analysis import data, figures, risk
from analysis.output import write_figure, write_figures, write_tsv
from analysis.prognostic_scores import per_patient
from analysis.recommendation import COMPARED
from analysis.score_comparison import SCORE_LABELS, calibration, group_order, recommendation_by_score, with_score_groups
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
inp, out, p = snakemake.input, snakemake.output, snakemake.params
alpha = 1 - p.confidence_level
analysis = data.load(inp.analysis)
df = with_score_groups(analysis, per_patient(analysis))

table = calibration(df, p.horizons_months, p.confidence_level)
write_tsv(table, out.calibration)
cif, tests, interaction = recommendation_by_score(df, p.horizons_months, p.confidence_level)
write_tsv(cif, out.recommendation_cif)
write_tsv(tests, out.recommendation_tests)
write_tsv(interaction, out.interaction)

groups = {name: group_order(name) for name in SCORE_LABELS}
survival_curves = {}
NO_CURVES = pd.DataFrame(columns=["group", "curve", "months", "estimate", "survival", "lower", "upper"])
for name in SCORE_LABELS:
    known = df[df[f"{name}_group"].notna()]
    # A score no patient has (its inputs missing from the exports) draws an empty panel.
    survival_curves[name] = risk.overall_survival(known, alpha, known[f"{name}_group"])[0] if len(known) else NO_CURVES
write_figures(
    lambda text: figures.survival_by_score(survival_curves, df, groups, SCORE_LABELS, p.max_months, text),
    en=(out.survival_png, out.survival_pdf),
    ru=(out.survival_ru_png, out.survival_ru_pdf),
)
write_figure(
    figures.score_calibration(table, SCORE_LABELS, p.confidence_level), out.calibration_png, out.calibration_pdf
)
for name in ("bauer", "katagiri_new"):
    column = f"{name}_group"
    curves = {}
    for group in groups[name]:
        within = df[(df[column] == group) & df["fixation"].isin(COMPARED)]
        curves[group] = risk.curves(within, alpha, within["fixation"]) if len(within) else NO_CURVES
    write_figure(
        figures.recommendation(curves, tests[tests["score"] == name], df, p.max_months, column, name),
        out[f"recommendation_{name}_png"],
        out[f"recommendation_{name}_pdf"],
    )
for name in SCORE_LABELS:
    log.info("%s: %d patients without a score (an input missing)", name, int(df[f"{name}_group"].isna().sum()))
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
