# Likelihood-ratio tests of nested maximum-likelihood fits by lme4's anova(), the reference of
# bayesml.anova (issue 13 item 4). Run from the repository root:
#   Rscript tests/references/anova_references.R
# Writes tests/references/anova_references.json next to this script; the tests read the JSON, so
# neither CI nor users need R.
#
# Each comparison records, per model in lme4's order (by number of parameters), bayesml's formula,
# lme4's npar, AIC, BIC, logLik, deviance, Chisq, Df and Pr(>Chisq) (null for the first row).
# The fits use the tight bobyqa controls of ml_references.R, so the numbers are lme4's optimum
# and not its default stopping point.
#
# * sleepstudy, lmer with REML = FALSE: (1 | Subject), (Days || Subject), (Days | Subject) — the
#   three-model table and the usual pair (1 | Subject) vs (Days | Subject).
# * cbpp, glmer binomial Laplace (nAGQ = 1): period in or out, (1 | herd).
# * cbpp at nAGQ = 25: the same pair. lme4's AGQ log-likelihood leaves out the saturated binomial
#   log-likelihood (see ml_references.R); it is the same for both fits, so Chisq is unaffected.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

data_dir <- "bayesml/datasets/data"
read <- function(name) read.csv(file.path(data_dir, paste0(name, ".csv")), stringsAsFactors = TRUE)

tight_glmer <- glmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))
tight_lmer <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

na_null <- function(x) lapply(x, function(v) if (is.na(v)) NULL else v)

table_of <- function(a, formulas) {
  # formulas: bayesml's formula of each model, named by the model's name in the anova call
  rows <- rownames(a)
  list(
    models = unname(lapply(rows, function(name) list(name = name, formula = formulas[[name]]))),
    npar = unname(a$npar), AIC = unname(a$AIC), BIC = unname(a$BIC), logLik = unname(a$logLik),
    deviance = unname(a$deviance), Chisq = na_null(unname(a$Chisq)), Df = na_null(unname(a$Df)),
    p = na_null(unname(a[["Pr(>Chisq)"]]))
  )
}

sleepstudy <- read("sleepstudy")
sleepstudy$Subject <- factor(sleepstudy$Subject)
cbpp <- read("cbpp")
cbpp$herd <- factor(cbpp$herd)
cbpp$period <- factor(cbpp$period)

out <- list(
  generated_by = "tests/references/anova_references.R",
  lme4_version = as.character(packageVersion("lme4")),
  R_version = R.version.string
)

ss_formulas <- list(
  intercept = "Reaction ~ Days + (1 | Subject)",
  independent = "Reaction ~ Days + (Days || Subject)",
  correlated = "Reaction ~ Days + (Days | Subject)"
)
intercept <- lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = FALSE, control = tight_lmer)
independent <- lmer(Reaction ~ Days + (Days || Subject), sleepstudy, REML = FALSE,
                    control = tight_lmer)
correlated <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy, REML = FALSE,
                   control = tight_lmer)
out$sleepstudy_pair <- table_of(anova(intercept, correlated), ss_formulas)
out$sleepstudy_three <- table_of(anova(correlated, intercept, independent), ss_formulas)

cb_formulas <- list(
  with_period = "cbind(incidence, size - incidence) ~ period + (1 | herd)",
  without_period = "cbind(incidence, size - incidence) ~ 1 + (1 | herd)"
)
with_period <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial,
                     control = tight_glmer)
without_period <- glmer(cbind(incidence, size - incidence) ~ 1 + (1 | herd), cbpp, binomial,
                        control = tight_glmer)
out$cbpp_laplace <- table_of(anova(with_period, without_period), cb_formulas)
with_period <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial,
                     nAGQ = 25, control = tight_glmer)
without_period <- glmer(cbind(incidence, size - incidence) ~ 1 + (1 | herd), cbpp, binomial,
                        nAGQ = 25, control = tight_glmer)
out$cbpp_agq25 <- table_of(anova(with_period, without_period), cb_formulas)
out$cbpp_agq25$saturated_logLik <- sum(dbinom(cbpp$incidence, cbpp$size, cbpp$incidence / cbpp$size,
                                              log = TRUE))

path <- file.path("tests", "references", "anova_references.json")
write_json(out, path, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null")
cat("wrote", path, "\n")
