# Read instead of workflow/rules/explore_cohort.smk by `snakemake --edit-notebook`: the same rule with Snakemake's
# notebook directive, which starts a Jupyter server on the notebook with the rule's real inputs and writes the saved
# notebook back into workflow/notebooks/. The default run executes the notebook from a script (one process fewer).
rule explore_cohort_notebook:
    input:
        analysis="results/cleaning/analysis_table.tsv",
        code=code_inputs("workflow/notebooks/explore_cohort.py.ipynb"),
    output:
        summary="results/paper/notebook_summary.json",
        figure="results/paper/notebook_cif.png",
    log:
        notebook="logs/notebooks/explore_cohort.ipynb",
    conda:
        "../../envs/python.yaml"
    notebook:
        "../../notebooks/explore_cohort.py.ipynb"
