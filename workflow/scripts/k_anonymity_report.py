"""Rule k_anonymity_report: k-anonymity of the de-identified cohort on its quasi-identifiers."""

import json

import pandas as pd

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from deidentify.kanon import quasi_identifiers, report

log = to_log(snakemake)
params = snakemake.params
tables = {
    name: pd.read_csv(snakemake.input[name], sep="\t", dtype=str, keep_default_na=False)
    for name in ("patients", "diagnoses", "operations")
}
tables["operations"]["operation_day"] = pd.to_numeric(tables["operations"]["operation_day"], errors="coerce")
qi = quasi_identifiers(tables["patients"], tables["diagnoses"], tables["operations"], params.age_top_code)
result = report(qi, params.age_band_years, params.k, params.age_top_code)
with open(snakemake.output.report, "w", encoding="utf-8") as f:
    json.dump(result, f, ensure_ascii=False, indent=2)
    f.write("\n")
for level in result["levels"]:
    log.info(
        "k = %d with %s (%d of %d patients in groups smaller than %d)",
        level["k"],
        level["generalisation"],
        level["patients_in_classes_below_k_threshold"],
        result["patients"],
        params.k,
    )
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
