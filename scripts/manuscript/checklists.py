"""The reporting checklists the manuscript's supplement prints: STROBE for cohort studies (von Elm et al. 2007,
PLoS Med 4:e296) and its extension for routinely collected health data, RECORD (Benchimol et al. 2015, PLoS Med
12:e1001885). Each item gives where the manuscript meets it and the rule or file of the workflow that delivers it,
so that a reviewer can check the claim in the code. Item topics are the checklists' own headings, paraphrased.
"""

from __future__ import annotations

# (item, topic, manuscript section, rule or file that delivers it)
STROBE_COHORT = [
    ("1a", "Design named in title or abstract", "Title; Abstract (Methods)", "workflow/templates/manuscript.md.j2"),
    ("1b", "Informative, balanced abstract", "Abstract", "render_manuscript; results/numbers.json (collect_numbers)"),
    ("2", "Background and rationale", "Introduction", "workflow/templates/manuscript.md.j2"),
    ("3", "Objectives", "Abstract (Aim); Introduction", "workflow/templates/manuscript.md.j2"),
    ("4", "Study design", "Methods: Patients", "clean_cohort (scripts/cleaning/)"),
    (
        "5",
        "Setting, locations, dates",
        "Abstract (Methods); Methods: Data source; Methods: Patients",
        "intake_exports; clean_cohort",
    ),
    (
        "6a",
        "Eligibility, selection, follow-up",
        "Methods: Patients; Figure 1",
        "clean_cohort (results/cleaning/flow_diagram.png)",
    ),
    ("6b", "Matching", "not applicable: no matching", "-"),
    (
        "7",
        "Outcomes, exposures, confounders defined",
        "Methods: Patients; Methods: Statistical analysis",
        "clean_cohort; config/codebook.yaml",
    ),
    (
        "8",
        "Data sources and measurement",
        "Methods: Data source and de-identification",
        "intake_exports; deidentify_exports; clean_cohort",
    ),
    (
        "9",
        "Bias",
        "Methods: Statistical analysis (competing risks); Limitations",
        "estimate_revision_risk; compare_factors",
    ),
    ("10", "Study size", "Results: Patients; Figure 1", "clean_cohort (results/cleaning/flow_diagram.png)"),
    (
        "11",
        "Quantitative variables and groupings",
        "Methods: Statistical analysis (modified Bauer groups)",
        "assess_recommendation; scripts/analysis/",
    ),
    (
        "12a",
        "Statistical methods, confounding",
        "Methods: Statistical analysis",
        "estimate_revision_risk; compare_factors; assess_recommendation",
    ),
    (
        "12b",
        "Subgroups and interactions",
        "Methods: Statistical analysis (interaction with prognostic group)",
        "assess_recommendation",
    ),
    (
        "12c",
        "Missing data",
        "Methods: Missing data, loss to follow-up and sensitivity analyses",
        "clean_cohort (results/cleaning/data_quality.md); describe_cohort (Table 1)",
    ),
    (
        "12d",
        "Loss to follow-up",
        "Methods: Missing data, loss to follow-up and sensitivity analyses",
        "estimate_revision_risk (reverse Kaplan-Meier follow-up)",
    ),
    (
        "12e",
        "Sensitivity analyses",
        "Methods: Missing data, loss to follow-up and sensitivity analyses; Tables S4-S5",
        "compare_factors (results/analysis/sensitivity_analyses.tsv, ridge_model.tsv)",
    ),
    ("13a", "Numbers at each stage", "Results: Patients; Figure 1", "clean_cohort (flow)"),
    (
        "13b",
        "Reasons for non-participation",
        "Results: Patients (exclusions); Figure 1",
        "clean_cohort; config plausibility.rules",
    ),
    ("13c", "Flow diagram", "Figure 1", "clean_cohort (results/cleaning/flow_diagram.png)"),
    (
        "14a",
        "Characteristics of participants",
        "Results: Patients; Table 1",
        "describe_cohort (results/analysis/table1_by_revision.tsv)",
    ),
    ("14b", "Missing data per variable", "Table 1 (Missing column)", "describe_cohort"),
    ("14c", "Follow-up time", "Results: Risk of revision with death competing", "estimate_revision_risk"),
    (
        "15",
        "Outcome events over time",
        "Results: Revisions; Tables 2-3; Figures 2-5",
        "estimate_revision_risk; describe_cohort",
    ),
    (
        "16a",
        "Unadjusted and adjusted estimates",
        "Results: Factors; Table 4; Figure 8",
        "compare_factors (results/analysis/hazard_models.tsv)",
    ),
    ("16b", "Category boundaries", "Methods: Statistical analysis", "assess_recommendation"),
    (
        "16c",
        "Absolute risk",
        "Results: Risk of revision; Table 3; Table 5",
        "estimate_revision_risk; assess_recommendation",
    ),
    (
        "17",
        "Other analyses",
        "Results: The recommendation, tested; Supplement",
        "assess_recommendation; compare_factors; gather_bootstrap",
    ),
    ("18", "Key results", "Discussion", "workflow/templates/manuscript.md.j2"),
    ("19", "Limitations", "Limitations", "workflow/templates/manuscript.md.j2"),
    (
        "20",
        "Interpretation",
        "Discussion",
        "collect_numbers (results/analysis/claims.tsv: sentences chosen from the estimates)",
    ),
    ("21", "Generalisability", "Discussion; Limitations", "workflow/templates/manuscript.md.j2"),
    ("22", "Funding", "Declarations: Funding", "config manuscript.funding"),
]

RECORD = [
    (
        "1.1",
        "Type of data named in title or abstract",
        "Abstract (Methods: exports of the hospital information system)",
        "workflow/templates/manuscript.md.j2",
    ),
    (
        "1.2",
        "Region and time frame in the abstract",
        "Abstract (Methods)",
        "clean_cohort (results/numbers.json period)",
    ),
    (
        "1.3",
        "Linkage between databases",
        "Methods: Data source (one hospital system, tables joined by record number; no external linkage)",
        "intake_exports (scripts/intake/)",
    ),
    (
        "6.1",
        "Codes and algorithms selecting the population",
        "Methods: Patients (ICD-10 C79.5, long bones, index operation)",
        "clean_cohort; config/codebook.yaml",
    ),
    (
        "6.2",
        "Validation of the codes",
        "Methods: Patients; Limitations",
        "config/codebook.yaml (reviewable); plausibility rules (docs/plausibility.md)",
    ),
    ("6.3", "Linkage flow", "Figure 1", "clean_cohort (results/cleaning/flow_diagram.png)"),
    (
        "7.1",
        "Codes and algorithms of exposures, outcomes, confounders",
        "Methods: Patients; Methods: Statistical analysis",
        "config/codebook.yaml; scripts/cleaning/",
    ),
    (
        "12.1",
        "Access to the database population",
        "Methods: Data source and de-identification",
        "intake_exports; deidentify_exports",
    ),
    (
        "12.2",
        "Data cleaning",
        "Methods: Patients; Methods: Missing data",
        "clean_cohort (results/cleaning/data_quality.md); preflight",
    ),
    (
        "12.3",
        "Linkage methods and quality",
        "Methods: Data source (keyed pseudonyms of record numbers)",
        "deidentify_exports (scripts/deidentify/)",
    ),
    (
        "13.1",
        "Selection by data quality, flow diagram",
        "Results: Patients; Figure 1",
        "clean_cohort; config plausibility.rules",
    ),
    (
        "19.1",
        "Data not collected for research: misclassification, confounding, missing data",
        "Limitations",
        "workflow/templates/manuscript.md.j2",
    ),
    (
        "22.1",
        "Access to protocol, data and code",
        "Declarations: Data and code availability",
        "write_provenance (results/provenance/manifest.json, ro-crate-metadata.json)",
    ),
]
