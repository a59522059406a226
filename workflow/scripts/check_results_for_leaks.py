"""Rule check_results_for_leaks: the final leak gate, over every file under results/
and logs/: stop the run if any identifier is found."""

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
    # the last job of the run, alone: its files are shared among the rule's threads (processes)
    workers=snakemake.threads,
)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
