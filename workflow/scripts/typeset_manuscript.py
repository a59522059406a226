"""Rule typeset_manuscript: the manuscript's Markdown typeset as a PDF by Typst (pandoc writes the Typst markup, with
the same references as the HTML, into workflow/templates/manuscript.typ; manuscript.typeset: offline, reproducible
bytes)."""

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from manuscript.typeset import typeset

log = to_log(snakemake)
inp = snakemake.input
pages = typeset(inp.markdown, snakemake.output.pdf, inp.bibliography, inp.csl, inp.template)
log.info("%s: %d pages", snakemake.output.pdf, pages)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
