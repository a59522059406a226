"""Rule intake_exports: the exports as the config declares them in, the canonical raw model out (raw side)."""

import json

from common.rule_log import to_log
from intake.build import intake, write_canonical
from raw_exports import RawExportError

log = to_log(snakemake)
params, output = snakemake.params, snakemake.output

try:
    result = intake(params.tables, params.directory)
except (RawExportError, ValueError) as err:
    log.error("%s", err)
    raise SystemExit(f"intake_exports: {err}") from None

for name, table in result.tables.items():
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
with open(output.summary, "w", encoding="utf-8") as f:
    json.dump(result.summary, f, ensure_ascii=False, indent=2, sort_keys=True)
    f.write("\n")
