"""Rule render_manuscript: the paper, every number injected from the results, as Markdown, HTML and DOCX."""

import platform
from importlib.metadata import version
from pathlib import Path

from common.rule_log import to_log
from manuscript.front import calibration_targets, check_citations, front_matter
from manuscript.render import Formatter, context, convert, render_markdown, results_section, typed_numbers
from provenance import git_state

log = to_log(snakemake)
inp, out, p = snakemake.input, snakemake.output, snakemake.params
paper_dir = Path(out.markdown).parent
results = Path(inp.numbers).parent  # results/numbers.json
# The figures the rule lists (workflow/rules/common.smk), in the manuscript's order, with their captions.
figures = list(zip(inp.figures, inp.captions, strict=True))
supplement = list(zip(inp.supplement_figures, inp.supplement_captions, strict=True))
software = {"python": platform.python_version(), **{name: version(name) for name in p.packages}}

# Every key the template cites must be in the bibliography (else stop, naming the key and the template line).
cited = check_citations(Path(inp.template), inp.bibliography)
# The commit of the code, as the provenance records it; every unknown declaration a marked placeholder.
front = front_matter(p.manuscript, git_state(Path.cwd()), p.crate)
calibration = calibration_targets(inp.calibration[0] if inp.calibration else None)
extra = {"front": front, "calibration": calibration}
ctx = context(results, figures, paper_dir, software, p.synthetic, Formatter(mark=False), supplement, **extra)
markdown = render_markdown(Path(snakemake.input.template), ctx, Formatter(mark=False))
# The same template with every injected value marked: the results section must hold no typed-in number.
marked = render_markdown(
    Path(snakemake.input.template),
    context(results, figures, paper_dir, software, p.synthetic, Formatter(mark=True), supplement, **extra),
    Formatter(mark=True),
)
typed = typed_numbers(results_section(marked))
if typed:
    raise SystemExit(f"the results section of the template holds numbers that are not injected: {typed}")
Path(out.markdown).write_text(markdown, encoding="utf-8")
convert(markdown, paper_dir, Path(out.html), Path(out.docx), Path(inp.bibliography), Path(inp.csl))
log.info(
    "manuscript written: %s, %s, %s (%d references cited; software %s)",
    out.markdown,
    out.html,
    out.docx,
    len(cited),
    software,
)
