"""Rule render_manuscript: the paper in English and in Russian, every number injected from the results, each as
Markdown, HTML and DOCX. One template (workflow/templates/manuscript.md.j2) and one bilingual glossary
(workflow/templates/glossary.yaml) give both; the Russian references follow the GOST style."""

import platform
from importlib.metadata import version
from pathlib import Path

from common.quick_exit import exit_without_teardown
from common.rule_log import to_log
from manuscript.front import calibration_targets, check_citations, front_matter
from manuscript.render import (
    Formatter,
    context,
    pandoc_jobs,
    render_markdown,
    results_section,
    run_pandoc,
    typed_numbers,
)
from provenance import git_state

log = to_log(snakemake)
inp, out, p = snakemake.input, snakemake.output, snakemake.params
paper_dir = Path(out.markdown).parent
results = Path(inp.numbers).parent  # results/numbers.json
template = Path(inp.template)
# The figures the rule lists (workflow/rules/common.smk), in the manuscript's order, with their captions; the Russian
# manuscript embeds each figure's Russian variant (the caption's language is the formatter's).
figures = {
    "en": list(zip(inp.figures, inp.captions, strict=True)),
    "ru": list(zip(inp.figures_ru, inp.captions, strict=True)),
}
supplement = {
    "en": list(zip(inp.supplement_figures, inp.supplement_captions, strict=True)),
    "ru": list(zip(inp.supplement_figures_ru, inp.supplement_captions, strict=True)),
}
software = {"python": platform.python_version(), **{name: version(name) for name in p.packages}}

# Every key the template and the glossary cite must be in the bibliography (else stop, naming the key and the line).
cited = check_citations(template, inp.bibliography)
# The commit of the code, as the provenance records it; every unknown declaration a marked placeholder.
front = front_matter(p.manuscript, git_state(Path.cwd()), p.crate)
calibration = calibration_targets(inp.calibration[0] if inp.calibration else None)
extra = {"front": front, "calibration": calibration}
documents = {
    "en": (Path(out.markdown), Path(out.html), Path(out.docx), Path(inp.csl)),
    "ru": (Path(out.markdown_ru), Path(out.html_ru), Path(out.docx_ru), Path(inp.csl_ru)),
}
jobs = []
for lang, (markdown_path, html, docx, csl) in documents.items():
    f = Formatter(mark=False, lang=lang)
    shown = (figures[lang], supplement[lang])
    markdown = render_markdown(
        template, context(results, shown[0], paper_dir, software, p.synthetic, f, shown[1], **extra), f
    )
    # The same template with every injected value marked: the results section must hold no typed-in number.
    marked_f = Formatter(mark=True, lang=lang)
    marked = render_markdown(
        template, context(results, shown[0], paper_dir, software, p.synthetic, marked_f, shown[1], **extra), marked_f
    )
    typed = typed_numbers(results_section(marked, lang))
    if typed:
        raise SystemExit(f"the results section of the {lang} manuscript holds numbers that are not injected: {typed}")
    markdown_path.write_text(markdown, encoding="utf-8")
    jobs += pandoc_jobs(markdown, paper_dir, html, docx, Path(inp.bibliography), csl)
# The four pandoc conversions (HTML and DOCX of each language) side by side: the same CPU, half the wall time on two
# cores.
run_pandoc(jobs)
log.info("manuscripts written: %s", ", ".join(str(path) for doc in documents.values() for path in doc[:3]))
log.info("%d references cited; software %s", len(cited), software)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
