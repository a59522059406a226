"""Rule deidentify_exports: the canonical raw model (the intake's output) in, de-identified tables and an audit
record out; the raw-side label mapping, review list, locator and dropped headers beside them under resources/deid/.

Its log (resources/logs/) is raw side; still, no message quotes a raw value: a failed job's log is shown in the
terminal and so lands in .snakemake/log."""

import json
from pathlib import Path

import yaml

from cleaning.codebook import Codebook
from cleaning.errors import CleaningError
from common.quick_exit import exit_without_teardown
from common.rule_log import PROJECT_DIR, to_log
from deidentify.coding import Coder, UnknownLabel
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
    files = {name: [str(f) for f in read_canonical(snakemake.input[name])["source_file"]] for name in raw}
    # params.headers: the header each canonical column has in the user's export, for messages.
    coder = Coder(Codebook(snakemake.input.codebook), params.unknown_labels == "review", headers=params.headers)
except (KeyError_, RawExportError, CleaningError) as err:
    log.error("%s", err)
    raise SystemExit(f"deidentify_exports: {err}") from None

for name, table in raw.items():
    log.info("read %s: %d rows, %d unexpected columns (dropped)", name, len(table.data), len(table.unexpected_columns))
scrubber = Scrubber(settings["ner"], tuple(settings["kept_terms"]))
# Names from anywhere in the raw exports are names everywhere (scrubber), and the leak gate knows all their forms.
scrubber.learn_names(raw_names(raw, settings["columns"]))


def write_tsv(frame, path):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False, lineterminator="\n")


try:
    result = deidentify(raw, canonical_specs(), settings, key, scrubber, coder, params.decimals, files)
except UnknownLabel as err:
    # Not an output (Snakemake would delete it with the failed job's outputs): the raw side's list to fix from.
    write_tsv(coder.review_table(coder.unknown), params.unknown_labels_listing)
    log.error("%s", err)
    raise SystemExit(f"deidentify_exports: {err}") from None
with open(snakemake.input.codebook, encoding="utf-8") as f:
    protected = protected_words(snakemake.config, settings["kept_terms"], yaml.safe_load(f))
identifiers = raw_side_identifiers(result.identifiers, raw, settings["columns"], scrubber, protected)

for name, table in result.tables.items():
    table.to_csv(output[name], sep="\t", index=False, lineterminator="\n")
    log.info("wrote %s: %d rows, columns %s", output[name], len(table), list(table.columns))
# Unexpected columns: the audit (results/) has their count and their positions (1-based, in the export's header);
# their names stay on the raw side (resources/deid/unexpected_columns.json).
summary = json.loads(Path(snakemake.input.intake).read_text(encoding="utf-8"))
for name, table_audit in result.audit["tables"].items():
    positions = set()
    for source in summary.get(name, {}).get("sources", []):
        for file in source.get("files", []):
            header = file.get("header", [])
            positions |= {header.index(c) + 1 for c in file.get("unexpected_columns", []) if c in header}
    table_audit["unexpected_column_positions"] = sorted(positions)
audit = {
    "key": {"source": origin, "fingerprint": fingerprint(key)},
    "raw_exports": {"source": params.source, "directory": params.directory},
    **result.audit,
}
with open(output.audit, "w", encoding="utf-8") as f:
    json.dump(audit, f, ensure_ascii=False, indent=2, sort_keys=True)
    f.write("\n")
write_tsv(coder.usage_table(), output.label_mapping)
write_tsv(coder.review_table(), output.label_review)
write_tsv(result.locator, output.locator)
with open(output.unexpected_headers, "w", encoding="utf-8") as f:
    json.dump(result.unexpected_headers, f, ensure_ascii=False, indent=2, sort_keys=True)
    f.write("\n")
if coder.review:
    log.warning(
        "%d labels need review: they cross as 'unmapped' and are listed in %s", len(coder.review), output.label_review
    )
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
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
