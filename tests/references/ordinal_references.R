# Reference fits of ordinal::clmm and ordinal::clm for bayesml's ordinal tests (issue 12 item 1).
# Run from the repository root:  Rscript tests/references/ordinal_references.R
# Writes tests/references/ordinal_references.json next to this script; the tests read the JSON,
# so neither CI nor users need R.
#
# Data: the wine bitterness ratings bundled with bayesml (ordinal::wine: rating 1-5, temp
# cold/warm, contact no/yes, 9 judges). clmm is fitted by adaptive Gauss-Hermite quadrature with
# 10 nodes (nAGQ = 10), clm by maximum likelihood. Convention of both, brms and bambi:
# P(rating <= k) = F(theta_k - eta), so a positive coefficient means higher ratings.
suppressPackageStartupMessages({
  library(ordinal)
  library(jsonlite)
})

wine <- read.csv("bayesml/datasets/data/wine.csv", stringsAsFactors = TRUE)
wine$rating <- factor(wine$rating, levels = 1:5, ordered = TRUE)
wine$judge <- factor(wine$judge)

coefficients <- function(fit) {
  table <- coef(summary(fit))
  beta <- names(fit$beta)
  alpha <- names(fit$alpha)
  list(
    beta = as.list(table[beta, "Estimate"]),
    beta_se = as.list(table[beta, "Std. Error"]),
    cutpoints = as.list(table[alpha, "Estimate"]),
    cutpoints_se = as.list(table[alpha, "Std. Error"]),
    logLik = as.numeric(logLik(fit))
  )
}

mixed <- function(link) {
  fit <- clmm(rating ~ temp + contact + (1 | judge), data = wine, link = link, nAGQ = 10)
  c(coefficients(fit), list(sd_judge = as.numeric(attr(VarCorr(fit)$judge, "stddev"))))
}

fixed_only <- function(link) coefficients(clm(rating ~ temp + contact, data = wine, link = link))

out <- list(
  generated_by = "tests/references/ordinal_references.R",
  R = R.version.string,
  ordinal = as.character(packageVersion("ordinal")),
  formula_clmm = "rating ~ temp + contact + (1 | judge)",
  formula_clm = "rating ~ temp + contact",
  method_clmm = "adaptive Gauss-Hermite quadrature, nAGQ = 10",
  clmm = list(logit = mixed("logit"), probit = mixed("probit")),
  clm = list(logit = fixed_only("logit"), probit = fixed_only("probit"), cloglog = fixed_only("cloglog"))
)
write_json(out, "tests/references/ordinal_references.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
