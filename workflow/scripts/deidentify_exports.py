"""Rule deidentify_exports: the canonical raw model (the intake's output) in, de-identified tables and an audit
record out."""

import json

from common.rule_log import PROJECT_DIR, to_log
from deidentify.keys import KeyError_, fingerprint, load_key
from deidentify.scrub import Scrubber
from deidentify.tables import deidentify
from intake.canonical import canonical_specs, read_canonical_tables
from raw_exports import RawExportError

log = to_log(snakemake)
params, output = snakemake.params, snakemake.output
settings = params.settings

try:
    key, origin = load_key(
        settings["key"]["environment_variable"],
        settings["key"]["file"],
        params.source,
        snakemake.input.get("demo_key"),
        PROJECT_DIR,
    )
    raw = read_canonical_tables(snakemake.input, snakemake.input.intake)
except (KeyError_, RawExportError) as err:
    log.error("%s", err)
    raise SystemExit(f"deidentify_exports: {err}") from None

for name, table in raw.items():
    log.info("read %s: %d rows, %d unexpected columns (dropped)", name, len(table.data), len(table.unexpected_columns))
result = deidentify(raw, canonical_specs(), settings, key, Scrubber(settings["ner"], tuple(settings["kept_terms"])))

for name, table in result.tables.items():
    table.to_csv(output[name], sep="\t", index=False, lineterminator="\n")
    log.info("wrote %s: %d rows, columns %s", output[name], len(table), list(table.columns))
audit = {
    "key": {"source": origin, "fingerprint": fingerprint(key)},
    "raw_exports": {"source": params.source, "directory": params.directory},
    **result.audit,
}
with open(output.audit, "w", encoding="utf-8") as f:
    json.dump(audit, f, ensure_ascii=False, indent=2, sort_keys=True)
    f.write("\n")
with open(output.identifiers, "w", encoding="utf-8") as f:
    json.dump(result.identifiers, f, ensure_ascii=False, indent=0)
    f.write("\n")
log.info(
    "key: %s (fingerprint %s); %d patients, %d staff; %d ages top-coded; tables dropped whole: %s",
    origin,
    audit["key"]["fingerprint"],
    audit["patients"],
    audit["staff"],
    audit["ages_top_coded"],
    audit["dropped_tables"],
)
