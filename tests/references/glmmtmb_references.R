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
# glmmTMB's zi is on the logit scale and is the probability of a *structural* zero (zero-inflated
# families) or of y = 0 (truncated families), as bayesml's zi / hu: the signs of the coefficients
# agree. A zero model with a random intercept, ~ mined + (1 | site), is fitted for the Poisson
# (its SD is sd_zi_site in bayesml).
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

# Population-level predictions (random effects at 0, re.form = NA) in each spp x mined cell: the
# count part's mean mu, the zero probability zprob (zi: structural zero; hurdle: P(y = 0)), the
# mean of y and P(y = 0). These are identified where single coefficients of the zero part are not.
cells <- function(fit) {
  grid <- expand.grid(spp = levels(salamanders$spp), mined = levels(salamanders$mined))
  grid$site <- NA
  mu <- predict(fit, newdata = grid, type = "conditional", re.form = NA)
  zprob <- predict(fit, newdata = grid, type = "zprob", re.form = NA)
  family_name <- family(fit)$family
  p_zero <- switch(
    family_name,
    poisson = zprob + (1 - zprob) * dpois(0, mu),
    nbinom2 = zprob + (1 - zprob) * dnbinom(0, size = sigma(fit), mu = mu),
    zprob  # truncated_poisson, truncated_nbinom2: zi is P(y = 0)
  )
  list(spp = as.character(grid$spp), mined = as.character(grid$mined), mu = mu, zprob = zprob,
       mean = predict(fit, newdata = grid, type = "response", re.form = NA), p_zero = p_zero)
}

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
  if (!is.null(VarCorr(fit)$zi$site)) {
    out$sd_zi_site <- attr(VarCorr(fit)$zi$site, "stddev")[[1]]
  }
  if (family(fit)$family %in% c("nbinom2", "truncated_nbinom2")) {
    out$alpha <- sigma(fit)
  }
  if (formula_zi != "~1") {
    out$cells <- cells(fit)
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

# A zero-inflated NB2 whose zero part is well identified, for the coefficients of a zi formula:
# on salamanders the zero part of the NB2 model lies on a ridge (the NB's own zeros and the
# structural ones trade off; Wald SEs of 0.6-2.2 on logit coefficients), where a posterior and an
# MLE need not agree. Simulated here (R's RNG; the data go into the JSON): 800 rows, 40 groups,
# log mu = 0.8 + 0.5 x + u (sd 0.4), theta = 2, logit zi = -0.8 + 1.2 w.
simulated_zinb <- function() {
  set.seed(20261207)
  n <- 800
  g <- rep(sprintf("g%02d", 1:40), each = 20)
  x <- round(rnorm(n), 4)
  w <- round(rnorm(n), 4)
  u <- rnorm(40, 0, 0.4)
  mu <- exp(0.8 + 0.5 * x + u[as.integer(factor(g))])
  zi <- plogis(-0.8 + 1.2 * w)
  y <- ifelse(runif(n) < zi, 0, rnbinom(n, size = 2, mu = mu))
  data <- data.frame(y = y, x = x, w = w, g = factor(g))
  model <- glmmTMB(y ~ x + (1 | g), ziformula = ~ w, family = nbinom2, data = data)
  column <- function(table, name) setNames(as.list(table[, name]), rownames(table))
  cond <- summary(model)$coefficients$cond
  zi_table <- summary(model)$coefficients$zi
  list(
    data = list(y = y, x = x, w = w, g = g),
    formula = "y ~ x + (1 | g)", ziformula = "~ w",
    conditional = list(estimate = column(cond, "Estimate"), se = column(cond, "Std. Error")),
    zero = list(estimate = column(zi_table, "Estimate"), se = column(zi_table, "Std. Error")),
    sd_g = attr(VarCorr(model)$cond$g, "stddev")[[1]],
    alpha = sigma(model),
    logLik = as.numeric(logLik(model)),
    converged = model$sdr$pdHess
  )
}

# Overdispersed Poisson counts through an observation-level random effect (issue 12 item 6):
# Thall & Vail's epilepsy counts (MASS::epil, bundled as epil.csv), the model of Breslow & Clayton
# (1993) with a random intercept per subject and one per row, (1 | obs), beside the NB2 model that
# puts the extra variance into the family instead.
epilepsy <- function() {
  epil <- read.csv("bayesml/datasets/data/epil.csv")
  epil$subject <- factor(epil$subject)
  epil$trt <- factor(epil$trt, levels = c("placebo", "progabide"))
  epil$obs <- factor(seq_len(nrow(epil)))
  column <- function(table, name) setNames(as.list(table[, name]), rownames(table))
  one <- function(formula, response_family) {
    model <- glmmTMB(formula, family = response_family, data = epil)
    cond <- summary(model)$coefficients$cond
    out <- list(
      formula = paste(deparse(formula), collapse = ""),
      conditional = list(estimate = column(cond, "Estimate"), se = column(cond, "Std. Error")),
      sd_subject = attr(VarCorr(model)$cond$subject, "stddev")[[1]],
      logLik = as.numeric(logLik(model)),
      converged = model$sdr$pdHess
    )
    if (!is.null(VarCorr(model)$cond$obs)) {
      out$sd_obs <- attr(VarCorr(model)$cond$obs, "stddev")[[1]]
    }
    if (family(model)$family == "nbinom2") {
      out$alpha <- sigma(model)
    }
    out
  }
  list(
    poisson_obs = one(y ~ lbase * trt + lage + V4 + (1 | subject) + (1 | obs), poisson),
    nbinom2 = one(y ~ lbase * trt + lage + V4 + (1 | subject), nbinom2)
  )
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
  hurdle_nbinom2_constant = fit(truncated_nbinom2, ~ 1),
  hurdle_poisson_hu_formula = fit(truncated_poisson, ~ spp + mined),
  hurdle_nbinom2_hu_formula = fit(truncated_nbinom2, ~ spp + mined),
  zipoisson_zi_random = fit(poisson, ~ mined + (1 | site)),
  zinbinom2_simulated = simulated_zinb(),
  epil = epilepsy()
)
write_json(out, "tests/references/glmmtmb_references.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
