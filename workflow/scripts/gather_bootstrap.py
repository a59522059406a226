"""Rule gather_bootstrap: all resamples, in the order of their index, and the percentile intervals."""

import pandas as pd

from analysis import bootstrap
from analysis.output import write_tsv
from common.rule_log import to_log

log = to_log(snakemake)
parts = [pd.read_csv(path, sep="\t") for path in snakemake.input.shards]
replicates = pd.concat(parts, ignore_index=True).sort_values("resample").reset_index(drop=True)
expected = list(range(snakemake.params.resamples))
if replicates["resample"].tolist() != expected:
    raise SystemExit(f"the shards hold resamples {replicates['resample'].tolist()[:5]}..., not 0..{expected[-1]}")
write_tsv(replicates, snakemake.output.replicates)
write_tsv(bootstrap.intervals(replicates, snakemake.params.confidence_level), snakemake.output.intervals)
log.info("%d resamples from %d shards", len(replicates), len(parts))
