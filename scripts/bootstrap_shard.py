"""Rule bootstrap_shard: one shard of the bootstrap resamples (seeded per resample, not per shard)."""

from analysis import bootstrap, data
from analysis.output import write_tsv
from rule_log import to_log

log = to_log(snakemake)  # noqa: F821 - injected by Snakemake
p = snakemake.params  # noqa: F821
df = data.load(snakemake.input.analysis)  # noqa: F821
# The shard and the number of shards come from the scatter item "k-of-n", so --set-scatter bootstrap=N works too.
k, n = (int(x) for x in snakemake.wildcards.scatteritem.split("-of-"))  # noqa: F821
shard, shards = k - 1, n
indices = bootstrap.shard_indices(p.resamples, shards, shard)
write_tsv(bootstrap.run_shard(df, p.covariates, p.seed, indices), snakemake.output.replicates)  # noqa: F821
log.info("shard %d of %d: resamples %d to %d", k, n, indices.start, indices.stop - 1)
