"""Rule intake_exports: the exports as the config declares them in, the canonical raw model out (raw side), checked
by the plausibility rules (intake.plausibility)."""

import json

import yaml

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from intake.build import intake, write_canonical
from intake.plausibility import PlausibilityError, check, revision_flag_labels
from raw_exports import RawExportError

log = to_log(snakemake)
params, output = snakemake.params, snakemake.output

try:
    result = intake(params.tables, params.directory)
    with open(snakemake.input.codebook, encoding="utf-8") as f:
        flags = revision_flag_labels(yaml.safe_load(f))
    plausible = check(result.tables, params.plausibility, flags, params.age_at)
except PlausibilityError as err:
    # The log (under logs/) gets the rule and the counts only; the examples, with raw values, go to the terminal.
    log.error("%s", str(err).splitlines()[0])
    raise SystemExit(f"intake_exports: {err}") from None
except (RawExportError, ValueError) as err:
    log.error("%s", err)
    raise SystemExit(f"intake_exports: {err}") from None

for name, table in plausible.tables.items():
    write_canonical(table, output[name])
    info = result.summary[name]
    log.info(
        "%s: %d rows of %d patients from %d source(s); unexpected columns (not read): %d",
        name,
        info["rows"],
        info["patients"],
        len(info["sources"]),
        len(info["unexpected_columns"]),
    )
write_canonical(plausible.findings, output.plausibility)
write_canonical(plausible.exclusions, output.plausibility_exclusions)
counts = plausible.exclusions["reason"].value_counts().to_dict()
log.info(
    "plausibility (export date %s): %d findings; patients excluded by rule: %s (raw details: %s)",
    plausible.export_date.isoformat(),
    len(plausible.findings),
    json.dumps(counts, sort_keys=True),
    output.plausibility,
)
with open(output.summary, "w", encoding="utf-8") as f:
    json.dump(result.summary, f, ensure_ascii=False, indent=2, sort_keys=True)
    f.write("\n")
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
