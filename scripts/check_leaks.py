"""Rules check_deidentified_for_leaks and check_results_for_leaks: fail the run if any identifier is found."""

import json
from pathlib import Path

from deidentify.leaks import LeakScanner, files_under
from rule_log import to_log

log = to_log(snakemake)  # noqa: F821 - injected by Snakemake
identifiers = sorted({value for path in snakemake.input.identifiers  # noqa: F821
                      for value in json.loads(Path(path).read_text(encoding="utf-8"))})
scanner = LeakScanner(identifiers)
paths = files_under(snakemake.params.scan, exclude={Path(snakemake.output.report)})  # noqa: F821
findings, scanned = scanner.scan_files(paths)
report = {
    "files_scanned": scanned,
    "identifiers_checked": len(identifiers),
    "findings": [{"file": f.file, "line": f.line, "kind": f.kind} for f in findings],
}
log.info("scanned %d files for %d identifiers and identifier patterns: %d findings", scanned, len(identifiers),
         len(findings))
if findings:
    for f in findings:
        log.error("possible identifier in %s, line %d (%s)", f.file, f.line, f.kind)
    raise SystemExit(f"leak gate: {len(findings)} possible identifiers in files written after de-identification; "
                     f"see {snakemake.log[0]}")  # noqa: F821
with open(snakemake.output.report, "w", encoding="utf-8") as f:  # noqa: F821
    json.dump(report, f, indent=2)
    f.write("\n")
