#!/usr/bin/env Rscript
# Reference values for scripts/competing_risks/zph.py: R's cox.zph (the score test with the full information matrix,
# survival >= 3.0) on Cox fits and on the coxph fits that reproduce cmprsk's crr (Fine-Gray).
#
#   Rscript tests/r/zph_fixtures.R [OUTPUT_DIR]
#
# Writes to OUTPUT_DIR (default tests/fixtures/zph):
#   hand_data.csv      a small hand-checkable data set with tied event times, case weights and a time split
#   zph_cox.csv        cox.zph per covariate and GLOBAL (chisq, df, p) for coxph fits: data set, model, ties,
#                      weighted or not, right-censored or counting-process, transform km / rank / identity
#   zph_fine_gray.csv  cox.zph on the weighted counting-process coxph fit equivalent to crr (Breslow ties, crr's
#                      weights G(t-)/G(T_i-) for the competing events), with its distance to crr's coefficients
#   versions.csv       R and package versions
# Inputs: tests/fixtures/analysis/analysis_table.tsv (the synthetic twin's analysis table, as analysis_fixtures.R)
# and tests/fixtures/competing_risks/melanoma_data.csv, mgus2_data.csv (written by competing_risks_fixtures.R).
# Every fit is converged to 1e-12, so that the test is a function of the data alone. 17 significant digits.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

args <- commandArgs(trailingOnly = TRUE)
file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
script_dir <- dirname(normalizePath(sub("^--file=", "", file_arg[1])))
fixtures <- file.path(script_dir, "..", "fixtures")
out_dir <- if (length(args) >= 1) args[1] else file.path(fixtures, "zph")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
control <- coxph.control(eps = 1e-12, toler.chol = 1e-15, iter.max = 100)
TRANSFORMS <- c("km", "rank", "identity")

write17 <- function(frame, name) {
  for (column in names(frame)) {
    if (is.numeric(frame[[column]])) frame[[column]] <- sprintf("%.17g", frame[[column]])
  }
  write.csv(frame, file.path(out_dir, name), row.names = FALSE, quote = TRUE)
}

zph_rows <- function(fit, labels, transforms = TRANSFORMS) {
  do.call(rbind, lapply(transforms, function(transform) {
    z <- cox.zph(fit, transform = transform, terms = FALSE, global = TRUE)$table
    data.frame(labels, transform = transform, term = rownames(z), chisq = z[, "chisq"], df = z[, "df"],
               p = z[, "p"], stringsAsFactors = FALSE, row.names = NULL)
  }))
}

# A small data set: 14 subjects, two covariates, tied event times (3 events at t = 5, 2 at t = 8, an event tied with a
# censoring at t = 12), non-integer case weights, and a split of follow-up at t = 6 for the counting-process form.
hand <- data.frame(
  time = c(2, 3, 5, 5, 5, 6, 8, 8, 9, 12, 12, 14, 15, 20),
  status = c(1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1),
  x1 = c(1, 0, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0),
  x2 = c(0.5, 1.2, -0.3, 2.0, 0.0, 1.1, -1.0, 0.7, 0.2, 1.5, -0.6, 0.9, 0.4, -0.2),
  w = c(1, 2, 0.5, 1.5, 1, 1, 2.5, 1, 0.8, 1.2, 1, 2, 1, 0.7)
)
write17(hand, "hand_data.csv")
split <- survSplit(Surv(time, status) ~ ., data = hand, cut = 6, start = "start", end = "stop")

cox_rows <- list()
for (ties in c("efron", "breslow")) {
  for (weighted in c(FALSE, TRUE)) {
    case_weight <- if (weighted) hand$w else rep(1, nrow(hand))
    fit <- coxph(Surv(time, status) ~ x1 + x2, data = hand, weights = case_weight, ties = ties, control = control)
    cox_rows[[length(cox_rows) + 1]] <- zph_rows(fit, data.frame(dataset = "hand", model = "x1 + x2", ties = ties,
                                                                  weighted = weighted, counting = FALSE))
    split_weight <- if (weighted) split$w else rep(1, nrow(split))
    fit <- coxph(Surv(start, stop, status) ~ x1 + x2, data = split, weights = split_weight, ties = ties, control = control)
    cox_rows[[length(cox_rows) + 1]] <- zph_rows(fit, data.frame(dataset = "hand", model = "x1 + x2", ties = ties,
                                                                  weighted = weighted, counting = TRUE))
  }
}

# The synthetic twin's analysis table: the cause-specific models of scripts/analysis/factors.py (Efron ties; a model
# with osteosynthesis leaves out the "other" operations).
d <- read.delim(file.path(fixtures, "analysis", "analysis_table.tsv"), stringsAsFactors = FALSE)
d$revision <- as.integer(d$event == 1)
d$osteosynthesis <- as.numeric(d$fixation == "osteosynthesis")
d$kidney_primary <- as.numeric(d$primary_group == "kidney")
d$pathological_fracture <- as.numeric(as.logical(d$pathological_fracture))
compared <- d[d$fixation != "other", ]
twin_models <- list(
  list("univariable: osteosynthesis", compared, "osteosynthesis"),
  list("univariable: kidney_primary", d, "kidney_primary"),
  list("univariable: modified_bauer_score", d, "modified_bauer_score"),
  list("univariable: pathological_fracture", d, "pathological_fracture"),
  list("multivariable", compared, c("osteosynthesis", "kidney_primary", "modified_bauer_score"))
)
for (m in twin_models) {
  f <- as.formula(paste("Surv(time_days, revision) ~", paste(m[[3]], collapse = " + ")))
  for (ties in c("efron", "breslow")) {
    fit <- coxph(f, data = m[[2]], ties = ties, control = control)
    cox_rows[[length(cox_rows) + 1]] <- zph_rows(fit, data.frame(dataset = "twin", model = m[[1]], ties = ties,
                                                                  weighted = FALSE, counting = FALSE))
  }
}
write17(do.call(rbind, cox_rows), "zph_cox.csv")

# Fine-Gray: the weighted counting-process data on which coxph (Breslow ties) maximises crr's likelihood. A subject
# with a competing event at T_i stays in the risk set of every later event time t of the cause, with weight
# G(t-)/G(T_i-), G the Kaplan-Meier of the censoring times (failures tied with a censoring at risk for it) read just
# before the time (Fine & Gray 1999; crr's convention). The coxph coefficients are checked against crr's.
crr_data <- function(time, event, x, cause = 1) {
  kinds <- ifelse(event == 0, 0, ifelse(event == cause, 1, 2))
  u <- sort(unique(time))
  at_risk <- sapply(u, function(s) sum(time >= s))
  censored <- sapply(u, function(s) sum(time == s & kinds == 0))
  g_after <- cumprod(1 - censored / at_risk)
  g_before <- function(s) c(1, g_after)[match(s, u)]
  event_times <- sort(unique(time[kinds == 1]))
  rows <- list()
  for (i in seq_along(time)) {
    rows[[length(rows) + 1]] <- data.frame(id = i, start = 0, stop = time[i], status = as.integer(kinds[i] == 1),
                                           weight = 1)
    if (kinds[i] == 2) {
      later <- event_times[event_times > time[i]]
      if (length(later)) {
        rows[[length(rows) + 1]] <- data.frame(id = i, start = c(time[i], head(later, -1)), stop = later,
                                               status = 0L, weight = g_before(later) / g_before(time[i]))
      }
    }
  }
  long <- do.call(rbind, rows)
  cbind(long, x[long$id, , drop = FALSE])
}

fg_rows <- list()
fine_gray_reference <- function(dataset, model, time, event, x) {
  x <- as.data.frame(x)
  long <- crr_data(time, event, x)
  f <- as.formula(paste("Surv(start, stop, status) ~", paste(names(x), collapse = " + ")))
  fit <- coxph(f, data = long, weights = weight, ties = "breslow", control = control)
  crr_fit <- crr(time, event, as.matrix(x), failcode = 1, cencode = 0, gtol = 1e-12, maxiter = 200)
  gap <- max(abs(unname(coef(fit)) - unname(crr_fit$coef)))
  # crr's own Newton-Raphson can stop short (converged FALSE at ~1e-7 on the twin): the check allows for that.
  if (gap > 1e-5) stop(sprintf("%s %s: coxph on crr's weighted data is %g from crr", dataset, model, gap))
  # Not "rank": cox.zph ranks the stop times of all rows, which depends on how the weighted data are split.
  rows <- zph_rows(fit, data.frame(dataset = dataset, model = model), c("km", "identity"))
  rows$coef_gap_to_crr <- gap
  rows$crr_converged <- crr_fit$converged
  fg_rows[[length(fg_rows) + 1]] <<- rows
}
fine_gray_reference("twin", "univariable: osteosynthesis", compared$time_days, compared$event,
                    compared[, "osteosynthesis", drop = FALSE])
fine_gray_reference("twin", "univariable: modified_bauer_score", d$time_days, d$event,
                    d[, "modified_bauer_score", drop = FALSE])
fine_gray_reference("twin", "multivariable", compared$time_days, compared$event,
                    compared[, c("osteosynthesis", "kidney_primary", "modified_bauer_score")])
melanoma <- read.csv(file.path(fixtures, "competing_risks", "melanoma_data.csv"))
fine_gray_reference("melanoma", "sex + age + thickness + ulcer", melanoma$time, melanoma$event,
                    melanoma[, c("sex", "age", "thickness", "ulcer")])
# Tied times with events of both causes and censorings: the hand data with a competing cause.
hand_fg <- data.frame(time = hand$time, event = ifelse(hand$status == 1, ifelse(hand$x2 > 0.6, 2, 1), 0),
                      x1 = hand$x1, x2 = hand$x2)
write17(hand_fg, "hand_fg_data.csv")
fine_gray_reference("hand_fg", "x1 + x2", hand_fg$time, hand_fg$event, hand_fg[, c("x1", "x2")])
write17(do.call(rbind, fg_rows), "zph_fine_gray.csv")

versions <- data.frame(name = c("R", "survival", "cmprsk"),
                       version = c(paste(R.version$major, R.version$minor, sep = "."),
                                   as.character(packageVersion("survival")), as.character(packageVersion("cmprsk"))))
write.csv(versions, file.path(out_dir, "versions.csv"), row.names = FALSE)
cat("zph fixtures written to", out_dir, "\n")
