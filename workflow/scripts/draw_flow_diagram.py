"""Rule draw_flow_diagram: the STROBE flow diagram of the cohort (export -> exclusions by reason -> analysed ->
revised / not revised), from the flow clean_cohort counted."""

import json
import time

from cleaning.report import flow_figure
from common.figure_text import LANGUAGES
from common.plotting import save_figure
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
flow = json.loads(open(snakemake.input.flow, encoding="utf-8").read())
# In English and in Russian (manuscript_ru), from the same flow.
for text, png, pdf in zip(
    LANGUAGES,
    (snakemake.output.png, snakemake.output.png_ru),
    (snakemake.output.pdf, snakemake.output.pdf_ru),
    strict=True,
):
    start = time.process_time()
    save_figure(flow_figure(flow, text), png, pdf)
    log.info("flow diagram (%s): drawn and saved in %.2f s CPU", text.lang, time.process_time() - start)
log.info("flow diagram: %d in the export, %d analysed", flow["patients_in_export"], flow["patients_analysed"])
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
