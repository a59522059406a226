#!/usr/bin/env Rscript
# Reference values for scripts/competing_risks, computed with R's cmprsk (cuminc, crr), survival and MASS.
#
#   Rscript tests/r/competing_risks_fixtures.R [OUTPUT_DIR]
#
# OUTPUT_DIR defaults to tests/fixtures/competing_risks (next to this script's folder). The script writes, per data
# set NAME, the input data (NAME_data.csv, so the Python tests read exactly the rows R used), cuminc's step functions
# read with timepoints() (NAME_cuminc.csv), Gray's tests (NAME_gray.csv) and crr fits (NAME_crr.csv), plus
# versions.csv with the R, package and Debian package versions. Numbers are written with 17 significant digits.
#
# Data sets: the BMT data of Scrucca et al. 2007 (tests/r/bmt_scrucca2007.csv, see the comment at its top),
# survival's mgus2 (progression vs death), MASS's Melanoma, a synthetic data set with heavy ties, events at time 0,
# three groups and two strata (fixed seed), the hand-worked examples of tests/test_competing_risks.py, and the two
# degenerate cases of issue 16 (Gray's test once the pooled incidence reaches 1; a Fine-Gray covariate level
# without events, where crr does not converge).

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(MASS)
})

args <- commandArgs(trailingOnly = TRUE)
file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
script_dir <- dirname(normalizePath(sub("^--file=", "", file_arg[1])))
out_dir <- if (length(args) >= 1) args[1] else file.path(script_dir, "..", "fixtures", "competing_risks")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

# crr's defaults (gtol 1e-6, maxiter 10) stop before convergence; the reference answers need the converged fit.
# With gtol 1e-12 crr's line search can stall at rounding level (the log-likelihood change of a tiny step is below
# machine precision) and report converged = FALSE with a score of ~1e-10: that fit is converged for our purpose, so
# the script records the score and stops only when it is not small (CRR_SCORE_CHECK, crr's own criterion).
CRR_GTOL <- 1e-12
CRR_SCORE_CHECK <- 1e-8
CRR_MAXITER <- 200
CONF_LEVEL <- 0.95

# ---------------------------------------------------------------------------------------------------------------
# Versions

debian_version <- function(pkg) {
  out <- tryCatch(suppressWarnings(system2("dpkg-query", c("-W", shQuote("-f=${Version}"), pkg), stdout = TRUE,
                                           stderr = FALSE)),
                  error = function(e) character(0))
  if (length(out) == 0 || !nzchar(out[1])) NA_character_ else out[1]
}

versions <- data.frame(
  name = c("R", "survival", "cmprsk", "MASS", "debian:r-base-core", "debian:r-cran-survival",
           "debian:r-cran-cmprsk", "debian:r-cran-mass"),
  version = c(paste(R.version$major, R.version$minor, sep = "."), as.character(packageVersion("survival")),
              as.character(packageVersion("cmprsk")), as.character(packageVersion("MASS")),
              debian_version("r-base-core"), debian_version("r-cran-survival"), debian_version("r-cran-cmprsk"),
              debian_version("r-cran-mass")),
  stringsAsFactors = FALSE
)
cat(R.version.string, "\n")
for (i in seq_len(nrow(versions))) cat(sprintf("  %-24s %s\n", versions$name[i], versions$version[i]))

# ---------------------------------------------------------------------------------------------------------------
# Writing

format_column <- function(x) {
  if (is.logical(x)) return(ifelse(is.na(x), "NA", ifelse(x, "true", "false")))
  if (is.numeric(x)) return(ifelse(is.na(x), "NA", sprintf("%.17g", x)))
  x <- as.character(x)
  if (any(grepl("[,\"\n]", x))) stop("a text value has a comma, quote or newline: the writer does not quote")
  ifelse(is.na(x), "NA", x)
}

write_fixture <- function(df, file_name) {
  out <- as.data.frame(lapply(df, format_column), stringsAsFactors = FALSE)
  write.csv(out, file.path(out_dir, file_name), row.names = FALSE, quote = FALSE)
}

# ---------------------------------------------------------------------------------------------------------------
# Reference computations

# cuminc's estimate and variance read at `eval_times` with timepoints() (the value at the last corner <= t; NA
# outside the curve), plus the pointwise CI of the log(-log) transform documented in scripts/competing_risks:
# F^exp(+-z sqrt(V) / (F log F)).
cuminc_rows <- function(time, event, group, group_name, eval_times) {
  fit <- if (is.null(group)) cuminc(time, event, cencode = 0) else cuminc(time, event, group, cencode = 0)
  fit$Tests <- NULL
  tp <- timepoints(fit, eval_times)
  z <- qnorm(1 - (1 - CONF_LEVEL) / 2)
  rows <- list()
  for (curve in rownames(tp$est)) {
    parts <- strsplit(curve, " ", fixed = TRUE)[[1]]
    est <- tp$est[curve, ]
    var <- tp$var[curve, ]
    scale <- sqrt(var) / (est * log(est))
    lower <- ifelse(est > 0 & est < 1, est^exp(-z * scale), est)
    upper <- ifelse(est > 0 & est < 1, est^exp(z * scale), est)
    rows[[curve]] <- data.frame(
      grouping = group_name,
      group = if (is.null(group)) "all" else paste(parts[-length(parts)], collapse = " "),
      cause = as.integer(parts[length(parts)]),
      time = eval_times, estimate = est, variance = var, lower = lower, upper = upper,
      stringsAsFactors = FALSE
    )
  }
  do.call(rbind, rows)
}

# Evaluation grid: every observed time, a point between consecutive times and one beyond the last.
eval_grid <- function(time) {
  ut <- sort(unique(time))
  between <- if (length(ut) > 1) (head(ut, -1) + tail(ut, -1)) / 2 else numeric(0)
  sort(unique(c(ut, between, max(ut) + 1)))
}

gray_rows <- function(time, event, group, strata, rho, label) {
  tests <- if (is.null(strata)) cuminc(time, event, group, rho = rho, cencode = 0)$Tests
           else cuminc(time, event, group, strata, rho = rho, cencode = 0)$Tests
  data.frame(test = label, cause = as.integer(rownames(tests)), rho = rho, statistic = tests[, "stat"],
             p_value = tests[, "pv"], df = tests[, "df"], stringsAsFactors = FALSE)
}

crr_rows <- function(time, event, covariates, cause, label) {
  fit <- crr(time, event, cov1 = as.matrix(covariates), failcode = cause, cencode = 0, gtol = CRR_GTOL,
             maxiter = CRR_MAXITER)
  score_check <- max(abs(fit$score) * pmax(abs(fit$coef), 1)) / max(abs(fit$loglik), 1)
  if (!is.finite(score_check) || score_check > CRR_SCORE_CHECK) {
    stop(sprintf("crr did not converge: %s cause %d (scaled score %g)", label, cause, score_check))
  }
  data.frame(model = label, cause = cause, term = colnames(covariates), coef = unname(fit$coef),
             se = sqrt(diag(fit$var)), loglik = fit$loglik, loglik_null = fit$loglik.null, n = fit$n,
             crr_converged = fit$converged, max_abs_score = max(abs(fit$score)), stringsAsFactors = FALSE)
}

# One data set: columns time, event, group (may be absent), strata (may be absent) and covariates.
reference_set <- function(name, data, group_col = NULL, strata_col = NULL, covariate_cols = character(0),
                          gray_rhos = 0, crr_causes = integer(0)) {
  write_fixture(data, paste0(name, "_data.csv"))
  causes <- sort(unique(data$event[data$event != 0]))

  cif <- cuminc_rows(data$time, data$event, NULL, "none", eval_grid(data$time))
  if (!is.null(group_col)) {
    cif <- rbind(cif, cuminc_rows(data$time, data$event, data[[group_col]], group_col, eval_grid(data$time)))
  }
  write_fixture(cif, paste0(name, "_cuminc.csv"))

  if (!is.null(group_col)) {
    gray <- do.call(rbind, lapply(gray_rhos, function(rho)
      gray_rows(data$time, data$event, data[[group_col]], NULL, rho, "unstratified")))
    if (!is.null(strata_col)) {
      gray <- rbind(gray, do.call(rbind, lapply(gray_rhos, function(rho)
        gray_rows(data$time, data$event, data[[group_col]], data[[strata_col]], rho, "stratified"))))
    }
    write_fixture(gray, paste0(name, "_gray.csv"))
  }

  if (length(covariate_cols) > 0 && length(crr_causes) > 0) {
    complete <- data[stats::complete.cases(data[, covariate_cols, drop = FALSE]), ]
    fits <- do.call(rbind, lapply(crr_causes, function(cause)
      crr_rows(complete$time, complete$event, complete[, covariate_cols, drop = FALSE], cause, name)))
    write_fixture(fits, paste0(name, "_crr.csv"))
  }
  cat(sprintf("%-10s n = %5d, events: %s\n", name, nrow(data),
              paste(sprintf("cause %d: %d", causes, sapply(causes, function(k) sum(data$event == k))),
                    collapse = ", ")))
}

# ---------------------------------------------------------------------------------------------------------------
# Data sets

# BMT of Scrucca et al. 2007 (35 patients, two events at time 0).
bmt_raw <- read.csv(file.path(script_dir, "bmt_scrucca2007.csv"), comment.char = "#")
bmt <- data.frame(time = bmt_raw$ftime, event = bmt_raw$status,
                  group = ifelse(bmt_raw$dis == 1, "AML", "ALL"), aml = bmt_raw$dis)
reference_set("bmt", bmt, group_col = "group", covariate_cols = "aml", crr_causes = c(1L, 2L))
published <- timepoints(cuminc(bmt$time, bmt$event), 72)$est[, 1]
stopifnot(abs(published[["1 1"]] - 0.27283899) < 5e-9, abs(published[["1 2"]] - 0.48126955) < 5e-9)

# survival's mgus2: progression (cause 1) vs death without progression (cause 2), time in months, as in the
# survival package's competing-risks vignette. hgb has missing values: crr uses the complete cases.
m <- survival::mgus2
mgus2 <- data.frame(time = ifelse(m$pstat == 1, m$ptime, m$futime),
                    event = ifelse(m$pstat == 1, 1L, 2L * m$death),
                    group = as.character(m$sex), strata = ifelse(m$age >= 70, "age70plus", "under70"),
                    age = m$age, male = as.integer(m$sex == "M"), hgb = m$hgb)
reference_set("mgus2", mgus2, group_col = "group", strata_col = "strata", covariate_cols = c("age", "male", "hgb"),
              gray_rhos = c(0, 1), crr_causes = c(1L, 2L))

# MASS's Melanoma: status 1 melanoma death (cause 1), 3 other death (cause 2), 2 alive (censored).
mel <- MASS::Melanoma
melanoma <- data.frame(time = mel$time, event = c(1L, 0L, 2L)[mel$status],
                       group = ifelse(mel$ulcer == 1, "ulcer", "no_ulcer"),
                       strata = ifelse(mel$sex == 1, "male", "female"),
                       sex = mel$sex, age = mel$age, thickness = mel$thickness, ulcer = mel$ulcer)
reference_set("melanoma", melanoma, group_col = "group", strata_col = "strata",
              covariate_cols = c("sex", "age", "thickness", "ulcer"), gray_rhos = c(0, 1), crr_causes = c(1L, 2L))

# Synthetic: day-granular times 0..30 (heavy ties, events of both causes and censorings tied), events at time 0,
# three groups with different incidence and two strata. No censoring at time 0 (see scripts/competing_risks/README.md:
# crr reads the censoring distribution at 0 inclusive of censorings at 0, a convention we do not copy).
set.seed(20240611)
n_syn <- 600
syn_group <- sample(c("A", "B", "C"), n_syn, replace = TRUE)
syn_strata <- sample(c("s1", "s2"), n_syn, replace = TRUE)
x1 <- round(rnorm(n_syn), 1)
x2 <- rbinom(n_syn, 1, 0.4)
x3 <- sample(0:4, n_syn, replace = TRUE)
rate1 <- 0.03 * exp(0.5 * x1 + 0.4 * (syn_group == "B") + 0.8 * (syn_group == "C"))
rate2 <- 0.02 * exp(-0.3 * x2 + 0.1 * x3)
t1 <- rexp(n_syn, rate1)
t2 <- rexp(n_syn, rate2)
tc <- runif(n_syn, 1, 40)
syn_time <- floor(pmin(t1, t2, tc))
syn_event <- ifelse(tc <= pmin(t1, t2), 0L, ifelse(t1 <= t2, 1L, 2L))
syn_event[syn_time == 0 & syn_event == 0] <- 1L  # keep every time-0 record an event
synthetic <- data.frame(time = syn_time, event = syn_event, group = syn_group, strata = syn_strata,
                        x1 = x1, x2 = x2, x3 = x3)
stopifnot(sum(synthetic$time == 0 & synthetic$event == 1) > 0, sum(synthetic$time == 0 & synthetic$event == 2) > 0)
reference_set("synthetic", synthetic, group_col = "group", strata_col = "strata", covariate_cols = c("x1", "x2", "x3"),
              gray_rhos = c(0, 0.5, 1), crr_causes = c(1L, 2L))

# The hand-worked examples of tests/test_competing_risks.py, so the paper arithmetic is also checked against R.
hand_cif <- data.frame(time = c(1, 2, 3, 4), event = c(1L, 2L, 0L, 1L))
reference_set("hand_cif", hand_cif)
hand_gray <- data.frame(time = c(1, 2, 3, 1, 2, 3), event = c(1L, 0L, 1L, 2L, 1L, 0L),
                        group = c("a", "a", "a", "b", "b", "b"))
reference_set("hand_gray", hand_gray, group_col = "group")
hand_fg <- data.frame(time = c(1, 1.5, 2, 3, 2.5), event = c(1L, 2L, 1L, 1L, 0L), x = c(1, 1, 0, 1, 0))
reference_set("hand_fg", hand_fg[1:4, ], covariate_cols = "x", crr_causes = 1L)
reference_set("hand_fg_censored", hand_fg, covariate_cols = "x", crr_causes = 1L)

# Gray's test once the pooled cumulative incidence reaches 1 (issue 16): groups A and B fail early, C alone is at
# risk for the last events. Unstratified, the pooled estimate F(t) = F(t-) + D1 / H goes past 1 (1.0965 before
# t = 9); in stratum s2 it reaches exactly 1 (1/3 + 1/3 + 1/3 at t = 6) before C's last event at t = 7, where
# 1 / (1 - F(t-)) is infinite. cuminc gives finite statistics here for rho 0, 0.5 and 1 (the infinite factors
# only meet terms that are zero); scripts/competing_risks used to fail with "SVD did not converge".
gray_cif_one <- data.frame(
  time = c(1, 2, 2, 3, 1, 2, 3, 4, 2, 5, 6, 6, 8, 9, 2, 2, 5, 6, 1, 4, 7),
  event = c(1L, 1L, 2L, 1L, 2L, 1L, 1L, 1L, 0L, 1L, 2L, 1L, 1L, 1L, 1L, 1L, 1L, 1L, 0L, 0L, 1L),
  group = c(rep("A", 4), rep("B", 4), rep("C", 6), "A", "A", "B", "B", "C", "C", "C"),
  strata = c(rep("s1", 14), rep("s2", 7)),
  stringsAsFactors = FALSE
)
reference_set("gray_cif_one", gray_cif_one, group_col = "group", strata_col = "strata", gray_rhos = c(0, 0.5, 1))

# Monotone likelihood (issue 16): arm 1 has no events of cause 1 (only competing events and censorings), so the
# Fine-Gray coefficient of arm goes to -infinity for cause 1. With its defaults (gtol 1e-6, maxiter 10) crr reports
# converged = FALSE; with gtol 1e-12 its score criterion is met at arm ~ -30.7 (the score decays like exp(beta))
# and it reports TRUE. NAME_crr_convergence.csv records both; cause 2 (estimable) goes to NAME_crr.csv as usual.
set.seed(16)
n_mono <- 60
mono_arm <- rep(c(0L, 1L), each = n_mono / 2)
mono_age <- round(rnorm(n_mono), 1)
mono_time <- sample(1:40, n_mono, replace = TRUE)
mono_event <- sample(c(0L, 1L, 1L, 2L), n_mono, replace = TRUE)
mono_event[mono_arm == 1L & mono_event == 1L] <- 2L
monotone_fg <- data.frame(time = mono_time, event = mono_event, group = ifelse(mono_arm == 1L, "arm1", "arm0"),
                          arm = mono_arm, age = mono_age, stringsAsFactors = FALSE)
stopifnot(sum(monotone_fg$event == 1 & monotone_fg$arm == 1) == 0, sum(monotone_fg$event == 1) > 0)
reference_set("monotone_fg", monotone_fg, group_col = "group", covariate_cols = c("arm", "age"), crr_causes = 2L)
crr_convergence <- do.call(rbind, lapply(list(c("arm"), c("arm", "age")), function(terms) {
  do.call(rbind, lapply(list(list("default", 1e-6, 10L), list("strict", CRR_GTOL, CRR_MAXITER)), function(s) {
    fit <- crr(monotone_fg$time, monotone_fg$event, cov1 = as.matrix(monotone_fg[, terms, drop = FALSE]),
               failcode = 1L, cencode = 0, gtol = s[[2]], maxiter = s[[3]])
    data.frame(model = paste(terms, collapse = "+"), cause = 1L, settings = s[[1]], gtol = s[[2]],
               maxiter = s[[3]], term = terms, coef = unname(fit$coef), crr_converged = fit$converged,
               max_abs_score = max(abs(fit$score)), stringsAsFactors = FALSE)
  }))
}))
write_fixture(crr_convergence, "monotone_fg_crr_convergence.csv")

# Joint monotone likelihood (issue 16): two binary factors and their product, with no event of cause 1 in the cell
# a = 0, b = 0. a and b go to +infinity and a_x_b to -infinity together, so that the three other cells stay finite
# against each other; no coefficient diverges alone. NAME_crr_convergence.csv records crr's flags and coefficients.
set.seed(161)
jm <- expand.grid(rep = 1:15, a = 0:1, b = 0:1)
jm$time <- sample(1:40, nrow(jm), replace = TRUE)
jm$event <- sample(c(0L, 1L, 1L, 2L), nrow(jm), replace = TRUE)
jm$event[jm$a == 0L & jm$b == 0L & jm$event == 1L] <- 2L
joint_monotone_fg <- data.frame(time = jm$time, event = jm$event, group = paste0("a", jm$a, "b", jm$b),
                                a = jm$a, b = jm$b, a_x_b = jm$a * jm$b, stringsAsFactors = FALSE)
stopifnot(sum(joint_monotone_fg$event == 1 & joint_monotone_fg$group == "a0b0") == 0,
          all(tapply(joint_monotone_fg$event == 1, joint_monotone_fg$group, sum)[c("a0b1", "a1b0", "a1b1")] > 0))
reference_set("joint_monotone_fg", joint_monotone_fg, group_col = "group", covariate_cols = c("a", "b", "a_x_b"),
              crr_causes = 2L)
joint_terms <- c("a", "b", "a_x_b")
joint_convergence <- do.call(rbind, lapply(list(list("default", 1e-6, 10L), list("strict", CRR_GTOL, CRR_MAXITER)),
  function(s) {
    fit <- crr(joint_monotone_fg$time, joint_monotone_fg$event, cov1 = as.matrix(joint_monotone_fg[, joint_terms]),
               failcode = 1L, cencode = 0, gtol = s[[2]], maxiter = s[[3]])
    data.frame(model = paste(joint_terms, collapse = "+"), cause = 1L, settings = s[[1]], gtol = s[[2]],
               maxiter = s[[3]], term = joint_terms, coef = unname(fit$coef), crr_converged = fit$converged,
               max_abs_score = max(abs(fit$score)), stringsAsFactors = FALSE)
  }))
write_fixture(joint_convergence, "joint_monotone_fg_crr_convergence.csv")

write_fixture(versions, "versions.csv")
cat("fixtures written to", normalizePath(out_dir), "\n")
