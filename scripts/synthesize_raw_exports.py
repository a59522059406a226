"""Rule synthesize_raw_exports: write the synthetic twin of the hospital's raw exports."""

from pathlib import Path

from rule_log import to_log
from synthetic_twin.generate import HEADERS, TABLE_FORMAT, generate, write_twin

log = to_log(snakemake)  # noqa: F821 - injected by Snakemake

# The config describes how the exports are read; the generator writes the hospital's format. They must agree,
# or the study would silently read the twin with the wrong encoding, separator or headers.
for name, spec in snakemake.params.tables.items():  # noqa: F821
    declared = (spec["encoding"], spec["separator"], spec["columns"])
    written = (TABLE_FORMAT[name]["encoding"], TABLE_FORMAT[name]["separator"], HEADERS[name])
    if declared != written:
        raise SystemExit(f"config raw_exports.tables.{name} does not describe the synthetic twin's {name} export "
                         f"(encoding, separator, columns): config has {declared}, the twin writes {written}")

twin = generate(cohort_size=snakemake.params.cohort_size, seed=snakemake.params.seed)  # noqa: F821
out = snakemake.output  # noqa: F821
manifest = write_twin(twin, raw_paths={name: out[name] for name in HEADERS}, synthetic_dir=Path(out.truth).parent)
log.info("wrote the synthetic twin: %d analysed patients, %d in the export, rows per table %s",
         manifest["cohort_size"], manifest["patients_in_export"], manifest["rows"])
log.info("patients to be excluded by reason: %s", manifest["excluded"])
