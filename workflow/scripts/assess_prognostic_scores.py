"""Rule assess_prognostic_scores: the three scores per patient and their discrimination (multiple imputation, and
the complete-case sensitivity analysis), with its forest plot."""

from analysis import data, figures
from analysis.output import write_figures, write_tsv
from analysis.prognostic_scores import SCORE_LABELS, analyse
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
settings = snakemake.params.settings
tables = analyse(data.load(snakemake.input.analysis), settings)
write_tsv(tables["scores"], snakemake.output.scores)
write_tsv(tables["discrimination"], snakemake.output.discrimination)
write_tsv(tables["complete_case"], snakemake.output.complete_case)
out = snakemake.output
write_figures(
    lambda text: figures.discrimination_forest(
        tables["discrimination"], SCORE_LABELS, settings["confidence_level"], text
    ),
    en=(out.forest_png, out.forest_pdf),
    ru=(out.forest_ru_png, out.forest_ru_pdf),
)
missing = tables["scores"].drop(columns="patient_id").isna().sum()
log.info("patients with a score missing before imputation: %s", missing.to_dict())
log.info(
    "%d imputations x %d bootstrap resamples; C and AUC pooled by Rubin's rules",
    settings["imputations"],
    settings["bootstrap_resamples"],
)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
