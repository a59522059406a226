"""Rule gather_bootstrap: all resamples, in the order of their index, and the percentile intervals."""

import pandas as pd

from analysis import bootstrap
from analysis.output import write_tsv
from rule_log import to_log

log = to_log(snakemake)  # noqa: F821 - injected by Snakemake
parts = [pd.read_csv(path, sep="\t") for path in snakemake.input.shards]  # noqa: F821
replicates = pd.concat(parts, ignore_index=True).sort_values("resample").reset_index(drop=True)
expected = list(range(snakemake.params.resamples))  # noqa: F821
if replicates["resample"].tolist() != expected:
    raise SystemExit(f"the shards hold resamples {replicates['resample'].tolist()[:5]}..., not 0..{expected[-1]}")
write_tsv(replicates, snakemake.output.replicates)  # noqa: F821
write_tsv(bootstrap.intervals(replicates, snakemake.params.confidence_level), snakemake.output.intervals)  # noqa: F821
log.info("%d resamples from %d shards", len(replicates), len(parts))
