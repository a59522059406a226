# De-identification: nothing identifying leaves the raw side. Everything under results/ is downstream of this.


# The patients are scattered over config deidentification.shards jobs by their pseudonym (scripts/deidentify/
# shards.py; snakemake --set-scatter deidentify=N overrides it) and gathered; the outputs do not depend on it. With
# one shard, deidentify_exports does it all in one job.
DEID_SHARDS = len(gather.deidentify("{scatteritem}"))


DEIDENTIFY_PARAMS = dict(
    source=RAW["source"],
    directory=os.path.normpath(RAW["directory"]),
    settings=DEID,
    unknown_labels=CLEANING["unknown_labels"],
    decimals=canonical_decimals(),
    headers=export_headers(),
    # Error mode: every unknown label, listed for the user (not an output: it must outlive the failed job).
    unknown_labels_listing="resources/deid/unknown_labels.tsv",
)


if DEID_SHARDS > 1:

    rule deidentify_shard:
        input:
            **deidentify_inputs(),
        output:
            # Raw side: the shard's de-identified rows, audit counts, identifiers and label counts (JSON).
            part="resources/deid/shards/{scatteritem}.json",
        log:
            "resources/logs/deidentify_shard/{scatteritem}.log",
        conda:
            "../envs/python.yaml"
        params:
            **DEIDENTIFY_PARAMS,
        script:
            "../scripts/deidentify_exports.py"


rule deidentify_exports:
    input:
        **(
            {
                **deidentify_inputs(),
                "parts": gather.deidentify("resources/deid/shards/{scatteritem}.json"),
            }
            if DEID_SHARDS > 1
            else deidentify_inputs()
        ),
    output:
        **deidentified_table_paths(),
        audit="results/deid/audit.json",
        # patients the intake's plausibility rules exclude: pseudonym and a coded reason only
        plausibility_exclusions="results/deid/plausibility_exclusions.tsv",
        identifiers="resources/deid/identifiers.json",
        # Raw side: raw label -> code, labels needing review, where each de-identified row is in the export, and the
        # header names of the unexpected columns dropped.
        label_mapping="resources/deid/label_mapping.tsv",
        label_review="resources/deid/label_review.tsv",
        locator="resources/deid/locator.tsv",
        unexpected_headers="resources/deid/unexpected_columns.json",
    log:
        # Raw side: a raw-side rule's log may quote raw values, so it is not under logs/.
        "resources/logs/deidentify_exports.log",
    conda:
        "../envs/python.yaml"
    params:
        **DEIDENTIFY_PARAMS,
    script:
        "../scripts/deidentify_exports.py"


rule k_anonymity_report:
    input:
        patients="results/deid/patients.tsv",
        diagnoses="results/deid/diagnoses.tsv",
        operations="results/deid/operations.tsv",
        code=rule_code("k_anonymity_report"),
    output:
        report="results/deid/k_anonymity.json",
    log:
        "logs/k_anonymity_report.log",
    conda:
        "../envs/python.yaml"
    params:
        age_band_years=DEID["k_anonymity"]["age_band_years"],
        k=DEID["k_anonymity"]["k"],
        age_top_code=DEID["age_top_code"],
    script:
        "../scripts/k_anonymity_report.py"


rule measure_deid_recall:
    input:
        codebook=CLEANING["codebook"],
        code=rule_code("measure_deid_recall"),
    output:
        report="results/deid/recall.json",
    log:
        "logs/measure_deid_recall.log",
    conda:
        "../envs/python.yaml"
    params:
        patients=DEID["recall"]["corpus_patients"],
        seed=DEID["recall"]["seed"],
        minimum_overall=DEID["recall"]["minimum_overall"],
        minimum_own=DEID["recall"]["minimum_own"],
        ner=DEID["ner"],
        kept_terms=DEID["kept_terms"],
        adversarial_patients=DEID["recall"]["adversarial_patients"],
        adversarial_seed=DEID["recall"]["adversarial_seed"],
    script:
        "../scripts/measure_deid_recall.py"


rule check_deidentified_for_leaks:
    input:
        tables=list(deidentified_table_paths().values()),
        audit="results/deid/audit.json",
        identifiers=known_identifier_lists(),
        code=rule_code("check_deidentified_for_leaks"),
    output:
        report="results/deid/leak_check.json",
    log:
        "logs/check_deidentified_for_leaks.log",
    conda:
        "../envs/python.yaml"
    params:
        scan=["results/deid", "logs"],
    script:
        "../scripts/check_deidentified_for_leaks.py"
