# The exploratory notebook: run in a Jupyter kernel by nbclient and rendered to HTML by nbconvert, in one job, without
# run-time metadata (workflow/scripts/explore_cohort_notebook.py). The notebook is an input, so that editing it reruns
# the job, and its code cells' imports are code inputs like a script's.
rule explore_cohort_notebook:
    input:
        analysis="results/cleaning/analysis_table.tsv",
        notebook="workflow/notebooks/explore_cohort.py.ipynb",
        code=sorted(
            set(code_inputs("workflow/notebooks/explore_cohort.py.ipynb"))
            | set(rule_code("explore_cohort_notebook"))
        ),
    output:
        summary="results/paper/notebook_summary.json",
        figure="results/paper/notebook_cif.png",
        notebook="results/paper/explore_cohort.ipynb",
        html=report(
            "results/paper/explore_cohort.html",
            caption="../report/explore_cohort.rst",
            category="Paper",
            labels={"document": "exploratory notebook"},
        ),
    log:
        "logs/explore_cohort_notebook.log",
    conda:
        "../envs/python.yaml"
    script:
        "../scripts/explore_cohort_notebook.py"
