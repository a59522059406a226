# The synthetic twin of the hospital's raw exports (only when raw_exports.source is "synthetic").


rule synthesize_raw_exports:
    output:
        **raw_table_paths(),
        truth=f"{TWIN['directory']}/truth.csv",
        defects=f"{TWIN['directory']}/defects.csv",
        identifiers=f"{TWIN['directory']}/identifiers.json",
        manifest=f"{TWIN['directory']}/manifest.json",
    log:
        "logs/synthesize_raw_exports.log",
    conda:
        "../envs/python.yaml"
    params:
        cohort_size=TWIN["cohort_size"],
        seed=TWIN["seed"],
        tables=RAW["tables"],
    script:
        "../../scripts/synthesize_raw_exports.py"


rule check_twin_calibration:
    input:
        truth=rules.synthesize_raw_exports.output.truth,
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
        "../../scripts/check_twin_calibration.py"
