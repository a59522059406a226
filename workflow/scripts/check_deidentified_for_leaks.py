"""Rule check_deidentified_for_leaks: the first leak gate, over the de-identified tables
and every log: stop the run if any identifier is found."""

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from deidentify.leaks import run_leak_gate

log = to_log(snakemake)
run_leak_gate(
    snakemake.input.identifiers,
    list(snakemake.input),
    snakemake.params.scan,
    snakemake.output.report,
    snakemake.log[0],
    log,
)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
