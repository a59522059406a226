# The study's analysis: description, revision risk with death competing, factors, the paper's recommendation,
# and every number the manuscript quotes. Reads only the analysis table and the flow of the cleaning stage.


rule describe_cohort:
    input:
        glossary="workflow/templates/glossary.yaml",
        analysis="results/cleaning/analysis_table.tsv",
        codebook=CLEANING["codebook"],
        code=rule_code("describe_cohort"),
    output:
        table1="results/analysis/table1.tsv",
        table1_by_revision="results/analysis/table1_by_revision.tsv",
        table1_by_method="results/analysis/table1_by_method.tsv",
        causes_by_primary="results/analysis/causes_by_primary.tsv",
        time_to_revision="results/analysis/time_to_revision_by_cause.tsv",
        cohort_crosstab="results/analysis/cohort_by_primary_bone_sex_age.tsv",
        small_cells="results/analysis/small_cells.json",
        causes_png=report(
            "results/figures/revision_causes_by_primary.png",
            caption="../report/revision_causes_by_primary.rst",
            category="Description",
            labels={"figure": "revision causes by primary"},
        ),
        causes_pdf="results/figures/revision_causes_by_primary.pdf",
        causes_ru_png="results/figures/revision_causes_by_primary_ru.png",
        causes_ru_pdf="results/figures/revision_causes_by_primary_ru.pdf",
        swimmer_png=report(
            "results/figures/swimmer_revised.png",
            caption="../report/swimmer_revised.rst",
            category="Description",
            labels={"figure": "swimmer plot of the revised"},
        ),
        swimmer_pdf="results/figures/swimmer_revised.pdf",
        swimmer_ru_png="results/figures/swimmer_revised_ru.png",
        swimmer_ru_pdf="results/figures/swimmer_revised_ru.pdf",
    log:
        "logs/describe_cohort.log",
    conda:
        "../envs/python.yaml"
    params:
        small_cells=SMALL_CELLS,
        age_top_code=DEID["age_top_code"],
    script:
        "../scripts/describe_cohort.py"


rule estimate_revision_risk:
    input:
        glossary="workflow/templates/glossary.yaml",
        analysis="results/cleaning/analysis_table.tsv",
        code=rule_code("estimate_revision_risk"),
    output:
        risk="results/analysis/revision_risk.tsv",
        curves="results/analysis/revision_curves.tsv",
        survival="results/analysis/overall_survival.tsv",
        km_cif_png=report(
            "results/figures/km_versus_cumulative_incidence.png",
            caption="../report/km_versus_cumulative_incidence.rst",
            category="Revision risk",
            labels={"figure": "1 - KM vs cumulative incidence"},
        ),
        km_cif_pdf="results/figures/km_versus_cumulative_incidence.pdf",
        km_cif_ru_png="results/figures/km_versus_cumulative_incidence_ru.png",
        km_cif_ru_pdf="results/figures/km_versus_cumulative_incidence_ru.pdf",
        stacked_png=report(
            "results/figures/stacked_cumulative_incidence.png",
            caption="../report/stacked_cumulative_incidence.rst",
            category="Revision risk",
            labels={"figure": "stacked cumulative incidence"},
        ),
        stacked_pdf="results/figures/stacked_cumulative_incidence.pdf",
        stacked_ru_png="results/figures/stacked_cumulative_incidence_ru.png",
        stacked_ru_pdf="results/figures/stacked_cumulative_incidence_ru.pdf",
        survival_png=report(
            "results/figures/overall_survival.png",
            caption="../report/overall_survival.rst",
            category="Revision risk",
            labels={"figure": "overall survival"},
        ),
        survival_pdf="results/figures/overall_survival.pdf",
        survival_ru_png="results/figures/overall_survival_ru.png",
        survival_ru_pdf="results/figures/overall_survival_ru.pdf",
    log:
        "logs/estimate_revision_risk.log",
    conda:
        "../envs/python.yaml"
    params:
        horizons_months=ANALYSIS["horizons_months"],
        confidence_level=ANALYSIS["confidence_level"],
        primary_groups_shown=ANALYSIS["primary_groups_shown"],
        max_months=ANALYSIS["figure_max_months"],
    script:
        "../scripts/estimate_revision_risk.py"


rule compare_factors:
    input:
        glossary="workflow/templates/glossary.yaml",
        analysis="results/cleaning/analysis_table.tsv",
        code=rule_code("compare_factors"),
    output:
        cif_by_factor="results/analysis/cif_by_factor.tsv",
        gray="results/analysis/gray_tests.tsv",
        models="results/analysis/hazard_models.tsv",
        ph_checks="results/analysis/proportional_hazards_checks.tsv",
        time_split="results/analysis/time_split_hazard_ratios.tsv",
        ridge="results/analysis/ridge_model.tsv",
        sensitivity="results/analysis/sensitivity_analyses.tsv",
        fine_gray_ph="results/analysis/fine_gray_proportionality.tsv",
        schoenfeld_png=report(
            "results/figures/schoenfeld_residuals.png",
            caption="../report/schoenfeld_residuals.rst",
            category="Factors",
            labels={"figure": "Schoenfeld residuals"},
        ),
        schoenfeld_pdf="results/figures/schoenfeld_residuals.pdf",
        schoenfeld_ru_png="results/figures/schoenfeld_residuals_ru.png",
        schoenfeld_ru_pdf="results/figures/schoenfeld_residuals_ru.pdf",
        record="results/analysis/models.json",
        method_png=report(
            "results/figures/cif_by_operation_method.png",
            caption="../report/cif_by_operation_method.rst",
            category="Factors",
            labels={"figure": "cumulative incidence by operation"},
        ),
        method_pdf="results/figures/cif_by_operation_method.pdf",
        method_ru_png="results/figures/cif_by_operation_method_ru.png",
        method_ru_pdf="results/figures/cif_by_operation_method_ru.pdf",
        prognosis_png=report(
            "results/figures/cif_by_prognostic_group.png",
            caption="../report/cif_by_prognostic_group.rst",
            category="Factors",
            labels={"figure": "cumulative incidence by prognosis"},
        ),
        prognosis_pdf="results/figures/cif_by_prognostic_group.pdf",
        prognosis_ru_png="results/figures/cif_by_prognostic_group_ru.png",
        prognosis_ru_pdf="results/figures/cif_by_prognostic_group_ru.pdf",
        forest_png=report(
            "results/figures/forest_hazard_ratios.png",
            caption="../report/forest_hazard_ratios.rst",
            category="Factors",
            labels={"figure": "forest plot"},
        ),
        forest_pdf="results/figures/forest_hazard_ratios.pdf",
        forest_ru_png="results/figures/forest_hazard_ratios_ru.png",
        forest_ru_pdf="results/figures/forest_hazard_ratios_ru.pdf",
    log:
        "logs/compare_factors.log",
    conda:
        "../envs/python.yaml"
    params:
        factors=ANALYSIS["factors"],
        candidate_covariates=ANALYSIS["candidate_covariates"],
        multivariable=ANALYSIS["multivariable"],
        min_events_per_variable=ANALYSIS["min_events_per_variable"],
        horizons_months=ANALYSIS["horizons_months"],
        confidence_level=ANALYSIS["confidence_level"],
        primary_groups_shown=ANALYSIS["primary_groups_shown"],
        max_months=ANALYSIS["figure_max_months"],
        time_split_months=ANALYSIS["time_split_months"],
        ridge_penalty=ANALYSIS["ridge_penalty"],
        excluded_causes=ANALYSIS["sensitivity"]["excluded_causes"],
        early_death_days=ANALYSIS["sensitivity"]["early_death_days"],
    script:
        "../scripts/compare_factors.py"


rule assess_recommendation:
    input:
        glossary="workflow/templates/glossary.yaml",
        analysis="results/cleaning/analysis_table.tsv",
        code=rule_code("assess_recommendation"),
    output:
        scores="results/analysis/modified_bauer_scores.tsv",
        table="results/analysis/recommendation_cif.tsv",
        tests="results/analysis/recommendation_gray_tests.tsv",
        interaction="results/analysis/recommendation_interaction.tsv",
        mix="results/analysis/recommendation_prognostic_mix.tsv",
        figure_png=report(
            "results/figures/recommendation_fixation_by_prognosis.png",
            caption="../report/recommendation_fixation_by_prognosis.rst",
            category="Recommendation",
            labels={"figure": "fixation within prognostic groups"},
        ),
        figure_pdf="results/figures/recommendation_fixation_by_prognosis.pdf",
        figure_ru_png="results/figures/recommendation_fixation_by_prognosis_ru.png",
        figure_ru_pdf="results/figures/recommendation_fixation_by_prognosis_ru.pdf",
    log:
        "logs/assess_recommendation.log",
    conda:
        "../envs/python.yaml"
    params:
        horizons_months=ANALYSIS["horizons_months"],
        confidence_level=ANALYSIS["confidence_level"],
        max_months=ANALYSIS["figure_max_months"],
    script:
        "../scripts/assess_recommendation.py"


rule collect_numbers:
    input:
        **bootstrap_intervals(),
        analysis="results/cleaning/analysis_table.tsv",
        flow="results/cleaning/flow.json",
        risk=rules.estimate_revision_risk.output.risk,
        survival=rules.estimate_revision_risk.output.survival,
        gray=rules.compare_factors.output.gray,
        models=rules.compare_factors.output.models,
        record=rules.compare_factors.output.record,
        recommendation_tests=rules.assess_recommendation.output.tests,
        recommendation_table=rules.assess_recommendation.output.table,
        interaction=rules.assess_recommendation.output.interaction,
        time_split=rules.compare_factors.output.time_split,
        time_to_revision=rules.describe_cohort.output.time_to_revision,
        # Defined below (rule compare_prognostic_scores); named by path.
        score_interaction="results/analysis/score_recommendation_interaction.tsv",
        score_discrimination="results/analysis/score_discrimination.tsv",
        glossary="workflow/templates/glossary.yaml",
        code=rule_code("collect_numbers"),
    output:
        numbers="results/numbers.json",
        claims="results/analysis/claims.tsv",
        claims_ru="results/analysis/claims_ru.tsv",
    log:
        "logs/collect_numbers.log",
    conda:
        "../envs/python.yaml"
    params:
        causes=ANALYSIS["revision_causes"],
        horizons=list(ANALYSIS["horizons_months"]),
        min_events_per_variable=ANALYSIS["min_events_per_variable"],
        confidence_level=ANALYSIS["confidence_level"],
        claims_horizon=ANALYSIS["claims_horizon"],
        time_split_months=ANALYSIS["time_split_months"],
        early_death_days=ANALYSIS["sensitivity"]["early_death_days"],
        bootstrap_resamples=BOOTSTRAP["resamples"],
    script:
        "../scripts/collect_numbers.py"


rule assess_prognostic_scores:
    input:
        glossary="workflow/templates/glossary.yaml",
        analysis="results/cleaning/analysis_table.tsv",
        code=rule_code("assess_prognostic_scores"),
    output:
        scores="results/analysis/prognostic_scores.tsv",
        discrimination="results/analysis/score_discrimination.tsv",
        complete_case="results/analysis/score_discrimination_complete_case.tsv",
        forest_png=report(
            "results/figures/score_discrimination.png",
            caption="../report/score_discrimination.rst",
            category="Prognostic scores",
            labels={"figure": "discrimination"},
        ),
        forest_pdf="results/figures/score_discrimination.pdf",
        forest_ru_png="results/figures/score_discrimination_ru.png",
        forest_ru_pdf="results/figures/score_discrimination_ru.pdf",
    log:
        "logs/assess_prognostic_scores.log",
    conda:
        "../envs/python.yaml"
    params:
        settings={
            **config["analysis"]["prognostic_scores"],
            "confidence_level": config["analysis"]["confidence_level"],
        },
    script:
        "../scripts/assess_prognostic_scores.py"


rule compare_prognostic_scores:
    input:
        glossary="workflow/templates/glossary.yaml",
        analysis="results/cleaning/analysis_table.tsv",
        # The scores are computed again from the analysis table (the same function as assess_prognostic_scores),
        # so that this rule does not wait for the imputation.
        code=rule_code("compare_prognostic_scores"),
    output:
        calibration="results/analysis/score_calibration.tsv",
        recommendation_cif="results/analysis/score_recommendation_cif.tsv",
        recommendation_tests="results/analysis/score_recommendation_gray_tests.tsv",
        interaction="results/analysis/score_recommendation_interaction.tsv",
        survival_png=report(
            "results/figures/survival_by_score.png",
            caption="../report/survival_by_score.rst",
            category="Prognostic scores",
            labels={"figure": "survival by score group"},
        ),
        survival_pdf="results/figures/survival_by_score.pdf",
        survival_ru_png="results/figures/survival_by_score_ru.png",
        survival_ru_pdf="results/figures/survival_by_score_ru.pdf",
        calibration_png=report(
            "results/figures/score_calibration.png",
            caption="../report/score_calibration.rst",
            category="Prognostic scores",
            labels={"figure": "calibration"},
        ),
        calibration_pdf="results/figures/score_calibration.pdf",
        recommendation_bauer_png=report(
            "results/figures/recommendation_by_bauer.png",
            caption="../report/recommendation_by_bauer.rst",
            category="Prognostic scores",
            labels={"figure": "recommendation, original Bauer groups"},
        ),
        recommendation_bauer_pdf="results/figures/recommendation_by_bauer.pdf",
        recommendation_katagiri_new_png=report(
            "results/figures/recommendation_by_katagiri_new.png",
            caption="../report/recommendation_by_katagiri_new.rst",
            category="Prognostic scores",
            labels={"figure": "recommendation, new Katagiri groups"},
        ),
        recommendation_katagiri_new_pdf="results/figures/recommendation_by_katagiri_new.pdf",
    log:
        "logs/compare_prognostic_scores.log",
    conda:
        "../envs/python.yaml"
    params:
        horizons_months=ANALYSIS["horizons_months"],
        confidence_level=ANALYSIS["confidence_level"],
        max_months=ANALYSIS["figure_max_months"],
    script:
        "../scripts/compare_prognostic_scores.py"
