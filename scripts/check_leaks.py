"""Rules check_deidentified_for_leaks and check_results_for_leaks: fail the run if any identifier is found."""

import json
from pathlib import Path

from deidentify.leaks import LeakScanner, files_under
from rule_log import to_log

log = to_log(snakemake)  # noqa: F821 - injected by Snakemake
identifiers = sorted({value for path in snakemake.input.identifiers  # noqa: F821
                      for value in json.loads(Path(path).read_text(encoding="utf-8"))})
scanner = LeakScanner(identifiers)
# Every file in the scanned folders, whichever rule wrote it (logs too), and every declared input.
identifier_lists = {Path(p).resolve() for p in snakemake.input.identifiers}  # noqa: F821
declared = sorted({Path(p) for p in snakemake.input if Path(p).resolve() not in identifier_lists  # noqa: F821
                   and Path(p).suffix != ".py"})
paths = sorted(set(files_under(snakemake.params.scan, exclude={Path(snakemake.output.report)})) | set(declared))  # noqa: F821
findings, scanned = scanner.scan_files(paths)
# The report is part of results/ and must be byte-identical across runs: it names what the rule depends on, not
# how many log files other jobs happened to have written by then (that goes to the log).
report = {
    "identifiers_checked": len(identifiers),
    "declared_inputs_scanned": [str(p) for p in declared],
    "findings": [{"file": f.file, "line": f.line, "kind": f.kind} for f in findings],
}
log.info("scanned %d files (%d declared inputs, the rest found in %s) for %d identifiers and identifier patterns: "
         "%d findings", scanned, len(declared), snakemake.params.scan, len(identifiers), len(findings))  # noqa: F821
if findings:
    for f in findings:
        log.error("possible identifier in %s, line %d (%s)", f.file, f.line, f.kind)
    raise SystemExit(f"leak gate: {len(findings)} possible identifiers in files written after de-identification; "
                     f"see {snakemake.log[0]}")  # noqa: F821
with open(snakemake.output.report, "w", encoding="utf-8") as f:  # noqa: F821
    json.dump(report, f, indent=2)
    f.write("\n")
