"""Rule synthesize_raw_exports: write the synthetic twin of the hospital's raw exports."""

from pathlib import Path

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from synthetic_twin.dialects import DIALECTS
from synthetic_twin.generate import generate_and_write

log = to_log(snakemake)

# The config describes how the exports are read; the generator writes the chosen centre's dialect. They must agree,
# or the study would silently read the twin with the wrong encoding, separator, dates or headers.
dialect = snakemake.params.dialect
for name, spec in snakemake.params.tables.items():
    fmt = DIALECTS[dialect]["formats"][name]
    declared = (spec["encoding"], spec["separator"], spec["date_format"], spec["decimal"], spec["columns"])
    written = (
        fmt["encoding"],
        fmt["separator"],
        fmt["date_format"],
        fmt["decimal"],
        DIALECTS[dialect]["headers"][name],
    )
    if declared != written:
        raise SystemExit(
            f"config raw_exports.tables.{name} does not describe the synthetic twin's {name} export in "
            f"the {dialect} dialect (encoding, separator, date format, decimal, columns): config has "
            f"{declared}, the twin writes {written}"
        )

out = snakemake.output
# Each raw table is written as soon as it is complete and let go (the same files as write_twin(generate(...))).
manifest = generate_and_write(
    cohort_size=snakemake.params.cohort_size,
    seed=snakemake.params.seed,
    raw_paths={name: out[name] for name in DIALECTS[dialect]["headers"] if name in snakemake.params.tables},
    synthetic_dir=Path(out.truth).parent,
    dialect=dialect,
)
log.info(
    "wrote the synthetic twin in the %s dialect: %d analysed patients, %d in the export, rows per table %s",
    dialect,
    manifest["cohort_size"],
    manifest["patients_in_export"],
    manifest["rows"],
)
log.info("patients to be excluded by reason: %s", manifest["excluded"])
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
