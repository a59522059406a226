# The paper: the manuscript in English and Russian (HTML, DOCX, PDF), the exploratory notebook, and the
# provenance of the run.


# Both languages in one job: one Python start-up and one read of the results for the two manuscripts (the Russian one
# adds two pandoc calls, ~0.8 s, and no job to the critical path).
rule render_manuscript:
    input:
        template="workflow/templates/manuscript.md.j2",
        abstract="workflow/templates/abstract.md.j2",
        glossary="workflow/templates/glossary.yaml",
        bibliography="workflow/templates/references.json",
        csl="workflow/templates/csl/nlm-citation-sequence.csl",
        csl_ru="workflow/templates/csl/gost-r-7-0-5-2008-numeric.csl",
        calibration=twin_calibration_table(),
        numbers="results/numbers.json",
        tables=[
            "results/analysis/table1_by_revision.tsv",
            "results/analysis/causes_by_primary.tsv",
            "results/analysis/revision_risk.tsv",
            "results/analysis/hazard_models.tsv",
            "results/analysis/gray_tests.tsv",
            "results/analysis/recommendation_gray_tests.tsv",
            "results/analysis/recommendation_cif.tsv",
            "results/analysis/recommendation_prognostic_mix.tsv",
            "results/analysis/claims.tsv",
            "results/analysis/claims_ru.tsv",
            "results/analysis/time_split_hazard_ratios.tsv",
            "results/analysis/fine_gray_proportionality.tsv",
            "results/analysis/proportional_hazards_checks.tsv",
            "results/analysis/sensitivity_analyses.tsv",
            "results/analysis/ridge_model.tsv",
            "results/analysis/score_calibration.tsv",
            "results/analysis/score_discrimination.tsv",
            "results/deid/recall.json",
            "results/deid/k_anonymity.json",
        ],
        figures=manuscript_figures(),
        captions=manuscript_captions(),
        supplement_figures=supplement_figures(),
        supplement_captions=supplement_captions(),
        # The same figures with Russian labels (drawn beside the English ones), for manuscript_ru.
        figures_ru=manuscript_figures("ru"),
        supplement_figures_ru=supplement_figures("ru"),
        code=rule_code("render_manuscript"),
    output:
        markdown="results/paper/manuscript.md",
        html=report(
            "results/paper/manuscript.html",
            caption="../report/manuscript.rst",
            category="Paper",
            labels={"document": "manuscript (HTML)"},
        ),
        docx="results/paper/manuscript.docx",
        markdown_ru="results/paper/manuscript_ru.md",
        html_ru=report(
            "results/paper/manuscript_ru.html",
            caption="../report/manuscript_ru.rst",
            category="Paper",
            labels={"document": "manuscript in Russian (HTML)"},
        ),
        docx_ru="results/paper/manuscript_ru.docx",
    log:
        "logs/render_manuscript.log",
    conda:
        "../envs/python.yaml"
    params:
        synthetic=is_synthetic(),
        packages=SOFTWARE_REPORTED,
        manuscript=config.get("manuscript", {}),
        crate="results/provenance/ro-crate-metadata.json",
    script:
        "../scripts/render_manuscript.py"


# The PDF of each manuscript (MANUSCRIPTS in common.smk: "" for the English one; a second language is one more
# entry there). Typst typesets the manuscript's Markdown, which pandoc writes as Typst markup with the same references
# as the HTML, in the template manuscript.typ (scripts/manuscript/typeset.py); offline; same bytes every run.
MANUSCRIPT_CSL = {
    "": "workflow/templates/csl/nlm-citation-sequence.csl",
    "_ru": "workflow/templates/csl/gost-r-7-0-5-2008-numeric.csl",
}


rule typeset_manuscript:
    input:
        markdown="results/paper/manuscript{suffix}.md",
        template="workflow/templates/manuscript.typ",
        bibliography="workflow/templates/references.json",
        csl=lambda wildcards: MANUSCRIPT_CSL[wildcards.suffix],
        figures=manuscript_figures(),
        supplement_figures=supplement_figures(),
        fonts=[
            "scripts/common/fonts/StudySans.ttf",
            "scripts/common/fonts/StudySans-Bold.ttf",
        ],
        code=rule_code("typeset_manuscript"),
    output:
        pdf=report(
            "results/paper/manuscript{suffix}.pdf",
            caption="../report/manuscript_pdf.rst",
            category="Paper",
            labels={"document": "manuscript{suffix} (PDF)"},
        ),
    log:
        "logs/typeset_manuscript{suffix}.log",
    wildcard_constraints:
        suffix=f"(?:{'|'.join(MANUSCRIPTS)})",
    conda:
        "../envs/python.yaml"
    script:
        "../scripts/typeset_manuscript.py"


# The exploratory notebook, executed and rendered to HTML in one job (workflow/scripts/explore_cohort_notebook.py).
# `snakemake --edit-notebook` needs a rule with Snakemake's notebook directive: that run reads the same rule with it.
if editing_notebook():

    include: "edit/explore_cohort_notebook.smk"

else:

    include: "explore_cohort.smk"


# The rule graph depends on the configuration only, so it is drawn at the start of a run, beside the first jobs,
# and not on the critical path at its end (write_provenance hashes it with everything else).
rule draw_rule_graph:
    input:
        code=rule_code("draw_rule_graph"),
    output:
        png=report(
            "results/provenance/rulegraph.png",
            caption="../report/rulegraph.rst",
            category="Provenance",
            labels={"figure": "rule graph"},
        ),
        pdf="results/provenance/rulegraph.pdf",
    log:
        "logs/draw_rule_graph.log",
    conda:
        "../envs/python.yaml"
    params:
        rule_graph=rule_graph_edges,
    script:
        "../scripts/draw_rule_graph.py"


rule write_provenance:
    input:
        results=study_targets(),
        config="config/config.yaml",
        codebook=CLEANING["codebook"],
        requirements="requirements.txt",
        twin=twin_files(),
        rulegraph_png=rules.draw_rule_graph.output.png,
        rulegraph_pdf=rules.draw_rule_graph.output.pdf,
        code=rule_code("write_provenance"),
    output:
        manifest="results/provenance/manifest.json",
        crate="results/provenance/ro-crate-metadata.json",
    log:
        "logs/write_provenance.log",
    conda:
        "../envs/python.yaml"
    params:
        raw_inputs=list(raw_table_paths().values()),
        rule_graph=rule_graph_edges,
        jobs=rule_jobs,
    script:
        "../scripts/write_provenance.py"
