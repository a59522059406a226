# Intake: the centre's exports, whatever their shape, mapped into the canonical raw model (resources/intake/, raw
# side). De-identification reads only this model.


rule intake_exports:
    input:
        exports=intake_input_files(),
        code=rule_code("intake_exports"),
    output:
        **canonical_table_paths(),
        summary="resources/intake/intake.json",
    log:
        "logs/intake_exports.log",
    conda:
        "../envs/python.yaml"
    params:
        # (a function: the folder is where the inputs are, not a path of its own)
        directory=lambda wildcards: RAW["directory"],
        tables=SOURCES,
    script:
        "../scripts/intake_exports.py"
