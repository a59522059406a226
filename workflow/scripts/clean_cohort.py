"""Rule clean_cohort: de-identified tables in; the analysis table, the flow and the audit trail out."""

import json
from pathlib import Path

from cleaning.codebook import Codebook
from cleaning.cohort import derive_cohort
from cleaning.errors import CleaningError
from cleaning.locate import Locator
from cleaning.report import quality_markdown
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
inp, out, params = snakemake.input, snakemake.output, snakemake.params
paths = {
    name: Path(inp[name])
    for name in ("patients", "diagnoses", "operations", "follow_up", "laboratory")
    if name in inp.keys()
}

try:
    import pandas as pd

    from cleaning.schemas import read_table

    # Raw side, only to word error messages: they name the user's file, line and column, never a raw value.
    locator = Locator(inp.locator, params.headers)
    tables = {name: read_table(path, name, locator=locator) for name, path in paths.items()}
    # Hook (issue 15): patients the intake's plausibility rules exclude, by pseudonym, with their coded reason.
    raw_side = pd.read_csv(inp.plausibility_exclusions, sep="\t", dtype=str, keep_default_na=False)
    excluded = dict(zip(raw_side["patient_id"], raw_side["reason"], strict=True))
    cohort = derive_cohort(tables, paths, Codebook(inp.codebook), params.settings, locator, excluded)
except CleaningError as err:
    if err.path == "analysis table":
        # The analysis table is derived in memory and never written when a check fails: a "line" of it points
        # nowhere. Say which field of which analysed patient fails, in words.
        detail = str(err).split(": ", 1)[-1]
        field = f"field {err.column!r}" if err.column else "a field"
        row = f" of the analysed patient in row {err.line - 1}" if err.line else ""
        err = f"the analysis table it derives (not written, since it fails) has {field}{row} that {detail}"
    log.error("%s", err)
    raise SystemExit(f"clean_cohort: {err}") from None


def write_tsv(frame, path):
    frame.to_csv(path, sep="\t", index=False, lineterminator="\n", float_format="%.10g")


write_tsv(cohort.analysis, out.analysis)
write_tsv(cohort.exclusions, out.exclusions)
write_tsv(cohort.corrections, out.corrections)
write_tsv(cohort.label_usage, out.labels)
write_tsv(cohort.review, out.review)
for path, content in ((out.flow, cohort.flow), (out.quality, cohort.quality)):
    Path(path).write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
Path(out.quality_report).write_text(
    quality_markdown(cohort.flow, cohort.quality, cohort.flow["excluded"]), encoding="utf-8"
)
log.info("flow: %s", json.dumps(cohort.flow))
log.info("corrections: %s", cohort.quality["corrections"])
if len(cohort.review):
    log.warning("%d labels need review (see %s); their patients are excluded", len(cohort.review), out.review)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
