"""Rule deidentify_exports: the canonical raw model (the intake's output) in, de-identified tables and an audit
record out."""

import json

import yaml

from common.rule_log import PROJECT_DIR, to_log
from deidentify.keys import KeyError_, fingerprint, load_key, patient_pseudonym
from deidentify.leaks import protected_words, raw_names, raw_side_identifiers
from deidentify.scrub import Scrubber
from deidentify.tables import deidentify
from intake.build import read_canonical
from intake.canonical import canonical_specs, read_canonical_tables
from intake.plausibility import RULES as PLAUSIBILITY_RULES
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
scrubber = Scrubber(settings["ner"], tuple(settings["kept_terms"]))
# Names from anywhere in the raw exports are names everywhere (scrubber), and the leak gate knows all their forms.
scrubber.learn_names(raw_names(raw, settings["columns"]))
result = deidentify(raw, canonical_specs(), settings, key, scrubber)
with open(snakemake.input.codebook, encoding="utf-8") as f:
    protected = protected_words(snakemake.config, settings["kept_terms"], yaml.safe_load(f))
identifiers = raw_side_identifiers(result.identifiers, raw, settings["columns"], scrubber, protected)

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
# Patients excluded by the intake's plausibility rules cross as a pseudonym and a coded reason, nothing else.
excluded = read_canonical(snakemake.input.plausibility_exclusions)
assert set(excluded["reason"]) <= set(PLAUSIBILITY_RULES), "only plausibility rule names cross as reasons"
excluded = excluded.assign(patient_id=[patient_pseudonym(key, r) for r in excluded["record_number"]])
excluded[["patient_id", "reason"]].sort_values("patient_id").to_csv(
    output.plausibility_exclusions, sep="\t", index=False, lineterminator="\n"
)
with open(output.identifiers, "w", encoding="utf-8") as f:
    json.dump(identifiers, f, ensure_ascii=False, indent=0)
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
