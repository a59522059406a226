"""Rules deidentify_exports and deidentify_shard: the canonical raw model (the intake's output) in, de-identified
tables and an audit record out; the raw-side label mapping, review list, locator and dropped headers beside them
under resources/deid/.

With config deidentification.shards = 1, deidentify_exports does it all in one job. With more, each
deidentify_shard job de-identifies the patients of its shard (deidentify.shards: by the patient's pseudonym) and
writes a part (resources/deid/shards/, raw side), and deidentify_exports gathers the parts into the same outputs,
byte for byte.

Its log (resources/logs/) is raw side; still, no message quotes a raw value: a failed job's log is shown in the
terminal and so lands in .snakemake/log."""

import json
from pathlib import Path

from cleaning.codebook import Codebook
from cleaning.errors import CleaningError
from common.quick_exit import exit_without_teardown
from common.rule_log import PROJECT_DIR, to_log
from deidentify.coding import Coder
from deidentify.keys import KeyError_, fingerprint, load_key, patient_pseudonym
from deidentify.shards import (
    drop_unchanged,
    merge_audits,
    merge_items,
    merge_tables,
    merge_usage,
    select_shard,
    tsv_text,
)
from intake.build import read_canonical
from intake.plausibility import RULES as PLAUSIBILITY_RULES
from raw_exports import RawExportError

log = to_log(snakemake)
params, output = snakemake.params, snakemake.output
settings = params.settings


def stop(err):
    log.error("%s", err)
    raise SystemExit(f"{snakemake.rule}: {err}") from None


def the_key():
    try:
        return load_key(
            settings["key"]["environment_variable"],
            settings["key"]["file"],
            params.source,
            snakemake.input.get("demo_key"),
            PROJECT_DIR,
        )
    except KeyError_ as err:
        stop(err)


def write_tsv(frame, path):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False, lineterminator="\n")


def write_text(text, path):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def write_json(value, path, **options):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, **options)
        f.write("\n")


def coder_for(codebook):
    # params.headers: the header each canonical column has in the user's export, for messages.
    return Coder(Codebook(codebook), params.unknown_labels == "review", headers=params.headers)


def deidentify_shard(key, index, shards):
    """De-identify the patients of shard `index` (0-based) of `shards`: the part deidentify.shards gathers."""
    import yaml

    from deidentify.leaks import protected_words, raw_names, raw_side_identifiers
    from deidentify.scrub import Scrubber
    from deidentify.tables import columns_with_role, deidentify
    from intake.canonical import canonical_specs, read_canonical_tables

    try:
        files = {}
        raw = read_canonical_tables(snakemake.input, snakemake.input.intake, files)
        coder = coder_for(snakemake.input.codebook)
    except (RawExportError, CleaningError) as err:
        stop(err)
    scrubber = Scrubber(settings["ner"], tuple(settings["kept_terms"]))
    # Names from anywhere in the raw exports are names everywhere (scrubber), and the leak gate knows all their
    # forms: the scrubber of every shard learns the names of the whole export.
    scrubber.learn_names(raw_names(raw, settings["columns"]))
    records = {name: columns_with_role(settings["columns"], name, "patient_id")[0] for name in raw}
    raw, files = select_shard(raw, files, records, key, index, shards)
    for name, table in raw.items():
        log.info(
            "shard %d of %d: read %s: %d rows, %d unexpected columns (dropped)",
            index + 1,
            shards,
            name,
            len(table.data),
            len(table.unexpected_columns),
        )
    result = deidentify(
        raw,
        canonical_specs(),
        settings,
        key,
        scrubber,
        coder,
        params.decimals,
        files,
        raise_unknown=False,
        unchanged_counts=True,
    )
    with open(snakemake.input.codebook, encoding="utf-8") as f:
        protected = protected_words(snakemake.config, settings["kept_terms"], yaml.safe_load(f))
    return {
        "shard": [index + 1, shards],
        "tables": {name: tsv_text(table) for name, table in result.tables.items()},
        "locator": tsv_text(result.locator),
        "audit": result.audit,
        "identifiers": raw_side_identifiers(result.identifiers, raw, settings["columns"], scrubber, protected),
        "staff": sorted(result.staff),
        "usage": [[*pair, n] for pair, n in coder.usage.items()],
        "review": coder.review,
        "unknown": coder.unknown,
        "unexpected_headers": result.unexpected_headers,
    }


def gather(parts, key, origin):
    """Write the outputs of de-identification from the parts of every shard (deidentify.shards)."""
    unknown = merge_items([p["unknown"] for p in parts])
    if unknown:
        coder = coder_for(snakemake.input.codebook)
        coder.unknown = unknown
        # Not an output (Snakemake would delete it with the failed job's outputs): the raw side's list to fix from.
        write_tsv(coder.review_table(unknown), params.unknown_labels_listing)
        try:
            coder.raise_unknown()
        except ValueError as err:
            stop(err)
    for name in parts[0]["tables"]:
        write_text(merge_tables([p["tables"][name] for p in parts]), output[name])
        log.info("wrote %s", output[name])
    result_audit = merge_audits([p["audit"] for p in parts])
    result_audit["staff"] = len(set().union(*(p["staff"] for p in parts)))
    drop_unchanged(result_audit)
    # Unexpected columns: the audit (results/) has their count and their positions (1-based, in the export's
    # header); their names stay on the raw side (resources/deid/unexpected_columns.json).
    summary = json.loads(Path(snakemake.input.intake).read_text(encoding="utf-8"))
    for name, table_audit in result_audit["tables"].items():
        positions = set()
        for source in summary.get(name, {}).get("sources", []):
            for file in source.get("files", []):
                header = file.get("header", [])
                positions |= {header.index(c) + 1 for c in file.get("unexpected_columns", []) if c in header}
        table_audit["unexpected_column_positions"] = sorted(positions)
    audit = {
        "key": {"source": origin, "fingerprint": fingerprint(key)},
        "raw_exports": {"source": params.source, "directory": params.directory},
        **result_audit,
    }
    write_json(audit, output.audit, indent=2, sort_keys=True)
    usage = Coder(None, False)
    usage.usage = merge_usage([p["usage"] for p in parts])
    review = merge_items([p["review"] for p in parts])
    write_tsv(usage.usage_table(), output.label_mapping)
    write_tsv(usage.review_table(review), output.label_review)
    locator = merge_tables([p["locator"] for p in parts], table_order=list(parts[0]["audit"]["tables"]))
    write_text(locator, output.locator)
    write_json(parts[0]["unexpected_headers"], output.unexpected_headers, indent=2, sort_keys=True)
    if review:
        log.warning(
            "%d labels need review: they cross as 'unmapped' and are listed in %s", len(review), output.label_review
        )
    # Patients excluded by the intake's plausibility rules cross as a pseudonym and a coded reason, nothing else.
    excluded = read_canonical(snakemake.input.plausibility_exclusions)
    assert set(excluded["reason"]) <= set(PLAUSIBILITY_RULES), "only plausibility rule names cross as reasons"
    excluded = excluded.assign(patient_id=[patient_pseudonym(key, r) for r in excluded["record_number"]])
    excluded[["patient_id", "reason"]].sort_values("patient_id").to_csv(
        output.plausibility_exclusions, sep="\t", index=False, lineterminator="\n"
    )
    write_json(sorted(set().union(*(p["identifiers"] for p in parts))), output.identifiers, indent=0)
    log.info(
        "key: %s (fingerprint %s); %d patients, %d staff; %d ages top-coded; tables dropped whole: %s; %d shards",
        origin,
        audit["key"]["fingerprint"],
        audit["patients"],
        audit["staff"],
        audit["ages_top_coded"],
        audit["dropped_tables"],
        len(parts),
    )


key, origin = the_key()
if snakemake.rule == "deidentify_shard":
    number, shards = (int(n) for n in snakemake.wildcards.scatteritem.split("-of-"))
    write_json(deidentify_shard(key, number - 1, shards), output.part)
elif "parts" in snakemake.input.keys():
    parts = []
    for path in snakemake.input.parts:
        with open(path, encoding="utf-8") as f:
            parts.append(json.load(f))
    gather(parts, key, origin)
else:
    gather([deidentify_shard(key, 0, 1)], key, origin)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
