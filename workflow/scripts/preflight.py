"""Rule preflight: the exports as declared in, a human report on what the intake finds out (raw side)."""

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from intake.preflight import preflight

log = to_log(snakemake)
params = snakemake.params
report = preflight(
    params.tables,
    params.directory,
    snakemake.input.codebook,
    plausibility=params.plausibility,
    age_at=params.age_at,
)
with open(snakemake.output.report, "w", encoding="utf-8") as f:
    f.write(report)
log.info("wrote %s (%d lines)", snakemake.output.report, report.count("\n"))
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
