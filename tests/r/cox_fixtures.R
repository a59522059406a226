#!/usr/bin/env Rscript
# Reference values for scripts/competing_risks/cox.py: survival::coxph with its default control (coxph.control():
# eps = 1e-9, iter.max = 20, toler.chol = .Machine$double.eps^0.75), so that the iteration count, the stopping
# point and the "coefficient may be infinite" warning are R's own.
#
#   Rscript tests/r/cox_fixtures.R [OUTPUT_DIR]     # default: tests/fixtures/cox
#
# Cases (the data as R used them: <case>_data.csv; `start` empty for right-censored data):
#   hand           10 subjects written here: three events tied at t = 5, two at t = 8, an event tied with a
#                  censoring at t = 3; x1 binary, x2 continuous; Efron and Breslow ties
#   lung           survival::lung, Surv(time, status == 2) ~ age + sex + ph.ecog (complete cases); Efron, Breslow
#   lung_split     lung split at 180 days (survSplit): Surv(tstart, time, death) ~ age + sex_before + sex_after
#   twin           the twin's analysis table (tests/fixtures/analysis/analysis_table.tsv): the multivariable
#                  cause-specific model of scripts/analysis/factors.py (osteosynthesis, kidney_primary,
#                  modified_bauer_score, pathological_fracture; the "other" operations left out)
#   twin_split     the same, osteosynthesis split at 6 months (factors.time_split_cox's episodes)
#   twin_monotone  osteosynthesis * prognostic group (recommendation.interaction_by_group's full model), where a
#                  within-group coefficient diverges (R warns: "coefficient may be infinite")
#   twin_ridge     ridge(<the four covariates>, theta = 0.1 n, scale = TRUE): factors.ridge_cox with penalty 0.1
# Writes fits.csv (case, ties, covariate, coef, se, loglik0, loglik, iter, infinite_warning), residuals.csv
# (residuals(fit, "scaledsch"): case, ties, event (1..), time, covariate, value) and versions.csv.
# Numbers are written with 17 significant digits.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
script_dir <- dirname(normalizePath(sub("^--file=", "", file_arg[1])))
out_dir <- if (length(args) >= 1) args[1] else file.path(script_dir, "..", "fixtures", "cox")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
DAYS_PER_MONTH <- 30.4375

write17 <- function(frame, name) {
  for (column in names(frame)) {
    if (is.numeric(frame[[column]])) frame[[column]] <- sprintf("%.17g", frame[[column]])
  }
  write.csv(frame, file.path(out_dir, name), row.names = FALSE, quote = TRUE)
}

fits <- list()
residual_rows <- list()
fit_case <- function(case, data, covariates, ties = "efron", counting = FALSE, formula_rhs = NULL) {
  lhs <- if (counting) "Surv(start, stop, event)" else "Surv(stop, event)"
  rhs <- if (is.null(formula_rhs)) paste(covariates, collapse = " + ") else formula_rhs
  warned <- FALSE
  fit <- withCallingHandlers(
    coxph(as.formula(paste(lhs, "~", rhs)), data = data, ties = ties),
    warning = function(w) {
      if (grepl("infinite", conditionMessage(w))) warned <<- TRUE
      invokeRestart("muffleWarning")
    }
  )
  se <- sqrt(diag(fit$var))
  fits[[length(fits) + 1]] <<- data.frame(
    case = case, ties = ties, covariate = covariates, coef = unname(coef(fit)), se = se,
    loglik0 = fit$loglik[1], loglik = fit$loglik[2], iter = fit$iter[length(fit$iter)], infinite_warning = warned,
    stringsAsFactors = FALSE
  )
  if (is.null(formula_rhs) || grepl("ridge", formula_rhs)) {
    r <- as.matrix(residuals(fit, type = "scaledsch"))
    times <- as.numeric(rownames(r))
    residual_rows[[length(residual_rows) + 1]] <<- data.frame(
      case = case, ties = ties, event = rep(seq_len(nrow(r)), ncol(r)), time = rep(times, ncol(r)),
      covariate = rep(covariates, each = nrow(r)), value = as.vector(r), stringsAsFactors = FALSE
    )
  }
  invisible(fit)
}
write_data <- function(data, case, columns) {
  out <- data[, c("start", "stop", "event", columns)]
  write17(out, paste0(case, "_data.csv"))
}

# 1. hand example
hand <- data.frame(
  start = NA_real_,
  stop = c(1, 3, 3, 5, 5, 5, 6, 8, 8, 10),
  event = c(1, 1, 0, 1, 1, 1, 0, 1, 1, 0),
  x1 = c(0, 1, 0, 1, 0, 1, 1, 0, 1, 0),
  x2 = c(0.5, -1.2, 0.3, 2.0, 1.1, -0.4, 0.8, -0.9, 0.2, 1.5)
)
write_data(hand, "hand", c("x1", "x2"))
for (ties in c("efron", "breslow")) fit_case("hand", hand, c("x1", "x2"), ties)

# 2. lung
lung_cc <- na.omit(survival::lung[, c("time", "status", "age", "sex", "ph.ecog")])
lung_d <- data.frame(start = NA_real_, stop = lung_cc$time, event = as.numeric(lung_cc$status == 2),
                     age = lung_cc$age, sex = lung_cc$sex, ph.ecog = lung_cc$ph.ecog)
names(lung_d)[names(lung_d) == "ph.ecog"] <- "ph_ecog"
write_data(lung_d, "lung", c("age", "sex", "ph_ecog"))
for (ties in c("efron", "breslow")) fit_case("lung", lung_d, c("age", "sex", "ph_ecog"), ties)

# 3. lung split at 180 days into counting-process rows
split <- survSplit(Surv(stop, event) ~ age + sex, data = lung_d[, c("stop", "event", "age", "sex")],
                   cut = 180, start = "start", episode = "period")
split$sex_before <- split$sex * (split$period == 1)
split$sex_after <- split$sex * (split$period == 2)
write_data(split, "lung_split", c("age", "sex_before", "sex_after"))
fit_case("lung_split", split, c("age", "sex_before", "sex_after"), "efron", counting = TRUE)

# 4. the twin's analysis table
d <- read.delim(file.path(script_dir, "..", "fixtures", "analysis", "analysis_table.tsv"), stringsAsFactors = FALSE)
twin <- d[d$fixation != "other", ]
twin <- data.frame(
  start = NA_real_, stop = twin$time_days, event = as.numeric(twin$event == 1),
  osteosynthesis = as.numeric(twin$fixation == "osteosynthesis"),
  kidney_primary = as.numeric(twin$primary_group == "kidney"),
  modified_bauer_score = twin$modified_bauer_score,
  pathological_fracture = as.numeric(as.logical(twin$pathological_fracture)),
  group = factor(twin$prognostic_group, levels = c("0-1", "2", "3-4"))
)
four <- c("osteosynthesis", "kidney_primary", "modified_bauer_score", "pathological_fracture")
write_data(twin, "twin", c(four, "group"))
fit_case("twin", twin, four)

# 5. the twin, osteosynthesis split at 6 months (before: [0, min(t, split)], after: (split, t])
cut <- 6 * DAYS_PER_MONTH
twin_split <- survSplit(Surv(stop, event) ~ ., data = twin[, c("stop", "event", four)], cut = cut,
                        start = "start", episode = "period")
twin_split$osteosynthesis_before <- twin_split$osteosynthesis * (twin_split$period == 1)
twin_split$osteosynthesis_after <- twin_split$osteosynthesis * (twin_split$period == 2)
split_terms <- c("kidney_primary", "modified_bauer_score", "pathological_fracture", "osteosynthesis_before",
                 "osteosynthesis_after")
write_data(twin_split, "twin_split", split_terms)
fit_case("twin_split", twin_split, split_terms, "efron", counting = TRUE)

# 6. monotone likelihood: osteosynthesis x prognostic group
fit_case("twin_monotone", twin,
                     c("osteosynthesis", "group2", "group3-4", "osteosynthesis:group2", "osteosynthesis:group3-4"),
                     formula_rhs = "osteosynthesis * group")

# 7. ridge, theta = 0.1 x patients on the variance-scaled coefficients (scale = TRUE)
theta <- 0.1 * nrow(twin)
ridge_rhs <- sprintf("ridge(%s, theta = %.17g)", paste(four, collapse = ", "), theta)
fit_case("twin_ridge", twin, four, formula_rhs = ridge_rhs)

write17(do.call(rbind, fits), "fits.csv")
write17(do.call(rbind, residual_rows), "residuals.csv")
write.csv(data.frame(R = R.version.string, survival = as.character(packageVersion("survival"))),
          file.path(out_dir, "versions.csv"), row.names = FALSE)
