"""Rule render_manuscript: the paper, every number injected from the results, as Markdown, HTML and DOCX."""

import platform
from importlib.metadata import version
from pathlib import Path

from common.rule_log import to_log
from manuscript.render import Formatter, context, convert, render_markdown, results_section, typed_numbers

log = to_log(snakemake)
inp, out, p = snakemake.input, snakemake.output, snakemake.params
paper_dir = Path(out.markdown).parent
results = Path(inp.numbers).parent  # results/numbers.json
# The figures the rule lists (workflow/rules/common.smk), in the manuscript's order, with their captions.
figures = list(zip(inp.figures, inp.captions, strict=True))
supplement = list(zip(inp.supplement_figures, inp.supplement_captions, strict=True))
software = {"python": platform.python_version(), **{name: version(name) for name in p.packages}}

ctx = context(results, figures, paper_dir, software, p.synthetic, Formatter(mark=False), supplement)
markdown = render_markdown(Path(snakemake.input.template), ctx, Formatter(mark=False))
# The same template with every injected value marked: the results section must hold no typed-in number.
marked = render_markdown(
    Path(snakemake.input.template),
    context(results, figures, paper_dir, software, p.synthetic, Formatter(mark=True), supplement),
    Formatter(mark=True),
)
typed = typed_numbers(results_section(marked))
if typed:
    raise SystemExit(f"the results section of the template holds numbers that are not injected: {typed}")
Path(out.markdown).write_text(markdown, encoding="utf-8")
convert(markdown, paper_dir, Path(out.html), Path(out.docx))
log.info("manuscript written: %s, %s, %s (software %s)", out.markdown, out.html, out.docx, software)
