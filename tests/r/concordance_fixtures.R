#!/usr/bin/env Rscript
# Reference values for scripts/analysis/discrimination.py: Harrell's concordance as R's survival::concordance
# counts it (timewt = "n", the default; reverse = TRUE, so a higher score means an earlier event).
#
#   Rscript tests/r/concordance_fixtures.R [OUTPUT_DIR]      # default: tests/fixtures/concordance
#
# Writes, per data set, the input (time, event, risk) and R's counts and concordance:
#   <name>_data.csv   the data as R used them (rows with a missing score dropped)
#   concordance.csv   name, concordant, discordant, tied_x, tied_y, tied_xy (event pairs tied in time but not in
#                     score, and in both), concordance (17 significant digits)
#   versions.csv      R and survival versions
# Data sets: a hand-worked example (ties in time and score, an event and a censoring at the same time),
# survival::lung with ph.ecog as the score, the synthetic twin's analysis table (tests/fixtures/analysis) with the
# modified and the original Bauer scores (higher = better, so negated), and a large generated set with heavy ties.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
script_dir <- dirname(normalizePath(sub("^--file=", "", file_arg[1])))
out_dir <- if (length(args) >= 1) args[1] else file.path(script_dir, "..", "fixtures", "concordance")
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)

sets <- list()
sets$hand <- data.frame(time = c(1, 2, 2, 3, 4, 4, 5), event = c(1, 1, 0, 1, 0, 1, 1), risk = c(5, 3, 4, 3, 2, 2, 1))
lung_rows <- !is.na(lung$ph.ecog)
sets$lung_ecog <- data.frame(time = lung$time[lung_rows], event = as.numeric(lung$status[lung_rows] == 2),
                             risk = lung$ph.ecog[lung_rows])
twin <- read.delim(file.path(script_dir, "..", "fixtures", "analysis", "analysis_table.tsv"), stringsAsFactors = FALSE)
twin_died <- as.numeric(as.logical(twin$died))
sets$twin_modified_bauer <- data.frame(time = twin$survival_days, event = twin_died, risk = -twin$modified_bauer_score)
original_bauer <- twin$modified_bauer_score + as.numeric(!as.logical(twin$pathological_fracture))
sets$twin_bauer <- data.frame(time = twin$survival_days, event = twin_died, risk = -original_bauer)
set.seed(20261126)
n <- 3000
sets$heavy_ties <- data.frame(time = sample(1:60, n, replace = TRUE), event = rbinom(n, 1, 0.6),
                              risk = sample(0:10, n, replace = TRUE))

rows <- list()
for (name in names(sets)) {
  d <- sets[[name]]
  fit <- concordance(Surv(time, event) ~ risk, data = d, reverse = TRUE)
  count <- fit$count
  rows[[name]] <- data.frame(name = name, concordant = count[["concordant"]], discordant = count[["discordant"]],
                             tied_x = count[["tied.x"]], tied_y = count[["tied.y"]],
                             tied_xy = count[["tied.xy"]], concordance = fit$concordance)
  write.csv(d, file.path(out_dir, paste0(name, "_data.csv")), row.names = FALSE)
}
out <- do.call(rbind, rows)
for (column in names(out)) if (is.numeric(out[[column]])) out[[column]] <- sprintf("%.17g", out[[column]])
write.csv(out, file.path(out_dir, "concordance.csv"), row.names = FALSE)
write.csv(data.frame(R = R.version.string, survival = as.character(packageVersion("survival"))),
          file.path(out_dir, "versions.csv"), row.names = FALSE)
print(out)
