"""Rule collect_numbers: every number the manuscript quotes, under stable keys, in results/numbers.json; and every
comparative sentence of the manuscript, chosen from its estimate, interval and p-value, in claims.tsv (English) and
claims_ru.tsv (the same sentences in Russian, written from the same verdicts by the same call)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import claims, data
from analysis.output import write_json, write_tsv
from analysis.risk import median_follow_up
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from common.study import CENSORED, DEATH

log = to_log(snakemake)
inp, p = snakemake.input, snakemake.params


def tsv(path):
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""])


def whole(value):
    """Integers stay integers (a median of whole numbers that is whole is an int)."""
    return int(value) if float(value).is_integer() else float(value)


df = data.load(inp.analysis)
flow = json.loads(open(inp.flow, encoding="utf-8").read())
revised = df[df["revised"]]
risk = tsv(inp.risk).set_index("horizon")
survival = tsv(inp.survival)
overall = survival[survival["grouping"] == "all"].iloc[0]
gray = tsv(inp.gray).set_index("factor")
models = tsv(inp.models)
record = json.loads(open(inp.record, encoding="utf-8").read())
recommendation = tsv(inp.recommendation_tests).set_index("prognostic_group")
time_to_revision = tsv(inp.time_to_revision).set_index("revision_cause")
interaction = tsv(inp.interaction)
recommendation_table = tsv(inp.recommendation_table)
_risk = tsv(inp.risk)
horizons_months = dict(zip(_risk["horizon"], _risk["months"], strict=True))


def interval(frame, row, estimate, lower, upper):
    return {"estimate": frame.loc[row, estimate], "lower": frame.loc[row, lower], "upper": frame.loc[row, upper]}


def bootstrap_numbers() -> dict | None:
    """Percentile intervals of the bootstrap (config bootstrap.resamples), by estimate; None when it was left out."""
    if "bootstrap" not in inp.keys():
        return None
    rows = tsv(inp.bootstrap).set_index("estimate")
    return {
        "resamples": p.bootstrap_resamples,
        "intervals": {
            e: {"lower": r.lower, "upper": r.upper, "replicates": int(r.replicates), "failed": int(r.failed)}
            for e, r in rows.iterrows()
        },
    }


numbers = {
    "n_patients": int(len(df)),
    "n_revised": int(df["revised"].sum()),
    "revised_percent": round(100 * df["revised"].mean(), 1),
    "median_age": whole(np.median(df["age_at_surgery"])),
    "age_iqr": [whole(df["age_at_surgery"].quantile(0.25)), whole(df["age_at_surgery"].quantile(0.75))],
    "period": [int(df["year_of_surgery"].min()), int(df["year_of_surgery"].max())],
    "n_female": int((df["sex"] == "female").sum()),
    "revision_causes": {c: int((revised["revision_cause"] == c).sum()) for c in p.causes},
    "revised_primaries": {g: int(n) for g, n in revised["primary_group"].value_counts().sort_index().items()},
    "primaries": {g: int(n) for g, n in df["primary_group"].value_counts().sort_index().items()},
    "operation_methods": {m: int(n) for m, n in df["operation_method"].value_counts().sort_index().items()},
    "revised_by_method": {m: int(n) for m, n in revised["operation_method"].value_counts().sort_index().items()},
    "pathological_fractures": int(df["pathological_fracture"].sum()),
    "deaths_without_revision": int((df["event"] == DEATH).sum()),
    "censored": int((df["event"] == CENSORED).sum()),
    "deaths": int(df["died"].sum()),
    "flow": flow,
    "km_revision": {h: risk.loc[h, "km_revision"] for h in risk.index},
    "cif_revision": {h: risk.loc[h, "cif_revision"] for h in risk.index},
    "km_revision_ci": {h: interval(risk, h, "km_revision", "km_lower", "km_upper") for h in risk.index},
    "cif_revision_ci": {h: interval(risk, h, "cif_revision", "cif_lower", "cif_upper") for h in risk.index},
    "km_overestimate_points": {h: risk.loc[h, "overestimate_points"] for h in risk.index},
    "km_overestimate_relative": {h: risk.loc[h, "overestimate_relative"] for h in risk.index},
    "overall_survival": {h: overall[f"survival_{h}"] for h in p.horizons},
    "overall_survival_median_months": overall["median_months"],
    "time_to_revision_months": {
        c: {
            "median": time_to_revision.loc[c, "median_months"],
            "q1": time_to_revision.loc[c, "q1_months"],
            "q3": time_to_revision.loc[c, "q3_months"],
        }
        for c in time_to_revision.index
        if time_to_revision.loc[c, "n"] > 0
    },
    "gray_tests": {
        f: {"statistic": gray.loc[f, "statistic"], "df": int(gray.loc[f, "df"]), "p_value": gray.loc[f, "p_value"]}
        for f in gray.index
    },
    "hazard_ratios": {
        f"{row.kind}|{row.model}|{row.covariate}": {
            "hr": row.hr,
            "lower": row.lower,
            "upper": row.upper,
            "p_value": row.p_value,
        }
        for row in models.itertuples()
    },
    "events_per_variable": record.get("events_per_variable"),
    "multivariable_covariates": record.get("multivariable_covariates", []),
    "model_warnings": record.get("warnings", []),
    "recommendation_gray": {
        g: {
            "statistic": recommendation.loc[g, "statistic"],
            "p_value": recommendation.loc[g, "p_value"],
            "p_holm": recommendation.loc[g, "p_holm"],
        }
        for g in recommendation.index
    },
    "recommendation": {
        "interaction_p_value": interaction.set_index("kind").loc["Fine-Gray", "p_value"],
        "interaction_p_value_cause_specific": interaction.set_index("kind").loc["cause-specific Cox", "p_value"],
        "interaction_by_group_p_value": interaction.set_index("kind")["p_value"].iloc[-1],
        "holm_family": recommendation["family"].iloc[0],
    },
    "time_split_months": p.time_split_months,
    "early_death_days": p.early_death_days,
    "median_follow_up_months": median_follow_up(df["survival_days"], df["died"]) / data.DAYS_PER_MONTH,
    "multivariable_patients": record.get("multivariable_patients"),
    "multivariable_principle": record.get("multivariable_principle", ""),
    "multivariable_events": record.get("multivariable_events"),
    "other_operations_left_out": record.get("other_operations_left_out"),
    "prognostic_groups": {g: int(n) for g, n in df["prognostic_group"].value_counts().sort_index().items()},
    "min_events_per_variable": p.min_events_per_variable,
    "confidence_percent": round(100 * p.confidence_level),
    "bootstrap": bootstrap_numbers(),
}
write_json(numbers, snakemake.output.numbers)
claim_table = claims.build(
    gray.reset_index(),
    models,
    recommendation_table,
    recommendation.reset_index(),
    interaction,
    p.claims_horizon,
    horizons_months,
    p.confidence_level,
    tsv(inp.time_split) if Path(inp.time_split).stat().st_size > 1 else None,
    p.time_split_months,
)
# The prognostic-score comparison's sentences (rule compare_prognostic_scores): which score, if any, separates the
# patients in whom osteosynthesis fails, and how well each discriminates survival.
score_rows = claims.score_claims(tsv(inp.score_interaction), tsv(inp.score_discrimination), p.confidence_level)
claim_table = pd.concat([claim_table, pd.DataFrame(score_rows)], ignore_index=True)
write_tsv(claim_table[claims.COLUMNS], snakemake.output.claims)
write_tsv(
    claim_table[["claim", "sentence_ru", "verdict"]].rename(columns={"sentence_ru": "sentence"}),
    snakemake.output.claims_ru,
)
log.info("n = %d, revised %d, median age %s", numbers["n_patients"], numbers["n_revised"], numbers["median_age"])
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
