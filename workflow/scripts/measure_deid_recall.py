"""Rule measure_deid_recall: the scrubber's recall on a generated annotated corpus (results/deid/recall.json); stops
the run below the configured minimums. The same measurement from the command line: python -m deidentify.recall."""

import json

from common.rule_log import to_log
from deidentify.recall import measure, table

log = to_log(snakemake)
p = snakemake.params
result = measure(p.patients, p.seed, p.ner, p.kept_terms)
# The missed examples are invented names, but results/ holds no names at all: keep only their classes.
result["missed_examples"] = [example.split(":")[0] for example in result["missed_examples"]]
with open(snakemake.output.report, "w", encoding="utf-8") as f:
    json.dump(result, f, ensure_ascii=False, indent=2)
    f.write("\n")
log.info("recall\n%s", table(result))
overall, own = result["recall"]["all"], result["recall"]["own"]
if overall < p.minimum_overall or own < p.minimum_own:
    raise SystemExit(
        f"scrubber recall {overall:.4f} overall, {own:.4f} for patients' own identifiers: below "
        f"the minimums {p.minimum_overall} and {p.minimum_own}"
    )
