# The last rule of the study: every file under results/ and logs/, and Snakemake's own logs and metadata, is scanned
# for identifiers before the run counts as done; a file with a finding is moved to resources/quarantine/.


rule check_results_for_leaks:
    input:
        results=study_targets(),
        provenance="results/provenance/manifest.json",
        identifiers=known_identifier_lists(),
        code=rule_code("check_results_for_leaks"),
    output:
        report="results/leak_check.json",
    log:
        "logs/check_results_for_leaks.log",
    conda:
        "../envs/python.yaml"
    # The last job of the run, with nothing beside it: it scans with both cores (scaled down under --cores 1).
    threads: 2
    params:
        scan=["results", "logs", ".snakemake/log", ".snakemake/metadata"],
    script:
        "../scripts/check_results_for_leaks.py"
