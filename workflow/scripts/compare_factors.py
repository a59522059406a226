"""Rule compare_factors: cumulative incidence of revision by factor with Gray's test; cause-specific Cox and
Fine-Gray models, univariable and multivariable within the events-per-variable limit; proportional-hazards checks
(R's cox.zph score test of both models, time-split and Fine-Gray windows), the ridge model and the sensitivity
analyses of the supplement."""

import pandas as pd

from analysis import data, factors, figures, risk, sensitivity
from analysis.output import write_figures, write_json, write_tsv
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
inp, out, p = snakemake.input, snakemake.output, snakemake.params
alpha = 1 - p.confidence_level
df = data.load(inp.analysis)

cif_rows, tests = [], []
groups = {}
for name in p.factors:
    group = data.factor(df, name, p.primary_groups_shown)
    groups[name] = group
    cif_rows.append(factors.cif_by_group(df, group, p.horizons_months, name, p.confidence_level))
    tests.append(factors.gray(df, group, name))
write_tsv(pd.concat(cif_rows, ignore_index=True), out.cif_by_factor)
tests = pd.DataFrame(tests)
write_tsv(tests, out.gray)

table, ph, record = factors.models(df, p.candidate_covariates, p.multivariable, p.min_events_per_variable, alpha)
if table.empty:  # no model could be fitted (a thin cohort): the table keeps its header, every claim not estimable
    table = pd.DataFrame(
        columns=["model", "kind", "covariate", "label", "hr", "lower", "upper", "coef", "se", "p_value"]
    )
write_tsv(table, out.models)
write_tsv(ph, out.ph_checks)
split_days = p.time_split_months * data.DAYS_PER_MONTH
fitted = {f"univariable: {c}": [c] for c in p.candidate_covariates}
if record.get("multivariable_covariates"):
    fitted["multivariable"] = record["multivariable_covariates"]
if len(ph):
    time_split, fine_gray_ph = factors.proportionality(df, ph, fitted, split_days, alpha)
else:
    time_split, fine_gray_ph = pd.DataFrame(), pd.DataFrame()
write_tsv(time_split, out.time_split)
# Sensitivity analyses (the supplement), here rather than in a rule of their own: one Python start-up less.
write_tsv(
    sensitivity.run(df, p.excluded_causes, p.early_death_days, p.horizons_months, p.confidence_level),
    out.sensitivity,
)
ranked = factors.apriori_covariates(p.multivariable)
write_tsv(factors.ridge_cox(df, ranked, p.ridge_penalty, alpha) if record["events"] else pd.DataFrame(), out.ridge)
write_tsv(fine_gray_ph, out.fine_gray_ph)
# Each figure in English and in Russian (manuscript_ru), drawn from the same data.
schoenfeld_paths = {
    "en": (out.schoenfeld_png, out.schoenfeld_pdf),
    "ru": (out.schoenfeld_ru_png, out.schoenfeld_ru_pdf),
}
if record.get("multivariable_covariates"):
    try:
        residuals = factors.schoenfeld_residuals(df, record["multivariable_covariates"])
    except Exception as err:  # noqa: BLE001 - a model the thin cohort cannot fit: the figure says so
        log.warning("Schoenfeld residuals not estimable: %s", err)
        residuals = None
    ph_cox = ph[ph["kind"] == "cause-specific Cox"]
    write_figures(
        lambda text: (
            figures.schoenfeld(residuals, ph_cox, p.time_split_months, p.max_months, text)
            if residuals is not None
            else figures.not_estimable(text("schoenfeld.name"), text("schoenfeld.not_fitted"), text)
        ),
        **schoenfeld_paths,
    )
else:
    write_figures(
        lambda text: figures.not_estimable(text("schoenfeld.name"), text("schoenfeld.no_model"), text),
        **schoenfeld_paths,
    )
record["multivariable_principle"] = p.multivariable["principle"]
write_json(record, out.record)

test_of = tests.set_index("factor")
for name, stem, title, order in (
    ("operation_method", "method", "cif_by_group.by_operation_method", None),
    ("prognostic_group", "prognosis", "cif_by_group.by_modified_bauer", list(data.PROGNOSTIC_GROUPS)),
):
    curves = risk.curves(df, alpha, groups[name])
    write_figures(
        lambda text, curves=curves, name=name, title=title, order=order: figures.cif_by_group(
            curves, df, groups[name], text(title), test_of.loc[name].to_dict(), p.max_months, order, text
        ),
        en=(out[f"{stem}_png"], out[f"{stem}_pdf"]),
        ru=(out[f"{stem}_ru_png"], out[f"{stem}_ru_pdf"]),
    )
write_figures(
    lambda text: (
        figures.forest(table, p.confidence_level, text)
        if len(table)
        else figures.not_estimable(text("hazard_ratios.name"), text("hazard_ratios.no_model"), text)
    ),
    en=(out.forest_png, out.forest_pdf),
    ru=(out.forest_ru_png, out.forest_ru_pdf),
)
for t in tests.itertuples():
    log.info("Gray's test by %s: chi2 %.3f, df %d, p %.4g", t.factor, t.statistic, t.df, t.p_value)
for warning in record["warnings"]:
    log.warning("%s", warning)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
