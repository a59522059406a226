# Revision surgery after operations for long-bone metastases: the whole study, from the hospital's raw exports to
# the paper. Stages live in workflow/rules/, one file each; helpers in workflow/rules/common.smk.
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"


scattergather:
    bootstrap=config["bootstrap"]["shards"],
    deidentify=config["deidentification"].get("shards", 1),


if is_synthetic():

    include: "workflow/rules/synthetic_twin.smk"


include: "workflow/rules/intake.smk"
include: "workflow/rules/deidentify.smk"
include: "workflow/rules/cleaning.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/paper.smk"


if BOOTSTRAP["resamples"] > 0:

    include: "workflow/rules/bootstrap.smk"


include: "workflow/rules/leak_gate.smk"


onstart:
    start_warm_server()


onsuccess:
    stop_warm_server()


# After a failed run no output that depends on a failed job may look current: remove them (workflow/rules/common.smk).
onerror:
    stop_warm_server()
    remove_stale_outputs(log)


rule all:
    default_target: True
    input:
        rules.check_results_for_leaks.output.report,
