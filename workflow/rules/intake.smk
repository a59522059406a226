# Intake: the centre's exports, whatever their shape, mapped into the canonical raw model (resources/intake/, raw
# side). De-identification reads only this model.


rule intake_exports:
    input:
        exports=intake_input_files(),
        # the revision-flag labels, for the plausibility rules
        codebook=CLEANING["codebook"],
        code=rule_code("intake_exports"),
    output:
        **canonical_table_paths(),
        summary="resources/intake/intake.json",
        # the plausibility rules' findings (raw values: raw side) and the patients they exclude, by record number
        plausibility="resources/intake/plausibility.tsv",
        plausibility_exclusions="resources/intake/plausibility_exclusions.tsv",
    log:
        "resources/logs/intake_exports.log",
    conda:
        "../envs/python.yaml"
    params:
        # (a function: the folder is where the inputs are, not a path of its own)
        directory=lambda wildcards: RAW["directory"],
        tables=SOURCES,
        plausibility=config["plausibility"],
        age_at=DEID["age_at"],
    script:
        "../scripts/intake_exports.py"


# `snakemake preflight`: read the exports as declared and write what the intake finds (every problem at once) to a
# human report on the raw side. A new centre iterates on this report, not on failing runs.
rule preflight:
    input:
        exports=intake_input_files(),
        codebook=CLEANING["codebook"],
        code=rule_code("preflight"),
    output:
        report="resources/preflight/report.md",
    log:
        "resources/logs/preflight.log",
    conda:
        "../envs/python.yaml"
    params:
        directory=lambda wildcards: RAW["directory"],
        tables=SOURCES,
        plausibility=config["plausibility"],
        age_at=DEID["age_at"],
    script:
        "../scripts/preflight.py"
