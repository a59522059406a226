# Cleaning and cohort derivation: one validated row per analysed patient, every record accounted for.


rule clean_cohort:
    input:
        **deidentified_table_paths(),
        leak_gate="results/deid/leak_check.json",
        # Raw side, read only to word error messages (the raw file and line of a de-identified row); nothing of it
        # is written under results/.
        locator="resources/deid/locator.tsv",
        plausibility_exclusions="results/deid/plausibility_exclusions.tsv",
        codebook=CLEANING["codebook"],
        code=rule_code("clean_cohort"),
    output:
        analysis="results/cleaning/analysis_table.tsv",
        flow="results/cleaning/flow.json",
        exclusions="results/cleaning/exclusions.tsv",
        corrections="results/cleaning/corrections.tsv",
        labels="results/cleaning/label_mapping.tsv",
        review="results/cleaning/review.tsv",
        quality="results/cleaning/data_quality.json",
        quality_report=report(
            "results/cleaning/data_quality.md",
            caption="../report/data_quality.rst",
            category="Cohort",
            labels={"table": "data quality"},
        ),
    log:
        "logs/clean_cohort.log",
    conda:
        "../envs/python.yaml"
    params:
        settings=CLEANING,
        # The header of each column in the user's export, for error messages.
        headers=export_headers(),
    script:
        "../scripts/clean_cohort.py"


# The flow diagram is drawn by a rule of its own, beside the analysis: matplotlib's import and the drawing (about
# 1.2 s) would otherwise delay every analysis rule, which all wait for clean_cohort.
rule draw_flow_diagram:
    input:
        glossary="workflow/templates/glossary.yaml",
        flow=rules.clean_cohort.output.flow,
        code=rule_code("draw_flow_diagram"),
    output:
        png=report(
            "results/cleaning/flow_diagram.png",
            caption="../report/flow_diagram.rst",
            category="Cohort",
            labels={"figure": "flow diagram"},
        ),
        pdf="results/cleaning/flow_diagram.pdf",
        png_ru="results/cleaning/flow_diagram_ru.png",
        pdf_ru="results/cleaning/flow_diagram_ru.pdf",
    log:
        "logs/draw_flow_diagram.log",
    conda:
        "../envs/python.yaml"
    script:
        "../scripts/draw_flow_diagram.py"
