#!/usr/bin/env Rscript
# Reference values for scripts/analysis, computed with R's survival and cmprsk from a committed analysis table.
#
#   Rscript tests/r/analysis_fixtures.R [OUTPUT_DIR]
#
# Reads tests/fixtures/analysis/analysis_table.tsv (the default run's analysis table of the synthetic twin, with
# sequential patient ids and the derived columns fixation, modified_bauer_score and prognostic_group that
# scripts/analysis/data.py computes) and writes to OUTPUT_DIR (default tests/fixtures/analysis):
#   cox.csv        cause-specific Cox coefficients and standard errors (coxph, Efron ties), per model and covariate
#   medians.csv    Kaplan-Meier medians of overall survival (survfit's convention), overall and by primary group,
#                  and the median follow-up by reverse Kaplan-Meier, in days
#   km_median_cases.csv survfit's median on small cases (plateaus at exactly 0.5)
#   km_at_horizons.csv Kaplan-Meier (overall survival, 1 - KM of revision) at the horizons, log(-log) intervals
#   holm_cases.csv  p.adjust(..., "holm") on small families
#   interaction.csv the method-by-prognosis interaction in crr and coxph (coefficient, standard error, p-value)
#   interaction_by_group.csv the interaction with the group as a factor (coxph likelihood ratio, 2 df)
#   cuminc.csv     cumulative incidence of revision with cmprsk's variance at the horizons, overall
#   versions.csv   R and package versions
# Numbers are written with 17 significant digits.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

args <- commandArgs(trailingOnly = TRUE)
file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
script_dir <- dirname(normalizePath(sub("^--file=", "", file_arg[1])))
fixture_dir <- file.path(script_dir, "..", "fixtures", "analysis")
out_dir <- if (length(args) >= 1) args[1] else fixture_dir
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

DAYS_PER_MONTH <- 30.4375
HORIZONS_MONTHS <- c("6m" = 6, "1y" = 12, "2y" = 24, "5y" = 60)

d <- read.delim(file.path(fixture_dir, "analysis_table.tsv"), stringsAsFactors = FALSE)
d$revision <- as.integer(d$event == 1)
d$died <- as.logical(d$died)
d$osteosynthesis <- as.numeric(d$fixation == "osteosynthesis")
d$kidney_primary <- as.numeric(d$primary_group == "kidney")
d$pathological_fracture <- as.numeric(as.logical(d$pathological_fracture))
d$prognostic_step <- match(d$prognostic_group, c("0-1", "2", "3-4")) - 1
d$osteosynthesis_x_prognostic_step <- d$osteosynthesis * d$prognostic_step
compared <- d[d$fixation != "other", ]

write17 <- function(frame, name) {
  for (column in names(frame)) {
    if (is.numeric(frame[[column]])) frame[[column]] <- sprintf("%.17g", frame[[column]])
  }
  write.csv(frame, file.path(out_dir, name), row.names = FALSE, quote = TRUE)
}

# Cause-specific Cox: the models of scripts/analysis/factors.py (a model with osteosynthesis leaves out "other").
cox_rows <- list()
cox_model <- function(model, data, covariates) {
  f <- as.formula(paste("Surv(time_days, revision) ~", paste(covariates, collapse = " + ")))
  fit <- coxph(f, data = data, ties = "efron", control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100))
  data.frame(model = model, covariate = names(coef(fit)), coef = unname(coef(fit)),
             se = unname(sqrt(diag(vcov(fit)))), stringsAsFactors = FALSE)
}
cox <- rbind(
  cox_model("univariable: osteosynthesis", compared, "osteosynthesis"),
  cox_model("univariable: kidney_primary", d, "kidney_primary"),
  cox_model("univariable: modified_bauer_score", d, "modified_bauer_score"),
  cox_model("univariable: pathological_fracture", d, "pathological_fracture"),
  cox_model("multivariable", compared, c("osteosynthesis", "kidney_primary", "modified_bauer_score"))
)
write17(cox, "cox.csv")

# Kaplan-Meier medians (survfit's convention) of overall survival, and the reverse Kaplan-Meier median follow-up.
km_median <- function(time, status) unname(summary(survfit(Surv(time, status) ~ 1))$table["median"])
medians <- data.frame(group = "all", median_days = km_median(d$survival_days, d$died), stringsAsFactors = FALSE)
for (g in sort(unique(d$primary_group))) {
  s <- d[d$primary_group == g, ]
  medians <- rbind(medians, data.frame(group = g, median_days = km_median(s$survival_days, s$died)))
}
medians <- rbind(medians, data.frame(group = "follow_up_reverse_km",
                                     median_days = km_median(d$survival_days, !d$died)))
write17(medians, "medians.csv")

# survfit's median on small cases: a plateau at exactly 0.5 (midpoint to the next event time), a curve passing
# below 0.5, a curve ending at 0.5, and censoring in between (times and statuses separated by ";").
cases <- list(c("1;2;3;4", "1;1;1;1"), c("1;2;3;4;5", "1;1;1;1;1"), c("1;2;3;4", "1;1;0;0"),
              c("1;2;3;4;5", "1;1;0;1;0"), c("1;2;3", "1;0;0"))
km_cases <- do.call(rbind, lapply(cases, function(case) {
  time <- as.numeric(strsplit(case[1], ";")[[1]])
  status <- as.numeric(strsplit(case[2], ";")[[1]])
  data.frame(time = case[1], status = case[2], median = km_median(time, status), stringsAsFactors = FALSE)
}))
write17(km_cases, "km_median_cases.csv")

# Kaplan-Meier at the horizons with survfit's log(-log) interval (lifelines' exponential Greenwood): overall survival
# and 1 - KM of revision (deaths censored), at the configured level and at 90 %.
km_at <- function(time, status, what, level) {
  fit <- survfit(Surv(time, status) ~ 1, conf.type = "log-log", conf.int = level)
  s <- summary(fit, times = HORIZONS_MONTHS * DAYS_PER_MONTH, extend = TRUE)
  data.frame(curve = what, level = level, horizon = names(HORIZONS_MONTHS), survival = s$surv, lower = s$lower,
             upper = s$upper, stringsAsFactors = FALSE)
}
km <- rbind(km_at(d$survival_days, d$died, "overall_survival", 0.95),
            km_at(d$time_days, d$revision, "km_revision", 0.95),
            km_at(d$time_days, d$revision, "km_revision", 0.9))
write17(km, "km_at_horizons.csv")

# Holm's adjustment (p.adjust) of small families, NA left out of the family.
families <- list(c(0.01, 0.04, 0.03), c(0.02, NA, 0.5), c(0.0245724989, 0.472746371, 0.0242067557))
holm <- do.call(rbind, lapply(seq_along(families), function(i) {
  data.frame(family = i, p = families[[i]], holm = p.adjust(families[[i]], "holm"))
}))
write17(holm, "holm_cases.csv")

# The method-by-prognosis interaction (osteosynthesis x prognostic group as a trend), crr and coxph.
x <- as.matrix(compared[, c("osteosynthesis", "prognostic_step", "osteosynthesis_x_prognostic_step")])
fg <- crr(compared$time_days, compared$event, x, failcode = 1, cencode = 0, gtol = 1e-12, maxiter = 200)
cs <- coxph(Surv(time_days, revision) ~ osteosynthesis + prognostic_step + osteosynthesis_x_prognostic_step,
            data = compared, ties = "efron", control = coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100))
term <- "osteosynthesis_x_prognostic_step"
interaction <- data.frame(
  kind = c("Fine-Gray", "cause-specific Cox"),
  coef = c(unname(fg$coef[3]), unname(coef(cs)[term])),
  se = c(sqrt(fg$var[3, 3]), sqrt(vcov(cs)[term, term])),
  stringsAsFactors = FALSE
)
interaction$p_value <- 2 * pnorm(-abs(interaction$coef / interaction$se))
write17(interaction, "interaction.csv")

# The same interaction with the group as a factor (2 df): likelihood-ratio test of coxph with and without it (valid
# where a within-group coefficient diverges; coxph warns that it does).
compared$group <- factor(compared$prognostic_group, levels = c("0-1", "2", "3-4"))
control <- coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100)
reduced <- suppressWarnings(coxph(Surv(time_days, revision) ~ osteosynthesis + group, data = compared,
                                  ties = "efron", control = control))
full <- suppressWarnings(coxph(Surv(time_days, revision) ~ osteosynthesis * group, data = compared,
                               ties = "efron", control = control))
statistic <- 2 * (full$loglik[2] - reduced$loglik[2])
write17(data.frame(statistic = statistic, df = 2, p_value = pchisq(statistic, 2, lower.tail = FALSE)),
        "interaction_by_group.csv")

# Cumulative incidence of revision at the horizons (cmprsk's estimate and variance).
ci <- cuminc(d$time_days, d$event, cencode = 0)
at <- timepoints(ci, HORIZONS_MONTHS * DAYS_PER_MONTH)
write17(data.frame(horizon = names(HORIZONS_MONTHS), estimate = unname(at$est["1 1", ]),
                   variance = unname(at$var["1 1", ]), stringsAsFactors = FALSE), "cuminc.csv")

versions <- data.frame(name = c("R", "survival", "cmprsk"),
                       version = c(paste(R.version$major, R.version$minor, sep = "."),
                                   as.character(packageVersion("survival")), as.character(packageVersion("cmprsk"))))
write.csv(versions, file.path(out_dir, "versions.csv"), row.names = FALSE)
cat("analysis fixtures written to", out_dir, "\n")
