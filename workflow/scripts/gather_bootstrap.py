"""Rule gather_bootstrap: all resamples, in the order of their index, and the percentile intervals."""

from pathlib import Path

from analysis import bootstrap
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
shards = [Path(path).read_text(encoding="utf-8") for path in snakemake.input.shards]
try:
    replicates, intervals = bootstrap.gather_tables(
        shards, snakemake.params.resamples, snakemake.params.confidence_level
    )
except ValueError as error:
    raise SystemExit(str(error)) from None
Path(snakemake.output.replicates).write_text(replicates, encoding="utf-8")
Path(snakemake.output.intervals).write_text(intervals, encoding="utf-8")
log.info("%d resamples from %d shards", snakemake.params.resamples, len(shards))
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
