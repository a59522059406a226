"""Rule measure_deid_recall: the scrubber's recall on the twin's annotated corpus and, beside it, on the adversarial
corpus written independently of the twin (results/deid/recall.json, key "adversarial": recall per kind and
precision); stops the run when either is below the configured minimums. The same measurement from the command
line: python -m deidentify.recall."""

import json

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from deidentify.recall import measure, measure_adversarial, table

log = to_log(snakemake)
p = snakemake.params
result = measure(p.patients, p.seed, p.ner, p.kept_terms)
# The missed examples are invented names, but results/ holds no names at all: keep only their classes.
result["missed_examples"] = [example.split(":")[0] for example in result["missed_examples"]]
# Beside it, not instead of it: the adversarial corpus, written independently of the twin (deidentify.adversarial).
adversarial = measure_adversarial(
    p.adversarial_patients, p.adversarial_seed, p.ner, p.kept_terms, snakemake.input.codebook
)
adversarial["missed_examples"] = sorted({example.split(":")[0] for example in adversarial["missed_examples"]})
for key in ("false_positive_examples", "clinical_texts_changed"):
    adversarial[key] = len(adversarial[key])
result["adversarial"] = adversarial
with open(snakemake.output.report, "w", encoding="utf-8") as f:
    json.dump(result, f, ensure_ascii=False, indent=2)
    f.write("\n")
log.info("recall, twin corpus\n%s", table(result))
log.info("recall, adversarial corpus\n%s", table(adversarial))
for name, r in (("twin", result), ("adversarial", adversarial)):
    overall, own = r["recall"]["all"], r["recall"]["own"]
    if overall < p.minimum_overall or own < p.minimum_own:
        raise SystemExit(
            f"scrubber recall on the {name} corpus {overall:.4f} overall, {own:.4f} for patients' own identifiers: "
            f"below the minimums {p.minimum_overall} and {p.minimum_own}"
        )
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
