# Reference fits of lme4 for bayesml's tests (issue 11: an lme4 user's first hour).
# Run from the repository root:  Rscript tests/references/lme4_references.R
# Writes tests/references/lme4_references.json next to this script; the tests read the JSON,
# so neither CI nor users need R.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

data_dir <- "bayesml/datasets/data"
read <- function(name) read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = TRUE)

fixed <- function(fit) {
  table <- summary(fit)$coefficients
  list(estimate = as.list(table[, "Estimate"]), se = as.list(table[, "Std. Error"]))
}

sleepstudy <- read("sleepstudy")
sleepstudy$Subject <- factor(sleepstudy$Subject)
sleep_fit <- lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = TRUE)
sleep_vc <- as.data.frame(VarCorr(sleep_fit))
sleep <- c(fixed(sleep_fit), list(
  sd_intercept = sleep_vc$sdcor[sleep_vc$var1 == "(Intercept)" & is.na(sleep_vc$var2) & sleep_vc$grp == "Subject"],
  sd_days = sleep_vc$sdcor[sleep_vc$var1 == "Days" & is.na(sleep_vc$var2) & sleep_vc$grp == "Subject"],
  correlation = sleep_vc$sdcor[!is.na(sleep_vc$var2)],
  sigma = sigma(sleep_fit),
  REML = TRUE
))

cbpp <- read("cbpp")
cbpp$herd <- factor(cbpp$herd)
cbpp$period <- factor(cbpp$period)
cbpp_fit <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp,
                  family = binomial)
cbpp_ref <- c(fixed(cbpp_fit), list(
  sd_herd = as.data.frame(VarCorr(cbpp_fit))$sdcor[1],
  logLik = as.numeric(logLik(cbpp_fit)),
  method = "Laplace"
))

bacteria <- read("bacteria")
bacteria$y01 <- as.integer(bacteria$y == "y")
bacteria_fit <- glmer(y01 ~ week + (1 | ID), data = bacteria, family = binomial)
bacteria_ref <- c(fixed(bacteria_fit), list(
  sd_ID = as.data.frame(VarCorr(bacteria_fit))$sdcor[1],
  logLik = as.numeric(logLik(bacteria_fit)),
  method = "Laplace"
))

out <- list(
  generated_by = "tests/references/lme4_references.R",
  R = R.version.string,
  lme4 = as.character(packageVersion("lme4")),
  sleepstudy = sleep,
  cbpp = cbpp_ref,
  bacteria = bacteria_ref
)
write_json(out, "tests/references/lme4_references.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
