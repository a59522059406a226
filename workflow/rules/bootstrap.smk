# Bootstrap confidence intervals for the key estimates, scattered over jobs (on a cluster: over nodes) and gathered.
# Seeds are per resample, so the result does not depend on the number of shards.


rule bootstrap_shard:
    input:
        analysis="results/cleaning/analysis_table.tsv",
        code=rule_code("bootstrap_shard"),
    output:
        replicates="results/bootstrap/shards/{scatteritem}.tsv",
    log:
        "logs/bootstrap/{scatteritem}.log",
    conda:
        "../envs/python.yaml"
    params:
        resamples=BOOTSTRAP["resamples"],
        seed=BOOTSTRAP["seed"],
        horizons_months=bootstrap_horizons(),
        # The script keeps as many as the events allow, as compare_factors does for the reported model.
        multivariable=ANALYSIS["multivariable"],
        min_events_per_variable=ANALYSIS["min_events_per_variable"],
    script:
        "../scripts/bootstrap_shard.py"


rule gather_bootstrap:
    input:
        shards=gather.bootstrap("results/bootstrap/shards/{scatteritem}.tsv"),
        code=rule_code("gather_bootstrap"),
    output:
        replicates="results/bootstrap/replicates.tsv",
        intervals="results/bootstrap/intervals.tsv",
    log:
        "logs/gather_bootstrap.log",
    conda:
        "../envs/python.yaml"
    params:
        resamples=BOOTSTRAP["resamples"],
        confidence_level=ANALYSIS["confidence_level"],
    script:
        "../scripts/gather_bootstrap.py"
