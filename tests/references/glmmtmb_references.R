# Reference fits of glmmTMB for bayesml's zero-inflated and hurdle families (issue 12).
# Run from the repository root:  Rscript tests/references/glmmtmb_references.R
# Writes tests/references/glmmtmb_references.json next to this script; the tests read the JSON,
# so neither CI nor users need R.
#
# The salamanders data of glmmTMB (Price et al. 2016), bundled as
# bayesml/datasets/data/salamanders.csv: count ~ spp + mined + (1 | site), with a zero model
# `ziformula` that is either the same fixed terms (~ spp + mined) or one constant (~ 1), for the
# Poisson and the NB2 count part (var = mu + mu^2 / theta; bayesml's alpha is glmmTMB's theta,
# sigma(fit)). glmmTMB's truncated_poisson / truncated_nbinom2 with a ziformula are hurdle models
# (zi = P(y = 0)), bayesml's hurdle_poisson / hurdle_negative_binomial with hu = zi.
suppressPackageStartupMessages({
  library(glmmTMB)
  library(jsonlite)
})

salamanders <- read.csv("bayesml/datasets/data/salamanders.csv", stringsAsFactors = TRUE)
salamanders$site <- factor(salamanders$site)
# the level order of glmmTMB's Salamanders, which bayesml.datasets.load("salamanders") keeps:
# reference levels spp GP and mined yes
salamanders$spp <- factor(salamanders$spp, levels = levels(glmmTMB::Salamanders$spp))
salamanders$mined <- factor(salamanders$mined, levels = levels(glmmTMB::Salamanders$mined))
stopifnot(nrow(salamanders) == nrow(glmmTMB::Salamanders),
          all(salamanders$count == glmmTMB::Salamanders$count))

summarise <- function(fit, formula_zi) {
  column <- function(table, name) setNames(as.list(table[, name]), rownames(table))
  cond <- summary(fit)$coefficients$cond
  zi <- summary(fit)$coefficients$zi
  out <- list(
    conditional = list(estimate = column(cond, "Estimate"), se = column(cond, "Std. Error")),
    zero = list(estimate = column(zi, "Estimate"), se = column(zi, "Std. Error")),
    sd_site = attr(VarCorr(fit)$cond$site, "stddev")[[1]],
    logLik = as.numeric(logLik(fit)),
    ziformula = formula_zi,
    converged = fit$sdr$pdHess
  )
  if (family(fit)$family %in% c("nbinom2", "truncated_nbinom2")) {
    out$alpha <- sigma(fit)
  }
  if (formula_zi == "~1") {
    out$zi <- plogis(zi[1, "Estimate"])   # P(structural zero), or P(y = 0) for a hurdle
  }
  out
}

fit <- function(family, ziformula) {
  model <- glmmTMB(count ~ spp + mined + (1 | site), ziformula = ziformula,
                   family = family, data = salamanders)
  summarise(model, paste(deparse(ziformula), collapse = ""))
}

out <- list(
  generated_by = "tests/references/glmmtmb_references.R",
  R = R.version.string,
  glmmTMB = as.character(packageVersion("glmmTMB")),
  data = "salamanders",
  formula = "count ~ spp + mined + (1 | site)",
  zipoisson_zi_formula = fit(poisson, ~ spp + mined),
  zinbinom2_zi_formula = fit(nbinom2, ~ spp + mined),
  zipoisson_constant = fit(poisson, ~ 1),
  zinbinom2_constant = fit(nbinom2, ~ 1),
  hurdle_poisson_constant = fit(truncated_poisson, ~ 1),
  hurdle_nbinom2_constant = fit(truncated_nbinom2, ~ 1)
)
write_json(out, "tests/references/glmmtmb_references.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
