"""Rule bootstrap_shard: one shard of the bootstrap resamples (seeded per resample, not per shard)."""

from analysis import bootstrap, data, selection
from analysis.output import write_tsv
from common.quick_exit import exit_without_teardown
from common.rule_log import to_log

log = to_log(snakemake)
p = snakemake.params
df = data.load(snakemake.input.analysis)
# The shard and the number of shards come from the scatter item "k-of-n", so --set-scatter bootstrap=N works too.
k, n = (int(x) for x in snakemake.wildcards.scatteritem.split("-of-"))
shard, shards = k - 1, n
indices = bootstrap.shard_indices(p.resamples, shards, shard)
# The covariates of the reported multivariable model: the same events-per-variable selection as compare_factors.
covariates = selection.multivariable_covariates(df, p.multivariable, p.min_events_per_variable)
write_tsv(bootstrap.run_shard(df, covariates, p.horizons_months, p.seed, indices), snakemake.output.replicates)
log.info("shard %d of %d: resamples %d to %d; covariates %s", k, n, indices.start, indices.stop - 1, covariates)
exit_without_teardown()  # outputs written and closed: skip the interpreter's teardown (common/quick_exit.py)
