"""Rule typeset_manuscript: the manuscript's HTML typeset as a PDF by WeasyPrint with the print stylesheet
(manuscript.typeset: offline, reproducible bytes)."""

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from manuscript.typeset import typeset

log = to_log(snakemake)
pages = typeset(snakemake.input.html, [snakemake.input.css], snakemake.output.pdf)
log.info("%s: %d pages", snakemake.output.pdf, pages)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
