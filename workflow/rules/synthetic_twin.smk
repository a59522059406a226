# The synthetic twin of the hospital's raw exports (only when raw_exports.source is "synthetic").


rule synthesize_raw_exports:
    input:
        code=rule_code("synthesize_raw_exports"),
    output:
        **raw_table_paths(),
        truth=f"{TWIN['directory']}/truth.csv",
        defects=f"{TWIN['directory']}/defects.csv",
        identifiers=f"{TWIN['directory']}/identifiers.json",
        manifest=f"{TWIN['directory']}/manifest.json",
        demo_key=f"{TWIN['directory']}/demo_pseudonym.key",
    log:
        "resources/logs/synthesize_raw_exports.log",
    conda:
        "../envs/python.yaml"
    params:
        cohort_size=TWIN["cohort_size"],
        seed=TWIN["seed"],
        dialect=TWIN["dialect"],
        tables=RAW["tables"],
    script:
        "../scripts/synthesize_raw_exports.py"


rule check_twin_calibration:
    input:
        truth=rules.synthesize_raw_exports.output.truth,
        code=rule_code("check_twin_calibration"),
    output:
        table="results/twin/calibration.tsv",
        figure=report(
            "results/twin/calibration.png",
            caption="../report/twin_calibration.rst",
            category="Synthetic twin",
            labels={"figure": "calibration"},
        ),
    log:
        "logs/check_twin_calibration.log",
    conda:
        "../envs/python.yaml"
    params:
        cohort_size=TWIN["cohort_size"],
    script:
        "../scripts/check_twin_calibration.py"
