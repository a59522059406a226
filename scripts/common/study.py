"""The study's constants, one home each. Every package, rule script and rule file takes them from here; values that
are the study's choices (horizons, covariates, the order of the exclusion rules, ...) live in config/config.yaml
instead and reach the rules as params.

Plain Python with no imports, so that the rule files (workflow/rules/common.smk) can read it at parse time.
"""

from __future__ import annotations

# Units. A month is the mean Gregorian month, so that 12 months are a year of 365.25 days.
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

# Event codes of the analysis table and of the twin's truth (the competing-risks convention: 0 is censoring, each
# cause a positive integer): the first revision of the index bone, else death, else censoring at last contact.
CENSORED, REVISION, DEATH = 0, 1, 2
EVENT_CODES = {
    CENSORED: "censored at last contact",
    REVISION: "revision of the index bone",
    DEATH: "death without revision",
}

# De-identification roles (config deidentification.columns, table -> column -> role); see deidentify.tables.
PASSING_ROLES = frozenset({"patient_id", "staff_id", "date", "free_text", "keep"})
"""Roles whose columns reach results/ (transformed as their role says)."""
DATA_ROLES = PASSING_ROLES - {"patient_id"}
"""Passing roles that carry data: a table none of whose columns has one is dropped whole (the record number alone,
replaced by the pseudonym, is no reason to keep a table)."""
ROLES = PASSING_ROLES | {"birth_date", "name", "identifier", "drop"}
"""Every role the config may name."""

# Every exclusion rule the config (cleaning.exclusions) may name: what it means (exclusions.tsv, the data-quality
# report) and how the manuscript's flow sentence names it. The rules themselves are in cleaning.cohort.
EXCLUSION_RULES = {
    "label_needs_review": "label not in the codebook (review mode)",
    "no_operation": "no operation recorded",
    "unparseable_date": "unparseable operation or follow-up date",
    "no_long_bone_operation": "no operation on a long bone",
    "no_metastatic_disease": "no bone metastasis (ICD-10 C79.5)",
    "operation_outside_study_period": "index operation outside the study period",
    "missing_follow_up": "no follow-up (date of last contact)",
    "impossible_date_order": "death, last contact or a revision before the index operation",
    "zero_follow_up": "no time at risk: last contact on the day of the index operation, alive and unrevised",
    "inconsistent_vital_status": "vital status and date of death disagree",
}
EXCLUSION_LABELS = {
    "label_needs_review": "unresolved label",
    "no_operation": "no operation",
    "unparseable_date": "unparseable date",
    "no_long_bone_operation": "no long-bone operation",
    "no_metastatic_disease": "no bone metastasis",
    "operation_outside_study_period": "operated outside the study period",
    "missing_follow_up": "no follow-up",
    "impossible_date_order": "impossible date order",
    "inconsistent_vital_status": "inconsistent vital status",
    "zero_follow_up": "no follow-up time",
}
# The plausibility rules of the intake (config plausibility.rules; code in intake.plausibility), in the order a
# patient's reason is chosen. A patient they exclude crosses de-identification as a pseudonym with the rule's name,
# is excluded by cleaning before its own rules, and is counted in the flow under that name.
PLAUSIBILITY_RULES = {
    "control_characters": "a control character in a field",
    "conflicting_birth_dates": "patient rows of one record number with different birth dates",
    "implausible_birth_date": "birth date missing or impossible, or age at an operation outside the declared range",
    "date_after_export": "an event or the last contact dated after the export date",
    "contact_after_death": "last contact after the date of death",
    "revision_flag_mismatch": "revision flag disagrees with the revision reason or the operation date",
    "revision_on_index_day": "a revision dated on the day of a non-revision operation of the patient",
}
# How the manuscript's flow sentence and the flow diagram name them.
EXCLUSION_LABELS |= {
    "control_characters": "control characters in a field",
    "conflicting_birth_dates": "conflicting birth dates",
    "implausible_birth_date": "implausible birth date or age",
    "date_after_export": "dated after the export",
    "contact_after_death": "last contact after death",
    "revision_flag_mismatch": "revision flag contradicted",
    "revision_on_index_day": "revision on the index day",
}

# Every figure the manuscript embeds, in the order it numbers them; each has its caption in
# workflow/report/<stem>.rst.
MANUSCRIPT_FIGURES = (
    "results/cleaning/flow_diagram.png",
    "results/figures/revision_causes_by_primary.png",
    "results/figures/swimmer_revised.png",
    "results/figures/km_versus_cumulative_incidence.png",
    "results/figures/stacked_cumulative_incidence.png",
    "results/figures/cif_by_operation_method.png",
    "results/figures/cif_by_prognostic_group.png",
    "results/figures/forest_hazard_ratios.png",
    "results/figures/recommendation_fixation_by_prognosis.png",
    "results/figures/overall_survival.png",
    "results/figures/survival_by_score.png",
    "results/figures/score_discrimination.png",
)
# The supplement's figures, in the order it numbers them (Figure S1, ...).
SUPPLEMENT_FIGURES = ("results/figures/schoenfeld_residuals.png",)
# Every figure above is drawn in each manuscript's language by the rule that draws the English one (same job, same
# data): the Russian variant is <stem>_ru.{png,pdf} beside it (figure_in).
FIGURE_SUFFIX = {"en": "", "ru": "_ru"}


def figure_in(path: str, lang: str) -> str:
    """The figure file `path` (an English figure, e.g. results/figures/forest_hazard_ratios.png) in language
    `lang`: results/figures/forest_hazard_ratios_ru.png for Russian, `path` itself for English."""
    stem, dot, extension = path.rpartition(".")
    return f"{stem}{FIGURE_SUFFIX[lang]}{dot}{extension}"
